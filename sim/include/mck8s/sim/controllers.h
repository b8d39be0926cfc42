// -----------------------------------------------------------------------------
// File: mck8s/sim/controllers.h
// -----------------------------------------------------------------------------
//
// What makes a simulated cluster behave like one, beyond its API server:
//
//   - a Deployment controller: keeps spec.replicas pods made from the
//     template (labels plus pod-template-hash, an ownerReference to the
//     Deployment as controller); a changed template replaces the pods of the
//     old template (the simulator has no ReplicaSets: Deployments own their
//     pods directly); writes status replicas, updatedReplicas, readyReplicas,
//     availableReplicas, unavailableReplicas, observedGeneration and the
//     Available and Progressing conditions;
//   - a Job controller: runs pods until spec.completions succeed,
//     spec.parallelism at a time; writes status active, succeeded, ready,
//     startTime, completionTime and the SuccessCriteriaMet and Complete
//     conditions;
//   - a pod binder (kube-scheduler's job): places each unbound pod on a node
//     that is Ready and schedulable, matches its nodeSelector and required
//     node affinity, whose NoSchedule/NoExecute taints it tolerates, and
//     whose allocatable cpu, memory and pod count still hold its requests
//     (the requests of the node's unfinished pods deducted), preferring the
//     least allocated node; a pod that fits nowhere stays Pending with the
//     condition PodScheduled=False, reason Unschedulable, and a message in
//     kube-scheduler's words, and is retried whenever nodes or pods change;
//   - a kubelet stand-in: a bound pod becomes Running and Ready after
//     pod_start_delay; a pod of a Job then Succeeds after the job's run
//     duration (annotation `sim.mck8s.io/run-duration` on the Job, a Go
//     duration, else job_run_duration).
//
// Controllers are level-triggered: watch events only say which object to
// look at; each reconcile reads the current state and writes the difference,
// so the result does not depend on the order or the number of events.
// One worker thread serves every cluster added.
//
// Usage:
//
//   ClusterControllers controllers({.pod_start_delay = absl::ZeroDuration()});
//   for (const std::string& name : fleet.ClusterNames()) controllers.Add(fleet.cluster(name));
//   MCK8S_RETURN_IF_ERROR(controllers.Start());
//   ...
//   controllers.Stop();
//
// Thread-safe: Add before Start; Start and Stop from one thread.

#ifndef MCK8S_SIM_CONTROLLERS_H_
#define MCK8S_SIM_CONTROLLERS_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "mck8s/sim/cluster.h"

namespace mck8s::sim {

class ClusterControllers {
 public:
  struct Options {
    // Between a pod's binding and it being Running and Ready.
    absl::Duration pod_start_delay = absl::ZeroDuration();
    // How long a Job's pod runs before it Succeeds, unless the Job says.
    absl::Duration job_run_duration = absl::Seconds(5);
  };

  explicit ClusterControllers(Options options);
  ~ClusterControllers();
  ClusterControllers(const ClusterControllers&) = delete;
  ClusterControllers& operator=(const ClusterControllers&) = delete;

  // Manages `cluster` (which must outlive this object). Before Start only.
  void Add(Cluster* cluster);
  // Starts watching and the worker thread.
  absl::Status Start();
  // Stops the worker and the watches. Idempotent.
  void Stop();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The sum of the requests of a pod's containers (the largest init container
// counts when it is larger), in millicores and bytes: what the binder fits.
struct PodRequests {
  int64_t cpu_millis = 0;
  int64_t memory_bytes = 0;
};
PodRequests RequestsOf(const rapidjson::Value& pod);

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_CONTROLLERS_H_
