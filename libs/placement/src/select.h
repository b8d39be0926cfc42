// The select step: clusters in rank order, computed lazily.
//
// A Ranker orders candidate clusters by the policy's scorers, compared
// lexicographically (higher first), ties to the lower cluster index (the
// name that sorts first). It does not score everything up front: scorers
// that need a cluster's fit contribute a cheap bound, and a cluster whose key
// is still a bound is resolved (its exact fit computed) only when it reaches
// the top of the heap. Since a bound is never below the exact key, a cluster
// returned by Next() ranks before every cluster still in the heap. Next()
// also runs the filters that need the fit (NodeFit) and skips the clusters
// they reject.
//
// Cost: the candidates are not heaped up front. A scan keeps the few that
// rank best on their (bound) keys, one comparison per cluster against the
// current threshold, and only those enter the heap; when the heap's best no
// longer ranks before everything left outside, a batch four times bigger
// comes in. A decision that needs the first few clusters of thousands thus
// costs one bound per cluster, a handful of heap steps, and one exact fit per
// cluster whose bound reached the top. A scorer that can tell early that a
// cluster will not come next (ScoreAbove: LeastRoom stops counting room past
// the best cluster found so far) only tightens that cluster's bound.

#ifndef MCK8S_PLACEMENT_SRC_SELECT_H_
#define MCK8S_PLACEMENT_SRC_SELECT_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "mck8s/placement/framework.h"

namespace mck8s::placement {

class Ranker {
 public:
  // `candidates` must have passed the filters that do not need the fit.
  Ranker(const CycleState& state, std::span<const ScorePlugin* const> scorers,
         std::vector<ClusterIndex> candidates);

  // The next cluster in rank order that every filter passes; nullopt when
  // none is left.
  std::optional<ClusterIndex> Next();

  // The exact scores of `cluster`, one per scorer (0 for a scorer that does
  // not apply to this decision).
  static std::vector<double> ExactScores(const CycleState& state,
                                         std::span<const ScorePlugin* const> scorers,
                                         ClusterIndex cluster);

  // Whether `a` ranks before `b`, on exact scores.
  static bool RanksBefore(const CycleState& state, std::span<const ScorePlugin* const> scorers,
                          ClusterIndex a, ClusterIndex b);

 private:
  // A candidate in the heap: its first key inline (most decisions rank on
  // one active scorer), the others in rest_.
  struct Entry {
    double first;
    ClusterIndex cluster;
    uint32_t slot;
    bool exact;
  };

  // Fills the key of `entry`: exact when `exact` or when the fit is known.
  void Key(Entry& entry, bool exact);
  // Whether `a` ranks before `b` on their current keys.
  bool Before(const Entry& a, const Entry& b) const {
    if (a.first != b.first) return a.first > b.first;
    if (active_.size() > 1) return BeforeOnRest(a, b);
    // An unresolved key equal to an exact one must be resolved first: its
    // exact value may tie and then the name decides.
    if (a.exact != b.exact) return !a.exact;
    return a.cluster < b.cluster;
  }
  bool BeforeOnRest(const Entry& a, const Entry& b) const;
  // Moves the next batch of pool_ (its best-ranked entries) into heap_.
  void Refill();
  // With one scorer that needs the fit and whose ScoreAbove is cheap
  // (ScorePlugin::ScoreAboveIsCheap), before the first Refill: resolves
  // the candidate that ranks first on its bound, then, with its exact key
  // as the floor, every candidate whose bound is above it (ScoreAbove, which
  // for LeastRoom stops counting past the floor). Keys only get tighter, so
  // the order stays the same; but best-fit, whose lower bounds leave
  // hundreds of clusters above the first exact key, resolves them in one
  // pass instead of one heap step each.
  void Tighten();

  const CycleState& state_;
  std::vector<const ScorePlugin*> active_;
  size_t first_fit_scorer_;
  std::vector<Entry> pool_;  // candidates not in the heap yet
  Entry pool_best_{};        // the best-ranked entry of pool_ (when not empty)
  size_t batch_ = 16;        // size of the next Refill
  std::vector<Entry> heap_;
  std::vector<double> rest_;  // slot * (active_.size() - 1) + scorer - 1
  std::vector<Entry> scratch_;
  std::vector<double> first_keys_;
  // The highest first key of an exact entry still in the heap (or lower):
  // a cluster resolved now matters only if it can reach it (ScoreAbove).
  double floor_ = -std::numeric_limits<double>::infinity();
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_SRC_SELECT_H_
