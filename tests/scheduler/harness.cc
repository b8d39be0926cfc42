#include "harness.h"

#include <rapidjson/document.h>
#include <signal.h>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "http_client.h"
#include "mck8s/kubeapi/config.h"
#include "mck8s/kubeapi/errors.h"
#include "mck8s/scheduler/workload.h"

namespace mck8s::scheduler::testing {

using mck8s::testing::BinaryPath;
using mck8s::testing::FindTool;
using mck8s::testing::Process;
using mck8s::testing::SourcePath;

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

namespace {

std::unique_ptr<kubeapi::Client> Connect(const std::string& kubeconfig, const std::string& context,
                                         runtime::Registry* registry) {
  absl::StatusOr<kubeapi::RestConfig> config = kubeapi::LoadKubeconfigFiles({kubeconfig}, context);
  REQUIRE(config.ok());
  kubeapi::ClientOptions options;
  options.qps = 0;
  options.metrics = registry;
  absl::StatusOr<std::unique_ptr<kubeapi::Client>> client =
      kubeapi::Client::Create(*config, options);
  REQUIRE(client.ok());
  return *std::move(client);
}

}  // namespace

Fleet::Fleet(FleetOptions options) : options_(std::move(options)) {
  kubeconfig_ = dir_.File("kubeconfig");
  kubectl_ = FindTool("kubectl", "MCK8S_KUBECTL");
  REQUIRE_FALSE(kubectl_.empty());
  std::vector<std::string> argv = {BinaryPath("mck8s-sim"),
                                   "--testbed",
                                   SourcePath("sim/testbeds/fogguru.yaml"),
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--kubeconfig-out",
                                   kubeconfig_};
  argv.insert(argv.end(), options_.sim_args.begin(), options_.sim_args.end());
  sim_.emplace(Process::Start(argv));
  REQUIRE(sim_->WaitForStdoutLine(
      [](std::string_view l) { return l.find("listening on") != std::string_view::npos; },
      absl::Seconds(60)));
  sim::Testbed testbed = FogGuruTestbed();
  for (const sim::TestbedCluster& c : testbed.clusters) {
    if (c.name != testbed.management) members_.push_back(c.name);
  }
  state_ = std::make_unique<FakeClusterState>(SnapshotFromTestbed(testbed, "fake-1"));
  REQUIRE(state_->Start().ok());
  cluster_state_address_ = state_->address();
  if (options_.real_gateway) {
    gateway_.emplace(Process::Start(
        {BinaryPath("mck8s-metrics-gateway"), "--kubeconfig", kubeconfig_, "--rtt-file",
         SourcePath("sim/testbeds/fogguru.yaml"), "--collection-interval", "500ms",
         "--metrics-bind-address=127.0.0.1:0", "--health-probe-bind-address=127.0.0.1:0",
         "--grpc-bind-address=127.0.0.1:0"}));
    std::optional<std::string> started = gateway_->WaitForStderrLine(
        [](std::string_view l) { return l.find("\"msg\":\"started\"") != l.npos; },
        absl::Seconds(30));
    INFO(gateway_->Stderr());
    REQUIRE(started.has_value());
    rapidjson::Document doc;
    doc.Parse(started->c_str());
    REQUIRE_FALSE(doc.HasParseError());
    cluster_state_address_ = "127.0.0.1:" + std::to_string(doc["grpc_port"].GetInt());
  }
  management_ = Connect(kubeconfig_, "management", &registry_);
  if (options_.start_scheduler) StartScheduler();
}

Fleet::~Fleet() {
  if (scheduler_.has_value()) {
    scheduler_->Signal(SIGTERM);
    scheduler_->Wait(absl::Seconds(20));
  }
  if (gateway_.has_value()) {
    gateway_->Signal(SIGTERM);
    gateway_->Wait(absl::Seconds(20));
  }
  if (sim_.has_value()) {
    sim_->Signal(SIGTERM);
    sim_->Wait(absl::Seconds(10));
  }
}

void Fleet::StartScheduler() {
  std::vector<std::string> argv = {BinaryPath("mck8s-scheduler"),
                                   "--kubeconfig",
                                   kubeconfig_,
                                   "--metrics-bind-address=127.0.0.1:0",
                                   "--health-probe-bind-address=127.0.0.1:0",
                                   "--grpc-bind-address=127.0.0.1:0"};
  if (!options_.no_cluster_state) {
    argv.push_back("--cluster-state-address");
    argv.push_back(cluster_state_address_);
  }
  argv.insert(argv.end(), options_.scheduler_args.begin(), options_.scheduler_args.end());
  scheduler_.reset();
  scheduler_.emplace(Process::Start(argv));
  std::optional<std::string> started = scheduler_->WaitForStderrLine(
      [](std::string_view l) { return l.find("\"msg\":\"started\"") != l.npos; },
      absl::Seconds(30));
  INFO(scheduler_->Stderr());
  REQUIRE(started.has_value());
  rapidjson::Document doc;
  doc.Parse(started->c_str());
  REQUIRE_FALSE(doc.HasParseError());
  grpc_port_ = doc["grpc_port"].GetInt();
  metrics_port_ = doc["metrics_port"].GetInt();
  // Ready once it holds a cluster-state snapshot.
  const int probes = doc["health_probe_port"].GetInt();
  REQUIRE(
      WaitFor([&] { return mck8s::testing::HttpGet("127.0.0.1", probes, "/readyz").status == 200; },
              absl::Seconds(30)));
}

void Fleet::KillScheduler() {
  if (!scheduler_.has_value()) return;
  scheduler_->Signal(SIGKILL);
  REQUIRE(scheduler_->Wait(absl::Seconds(10)).has_value());
}

std::optional<int> Fleet::StopScheduler() {
  if (!scheduler_.has_value()) return std::nullopt;
  scheduler_->Signal(SIGTERM);
  return scheduler_->Wait(absl::Seconds(30));
}

mck8s::testing::CommandResult Fleet::Kubectl(std::vector<std::string> args,
                                             const std::string& stdin_text) {
  args.insert(args.begin(), {kubectl_, "--kubeconfig", kubeconfig_});
  return mck8s::testing::RunCommand(args, stdin_text);
}

double Fleet::SchedulerMetric(const std::string& name, const std::vector<std::string>& labels) {
  mck8s::testing::HttpResult metrics =
      mck8s::testing::HttpGet("127.0.0.1", metrics_port_, "/metrics");
  REQUIRE(metrics.status == 200);
  double total = 0;
  for (absl::string_view line : absl::StrSplit(metrics.body, '\n')) {
    if (!absl::StartsWith(line, name + "{")) continue;
    bool all = true;
    for (const std::string& label : labels) all = all && absl::StrContains(line, label);
    if (!all) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) total += value;
  }
  return total;
}

kubeapi::Client& Fleet::member(const std::string& cluster) {
  auto it = member_clients_.find(cluster);
  if (it == member_clients_.end()) {
    it = member_clients_.emplace(cluster, Connect(kubeconfig_, cluster, &registry_)).first;
  }
  return *it->second;
}

std::optional<kubeapi::Object> Fleet::Get(const kubeapi::GroupVersionResource& gvr,
                                          const std::string& ns, const std::string& name) {
  absl::StatusOr<kubeapi::Object> got = management_->Get(gvr, ns, name);
  if (!got.ok()) return std::nullopt;
  return *std::move(got);
}

bool Fleet::WaitForCondition(const std::string& ns, const std::string& name,
                             const std::string& type, const std::string& status,
                             absl::Duration timeout, const kubeapi::GroupVersionResource* gvr) {
  const kubeapi::GroupVersionResource& resource = gvr != nullptr ? *gvr : kMultiClusterDeployments;
  return WaitFor(
      [&] {
        std::optional<kubeapi::Object> object = Get(resource, ns, name);
        if (!object.has_value()) return false;
        std::optional<Condition> c = FindCondition(*object, type);
        return c.has_value() && c->status == status &&
               object->FindInt("/status/observedGeneration") == object->generation();
      },
      timeout);
}

std::map<std::string, int> Fleet::StatusPlacement(const std::string& ns, const std::string& name) {
  std::map<std::string, int> out;
  std::optional<kubeapi::Object> object = Get(kMultiClusterDeployments, ns, name);
  if (!object.has_value()) return out;
  for (const ClusterPlacement& p : PlacementFromStatus(*object)) {
    if (p.replicas > 0) out[p.cluster] = p.replicas;
  }
  return out;
}

std::map<std::string, int> Fleet::MemberDeployments(const std::string& ns,
                                                    const std::string& name) {
  std::map<std::string, int> out;
  for (const std::string& cluster : members_) {
    absl::StatusOr<kubeapi::Object> got = member(cluster).Get(kDeployments, ns, name);
    if (got.ok() && !got->IsBeingDeleted()) {
      out[cluster] = static_cast<int>(got->FindInt("/spec/replicas").value_or(0));
    }
  }
  return out;
}

std::map<std::string, int> Fleet::AllManagedDeployments() {
  std::map<std::string, int> out;
  kubeapi::ListOptions options;
  options.label_selector = kDeploymentLabel;
  for (const std::string& cluster : members_) {
    absl::StatusOr<kubeapi::ObjectList> list = member(cluster).List(kDeployments, "", options);
    REQUIRE(list.ok());
    for (const kubeapi::Object& d : list->items) {
      if (d.IsBeingDeleted()) continue;
      out[cluster + "/" + std::string(d.namespace_name()) + "/" + std::string(d.name())] =
          static_cast<int>(d.FindInt("/spec/replicas").value_or(0));
    }
  }
  return out;
}

}  // namespace mck8s::scheduler::testing
