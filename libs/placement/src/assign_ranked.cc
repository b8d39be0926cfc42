#include <algorithm>
#include <vector>

#include "assign.h"
#include "select.h"

namespace mck8s::placement {
namespace {

// Order in which current replicas are kept (and, reversed, removed): fog
// clusters every filter passes, fog clusters that keep what they run, cloud
// clusters likewise; by rank within each group.
int Group(const CycleState& state, ClusterIndex cluster) {
  const bool cloud = state.model().kind(cluster) == ClusterKind::kCloud;
  const bool eligible = state.Outcome(cluster) == FilterOutcome::kPass;
  return (cloud ? 2 : 0) + (eligible ? 0 : 1);
}

}  // namespace

int64_t AssignRanked(const CycleState& state, std::span<const ScorePlugin* const> scorers,
                     int64_t per_location, int64_t locations, Tally& tally) {
  int64_t remaining = per_location * locations;
  if (remaining <= 0) return 0;
  const ClusterModel& model = state.model();
  state.EvaluateCheapFilters();
  std::vector<ClusterIndex> fog;
  std::vector<ClusterIndex> cloud;
  fog.reserve(static_cast<size_t>(model.size()));
  for (ClusterIndex cluster = 0; cluster < model.size(); ++cluster) {
    if (state.CheapOutcome(cluster) != FilterOutcome::kPass) continue;
    (model.kind(cluster) == ClusterKind::kCloud ? cloud : fog).push_back(cluster);
  }

  Ranker fog_rank(state, scorers, std::move(fog));
  std::vector<ClusterIndex> chosen;
  while (static_cast<int64_t>(chosen.size()) < locations) {
    std::optional<ClusterIndex> next = fog_rank.Next();
    if (!next.has_value()) break;
    chosen.push_back(*next);
  }
  const auto is_chosen = [&](ClusterIndex cluster) {
    return std::find(chosen.begin(), chosen.end(), cluster) != chosen.end();
  };

  // Chosen clusters keep up to their share of what they run.
  for (ClusterIndex cluster : chosen) {
    remaining -=
        tally.TakeKept(cluster, std::min(per_location, remaining), AssignmentReason::kPreferred);
  }
  // Every other replica running where it may stay is kept before new room is
  // used: the lowest-ranked ones are those a smaller total gives up.
  std::vector<ClusterIndex> holders = state.CurrentClusters();
  std::vector<std::pair<int, ClusterIndex>> grouped;
  for (ClusterIndex cluster : holders) grouped.emplace_back(Group(state, cluster), cluster);
  std::stable_sort(grouped.begin(), grouped.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return Ranker::RanksBefore(state, scorers, a.second, b.second);
  });
  for (const auto& [group, cluster] : grouped) {
    if (remaining == 0) break;
    const AssignmentReason reason = is_chosen(cluster) ? AssignmentReason::kPreferred
                                    : group >= 2       ? AssignmentReason::kCloud
                                                       : AssignmentReason::kOffloaded;
    remaining -= tally.TakeKept(cluster, remaining, reason);
  }
  // Chosen clusters fill up to their share with new replicas.
  for (ClusterIndex cluster : chosen) {
    if (remaining == 0) break;
    const int64_t share = std::min(remaining, per_location - tally.Assigned(cluster));
    remaining -= tally.TakeRoom(cluster, share, AssignmentReason::kPreferred);
  }
  // Overflow: the next fog clusters in rank order, then the chosen ones'
  // spare room, then cloud clusters.
  while (remaining > 0) {
    std::optional<ClusterIndex> next = fog_rank.Next();
    if (!next.has_value()) break;
    remaining -= tally.TakeRoom(*next, remaining, AssignmentReason::kOffloaded);
  }
  for (ClusterIndex cluster : chosen) {
    if (remaining == 0) break;
    remaining -= tally.TakeRoom(cluster, remaining, AssignmentReason::kPreferred);
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
