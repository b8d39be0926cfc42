// A real Prometheus (/usr/bin/prometheus) scraping every member of the
// simulated FogGuru fleet, one job per cluster with a `cluster` target
// label: the traffic and CPU figures in the feed equal what Prometheus
// answers for the same queries.
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/socket.h>
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "http_client.h"
#include "mck8s/gateway/prometheus.h"
#include "mck8s/kubeapi/rest_client.h"
#include "sim_harness.h"

namespace mck8s::gateway {
namespace {

using testing::Deployment;
using testing::Find;
using testing::Harness;
using testing::Sim;

const kubeapi::GroupVersionResource kDeployments{"apps", "v1", "deployments"};
const kubeapi::GroupVersionResource kMemberClusters{"fogguru.eu", "v1", "memberclusters"};

// The sum of an instant query's samples, or nullopt for an empty answer.
std::optional<double> Query(int port, const std::string& query) {
  mck8s::testing::HttpResult result = mck8s::testing::HttpGet(
      "127.0.0.1", port, "/api/v1/query?query=" + kubeapi::EscapeQueryComponent(query));
  if (result.status != 200) return std::nullopt;
  absl::StatusOr<std::vector<PrometheusSample>> samples = ParseQueryResponse(result.body);
  if (!samples.ok() || samples->empty()) return std::nullopt;
  double sum = 0;
  for (const PrometheusSample& sample : *samples) sum += sample.value;
  return sum;
}

TEST_CASE("traffic and CPU in the feed equal what a real Prometheus answers") {
  Sim sim;
  std::unique_ptr<kubeapi::Client> nantes = sim.Connect("nantes");
  // The testbed's load model offers CPU and network receive to nantes' web.
  REQUIRE(nantes->Create(kDeployments, Deployment("web", 2)).ok());

  mck8s::testing::TempDir dir;
  // Prometheus takes no port 0.
  const int port = mck8s::testing::FreeLoopbackPort(SOCK_STREAM);
  REQUIRE(port > 0);
  std::string config = "global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n";
  YAML::Node testbed = YAML::LoadFile(mck8s::testing::SourcePath("sim/testbeds/fogguru.yaml"));
  std::vector<std::string> members;
  for (const YAML::Node& cluster : testbed["clusters"]) {
    const std::string name = cluster["name"].as<std::string>();
    if (name == testbed["management"].as<std::string>()) continue;
    members.push_back(name);
    absl::StrAppend(&config, "  - job_name: sim-", name, "\n    metrics_path: /clusters/", name,
                    "/metrics\n    static_configs:\n      - targets: ['", sim.address(),
                    "']\n        labels: {cluster: ", name, "}\n");
  }
  mck8s::testing::WriteFile(dir.File("prometheus.yml"), config);
  mck8s::testing::Process prometheus = mck8s::testing::Process::Start(
      {mck8s::testing::FindTool("prometheus"), "--config.file=" + dir.File("prometheus.yml"),
       "--storage.tsdb.path=" + dir.File("data"),
       absl::StrCat("--web.listen-address=127.0.0.1:", port), "--log.level=warn"});

  const std::string receive =
      R"(sum(rate(container_network_receive_bytes_total{cluster="{{cluster}}"}[10s])))";
  const std::string pod_receive =
      R"(sum by (namespace, pod) (rate(container_network_receive_bytes_total{cluster="{{cluster}}"}[10s])))";
  const std::string pod_cpu =
      R"(sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{cluster="{{cluster}}"}[10s])))";
  // Wait until Prometheus' rate window covers only the loaded pods' steady
  // state: the rate then equals the load the testbed offers.
  double offered_load = 0;
  for (const YAML::Node& load : testbed["load"]["workloads"]) {
    if (load["cluster"].as<std::string>() == "nantes" &&
        load["deployment"].as<std::string>("") == "web") {
      offered_load = load["networkReceive"].as<double>();
    }
  }
  REQUIRE(offered_load > 0);
  const std::string web_receive =
      R"(sum(rate(container_network_receive_bytes_total{cluster="nantes",pod=~"web-.*"}[10s])))";
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  std::optional<double> offered;
  while (absl::Now() < deadline) {
    offered = Query(port, web_receive);
    if (offered.has_value() && *offered == Approx(offered_load).epsilon(0.005)) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  REQUIRE(offered.has_value());
  REQUIRE(*offered == Approx(offered_load).epsilon(0.005));

  std::unique_ptr<kubeapi::Client> management = sim.Connect();
  for (const std::string& member : members) {
    absl::StatusOr<kubeapi::Object> patch = kubeapi::Object::Parse(
        absl::StrCat(R"({"spec":{"prometheus":{"url":"http://127.0.0.1:)", port, R"("}}})"));
    REQUIRE(patch.ok());
    REQUIRE(management->MergePatch(kMemberClusters, "", member, *patch).ok());
  }

  GatewayOptions options = Harness::FastOptions();
  options.prometheus.cluster_receive = receive;
  options.prometheus.cluster_transmit = "vector(0)";
  options.prometheus.pod_receive = pod_receive;
  options.prometheus.pod_cpu = pod_cpu;
  Harness harness(sim, options);
  harness.WaitReady();
  FleetStatePtr state = harness.WaitFor(
      [](const FleetState& s) {
        const v1::ClusterStatus* status = Find(s, "nantes");
        if (status == nullptr || !status->has_traffic() ||
            status->health().state() != v1::HEALTH_STATE_READY) {
          return false;
        }
        for (const v1::WorkloadStats& workload : status->workloads()) {
          if (workload.name() == "web" && workload.network_receive_bytes_per_second() > 100000 &&
              workload.usage().cpu_millis() > 1000) {
            return true;
          }
        }
        return false;
      },
      absl::Seconds(30));
  REQUIRE(state != nullptr);

  // What Prometheus answers now, for the same queries.
  for (const std::string& member : members) {
    INFO("cluster " << member);
    const v1::ClusterStatus& status = *Find(*state, member);
    // An empty answer (a cluster without pods has no container series) is
    // a sum of nothing: zero.
    const double answer = Query(port, ExpandQuery(receive, member)).value_or(0);
    CHECK(status.traffic().receive_bytes_per_second() == Approx(answer).epsilon(0.02).margin(1));
  }
  const v1::ClusterStatus& status = *Find(*state, "nantes");
  const v1::WorkloadStats* web = nullptr;
  for (const v1::WorkloadStats& workload : status.workloads()) {
    if (workload.name() == "web") web = &workload;
  }
  REQUIRE(web != nullptr);
  std::optional<double> receive_answer = Query(port, web_receive);
  std::optional<double> cpu_answer = Query(
      port, R"(sum(rate(container_cpu_usage_seconds_total{cluster="nantes",pod=~"web-.*"}[10s])))");
  REQUIRE(receive_answer.has_value());
  REQUIRE(cpu_answer.has_value());
  CHECK(web->network_receive_bytes_per_second() == Approx(*receive_answer).epsilon(0.02));
  // Workload CPU comes from metrics.k8s.io, which the same load model feeds.
  CHECK(static_cast<double>(web->usage().cpu_millis()) == Approx(*cpu_answer * 1000).epsilon(0.02));

  prometheus.Signal(SIGTERM);
  prometheus.Wait(absl::Seconds(20));
}

}  // namespace
}  // namespace mck8s::gateway
