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
  std::vector<Party> parties;
  for (ClusterIndex cluster = 0; cluster < model.size(); ++cluster) {
    if (state.CheapOutcome(cluster) != FilterOutcome::kPass) continue;
    if (is_cloud(cluster)) {
      cloud.push_back(cluster);
      continue;
    }
    const int64_t s = tally.Assigned(cluster);
    const double bound =
        static_cast<double>(state.Current(cluster) + state.NewFitUpperBound(cluster));
    parties.push_back({bound / (static_cast<double>(s) + 0.5), state.NewFitKnown(cluster),
                       TieOrder(state, cluster), cluster});
  }
  std::priority_queue<Party, std::vector<Party>, PartyAfter> heap(PartyAfter{}, std::move(parties));
  while (remaining > 0 && !heap.empty()) {
    Party party = heap.top();
    heap.pop();
    const ClusterIndex cluster = party.cluster;
    const int64_t s = tally.Assigned(cluster);
    if (!party.exact) {
      if (state.Outcome(cluster) != FilterOutcome::kPass) continue;
      party.exact = true;
      party.priority =
          static_cast<double>(state.Capacity(cluster)) / (static_cast<double>(s) + 0.5);
      if (s < state.Capacity(cluster)) heap.push(party);
      continue;
    }
    if (tally.TakeRoom(cluster, 1, AssignmentReason::kPreferred) == 0) continue;
    --remaining;
    if (s + 1 < state.Capacity(cluster)) {
      party.priority =
          static_cast<double>(state.Capacity(cluster)) / (static_cast<double>(s + 1) + 0.5);
      heap.push(party);
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
