#include "mck8s/scheduler/placer.h"

#include <utility>

namespace mck8s::scheduler {

Placer::Placer(ClusterStateSource& source, absl::Duration hold)
    : source_(source), hold_(hold), engine_(placement::Engine::CreateDefault()) {}

int64_t Placer::NowMillis() const { return absl::ToUnixMillis(absl::Now()); }

void Placer::ReconcileLocked(const std::shared_ptr<const placement::ClusterModel>& model) {
  if (bound_ == model.get()) return;
  reservations_.Reconcile(model, NowMillis());
  bound_ = model.get();
}

template <typename Request, typename Call>
absl::StatusOr<Placer::Result> Placer::Decide(const Request& request, bool record, Call call) {
  std::shared_ptr<const placement::ClusterModel> model = source_.Current();
  if (model == nullptr) {
    return absl::FailedPreconditionError(
        "no cluster-state snapshot yet; retry "
        "once the scheduler reports ready");
  }
  Result result;
  result.model = model;
  result.taken_at = source_.TakenAt();
  if (!record) {
    // Dry runs only read the ledger, so they run side by side once it is
    // bound to this model.
    absl::ReaderMutexLock lock(&mu_);
    if (bound_ == model.get()) {
      absl::StatusOr<placement::Decision> decision =
          call(*model, request, &reservations_.deductions());
      if (!decision.ok()) return decision.status();
      result.decision = *std::move(decision);
      return result;
    }
  }
  absl::MutexLock lock(&mu_);
  ReconcileLocked(model);
  absl::StatusOr<placement::Decision> decision = call(*model, request, &reservations_.deductions());
  if (!decision.ok()) return decision.status();
  if (record) {
    reservations_.Record(*decision, NowMillis() + absl::ToInt64Milliseconds(hold_));
  }
  result.decision = *std::move(decision);
  return result;
}

absl::StatusOr<Placer::Result> Placer::Place(const placement::PlaceRequest& request, bool record) {
  return Decide(request, record,
                [this](const placement::ClusterModel& m, const placement::PlaceRequest& r,
                       const placement::Deductions* d) { return engine_.Place(m, r, d); });
}

absl::StatusOr<Placer::Result> Placer::Offload(const placement::OffloadRequest& request,
                                               bool record) {
  return Decide(request, record,
                [this](const placement::ClusterModel& m, const placement::OffloadRequest& r,
                       const placement::Deductions* d) { return engine_.Offload(m, r, d); });
}

absl::StatusOr<Placer::Result> Placer::Burst(const placement::BurstRequest& request, bool record) {
  return Decide(request, record,
                [this](const placement::ClusterModel& m, const placement::BurstRequest& r,
                       const placement::Deductions* d) { return engine_.Burst(m, r, d); });
}

void Placer::Record(const placement::Decision& decision) {
  absl::MutexLock lock(&mu_);
  reservations_.Record(decision, NowMillis() + absl::ToInt64Milliseconds(hold_));
}

void Placer::Forget(const placement::WorkloadKey& workload) {
  absl::MutexLock lock(&mu_);
  reservations_.Forget(workload);
}

}  // namespace mck8s::scheduler
