// -----------------------------------------------------------------------------
// File: mck8s/placement/framework.h
// -----------------------------------------------------------------------------
//
// The plugin framework of the placement pipeline:
//
//   filter  ->  score  ->  select  ->  assign
//
// Filters decide which clusters may take new replicas (and whether replicas
// already there may stay); scorers give each remaining cluster numbers that
// rank it, compared lexicographically in the order the policy lists its
// scorers (e.g. Preferred, TaintPreference, Steady, MostRoom), ties going to
// the cluster whose name sorts first; select walks clusters in rank order;
// the policy's assign step hands out replicas. Every filter and scorer is a
// stateless object with a stable name, living in plugins/ one per file, and
// reaching the engine only through the explicit Registry (registry.h).
//
// CycleState is the per-decision view the plugins share: the request, the
// snapshot with reservations applied, and memoised per-cluster facts. The
// costly fact is a cluster's fit (how many new replicas its nodes can hold),
// so the framework lets plugins avoid it: a filter that needs it says so
// (NeedsFit) and runs only when the decision reaches the cluster; a scorer
// that needs it also gives a cheap bound (ScoreBound) that select uses to
// rank clusters lazily, computing exact fits only for clusters that may come
// next. For worst-fit that is typically a few dozen exact fits out of
// thousands of clusters; lower bounds are looser, so best-fit needs more.
//
// Usage (writing a filter):
//
//   class OnlyEvenClusters : public FilterPlugin {
//    public:
//     static constexpr std::string_view kName = "OnlyEven";
//     std::string_view Name() const override { return kName; }
//     FilterOutcome Filter(const CycleState&, ClusterIndex c) const override {
//       return c % 2 == 0 ? FilterOutcome::kPass : FilterOutcome::kNoNew;
//     }
//     std::string Reason(const CycleState&, ClusterIndex) const override {
//       return "odd position";
//     }
//   };
//
// Thread safety: plugins are immutable and shared by concurrent decisions. A
// CycleState belongs to one decision on one thread; its memoisation makes
// even its const methods unsafe to call concurrently.

#ifndef MCK8S_PLACEMENT_FRAMEWORK_H_
#define MCK8S_PLACEMENT_FRAMEWORK_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "mck8s/placement/cluster_model.h"
#include "mck8s/placement/fit.h"
#include "mck8s/placement/request.h"

namespace mck8s::placement {

class CycleState;
class Deductions;

// A filter's verdict on one cluster, mildest first.
enum class FilterOutcome : uint8_t {
  kPass,   // eligible
  kNoNew,  // no new replica; replicas already there stay
  kEvict,  // no replica at all; replicas already there must leave
};

class FilterPlugin {
 public:
  virtual ~FilterPlugin() = default;

  // Stable name, e.g. "NodeFit"; shown in explanations and metrics.
  virtual std::string_view Name() const = 0;

  // False when this filter passes every cluster for this decision, so the
  // engine skips it (e.g. Excluded with nothing excluded).
  virtual bool AppliesTo(const CycleState& state) const { return true; }

  // True when the verdict needs the cluster's fit. Such filters run after
  // the others, only for clusters the decision reaches.
  virtual bool NeedsFit() const { return false; }

  virtual FilterOutcome Filter(const CycleState& state, ClusterIndex cluster) const = 0;

  // Filter for every cluster of the snapshot at once, into `outcomes` (one
  // per cluster, indexed by ClusterIndex), for decisions that look at the
  // whole fleet. The default calls Filter for each cluster; filters that read
  // compact per-cluster arrays override it with a tight loop.
  virtual void FilterAll(const CycleState& state, std::span<FilterOutcome> outcomes) const;

  // Why Filter rejected `cluster`, with figures, for people. Called only for
  // explanations, and only for clusters this filter rejected.
  virtual std::string Reason(const CycleState& state, ClusterIndex cluster) const = 0;
};

class ScorePlugin {
 public:
  virtual ~ScorePlugin() = default;

  // Stable name, e.g. "MostRoom".
  virtual std::string_view Name() const = 0;

  // False when every cluster would score the same for this decision; the
  // engine then skips the scorer and records 0.
  virtual bool AppliesTo(const CycleState& state) const { return true; }

  // True when Score needs the cluster's fit; ScoreBound must then be cheap.
  virtual bool NeedsFit() const { return false; }

  // Higher ranks first. Called only for clusters every filter passed.
  virtual double Score(const CycleState& state, ClusterIndex cluster) const = 0;

  // Never below Score(state, cluster), and cheap to compute.
  virtual double ScoreBound(const CycleState& state, ClusterIndex cluster) const {
    return Score(state, cluster);
  }

  // ScoreBound of every cluster of `clusters`, into `out` (same size), for
  // decisions that bound the whole fleet. The default calls ScoreBound for
  // each; scorers whose bound has a tight loop (CycleState::NewFitUpperBounds)
  // override it.
  virtual void ScoreBoundAll(const CycleState& state, std::span<const ClusterIndex> clusters,
                             std::span<double> out) const;

  // Score(state, cluster) when it is at least `floor`; otherwise it may
  // return, with *exact false, any bound of the score that is below `floor`
  // and not below the score. Lets select skip most of the work for clusters
  // that cannot come next (LeastRoom stops counting room past what the best
  // cluster found so far has). The default computes the score.
  virtual double ScoreAbove(const CycleState& state, ClusterIndex cluster, double floor,
                            bool* exact) const {
    *exact = true;
    return Score(state, cluster);
  }

  // True when ScoreAbove stops early for clusters below the floor (much
  // cheaper than Score), so that select may resolve every cluster whose bound
  // is above a known floor in one pass rather than lazily (LeastRoom).
  virtual bool ScoreAboveIsCheap() const { return false; }
};

// The decision-independent part of a CycleState's input.
struct CycleInput {
  const WorkloadKey* workload = nullptr;
  const ReplicaRequirements* replica = nullptr;
  const ClusterConstraints* constraints = nullptr;
  const CurrentPlacement* current = nullptr;  // may be null: none
  std::span<const std::string> preferred;     // in order
  bool allow_cloud = true;
  // The cluster RTTs are measured from (Offload's from_cluster, Burst's
  // near_cluster, the first listed location); nullopt when none.
  std::optional<ClusterIndex> origin;
};

class CycleState {
 public:
  // `model`, everything `input` points to, `filters` and `deductions` (may be
  // null) must outlive the state. `filters` run in order; those that need
  // the fit must come last.
  CycleState(const ClusterModel& model, const CycleInput& input,
             std::span<const FilterPlugin* const> filters, const Deductions* deductions);

  CycleState(const CycleState&) = delete;
  CycleState& operator=(const CycleState&) = delete;

  const ClusterModel& model() const { return model_; }
  const WorkloadKey& workload() const { return *input_.workload; }
  const ReplicaRequirements& replica() const { return *input_.replica; }
  const ClusterConstraints& constraints() const { return *input_.constraints; }
  bool allow_cloud() const { return input_.allow_cloud; }
  std::optional<ClusterIndex> origin() const { return input_.origin; }
  const FitQuery& query() const { return query_; }

  // Replicas the workload runs on `cluster` now (0 when none).
  int32_t Current(ClusterIndex cluster) const;
  bool HasCurrent() const { return !current_.empty(); }
  // Clusters of the snapshot with current replicas, ascending.
  const std::vector<ClusterIndex>& CurrentClusters() const { return current_clusters_; }

  // Position of `cluster` among the preferred clusters the snapshot has, or
  // -1.
  int32_t PreferredPosition(ClusterIndex cluster) const;
  int32_t PreferredCount() const { return static_cast<int32_t>(preferred_.size()); }

  // Name sets of the constraints, resolved against the snapshot.
  bool AllowedByName(ClusterIndex cluster) const;
  bool ExcludedByName(ClusterIndex cluster) const { return excluded_.contains(cluster); }

  // New replicas the cluster's nodes can hold, after reservations; exact,
  // memoised.
  int64_t NewFit(ClusterIndex cluster) const;
  bool NewFitKnown(ClusterIndex cluster) const { return fit_[cluster] >= 0; }
  // NewFit when it is at most `limit` (*exact set); otherwise some count
  // above `limit` that NewFit is not below (*exact cleared), found without
  // counting every node.
  int64_t NewFitUpTo(ClusterIndex cluster, int64_t limit, bool* exact) const;
  // Cheap bounds of NewFit (O(1) and O(Pareto front) respectively).
  int64_t NewFitUpperBound(ClusterIndex cluster) const;
  int64_t NewFitLowerBound(ClusterIndex cluster) const;
  // NewFitUpperBound of every cluster of `clusters`, as doubles, into `out`
  // (same size): one loop without calls, for bounding the whole fleet.
  void NewFitUpperBounds(std::span<const ClusterIndex> clusters, std::span<double> out) const;

  // Replicas the cluster can hold for this workload: the current ones (whose
  // room counts as theirs) plus NewFit.
  int64_t Capacity(ClusterIndex cluster) const { return Current(cluster) + NewFit(cluster); }

  // Reservations on `cluster`, sorted by node (empty when none).
  std::span<const NodeDeduction> DeductionsOn(ClusterIndex cluster) const;

  // The verdict of the filters that do not need the fit (memoised).
  FilterOutcome CheapOutcome(ClusterIndex cluster) const {
    const uint8_t known = cheap_[cluster];
    return known != kUnknown ? static_cast<FilterOutcome>(known) : ComputeCheap(cluster);
  }
  // Runs the filters that do not need the fit on every cluster at once
  // (FilterAll), so that CheapOutcome is a lookup afterwards.
  void EvaluateCheapFilters() const;
  // The verdict of every filter (memoised; may compute the fit).
  FilterOutcome Outcome(ClusterIndex cluster) const {
    const uint8_t known = full_[cluster];
    return known != kUnknown ? static_cast<FilterOutcome>(known) : ComputeFull(cluster);
  }
  // The filter behind a rejection by Outcome/CheapOutcome, or nullptr.
  const FilterPlugin* RejectedBy(ClusterIndex cluster) const;

 private:
  static constexpr uint8_t kUnknown = 0xff;

  FilterOutcome ComputeCheap(ClusterIndex cluster) const;
  FilterOutcome ComputeFull(ClusterIndex cluster) const;
  // Runs `filters` on `cluster` from `start`; returns the worst verdict,
  // noting the first filter that gave it (its index plus `first_index`).
  FilterOutcome RunFilters(ClusterIndex cluster, std::span<const FilterPlugin* const> filters,
                           size_t first_index, FilterOutcome start) const;

  const ClusterModel& model_;
  CycleInput input_;
  FitQuery query_;
  const Deductions* deductions_;
  std::vector<const FilterPlugin*> cheap_filters_;
  std::vector<const FilterPlugin*> fit_filters_;
  absl::flat_hash_map<ClusterIndex, int32_t> current_;
  std::vector<ClusterIndex> current_clusters_;
  absl::flat_hash_map<ClusterIndex, int32_t> preferred_;
  std::optional<absl::flat_hash_set<ClusterIndex>> allowed_names_;
  absl::flat_hash_set<ClusterIndex> excluded_;
  // Per cluster, memoised.
  mutable std::vector<int64_t> fit_;          // -1: unknown
  mutable std::vector<uint8_t> cheap_;        // FilterOutcome, or kUnknown
  mutable std::vector<uint8_t> full_;         // FilterOutcome, or kUnknown
  mutable std::vector<uint8_t> rejected_by_;  // cheap then fit filters; kUnknown: none
  std::vector<uint8_t> reserved_;             // 1 where deductions apply
  mutable bool all_cheap_done_ = false;
  mutable bool some_cheap_done_ = false;  // ComputeCheap ran for some cluster
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_FRAMEWORK_H_
