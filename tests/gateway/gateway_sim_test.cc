// The collector against the Kubernetes API simulator with the FogGuru
// testbed: the snapshot's capacity equals the testbed's, a change in a
// member reaches a Watch client within a second, a member cut off is
// marked unreachable and recovers, Prometheus figures land in the feed, and
// the real binary serves /readyz, /metrics and the gRPC API.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "http_client.h"
#include "mck8s/gateway/feed.h"
#include "mck8s/gateway/gateway.h"
#include "mck8s/gateway/service.h"
#include "mck8s/k8stypes/quantity.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/config.h"
#include "mck8s/runtime/http_server.h"
#include "mck8s/runtime/metrics.h"
#include "process.h"
#include "sim_harness.h"
#include "tcp_proxy.h"

namespace mck8s::gateway {
namespace {

using testing::Deployment;
using testing::Find;
using testing::Harness;
using testing::Sim;

using kubeapi::Client;
using kubeapi::GroupVersionResource;
using kubeapi::Object;
using mck8s::testing::BinaryPath;
using mck8s::testing::Process;
using mck8s::testing::SourcePath;
using mck8s::testing::TempDir;

const GroupVersionResource kDeployments{"apps", "v1", "deployments"};
const GroupVersionResource kPods{"", "v1", "pods"};
const GroupVersionResource kSecrets{"", "v1", "secrets"};
const GroupVersionResource kMemberClusters{"fogguru.eu", "v1", "memberclusters"};

// What the testbed file says a cluster holds.
struct ExpectedCluster {
  std::string region, zone, provider;
  bool cloud = false;
  int64_t worker_cpu_millis = 0;
  int64_t worker_memory_bytes = 0;
  int64_t worker_pods = 0;
  int workers = 0;
  std::map<std::string, std::string> labels;
  int taints = 0;
};

std::map<std::string, ExpectedCluster> TestbedMembers() {
  YAML::Node testbed = YAML::LoadFile(SourcePath("sim/testbeds/fogguru.yaml"));
  const std::string management = testbed["management"].as<std::string>();
  std::map<std::string, ExpectedCluster> out;
  for (const YAML::Node& cluster : testbed["clusters"]) {
    const std::string name = cluster["name"].as<std::string>();
    if (name == management) continue;
    ExpectedCluster& expected = out[name];
    expected.region = cluster["region"].as<std::string>("");
    expected.zone = cluster["zone"].as<std::string>("");
    expected.provider = cluster["provider"].as<std::string>("");
    expected.cloud = cluster["cloud"].as<bool>(false);
    if (cluster["labels"]) {
      for (const auto& label : cluster["labels"]) {
        expected.labels[label.first.as<std::string>()] = label.second.as<std::string>();
      }
    }
    if (cluster["taints"]) expected.taints = static_cast<int>(cluster["taints"].size());
    for (const YAML::Node& group : cluster["nodeGroups"]) {
      const int count = group["count"].as<int>();
      absl::StatusOr<int64_t> cpu = k8stypes::ParseCpuMillis(group["cpu"].as<std::string>());
      absl::StatusOr<int64_t> memory =
          k8stypes::ParseMemoryBytes(group["memory"].as<std::string>());
      REQUIRE(cpu.ok());
      REQUIRE(memory.ok());
      expected.workers += count;
      expected.worker_cpu_millis += count * *cpu;
      expected.worker_memory_bytes += count * *memory;
      expected.worker_pods += count * group["pods"].as<int64_t>(110);
    }
  }
  return out;
}

TEST_CASE("the snapshot's clusters, capacity and RTT equal the testbed's") {
  Sim sim;
  GatewayOptions options = Harness::FastOptions();
  options.rtt_file = SourcePath("sim/testbeds/fogguru.yaml");
  Harness harness(sim, options);
  FleetStatePtr state = harness.WaitReady();
  const std::map<std::string, ExpectedCluster> expected = TestbedMembers();

  REQUIRE(state->clusters.size() == expected.size());
  for (const auto& [name, want] : expected) {
    INFO("cluster " << name);
    const v1::ClusterStatus* status = Find(*state, name);
    REQUIRE(status != nullptr);
    CHECK(status->identity().region() == want.region);
    CHECK(status->identity().zone() == want.zone);
    CHECK(status->identity().provider() == want.provider);
    CHECK(status->identity().kind() ==
          (want.cloud ? v1::CLUSTER_KIND_CLOUD : v1::CLUSTER_KIND_FOG));
    CHECK(status->identity().taints_size() == want.taints);
    for (const auto& [key, value] : want.labels)
      CHECK(status->identity().labels().at(key) == value);
    CHECK(status->health().state() == v1::HEALTH_STATE_READY);
    CHECK(status->health().has_last_seen());
    REQUIRE(status->health().sources_size() >= 1);
    CHECK(status->health().sources(0).source() == v1::DATA_SOURCE_API);
    CHECK(status->health().sources(0).has_last_success());
    // The simulator serves metrics.k8s.io: usage is reported.
    REQUIRE(status->health().sources_size() == 2);
    CHECK(status->health().sources(1).source() == v1::DATA_SOURCE_METRICS);
    CHECK(status->health().sources(1).has_last_success());
    CHECK(status->has_used());
    CHECK(status->used().cpu_millis() > 0);

    // Totals count the workers; the tainted control-plane node is listed
    // but not counted.
    CHECK(status->allocatable().cpu_millis() == want.worker_cpu_millis);
    CHECK(status->allocatable().memory_bytes() == want.worker_memory_bytes);
    CHECK(status->pods().allocatable() == want.worker_pods);
    CHECK(status->nodes_size() == want.workers + 1);
    int control_plane = 0;
    for (const v1::NodeStatus& node : status->nodes()) control_plane += node.control_plane();
    CHECK(control_plane == 1);

    // Free room per node: allocatable minus the requests of the pods the
    // member really has on it.
    std::unique_ptr<Client> member = sim.Connect(name);
    absl::StatusOr<kubeapi::ObjectList> pods = member->List(kPods, "");
    REQUIRE(pods.ok());
    std::map<std::string, int64_t> requested_cpu;
    int64_t total_requested_cpu = 0;
    for (const Object& pod : pods->items) {
      if (!ChargesNode(pod)) continue;
      const int64_t cpu = PodRequest(pod).cpu_millis;
      requested_cpu[std::string(pod.FindString("/spec/nodeName").value_or(""))] += cpu;
      total_requested_cpu += cpu;
    }
    for (const v1::NodeStatus& node : status->nodes()) {
      CHECK(node.free().cpu_millis() ==
            std::max<int64_t>(0, node.allocatable().cpu_millis() - requested_cpu[node.name()]));
      CHECK(node.schedulable());
    }
    if (requested_cpu.empty()) {
      CHECK(status->requested().cpu_millis() == 0);
      CHECK(status->requested().memory_bytes() == 0);
    }
    CHECK(status->requested().cpu_millis() <= total_requested_cpu);
  }

  // The static matrix, both directions, among registered clusters only.
  YAML::Node rtt = YAML::LoadFile(SourcePath("sim/testbeds/fogguru.yaml"))["rtt"];
  size_t pairs = 0;
  for (const auto& row : rtt) {
    const std::string from = row.first.as<std::string>();
    for (const auto& cell : row.second) {
      const std::string to = cell.first.as<std::string>();
      if (expected.count(from) == 0 || expected.count(to) == 0) continue;
      ++pairs;
      for (const RttKey& key : {RttKey{from, to}, RttKey{to, from}}) {
        INFO(key.first << " -> " << key.second);
        REQUIRE(state->rtt.count(key) == 1);
        CHECK(state->rtt.at(key).rtt_ms() == cell.second.as<double>());
        CHECK(state->rtt.at(key).source() == v1::RTT_SOURCE_STATIC);
      }
    }
  }
  CHECK(state->rtt.size() == 2 * pairs);

  // The same over gRPC.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetSnapshotRequest request;
  request.add_clusters("nancy");
  v1::GetSnapshotResponse response;
  REQUIRE(harness.stub().GetSnapshot(&context, request, &response).ok());
  REQUIRE(response.snapshot().clusters_size() == 1);
  CHECK(response.snapshot().clusters(0).allocatable().cpu_millis() ==
        expected.at("nancy").worker_cpu_millis);
  CHECK(static_cast<size_t>(response.snapshot().rtt_size()) == 2 * (expected.size() - 1));
}

TEST_CASE("the RTT ConfigMap overrides the static file pair by pair, live") {
  Sim sim;
  TempDir dir;
  mck8s::testing::WriteFile(dir.File("rtt.yaml"), "rtt:\n  rennes: {nantes: 2.5, lille: 23}\n");
  std::unique_ptr<Client> management = sim.Connect();
  // Start from a ConfigMap that names one pair only.
  const GroupVersionResource kConfigMaps{"", "v1", "configmaps"};
  (void)management->Delete(kConfigMaps, "mck8s-system", "mck8s-rtt");
  Object configmap("v1", "ConfigMap");
  configmap.SetName("mck8s-rtt");
  configmap.SetNamespace("mck8s-system");
  REQUIRE(configmap.SetString("/data/rtt.yaml", "nantes: {rennes: 9}").ok());
  REQUIRE(management->Create(kConfigMaps, configmap).ok());

  GatewayOptions options = Harness::FastOptions();
  options.rtt_file = dir.File("rtt.yaml");
  Harness harness(sim, options);
  FleetStatePtr state = harness.WaitReady();
  auto rtt = [](const FleetState& s, const std::string& a, const std::string& b) {
    auto it = s.rtt.find({a, b});
    return it == s.rtt.end() ? -1.0 : it->second.rtt_ms();
  };
  CHECK(state->rtt.size() == 4);
  CHECK(rtt(*state, "rennes", "nantes") == 9);  // the ConfigMap wins
  CHECK(rtt(*state, "nantes", "rennes") == 9);
  CHECK(rtt(*state, "lille", "rennes") == 23);  // the file where the ConfigMap is silent

  REQUIRE(configmap.SetString("/data/rtt.yaml", "lille: {rennes: 30}").ok());
  absl::StatusOr<Object> current = management->Get(kConfigMaps, "mck8s-system", "mck8s-rtt");
  REQUIRE(current.ok());
  configmap.SetResourceVersion(current->resource_version());
  REQUIRE(management->Update(kConfigMaps, configmap).ok());
  CHECK(harness.WaitFor(
            [&](const FleetState& s) {
              return rtt(s, "rennes", "lille") == 30 && rtt(s, "rennes", "nantes") == 2.5;
            },
            absl::Seconds(5)) != nullptr);
}

TEST_CASE("a Deployment created in a member reaches a Watch client within a second") {
  Sim sim;
  Harness harness(sim);
  harness.WaitReady();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::WatchRequest request;
  request.add_clusters("nantes");
  auto reader = harness.stub().Watch(&context, request);
  v1::WatchEvent event;
  REQUIRE(reader->Read(&event));
  REQUIRE(event.has_snapshot());
  uint64_t revision = event.revision();

  std::unique_ptr<Client> nantes = sim.Connect("nantes");
  const absl::Time created = absl::Now();
  REQUIRE(nantes->Create(kDeployments, Deployment("web", 2)).ok());

  auto has_web = [](const v1::ClusterStatus& status) {
    for (const v1::WorkloadStats& workload : status.workloads()) {
      if (workload.name() == "web" && workload.namespace_() == "default") return true;
    }
    return false;
  };
  std::optional<absl::Duration> delay;
  while (!delay.has_value() && reader->Read(&event)) {
    CHECK(event.revision() > revision);
    revision = event.revision();
    REQUIRE(event.has_delta());
    for (const v1::ClusterStatus& status : event.delta().changed_clusters()) {
      CHECK(status.identity().name() == "nantes");
      if (has_web(status)) delay = absl::Now() - created;
    }
  }
  REQUIRE(delay.has_value());
  CHECK(*delay <= absl::Seconds(1));

  // The replicas' requests then show up in the cluster's figures.
  bool charged = false;
  while (!charged && reader->Read(&event)) {
    for (const v1::ClusterStatus& status : event.delta().changed_clusters()) {
      charged = status.requested().cpu_millis() == 500 &&
                status.requested().memory_bytes() == 2 * 128 * 1024 * 1024;
    }
  }
  CHECK(charged);
  context.TryCancel();
  while (reader->Read(&event)) {
  }
  reader->Finish();
}

TEST_CASE("a member that stops answering is marked unreachable and recovers") {
  Sim sim;
  mck8s::testing::TcpProxy proxy(sim.port());
  REQUIRE(proxy.Start().ok());

  // Register a member whose API server is lille's, reached through the proxy.
  std::unique_ptr<Client> management = sim.Connect();
  absl::StatusOr<Object> lille = management->Get(kSecrets, "mck8s-system", "lille-kubeconfig");
  REQUIRE(lille.ok());
  std::string kubeconfig;
  REQUIRE(absl::Base64Unescape(std::string(lille->FindString("/data/value").value_or("")),
                               &kubeconfig));
  kubeconfig =
      absl::StrReplaceAll(kubeconfig, {{sim.address(), absl::StrCat("127.0.0.1:", proxy.port())}});
  Object secret("v1", "Secret");
  secret.SetName("remote-kubeconfig");
  secret.SetNamespace("mck8s-system");
  REQUIRE(secret.SetString("/data/value", absl::Base64Escape(kubeconfig)).ok());
  REQUIRE(management->Create(kSecrets, secret).ok());
  Object member("fogguru.eu/v1", "MemberCluster");
  member.SetName("remote");
  REQUIRE(member.SetString("/spec/kubeconfigSecretRef/namespace", "mck8s-system").ok());
  REQUIRE(member.SetString("/spec/kubeconfigSecretRef/name", "remote-kubeconfig").ok());
  REQUIRE(member.SetString("/spec/region", "hauts-de-france").ok());
  REQUIRE(management->Create(kMemberClusters, member).ok());

  GatewayOptions options = Harness::FastOptions();
  Harness harness(sim, options);
  harness.WaitReady();
  auto state_of = [](const FleetState& state, const std::string& name) {
    const v1::ClusterStatus* status = Find(state, name);
    return status == nullptr ? v1::HEALTH_STATE_UNSPECIFIED : status->health().state();
  };
  FleetStatePtr ready = harness.WaitFor(
      [&](const FleetState& s) { return state_of(s, "remote") == v1::HEALTH_STATE_READY; },
      absl::Seconds(10));
  REQUIRE(ready != nullptr);
  const int64_t cpu = Find(*ready, "remote")->allocatable().cpu_millis();
  CHECK(cpu == Find(*ready, "lille")->allocatable().cpu_millis());

  // Cut off: unreachable within the threshold (plus one round to notice),
  // keeping its last figures; the other members stay ready.
  proxy.Stop();
  const absl::Time cut = absl::Now();
  FleetStatePtr unreachable = harness.WaitFor(
      [&](const FleetState& s) { return state_of(s, "remote") == v1::HEALTH_STATE_UNREACHABLE; },
      options.unreachable_after + 2 * options.collection_interval + options.request_timeout);
  REQUIRE(unreachable != nullptr);
  CHECK(absl::Now() - cut >= options.unreachable_after - options.collection_interval);
  const v1::ClusterStatus* status = Find(*unreachable, "remote");
  CHECK(status->allocatable().cpu_millis() == cpu);
  CHECK(status->health().reason().rfind("api:", 0) == 0);
  CHECK_FALSE(status->health().sources(0).last_error().empty());
  CHECK(state_of(*unreachable, "lille") == v1::HEALTH_STATE_READY);
  CHECK(harness.registry().Render().find(
            "mck8s_gateway_source_errors_total{member_cluster=\"remote\",source=\"api\"}") !=
        std::string::npos);

  // Back: ready again, and changes stream again.
  REQUIRE(proxy.Start(proxy.port()).ok());
  FleetStatePtr recovered = harness.WaitFor(
      [&](const FleetState& s) { return state_of(s, "remote") == v1::HEALTH_STATE_READY; },
      absl::Seconds(10));
  REQUIRE(recovered != nullptr);
  CHECK(Find(*recovered, "remote")->health().reason().empty());
  std::unique_ptr<Client> lille_client = sim.Connect("lille");
  REQUIRE(lille_client->Create(kDeployments, Deployment("after", 1)).ok());
  CHECK(harness.WaitFor(
            [&](const FleetState& s) {
              const v1::ClusterStatus* remote = Find(s, "remote");
              return remote != nullptr && remote->workloads_size() == 1;
            },
            absl::Seconds(10)) != nullptr);
}

TEST_CASE("a member the simulator makes unreachable is marked so and recovers") {
  Sim sim;
  GatewayOptions options = Harness::FastOptions();
  Harness harness(sim, options);
  harness.WaitReady();
  auto state_of = [](const FleetState& state, const std::string& name) {
    const v1::ClusterStatus* status = Find(state, name);
    return status == nullptr ? v1::HEALTH_STATE_UNSPECIFIED : status->health().state();
  };
  auto reachability = [&](bool reachable) {
    mck8s::testing::HttpResult result = mck8s::testing::HttpRequest(
        "127.0.0.1", sim.port(), "PUT", "/sim/v1/clusters/luxembourg/reachability",
        reachable ? R"({"reachable":true})" : R"({"reachable":false})",
        {{"Content-Type", "application/json"}});
    REQUIRE(result.status == 200);
  };
  const int64_t cpu = Find(*harness.feed().Current(), "luxembourg")->allocatable().cpu_millis();

  reachability(false);
  const absl::Time cut = absl::Now();
  FleetStatePtr unreachable = harness.WaitFor(
      [&](const FleetState& s) {
        return state_of(s, "luxembourg") == v1::HEALTH_STATE_UNREACHABLE;
      },
      options.unreachable_after + 2 * options.collection_interval + options.request_timeout);
  REQUIRE(unreachable != nullptr);
  INFO("marked after " << absl::FormatDuration(absl::Now() - cut));
  const v1::ClusterStatus& status = *Find(*unreachable, "luxembourg");
  CHECK(status.allocatable().cpu_millis() == cpu);  // the last figures, not dropped
  CHECK(status.health().reason().rfind("api:", 0) == 0);
  for (const char* other : {"rennes", "nantes", "nancy"}) {
    CHECK(state_of(*unreachable, other) == v1::HEALTH_STATE_READY);
  }

  reachability(true);
  FleetStatePtr recovered = harness.WaitFor(
      [&](const FleetState& s) { return state_of(s, "luxembourg") == v1::HEALTH_STATE_READY; },
      absl::Seconds(10));
  REQUIRE(recovered != nullptr);
  // Changes made after the partition stream in again.
  std::unique_ptr<Client> luxembourg = sim.Connect("luxembourg");
  REQUIRE(luxembourg->Create(kDeployments, Deployment("healed", 1)).ok());
  CHECK(harness.WaitFor(
            [&](const FleetState& s) {
              const v1::ClusterStatus* lux = Find(s, "luxembourg");
              return lux != nullptr && lux->workloads_size() == 1 &&
                     lux->health().state() == v1::HEALTH_STATE_READY;
            },
            absl::Seconds(10)) != nullptr);
}

TEST_CASE("Prometheus figures of a member land in its traffic and workloads") {
  Sim sim;
  std::unique_ptr<Client> management = sim.Connect();
  std::unique_ptr<Client> grenoble = sim.Connect("grenoble");
  REQUIRE(grenoble->Create(kDeployments, Deployment("api", 2)).ok());

  // A fake Prometheus that answers by query, from figures the test sets.
  absl::Mutex mu;
  std::map<std::string, double> pod_receive;  // "namespace/pod" -> B/s
  absl::StatusOr<std::unique_ptr<runtime::HttpServer>> server =
      runtime::HttpServer::Create("127.0.0.1:0");
  REQUIRE(server.ok());
  (*server)->Handle("/api/v1/query", [&](const runtime::HttpRequest& request) {
    runtime::HttpResponse response;
    response.content_type = "application/json";
    // Percent-encoded, which leaves the metric and label names readable.
    const std::string& query = request.query;
    absl::MutexLock lock(&mu);
    std::string result;
    if (query.find("receive") != std::string::npos && query.find("pod") != std::string::npos) {
      for (const auto& [key, value] : pod_receive) {
        const size_t slash = key.find('/');
        absl::StrAppend(&result, result.empty() ? "" : ",", R"({"metric":{"namespace":")",
                        key.substr(0, slash), R"(","pod":")", key.substr(slash + 1),
                        R"("},"value":[1700000000,")", value, R"("]})");
      }
    } else if (query.find("receive") != std::string::npos) {
      result = R"({"metric":{},"value":[1700000000,"4096.5"]})";
    } else if (query.find("transmit") != std::string::npos) {
      result = R"({"metric":{},"value":[1700000000,"1024"]})";
    }
    response.body = absl::StrCat(R"({"status":"success","data":{"resultType":"vector","result":[)",
                                 result, "]}}");
    return response;
  });
  REQUIRE((*server)->Start().ok());
  const std::string url = absl::StrCat("http://127.0.0.1:", (*server)->port());
  REQUIRE(management
              ->MergePatch(
                  kMemberClusters, "", "grenoble",
                  *Object::Parse(absl::StrCat(R"({"spec":{"prometheus":{"url":")", url, R"("}}})")))
              .ok());

  // The pods of the Deployment, as the member has them.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::vector<std::string> pods;
  while (pods.size() < 2 && absl::Now() < deadline) {
    absl::StatusOr<kubeapi::ObjectList> list = grenoble->List(kPods, "default");
    REQUIRE(list.ok());
    pods.clear();
    for (const Object& pod : list->items) {
      if (PodWorkload(pod).has_value() && PodWorkload(pod)->name == "api") {
        pods.push_back("default/" + std::string(pod.name()));
      }
    }
    if (pods.size() < 2) absl::SleepFor(absl::Milliseconds(20));
  }
  REQUIRE(pods.size() == 2);
  {
    absl::MutexLock lock(&mu);
    pod_receive[pods[0]] = 100;
    pod_receive[pods[1]] = 23.5;
    pod_receive["default/unrelated"] = 999;
  }

  Harness harness(sim);
  harness.WaitReady();
  FleetStatePtr state = harness.WaitFor(
      [](const FleetState& s) {
        const v1::ClusterStatus* status = Find(s, "grenoble");
        return status != nullptr && status->has_traffic() && status->workloads_size() == 1 &&
               status->workloads(0).has_network_receive_bytes_per_second();
      },
      absl::Seconds(10));
  REQUIRE(state != nullptr);
  const v1::ClusterStatus& status = *Find(*state, "grenoble");
  CHECK(status.traffic().receive_bytes_per_second() == 4096.5);
  CHECK(status.traffic().transmit_bytes_per_second() == 1024);
  CHECK(status.workloads(0).network_receive_bytes_per_second() == 123.5);
  CHECK(status.health().state() == v1::HEALTH_STATE_READY);
  bool has_prometheus = false;
  for (const v1::SourceStatus& source : status.health().sources()) {
    if (source.source() == v1::DATA_SOURCE_PROMETHEUS) {
      has_prometheus = true;
      CHECK(source.has_last_success());
      CHECK(source.last_error().empty());
    }
  }
  CHECK(has_prometheus);
  // Members without spec.prometheus have no Prometheus source or traffic.
  const v1::ClusterStatus& lille = *Find(*state, "lille");
  CHECK_FALSE(lille.has_traffic());
  for (const v1::SourceStatus& source : lille.health().sources()) {
    CHECK(source.source() != v1::DATA_SOURCE_PROMETHEUS);
  }

  // A failing Prometheus degrades the member but keeps it usable.
  (*server)->Stop();
  FleetStatePtr degraded = harness.WaitFor(
      [](const FleetState& s) {
        const v1::ClusterStatus* g = Find(s, "grenoble");
        return g != nullptr && g->health().state() == v1::HEALTH_STATE_DEGRADED;
      },
      absl::Seconds(10));
  REQUIRE(degraded != nullptr);
  CHECK(Find(*degraded, "grenoble")->health().reason().rfind("prometheus:", 0) == 0);
}

TEST_CASE("the binary is ready after the first sync and serves the feed and its metrics") {
  Sim sim;
  TempDir dir;
  Process gateway =
      Process::Start({BinaryPath("mck8s-metrics-gateway"), "--kubeconfig", sim.kubeconfig(),
                      "--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address",
                      "127.0.0.1:0", "--grpc-bind-address", "127.0.0.1:0", "--collection-interval",
                      "500ms", "--unreachable-after", "5s"});
  std::optional<std::string> started = gateway.WaitForStderrLine(
      [](std::string_view line) { return line.find("\"started\"") != std::string_view::npos; },
      absl::Seconds(30));
  REQUIRE(started.has_value());
  auto port_of = [&](const std::string& key) {
    const size_t at = started->find("\"" + key + "\":");
    REQUIRE(at != std::string::npos);
    return std::stoi(started->substr(at + key.size() + 3));
  };
  const int health = port_of("health_probe_port");
  const int metrics = port_of("metrics_port");
  const int grpc_port = port_of("grpc_port");

  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  mck8s::testing::HttpResult ready;
  while (absl::Now() < deadline) {
    ready = mck8s::testing::HttpGet("127.0.0.1", health, "/readyz/first-snapshot");
    if (ready.status == 200) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  CHECK(ready.status == 200);

  auto stub = v1::ClusterState::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port),
                                                            grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetSnapshotResponse response;
  REQUIRE(stub->GetSnapshot(&context, {}, &response).ok());
  CHECK(response.snapshot().clusters_size() == static_cast<int>(TestbedMembers().size()));
  CHECK(response.snapshot().revision() >= 1);

  mck8s::testing::HttpResult scrape = mck8s::testing::HttpGet("127.0.0.1", metrics, "/metrics");
  REQUIRE(scrape.status == 200);
  const std::string ready_clusters =
      absl::StrCat("mck8s_gateway_member_clusters{state=\"ready\"} ", TestbedMembers().size());
  for (const std::string& name :
       {std::string("mck8s_gateway_source_sync_duration_seconds_bucket{source=\"api\""),
        std::string(
            "mck8s_gateway_source_staleness_seconds{member_cluster=\"nantes\",source=\"api\"}"),
        std::string("mck8s_gateway_snapshot_revision "),
        std::string("mck8s_gateway_initial_sync_seconds "), ready_clusters}) {
    INFO(name);
    CHECK(scrape.body.find(name) != std::string::npos);
  }
  gateway.Signal(SIGTERM);
  CHECK(gateway.Wait(absl::Seconds(20)) == std::optional<int>(0));
}

TEST_CASE("--help lists the gateway's own flags with the shared ones") {
  mck8s::testing::CommandResult help =
      mck8s::testing::RunCommand({BinaryPath("mck8s-metrics-gateway"), "--help"});
  CHECK(help.exit_code == 0);
  for (const char* flag :
       {"--kubeconfig", "--grpc-bind-address", "--collection-interval", "--unreachable-after",
        "--rtt-file", "--rtt-configmap", "--prometheus-pod-receive-query", "--poll-workers"}) {
    CHECK(help.out.find(flag) != std::string::npos);
  }
  mck8s::testing::CommandResult bad = mck8s::testing::RunCommand(
      {BinaryPath("mck8s-metrics-gateway"), "--collection-interval=soon"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--collection-interval") != std::string::npos);
}

}  // namespace
}  // namespace mck8s::gateway
