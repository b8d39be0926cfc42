// -----------------------------------------------------------------------------
// File: mck8s/sim/usage.h
// -----------------------------------------------------------------------------
//
// Resource usage of one simulated cluster, derived from the testbed's load
// model (testbed.h, `load:`) and the cluster's current pods and nodes; no
// randomness, so the same state always yields the same figures.
//
//   - A workload (a Deployment's pods, or the pods a label selector matches,
//     in one namespace) is offered `cpu` cores and `networkReceive` bytes/s.
//     Both are spread evenly over the workload's running and Ready pods. A
//     pod's CPU share is capped by the sum of its containers' CPU limits when
//     every container has one, else by its node's allocatable CPU: the
//     offered load beyond the cap is lost (the workload is saturated), it is
//     not moved to other pods. Network receive is not capped.
//   - A pod several workloads select gets the sum of their shares.
//   - A running pod no workload selects uses the idle figures (load.idle).
//   - A pod's memory is the sum of its containers' memory requests, or the
//     idle memory when it requests none.
//   - A pod's CPU is split evenly over its containers, its memory per
//     container by request (idle memory split evenly).
//   - A node uses the sum of its running pods plus the system figures
//     (load.system); its network receive is the sum of its pods'.
//   - Pending, Succeeded and Failed pods use nothing and are not reported.
//
// Counters (CPU seconds per container and per node, received bytes per pod
// and per node) are integrated over simulated time: each Observe() adds the
// rates of the previous observation times the time elapsed, so they only
// grow. A pod's counters start at zero when it is first observed; a node's
// survive its pods. Changing the load first integrates up to now.
//
// Usage:
//
//   UsageModel usage(cluster, testbed.load, {});
//   UsageSnapshot now = usage.Observe();
//   for (const PodUsage& pod : now.pods) { ... pod.cpu_millicores() ... }
//   usage.SetWorkload({.cluster = "nantes", .deployment = "web", .cpu_millis =
//   1500});
//
// Thread-safe: every method may be called from any thread.

#ifndef MCK8S_SIM_USAGE_H_
#define MCK8S_SIM_USAGE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/sim/cluster.h"
#include "mck8s/sim/testbed.h"

namespace mck8s::sim {

struct ContainerUsage {
  std::string name;
  double cpu_cores = 0;      // current rate
  int64_t memory_bytes = 0;  // current working set
  double cpu_seconds_total = 0;
  int64_t cpu_request_millis = 0;
  int64_t memory_request_bytes = 0;
};

struct PodUsage {
  ObjectRef pod;  // the pod as stored when observed
  std::string ns;
  std::string name;
  std::string node;
  std::vector<ContainerUsage> containers;
  double network_rx_per_second = 0;
  double network_rx_bytes_total = 0;

  double cpu_cores() const;
  int64_t memory_bytes() const;
};

struct NodeUsage {
  ObjectRef node;
  std::string name;
  int64_t allocatable_cpu_millis = 0;
  double cpu_cores = 0;
  int64_t memory_bytes = 0;
  double cpu_seconds_total = 0;
  // Integrated unused allocatable CPU (allocatable minus usage, not below 0).
  double cpu_idle_seconds_total = 0;
  double network_rx_per_second = 0;
  double network_rx_bytes_total = 0;
};

struct UsageSnapshot {
  absl::Time time;
  std::vector<PodUsage> pods;    // running pods, by namespace then name
  std::vector<NodeUsage> nodes;  // every node, by name
  // Every pod (any phase) and Deployment, as stored, for state exporters.
  std::vector<ObjectRef> all_pods;
  std::vector<ObjectRef> deployments;
};

class UsageModel {
 public:
  struct Options {
    // Simulated time; absl::Now when unset.
    std::function<absl::Time()> clock;
  };

  // `load.workloads` of other clusters are ignored. `cluster` must outlive
  // the model.
  UsageModel(Cluster& cluster, const LoadModel& load, Options options);
  UsageModel(const UsageModel&) = delete;
  UsageModel& operator=(const UsageModel&) = delete;

  // The usage now; advances the counters to now.
  UsageSnapshot Observe();

  // Sets (adds or replaces, by namespace and Key()) a workload's load. A
  // workload with zero cpu and network is removed.
  void SetWorkload(const WorkloadLoad& workload);
  std::vector<WorkloadLoad> workloads() const;
  const LoadModel& defaults() const { return load_; }

 private:
  struct PodCounters {
    std::string uid;
    std::map<std::string, double> cpu_seconds;  // by container
    std::map<std::string, double> cpu_rate;
    double rx_bytes = 0;
    double rx_rate = 0;
  };
  struct NodeCounters {
    double cpu_seconds = 0;
    double cpu_rate = 0;
    double idle_seconds = 0;
    double idle_rate = 0;
    double rx_bytes = 0;
    double rx_rate = 0;
  };

  UsageSnapshot ObserveLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Cluster& cluster_;
  LoadModel load_;  // the defaults; workloads_ holds the live loads
  const std::function<absl::Time()> clock_;
  mutable absl::Mutex mu_;
  // (namespace, key) -> load.
  std::map<std::pair<std::string, std::string>, WorkloadLoad> workloads_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, PodCounters> pods_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, NodeCounters> nodes_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_USAGE_H_
