// -----------------------------------------------------------------------------
// File: tests/scheduler/harness.h
// -----------------------------------------------------------------------------
//
// The FogGuru fleet for the scheduler's end-to-end tests, with real
// processes: mck8s-sim serving the testbed, the real mck8s-metrics-gateway
// watching it (or, when asked, an in-process ClusterState server built from
// the same testbed), and the mck8s-scheduler binary; kubectl and kubeapi
// clients to act on it and read the members back.
//
// Usage:
//
//   Fleet fleet;                      // sim + cluster state + scheduler
//   fleet.Kubectl({"apply", "-f", SourcePath("examples/mcd-affinity.yaml")});
//   REQUIRE(fleet.WaitForCondition("default", "web", "Propagated", "True"));
//   std::map<std::string, int> on = fleet.MemberDeployments("default", "web");
//
// Not thread-safe; one per test case.

#ifndef MCK8S_TESTS_SCHEDULER_HARNESS_H_
#define MCK8S_TESTS_SCHEDULER_HARNESS_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "fake_cluster_state.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/runtime/metrics.h"
#include "process.h"

namespace mck8s::scheduler::testing {

// Polls `condition` every 20 ms up to `timeout`; true once it holds.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout);

struct FleetOptions {
  // Feed the scheduler from the real mck8s-metrics-gateway (watching the
  // simulator, RTTs from the testbed file); false: from the in-process
  // FakeClusterState (state()), which is served either way.
  bool real_gateway = true;
  // Give the scheduler no --cluster-state-address at all.
  bool no_cluster_state = false;
  std::vector<std::string> sim_args;
  std::vector<std::string> scheduler_args;
  bool start_scheduler = true;
};

class Fleet {
 public:
  explicit Fleet(FleetOptions options = {});
  ~Fleet();

  const std::string& kubeconfig() const { return kubeconfig_; }
  FakeClusterState& state() { return *state_; }
  // The address the scheduler reads cluster state from.
  const std::string& cluster_state_address() const { return cluster_state_address_; }
  const std::vector<std::string>& members() const { return members_; }

  // Starts (or restarts) the scheduler; waits until it serves.
  void StartScheduler();
  // SIGKILL, and wait for it to be gone.
  void KillScheduler();
  // SIGTERM; the exit code.
  std::optional<int> StopScheduler();
  mck8s::testing::Process* scheduler() { return scheduler_ ? &*scheduler_ : nullptr; }
  int grpc_port() const { return grpc_port_; }
  std::string grpc_address() const { return "127.0.0.1:" + std::to_string(grpc_port_); }
  // The scheduler's /metrics value of the series `name` whose labels include
  // every one of `labels` (`key="value"` each), summed; 0 when absent.
  double SchedulerMetric(const std::string& name, const std::vector<std::string>& labels);

  mck8s::testing::CommandResult Kubectl(std::vector<std::string> args,
                                        const std::string& stdin_text = "");
  kubeapi::Client& management() { return *management_; }
  kubeapi::Client& member(const std::string& cluster);

  // The MCD (or nullopt when absent).
  std::optional<kubeapi::Object> Get(const kubeapi::GroupVersionResource& gvr,
                                     const std::string& ns, const std::string& name);
  bool WaitForCondition(const std::string& ns, const std::string& name, const std::string& type,
                        const std::string& status, absl::Duration timeout = absl::Seconds(30),
                        const kubeapi::GroupVersionResource* gvr = nullptr);
  // status.placement as cluster -> replicas (entries with replicas > 0).
  std::map<std::string, int> StatusPlacement(const std::string& ns, const std::string& name);
  // The Deployments named `name` in `ns` of every member, cluster ->
  // spec.replicas.
  std::map<std::string, int> MemberDeployments(const std::string& ns, const std::string& name);
  // Every Deployment any member holds with the scheduler's label, as
  // "cluster/ns/name" -> replicas.
  std::map<std::string, int> AllManagedDeployments();

 private:
  FleetOptions options_;
  mck8s::testing::TempDir dir_;
  std::string kubeconfig_;
  std::string kubectl_;
  std::optional<mck8s::testing::Process> sim_;
  std::unique_ptr<FakeClusterState> state_;
  std::optional<mck8s::testing::Process> gateway_;
  std::string cluster_state_address_;
  std::optional<mck8s::testing::Process> scheduler_;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
  runtime::Registry registry_;
  std::unique_ptr<kubeapi::Client> management_;
  std::map<std::string, std::unique_ptr<kubeapi::Client>> member_clients_;
  std::vector<std::string> members_;
};

}  // namespace mck8s::scheduler::testing

#endif  // MCK8S_TESTS_SCHEDULER_HARNESS_H_
