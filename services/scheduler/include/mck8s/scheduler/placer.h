// -----------------------------------------------------------------------------
// File: mck8s/scheduler/placer.h
// -----------------------------------------------------------------------------
//
// The one place where the scheduler decides: the placement engine on the
// newest ClusterState model, with an assume-and-deduct ledger
// (placement::Reservations) shared by the controllers and the gRPC service,
// so decisions taken back to back, from any thread, never hand out the same
// room twice before the feed shows it.
//
// A decision is recorded in the ledger only when the caller commits to it
// (dry runs are not). Entries last `hold` (default 10 minutes) unless the
// feed shows the replicas ready first.
//
// Usage:
//
//   Placer placer(source);
//   MCK8S_ASSIGN_OR_RETURN(Placer::Result r, placer.Place(request,
//   /*record=*/true));
//
// Thread safety: thread-safe. Recorded decisions serialise on one mutex:
// each takes microseconds, and the ledger must see them in the order they
// were taken. Dry runs share it as readers.

#ifndef MCK8S_SCHEDULER_PLACER_H_
#define MCK8S_SCHEDULER_PLACER_H_

#include <memory>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/placement/engine.h"
#include "mck8s/placement/reservations.h"
#include "mck8s/scheduler/cluster_state.h"

namespace mck8s::scheduler {

class Placer {
 public:
  struct Result {
    placement::Decision decision;
    std::shared_ptr<const placement::ClusterModel> model;
    std::optional<absl::Time> taken_at;
  };

  explicit Placer(ClusterStateSource& source, absl::Duration hold = absl::Minutes(10));

  // FailedPrecondition when the source has no model yet; otherwise the
  // engine's errors. With `record`, the decision's claims are reserved.
  absl::StatusOr<Result> Place(const placement::PlaceRequest& request, bool record);
  absl::StatusOr<Result> Offload(const placement::OffloadRequest& request, bool record);
  absl::StatusOr<Result> Burst(const placement::BurstRequest& request, bool record);

  // Records a decision taken earlier (e.g. once it was persisted).
  void Record(const placement::Decision& decision);
  // Drops the reservations of a deleted workload.
  void Forget(const placement::WorkloadKey& workload);

  // The newest model (nullptr before the first).
  std::shared_ptr<const placement::ClusterModel> model() const { return source_.Current(); }
  const placement::Engine& engine() const { return engine_; }

 private:
  template <typename Request, typename Call>
  absl::StatusOr<Result> Decide(const Request& request, bool record, Call call);
  // Binds the ledger to `model` if it is not already.
  void ReconcileLocked(const std::shared_ptr<const placement::ClusterModel>& model)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t NowMillis() const;

  ClusterStateSource& source_;
  const absl::Duration hold_;
  const placement::Engine engine_;

  absl::Mutex mu_;
  placement::Reservations reservations_ ABSL_GUARDED_BY(mu_);
  const placement::ClusterModel* bound_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace mck8s::scheduler

#endif  // MCK8S_SCHEDULER_PLACER_H_
