// -----------------------------------------------------------------------------
// File: mck8s/scheduler/cluster_state.h
// -----------------------------------------------------------------------------
//
// Where the scheduler's view of the fleet comes from. Every decision is
// taken on a placement::ClusterModel; a ClusterStateSource hands out the
// newest one and says when a newer one arrives.
//
//   GrpcClusterStateSource   the production source: follows the
//       metrics-gateway's ClusterState Watch stream and publishes a new
//       model after each event (through a ModelFollower, which converts
//       only the clusters an event changed).
//       When the stream breaks it reconnects (backoff 100 ms doubling to
//       5 s) with the revision and incarnation it holds, so the gateway
//       sends only what changed.
//   StaticClusterStateSource  a model set by hand (tests, tools).
//
// SnapshotToModel, ApplySnapshotDelta and ModelFollower are the pure
// conversions behind the gRPC source, exposed so they can be tested alone.
//
// Usage:
//
//   GrpcClusterStateSource source(grpc::CreateChannel(address, credentials));
//   source.Start();
//   if (!source.WaitForModel(absl::Seconds(30))) { ... not ready ... }
//   std::shared_ptr<const placement::ClusterModel> model = source.Current();
//
// Thread safety: every method of both sources is thread-safe; listeners
// run on the source's thread and must be quick.

#ifndef MCK8S_SCHEDULER_CLUSTER_STATE_H_
#define MCK8S_SCHEDULER_CLUSTER_STATE_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/placement/cluster_model.h"
#include "mck8s/v1/cluster_state.grpc.pb.h"

namespace mck8s::scheduler {

// The workloads whose figures on some cluster (desired or ready replicas)
// differ between `before` (null: none) and `after`, or that appear on a
// cluster in only one of them: what the controllers look at again when the
// feed moves, instead of polling the members. Clusters the two models share
// unchanged (the same PreparedCluster) are skipped. Sorted, no repeats.
std::vector<placement::WorkloadKey> ChangedWorkloads(const placement::ClusterModel* before,
                                                     const placement::ClusterModel& after);

// Builds the engine's model from a gateway Snapshot. InvalidArgument naming
// the element (`clusters[1].identity.taints[0].effect: ...`) for values the
// proto forbids (an unspecified taint effect) and for whatever
// ClusterModel::Create rejects.
absl::StatusOr<std::shared_ptr<const placement::ClusterModel>> SnapshotToModel(
    const v1::Snapshot& snapshot);

// Applies `delta` (the event at `revision`) to `snapshot`, which must be at
// delta.base_revision: replaces changed clusters, drops removed ones with
// their RTT entries, replaces and removes RTT entries, keeps both lists
// sorted, and sets revision and taken_at. FailedPrecondition when the base
// revision differs (the caller then asks for a full snapshot).
absl::Status ApplySnapshotDelta(uint64_t revision, const v1::SnapshotDelta& delta,
                                v1::Snapshot& snapshot);

// The model of a feed followed event by event. It keeps every cluster in
// its converted, prepared form, so that a delta costs the clusters it names
// (and the model's fleet-wide indexes) rather than a conversion of the whole
// fleet: with a 10 s collection round, a 1,000-cluster feed sends about a
// hundred deltas a second.
//
// Both calls leave the follower at the event's revision whether or not a
// model can be built from it: while some cluster's status is rejected they
// return that rejection, and they build models again once a later event
// replaces or removes it.
class ModelFollower {
 public:
  // Starts over from `snapshot` (at snapshot.revision()).
  absl::StatusOr<std::shared_ptr<const placement::ClusterModel>> Reset(v1::Snapshot snapshot);
  // Applies the event at `revision`. FailedPrecondition, and nothing
  // changed, when the follower does not hold delta.base_revision (the
  // caller then needs a full snapshot).
  absl::StatusOr<std::shared_ptr<const placement::ClusterModel>> Apply(
      uint64_t revision, const v1::SnapshotDelta& delta);

  bool has_snapshot() const { return has_snapshot_; }
  // The snapshot as of the last event.
  const v1::Snapshot& snapshot() const { return snapshot_; }

 private:
  // Converts and prepares the named clusters of snapshot_ (all when `names`
  // is null) into prepared_, noting rejections in rejected_.
  void Convert(const absl::flat_hash_set<std::string>* names);
  absl::StatusOr<std::shared_ptr<const placement::ClusterModel>> Build();

  v1::Snapshot snapshot_;
  bool has_snapshot_ = false;
  absl::flat_hash_map<std::string, placement::PreparedCluster> prepared_;
  // Clusters whose status was rejected, with the reason.
  std::map<std::string, absl::Status> rejected_;
  std::vector<placement::RttEntry> rtt_;
};

class ClusterStateSource {
 public:
  using Listener = std::function<void(const std::shared_ptr<const placement::ClusterModel>&)>;

  virtual ~ClusterStateSource() = default;

  // The newest model; nullptr until the first one arrives.
  virtual std::shared_ptr<const placement::ClusterModel> Current() const = 0;
  // When the gateway assembled the newest model's snapshot (nullopt before
  // the first, or when it did not say).
  virtual std::optional<absl::Time> TakenAt() const = 0;
  // Called with every new model, after Current() returns it.
  virtual void AddListener(Listener listener) = 0;

  // Blocks until a model exists or `timeout` passed; true when one exists.
  bool WaitForModel(absl::Duration timeout) const;
};

class StaticClusterStateSource : public ClusterStateSource {
 public:
  StaticClusterStateSource() = default;

  void Set(std::shared_ptr<const placement::ClusterModel> model,
           std::optional<absl::Time> taken_at = std::nullopt);

  std::shared_ptr<const placement::ClusterModel> Current() const override;
  std::optional<absl::Time> TakenAt() const override;
  void AddListener(Listener listener) override;

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const placement::ClusterModel> model_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Time> taken_at_ ABSL_GUARDED_BY(mu_);
  std::vector<Listener> listeners_ ABSL_GUARDED_BY(mu_);
};

class GrpcClusterStateSource : public ClusterStateSource {
 public:
  explicit GrpcClusterStateSource(std::shared_ptr<grpc::Channel> channel);
  ~GrpcClusterStateSource() override;  // Stop()

  // Starts following the stream. Idempotent.
  void Start();
  // Cancels the stream and joins the thread. Idempotent.
  void Stop();

  std::shared_ptr<const placement::ClusterModel> Current() const override;
  std::optional<absl::Time> TakenAt() const override;
  void AddListener(Listener listener) override;

  // Streams opened so far (1 after the first connection; reconnections add).
  int64_t connections() const;
  // Revision and incarnation held ("" and 0 before the first event).
  uint64_t revision() const;
  std::string incarnation() const;

 private:
  void Run();
  // Follows one stream until it ends; returns why.
  grpc::Status FollowOnce();
  void Publish(std::shared_ptr<const placement::ClusterModel> model,
               std::optional<absl::Time> taken_at);

  std::unique_ptr<v1::ClusterState::Stub> stub_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::shared_ptr<const placement::ClusterModel> model_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Time> taken_at_ ABSL_GUARDED_BY(mu_);
  std::vector<Listener> listeners_ ABSL_GUARDED_BY(mu_);
  int64_t connections_ ABSL_GUARDED_BY(mu_) = 0;
  // The local copy the deltas apply to; only the stream thread touches it.
  ModelFollower follower_;
  uint64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  std::string incarnation_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mck8s::scheduler

#endif  // MCK8S_SCHEDULER_CLUSTER_STATE_H_
