// -----------------------------------------------------------------------------
// File: mck8s/scheduler/workload_controller.h
// -----------------------------------------------------------------------------
//
// The controller of MultiClusterDeployments (one apps/v1 Deployment per
// chosen member cluster) and of MultiClusterJobs (one batch/v1 Job per
// chosen cluster). Level-triggered and keyed by name; every reconcile reads
// the object from the API server, so a restart at any moment converges:
//
//   1. Deleted (deletionTimestamp): remove the member objects from every
//      member cluster (found by label), forget the reservations, drop the
//      finalizer. Gone entirely: the same cleanup, without the finalizer.
//   2. Add the finalizer before anything exists in a member.
//   3. Validate the spec (workload.h); a bad spec sets Invalid=True and
//      Scheduled=False (reason Invalid) naming the field, records a Warning
//      event, and is not retried until the object changes. `locations`
//      naming a cluster the fleet does not have is invalid too, retried
//      every 30 s in case the cluster registers.
//   4. Place when status does not hold a decision for the current
//      generation (or replicas are unplaced): the engine on the newest
//      model, steady from status.placement, reserving what it takes. The
//      decision is written to status before any member is touched, so it
//      is never taken twice for one generation, and a decision written by
//      the Scheduler gRPC API is applied as is.
//   5. Propagate: server-side apply of the member object to each chosen
//      cluster; delete it from every other member cluster.
//   6. Aggregate member status into status (placement with ready counts,
//      replicas, readyReplicas, unplacedReplicas, conditions Scheduled,
//      Propagated and Ready; for MCJs active/succeeded/failed and
//      Complete), written only when it changed.
//
// Usage:
//
//   WorkloadController mcds(placement::WorkloadKind::kMultiClusterDeployment,
//                           management, members, placer, &events, {});
//   mcds.Start();   // informer + workers
//   ...
//   mcds.Stop();
//
// Thread safety: Reconcile may run concurrently for different keys (the
// work queue never hands one key to two workers). Start/Stop from one
// owner thread.

#ifndef MCK8S_SCHEDULER_WORKLOAD_CONTROLLER_H_
#define MCK8S_SCHEDULER_WORKLOAD_CONTROLLER_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/controller.h"
#include "mck8s/kubeapi/event_recorder.h"
#include "mck8s/kubeapi/informer.h"
#include "mck8s/runtime/metrics.h"
#include "mck8s/scheduler/members.h"
#include "mck8s/scheduler/placer.h"
#include "mck8s/scheduler/workload.h"

namespace mck8s::scheduler {

struct WorkloadControllerOptions {
  int workers = 4;
  // "" : every namespace.
  std::string namespace_name;
  // How often a settled workload is looked at again (member drift, status).
  absl::Duration resync = absl::Minutes(1);
  // How often a workload whose members are not ready yet is looked at.
  absl::Duration progress_poll = absl::Seconds(2);
  // How often unplaced replicas are tried again.
  absl::Duration unplaced_retry = absl::Seconds(15);
  runtime::Registry* metrics = nullptr;
};

class WorkloadController {
 public:
  WorkloadController(placement::WorkloadKind kind, kubeapi::Client& management,
                     const MemberClients& members, Placer& placer, kubeapi::EventRecorder* events,
                     WorkloadControllerOptions options);
  ~WorkloadController();  // Stop()

  // One reconcile of `key` (what the workers call).
  absl::StatusOr<kubeapi::Result> Reconcile(const kubeapi::ObjectKey& key);

  void Start();
  void Stop();
  bool HasSynced() const { return informer_.HasSynced(); }
  kubeapi::Controller& controller() { return controller_; }
  // The informer's cache of workloads (also read by the MCS controller).
  const kubeapi::Informer& informer() const { return informer_; }
  void AddEventHandler(kubeapi::EventHandler handler) {
    informer_.AddEventHandler(std::move(handler));
  }

 private:
  absl::StatusOr<kubeapi::Result> Finalize(kubeapi::Object& object);
  // Deletes the workload's member objects from every member cluster except
  // those in `keep`; errors name the clusters that failed.
  absl::Status DeleteMemberObjects(const kubeapi::Object& object,
                                   const std::set<std::string>& keep);
  // DeleteMemberObjects for a reconcile, skipped when this process already
  // swept the workload with the same `keep` and the same member clusters:
  // only this process writes member objects, and only to kept clusters, so
  // nothing can have appeared elsewhere since. A restarted process sweeps
  // every workload once, which removes what a crash left behind.
  // `never_decided`: the workload had no status at all when the reconcile
  // began; decisions are recorded in status before any member is touched,
  // so no member can hold one of its objects and the sweep is skipped.
  absl::Status SweepUnlessClean(const kubeapi::Object& object, const std::set<std::string>& keep,
                                bool never_decided);
  absl::StatusOr<kubeapi::Result> MarkInvalid(kubeapi::Object& object, const absl::Status& error,
                                              absl::Duration retry);
  absl::StatusOr<kubeapi::Result> WriteStatus(const kubeapi::Object& before,
                                              const kubeapi::Object& after);

  const placement::WorkloadKind kind_;
  kubeapi::Client& management_;
  const MemberClients& members_;
  Placer& placer_;
  kubeapi::EventRecorder* events_;
  const WorkloadControllerOptions options_;
  kubeapi::Informer informer_;
  kubeapi::Controller controller_;

  struct Sweep {
    std::set<std::string> keep;
    std::vector<std::string> members;
    bool operator==(const Sweep&) const = default;
  };
  absl::Mutex swept_mu_;
  // Workload key -> its last complete sweep.
  std::map<std::string, Sweep> swept_ ABSL_GUARDED_BY(swept_mu_);
};

}  // namespace mck8s::scheduler

#endif  // MCK8S_SCHEDULER_WORKLOAD_CONTROLLER_H_
