// -----------------------------------------------------------------------------
// File: mck8s/scheduler/scheduler.h
// -----------------------------------------------------------------------------
//
// The whole mck8s-scheduler process, assembled: the ClusterState feed
// (GrpcClusterStateSource on --cluster-state-address), the Placer, the
// member-cluster registry (FleetRegistry), the MCD, MCJ and MCS
// controllers, and the Scheduler gRPC service.
//
// With --leader-elect the controllers run only while this process holds the
// Lease <leader-election-id> (default "mck8s-scheduler") in
// <leader-election-namespace> (default: --fleet-namespace) of the management
// cluster; losing it ends the process (exit 1), as controller-runtime does,
// so a stale leader never acts. The gRPC service answers in every replica:
// its writes are conditional on the workload's resourceVersion.
//
// Readiness (/readyz): a cluster-state snapshot has arrived. Without
// --cluster-state-address the process still starts (probes, gRPC health),
// but every decision waits for a feed and Place answers FAILED_PRECONDITION.
//
// Usage (main.cc):
//
//   std::unique_ptr<Scheduler> scheduler;
//   RunControllerMain(argc, argv, spec, [&](auto& rt, auto& options, auto&
//   config) {
//     MCK8S_ASSIGN_OR_RETURN(scheduler, Scheduler::Create(rt, options,
//     config)); return absl::OkStatus();
//   });
//
// Thread safety: Create and Stop from the main thread.

#ifndef MCK8S_SCHEDULER_SCHEDULER_H_
#define MCK8S_SCHEDULER_SCHEDULER_H_

#include <atomic>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/config.h"
#include "mck8s/kubeapi/event_recorder.h"
#include "mck8s/kubeapi/fleet.h"
#include "mck8s/kubeapi/leader_election.h"
#include "mck8s/runtime/service.h"
#include "mck8s/scheduler/cluster_state.h"
#include "mck8s/scheduler/members.h"
#include "mck8s/scheduler/placer.h"
#include "mck8s/scheduler/scheduler_service.h"
#include "mck8s/scheduler/service_controller.h"
#include "mck8s/scheduler/workload_controller.h"

namespace mck8s::scheduler {

class Scheduler {
 public:
  // Builds and starts every part (controllers at once, or once leading),
  // registers the gRPC service, the readiness check and the shutdown hook
  // on `runtime`. Errors of the management client and TLS files.
  static absl::StatusOr<std::unique_ptr<Scheduler>> Create(runtime::ServiceRuntime& runtime,
                                                           const runtime::ServiceOptions& options,
                                                           const kubeapi::RestConfig& config);
  ~Scheduler();  // Stop()

  // Stops the election (releasing the lease), the controllers and the feed.
  // Idempotent.
  void Stop();

 private:
  Scheduler() = default;
  void StartControllers();
  void StopControllers();

  std::unique_ptr<kubeapi::Client> management_;
  std::unique_ptr<GrpcClusterStateSource> source_;
  // Without --cluster-state-address: an empty feed (decisions wait).
  std::unique_ptr<StaticClusterStateSource> static_source_;
  std::unique_ptr<Placer> placer_;
  std::unique_ptr<kubeapi::FleetRegistry> fleet_;
  std::unique_ptr<FleetMembers> members_;
  std::unique_ptr<kubeapi::EventRecorder> events_;
  std::unique_ptr<WorkloadController> deployments_;
  std::unique_ptr<WorkloadController> jobs_;
  std::unique_ptr<ServiceController> services_;
  std::unique_ptr<SchedulerService> grpc_service_;
  std::unique_ptr<kubeapi::LeaderElector> elector_;
  std::thread election_;
  std::atomic<bool> controllers_running_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace mck8s::scheduler

#endif  // MCK8S_SCHEDULER_SCHEDULER_H_
