// -----------------------------------------------------------------------------
// File: mck8s/placement/reservations.h
// -----------------------------------------------------------------------------
//
// Assume and deduct: capacity that decisions already handed out but the
// cluster-state feed does not show yet. Two decisions taken back to back on
// the same snapshot would otherwise both see the same free room and
// overcommit it; with the ledger, the second one sees the first one's
// replicas as taken, node by node, until the feed reflects them.
//
//   Reservations   the ledger: one entry per (workload, cluster) holding the
//                  replicas the workload should have there after its latest
//                  decision and the nodes the engine's model put its new
//                  replicas on. The caller owns it and guards it.
//   Deductions     the per-node amounts the ledger takes off one snapshot's
//                  free room: what the engine applies. The ledger keeps one
//                  up to date for the snapshot it was last reconciled with,
//                  changing only what a Record or Forget touches, so a
//                  decision pays for its own workload, not for the ledger.
//
// An entry for workload W on cluster C with target t and claimed replicas k
// deducts, on a snapshot where C reports r ready replicas of W,
// clamp(t - r, 0, k) replicas (its oldest claims first): as replicas come up
// the reservation shrinks, and it disappears once r reaches t. Replicas that
// never become ready (crash loops, pending pods) would hold their reservation
// forever, so every entry also expires at a time the caller chooses (time is
// an input here: the engine reads no clock).
//
// Every decision of W replaces W's entries: the new entry on a cluster keeps
// the claims of the previous one (they are not reflected yet either) and adds
// the decision's new claims.
//
// Usage (in a service):
//
//   // When a snapshot arrives, under the mutex:
//   reservations.Reconcile(model, now);  // a shared_ptr<const ClusterModel>
//   // For each decision, under the mutex:
//   MCK8S_ASSIGN_OR_RETURN(
//       Decision d, engine.Place(*model, request, &reservations.deductions()));
//   if (!request.dry_run) reservations.Record(d, now + hold);
//
// Thread safety: not synchronised. Decisions read deductions() while no
// Record, Forget or Reconcile runs (a reader lock for decisions and a writer
// lock for changes, or one mutex). The ledger keeps the model of the last
// Reconcile alive.

#ifndef MCK8S_PLACEMENT_RESERVATIONS_H_
#define MCK8S_PLACEMENT_RESERVATIONS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "mck8s/placement/cluster_model.h"
#include "mck8s/placement/decision.h"
#include "mck8s/placement/fit.h"

namespace mck8s::placement {

class Deductions {
 public:
  // Deducts nothing, valid with any model.
  Deductions() = default;

  // The model these deductions apply to (nullptr when none).
  const ClusterModel* model() const { return model_; }
  bool empty() const { return by_cluster_.empty(); }
  // Clusters with something deducted, ascending.
  std::vector<ClusterIndex> Clusters() const;
  // Calls `visit(cluster)` for each cluster with something deducted, in no
  // particular order.
  template <typename Visit>
  void ForEachCluster(Visit visit) const {
    for (const auto& [cluster, nodes] : by_cluster_) visit(cluster);
  }
  // The deductions on `cluster`, sorted by node; empty when none.
  std::span<const NodeDeduction> For(ClusterIndex cluster) const;

 private:
  friend class Reservations;

  void Add(ClusterIndex cluster, int32_t node, const Resources& amount);
  void Subtract(ClusterIndex cluster, int32_t node, const Resources& amount);

  const ClusterModel* model_ = nullptr;
  absl::flat_hash_map<ClusterIndex, std::vector<NodeDeduction>> by_cluster_;
};

class Reservations {
 public:
  // Replaces the reservations of decision.workload with what `decision`
  // leaves on each cluster, and updates deductions(). Entries expire at
  // `expires_at` (any time unit the caller also passes to Reconcile).
  void Record(const Decision& decision, int64_t expires_at);

  // Drops every reservation of `workload` (deleted workloads, abandoned
  // decisions).
  void Forget(const WorkloadKey& workload);

  // Drops entries that `model` reflects (ready replicas reached the target)
  // and those expired at `now`, then makes deductions() apply to `model`
  // (kept alive until the next Reconcile). A null model clears deductions().
  void Reconcile(std::shared_ptr<const ClusterModel> model, int64_t now);

  // The deductions for the model of the last Reconcile (empty before any).
  const Deductions& deductions() const { return deductions_; }

  // The deductions for any `model`, computed from scratch (O(ledger)).
  Deductions DeductionsFor(const ClusterModel& model) const;

  // Replicas still reserved for `workload` on `cluster` as seen on `model`.
  int64_t Outstanding(const ClusterModel& model, const WorkloadKey& workload,
                      std::string_view cluster) const;

  // Number of (workload, cluster) entries.
  size_t size() const;
  bool empty() const { return entries_.empty(); }

 private:
  struct Applied {
    ClusterIndex cluster;
    int32_t node;
    Resources amount;
  };
  struct Entry {
    std::string cluster;
    int64_t target = 0;
    Resources per_replica;
    // (node, replicas), oldest first.
    std::vector<std::pair<std::string, int32_t>> claims;
    int64_t expires_at = 0;
    // What this entry adds to deductions_ (for the bound model).
    std::vector<Applied> applied;
  };

  static int64_t OutstandingOf(const ClusterModel& model, const WorkloadKey& workload,
                               const Entry& entry);
  // The per-node amounts `entry` deducts on `model`.
  static std::vector<Applied> Resolve(const ClusterModel& model, const WorkloadKey& workload,
                                      const Entry& entry);
  void Unapply(Entry& entry);
  void Apply(const WorkloadKey& workload, Entry& entry);

  std::map<WorkloadKey, std::vector<Entry>> entries_;
  std::shared_ptr<const ClusterModel> model_;
  Deductions deductions_;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_RESERVATIONS_H_
