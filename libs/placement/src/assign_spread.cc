#include <algorithm>
#include <queue>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "assign.h"
#include "select.h"

namespace mck8s::placement {
namespace {

// A party of the Webster division: an eligible fog cluster.
struct Party {
  double priority;  // weight / (seats + 0.5), from a bound until `exact`
  bool exact;
  int64_t order;  // preferred clusters first, then by name: the tie-break
  ClusterIndex cluster;
};

// Heap order: highest priority first; at equal priority an unresolved bound
// first (it may tie exactly and then the order decides), then lower order.
struct PartyAfter {
  bool operator()(const Party& a, const Party& b) const {
    if (a.priority != b.priority) return a.priority < b.priority;
    if (a.exact != b.exact) return a.exact;
    return a.order > b.order;
  }
};

int64_t TieOrder(const CycleState& state, ClusterIndex cluster) {
  const int32_t position = state.PreferredPosition(cluster);
  return position >= 0 ? position : static_cast<int64_t>(state.PreferredCount()) + cluster;
}

}  // namespace

int64_t AssignSpread(const CycleState& state, std::span<const ScorePlugin* const> scorers,
                     int64_t total, Tally& tally) {
  const ClusterModel& model = state.model();
  const auto is_cloud = [&](ClusterIndex cluster) {
    return model.kind(cluster) == ClusterKind::kCloud;
  };
  const auto eligible = [&](ClusterIndex cluster) {
    return state.Outcome(cluster) == FilterOutcome::kPass;
  };

  // Seats start at the replicas clusters keep.
  absl::flat_hash_map<ClusterIndex, int64_t> seats;
  int64_t kept = 0;
  for (ClusterIndex cluster : state.CurrentClusters()) {
    const int64_t left = tally.KeptLeft(cluster);
    if (left > 0) {
      seats[cluster] = left;
      kept += left;
    }
  }

  if (kept >= total) {
    int64_t surplus = kept - total;
    // Give up cloud replicas, then those on fog clusters that only keep what
    // they run, lowest rank first; then reverse Webster among eligible fog.
    std::vector<ClusterIndex> cloud_or_filtered;
    std::vector<ClusterIndex> fog_eligible;
    for (const auto& [cluster, count] : seats) {
      (!is_cloud(cluster) && eligible(cluster) ? fog_eligible : cloud_or_filtered)
          .push_back(cluster);
    }
    std::sort(cloud_or_filtered.begin(), cloud_or_filtered.end(),
              [&](ClusterIndex a, ClusterIndex b) {
                const int group_a = (is_cloud(a) ? 0 : 2) + (eligible(a) ? 1 : 0);
                const int group_b = (is_cloud(b) ? 0 : 2) + (eligible(b) ? 1 : 0);
                if (group_a != group_b) return group_a < group_b;
                return Ranker::RanksBefore(state, scorers, b, a);  // lowest rank first
              });
    for (ClusterIndex cluster : cloud_or_filtered) {
      const int64_t removed = std::min(surplus, seats[cluster]);
      seats[cluster] -= removed;
      surplus -= removed;
    }
    // Reverse Webster: remove the seat with the lowest weight / (seats - 0.5),
    // the one the forward method would have given last; ties to the later
    // party.
    while (surplus > 0) {
      ClusterIndex worst = -1;
      double worst_priority = 0;
      for (ClusterIndex cluster : fog_eligible) {
        const int64_t s = seats[cluster];
        if (s == 0) continue;
        const double priority =
            static_cast<double>(state.Capacity(cluster)) / (static_cast<double>(s) - 0.5);
        if (worst < 0 || priority < worst_priority ||
            (priority == worst_priority && TieOrder(state, cluster) > TieOrder(state, worst))) {
          worst = cluster;
          worst_priority = priority;
        }
      }
      if (worst < 0) break;  // nothing left to remove (cannot happen: kept >= total)
      --seats[worst];
      --surplus;
    }
    for (const auto& [cluster, count] : seats) {
      tally.TakeKept(cluster, count,
                     is_cloud(cluster) ? AssignmentReason::kCloud : AssignmentReason::kPreferred);
    }
    return 0;
  }

  for (const auto& [cluster, count] : seats) {
    tally.TakeKept(cluster, count,
                   is_cloud(cluster) ? AssignmentReason::kCloud : AssignmentReason::kPreferred);
  }
  int64_t remaining = total - kept;

  // Forward Webster over the eligible fog clusters, weights = the replicas
  // each can hold, capped by that room. Weights start as bounds and are made
  // exact when they reach the top, so only clusters that may win a seat pay
  // for an exact fit.
  state.EvaluateCheapFilters();
  std::vector<ClusterIndex> cloud;
  std::vector<ClusterIndex> fog;
  fog.reserve(static_cast<size_t>(model.size()));
  for (ClusterIndex cluster = 0; cluster < model.size(); ++cluster) {
    if (state.CheapOutcome(cluster) != FilterOutcome::kPass) continue;
    (is_cloud(cluster) ? cloud : fog).push_back(cluster);
  }
  // Bounds of the whole fleet in one loop; with current replicas the bound
  // sums two integers before rounding, as the per-cluster form does.
  std::vector<double> bounds(fog.size());
  if (state.HasCurrent()) {
    for (size_t i = 0; i < fog.size(); ++i) {
      bounds[i] = static_cast<double>(state.Current(fog[i]) + state.NewFitUpperBound(fog[i]));
    }
  } else {
    state.NewFitUpperBounds(fog, bounds);
  }
  // A few seats go to a few of thousands of parties: only the parties that
  // rank best on their bounds enter the heap; the others wait outside, and
  // the next batch of them comes in whenever the heap's best no longer ranks
  // before the best outside (priorities only fall, so while it does, it
  // ranks before every party). The heap thus pops what a heap of every party
  // would, in the same order.
  // Priorities from the bounds, in place; only kept replicas are in the
  // tally yet.
  std::vector<double>& priorities = bounds;
  for (size_t i = 0; i < fog.size(); ++i) {
    const int64_t s = kept == 0 ? 0 : tally.Assigned(fog[i]);
    priorities[i] = bounds[i] / (static_cast<double>(s) + 0.5);
  }
  // A party outside the heap was never resolved, so whether its fit is
  // known is what its bound left.
  const auto party_of = [&](size_t i) {
    return Party{priorities[i], state.NewFitKnown(fog[i]), TieOrder(state, fog[i]), fog[i]};
  };
  // The first batch: enough parties for every seat to go to a different
  // one, with room for bounds that turn out loose.
  size_t batch = static_cast<size_t>(std::min<int64_t>(remaining, 1 << 20)) * 4 + 64;
  std::vector<size_t> outside;
  if (fog.size() > 2 * batch) {
    outside.resize(fog.size());
    for (size_t i = 0; i < fog.size(); ++i) outside[i] = i;
  }
  std::vector<Party> heap;
  if (outside.empty()) {
    heap.reserve(fog.size());
    for (size_t i = 0; i < fog.size(); ++i) heap.push_back(party_of(i));
    std::make_heap(heap.begin(), heap.end(), PartyAfter{});
  }
  Party outside_best{};
  // Moves the `batch` parties of highest priority (all of them when few are
  // left) from outside into the heap, and finds the best of the rest.
  const auto refill = [&] {
    if (outside.size() > 2 * batch) {
      const auto nth = outside.begin() + static_cast<std::ptrdiff_t>(batch);
      std::nth_element(outside.begin(), nth, outside.end(),
                       [&](size_t a, size_t b) { return priorities[a] > priorities[b]; });
      for (auto it = outside.begin(); it != nth; ++it) heap.push_back(party_of(*it));
      outside.erase(outside.begin(), nth);
      outside_best = party_of(outside.front());
      for (size_t i : outside) {
        if (priorities[i] >= outside_best.priority) {
          const Party party = party_of(i);
          if (PartyAfter{}(outside_best, party)) outside_best = party;
        }
      }
    } else {
      for (size_t i : outside) heap.push_back(party_of(i));
      outside.clear();
    }
    std::make_heap(heap.begin(), heap.end(), PartyAfter{});
    batch *= 4;
  };
  if (!outside.empty()) refill();
  while (remaining > 0 && (!heap.empty() || !outside.empty())) {
    if (!outside.empty() && (heap.empty() || !PartyAfter{}(outside_best, heap.front()))) {
      refill();
      continue;
    }
    std::pop_heap(heap.begin(), heap.end(), PartyAfter{});
    Party party = heap.back();
    heap.pop_back();
    const ClusterIndex cluster = party.cluster;
    const int64_t s = tally.Assigned(cluster);
    if (!party.exact) {
      if (state.Outcome(cluster) != FilterOutcome::kPass) continue;
      party.exact = true;
      party.priority =
          static_cast<double>(state.Capacity(cluster)) / (static_cast<double>(s) + 0.5);
      if (s < state.Capacity(cluster)) {
        heap.push_back(party);
        std::push_heap(heap.begin(), heap.end(), PartyAfter{});
      }
      continue;
    }
    if (tally.TakeRoom(cluster, 1, AssignmentReason::kPreferred) == 0) continue;
    --remaining;
    if (s + 1 < state.Capacity(cluster)) {
      party.priority =
          static_cast<double>(state.Capacity(cluster)) / (static_cast<double>(s + 1) + 0.5);
      heap.push_back(party);
      std::push_heap(heap.begin(), heap.end(), PartyAfter{});
    }
  }

  if (remaining > 0 && !cloud.empty()) {
    Ranker cloud_rank(state, scorers, std::move(cloud));
    while (remaining > 0) {
      std::optional<ClusterIndex> next = cloud_rank.Next();
      if (!next.has_value()) break;
      remaining -= tally.TakeRoom(*next, remaining, AssignmentReason::kCloud);
    }
  }
  return remaining;
}

}  // namespace mck8s::placement
