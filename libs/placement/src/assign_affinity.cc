#include <algorithm>
#include <limits>
#include <vector>

#include "assign.h"
#include "proximity_walk.h"

namespace mck8s::placement {
namespace {

struct Listed {
  std::optional<ClusterIndex> cluster;  // nullopt: absent from the snapshot
  int64_t need = 0;                     // replicas still to place for it
};

double Distance(const ClusterModel& model, std::optional<ClusterIndex> from, ClusterIndex to) {
  if (!from.has_value()) return std::numeric_limits<double>::infinity();
  return model.Rtt(*from, to).value_or(std::numeric_limits<double>::infinity());
}

}  // namespace

int64_t AssignAffinity(const CycleState& state, const Locations& locations,
                       const ScorePlugin* by_room, Tally& tally) {
  const ClusterModel& model = state.model();
  std::vector<Listed> listed;
  listed.reserve(locations.clusters.size());
  for (const ClusterReplicas& entry : locations.clusters) {
    listed.push_back({model.Find(entry.cluster), entry.replicas});
  }
  const auto is_listed = [&](ClusterIndex cluster) {
    return std::any_of(listed.begin(), listed.end(),
                       [&](const Listed& l) { return l.cluster == cluster; });
  };
  const auto is_cloud = [&](ClusterIndex cluster) {
    return model.kind(cluster) == ClusterKind::kCloud;
  };

  // 1. Each listed cluster keeps what it runs, up to its count.
  for (Listed& l : listed) {
    if (l.cluster.has_value()) {
      l.need -= tally.TakeKept(*l.cluster, l.need, AssignmentReason::kPreferred);
    }
  }
  // 2. What a listed cluster cannot hold itself first reuses replicas already
  // running elsewhere (the overflow of earlier decisions), nearest first, fog
  // before cloud, so nothing moves that need not. A listed cluster with room
  // gets its own count: the count is explicit, and a changed location moves
  // the replicas.
  for (Listed& l : listed) {
    const int64_t overflow = l.need - (l.cluster.has_value() ? tally.RoomLeft(*l.cluster) : 0);
    if (overflow <= 0) continue;
    std::vector<ClusterIndex> holders;
    for (ClusterIndex cluster : state.CurrentClusters()) {
      if (tally.KeptLeft(cluster) > 0) holders.push_back(cluster);
    }
    std::stable_sort(holders.begin(), holders.end(), [&](ClusterIndex a, ClusterIndex b) {
      if (is_cloud(a) != is_cloud(b)) return !is_cloud(a);
      return Distance(model, l.cluster, a) < Distance(model, l.cluster, b);
    });
    int64_t reusable = overflow;
    for (ClusterIndex cluster : holders) {
      if (reusable == 0) break;
      const int64_t taken = tally.TakeKept(
          cluster, reusable,
          is_cloud(cluster) ? AssignmentReason::kCloud : AssignmentReason::kOffloaded);
      reusable -= taken;
      if (taken > 0 && l.cluster.has_value()) tally.NoteOrigin(cluster, *l.cluster);
      l.need -= taken;
    }
  }
  // 3. Each listed cluster takes new replicas as far as it fits.
  for (Listed& l : listed) {
    if (l.need > 0 && l.cluster.has_value()) {
      l.need -= tally.TakeRoom(*l.cluster, l.need, AssignmentReason::kPreferred);
    }
  }
  // 4. A listed cluster that hosts nothing gets a substitute: the nearest
  // unlisted fog cluster with room. Then each count's rest is offloaded to
  // fog clusters by ascending RTT from its listed cluster.
  for (Listed& l : listed) {
    if (l.need == 0) continue;
    const bool hosts_nothing = !l.cluster.has_value() || tally.Assigned(*l.cluster) == 0;
    if (hosts_nothing) {
      ProximityWalk walk(state, l.cluster, ClusterKind::kFog, by_room);
      while (std::optional<ClusterIndex> next = walk.Next()) {
        if (is_listed(*next) || tally.RoomLeft(*next) == 0) continue;
        l.need -= tally.TakeRoom(*next, l.need, AssignmentReason::kOffloaded);
        if (l.cluster.has_value()) tally.NoteOrigin(*next, *l.cluster);
        break;
      }
    }
    ProximityWalk walk(state, l.cluster, ClusterKind::kFog, by_room);
    while (l.need > 0) {
      std::optional<ClusterIndex> next = walk.Next();
      if (!next.has_value()) break;
      const int64_t taken = tally.TakeRoom(*next, l.need, AssignmentReason::kOffloaded);
      if (taken > 0 && l.cluster.has_value()) tally.NoteOrigin(*next, *l.cluster);
      l.need -= taken;
    }
  }
  // 5. What no fog cluster holds goes to cloud clusters, nearest first.
  int64_t unplaced = 0;
  for (Listed& l : listed) {
    if (l.need > 0 && model.any_cloud()) {
      ProximityWalk walk(state, l.cluster, ClusterKind::kCloud, by_room);
      while (l.need > 0) {
        std::optional<ClusterIndex> next = walk.Next();
        if (!next.has_value()) break;
        const int64_t taken = tally.TakeRoom(*next, l.need, AssignmentReason::kCloud);
        if (taken > 0 && l.cluster.has_value()) tally.NoteOrigin(*next, *l.cluster);
        l.need -= taken;
      }
    }
    unplaced += l.need;
  }
  return unplaced;
}

}  // namespace mck8s::placement
