#include "assign.h"
#include "proximity_walk.h"

namespace mck8s::placement {
namespace {

// Keeps `replicas` on `name` whatever the filters say: Offload and Burst
// touch only the replicas they are asked about.
void Keep(const CycleState& state, Tally& tally, const std::string& name, int64_t replicas) {
  if (replicas <= 0) return;
  if (std::optional<ClusterIndex> cluster = state.model().Find(name)) {
    const bool cloud = state.model().kind(*cluster) == ClusterKind::kCloud;
    tally.TakeKept(*cluster, replicas,
                   cloud ? AssignmentReason::kCloud : AssignmentReason::kPreferred,
                   /*force=*/true);
  } else {
    tally.AddExternal(name, replicas, AssignmentReason::kPreferred);
  }
}

// Places up to `replicas` new ones by proximity to `origin`: fog, then cloud.
int64_t PlaceNear(const CycleState& state, std::optional<ClusterIndex> origin, int64_t replicas,
                  AssignmentReason fog_reason, const ScorePlugin* by_room, Tally& tally) {
  for (ClusterKind kind : {ClusterKind::kFog, ClusterKind::kCloud}) {
    if (replicas == 0) break;
    if (kind == ClusterKind::kCloud && !state.model().any_cloud()) break;
    ProximityWalk walk(state, origin, kind, by_room);
    while (replicas > 0) {
      std::optional<ClusterIndex> next = walk.Next();
      if (!next.has_value()) break;
      const int64_t taken = tally.TakeRoom(
          *next, replicas, kind == ClusterKind::kCloud ? AssignmentReason::kCloud : fog_reason);
      if (taken > 0 && origin.has_value()) tally.NoteOrigin(*next, *origin);
      replicas -= taken;
    }
  }
  return replicas;
}

}  // namespace

int64_t AssignOffload(const CycleState& state, std::optional<ClusterIndex> from,
                      const std::string& from_name, int64_t replicas,
                      const CurrentPlacement& current, const ScorePlugin* by_room, Tally& tally) {
  for (const auto& [name, count] : current) {
    Keep(state, tally, name, name == from_name ? count - replicas : count);
  }
  const int64_t stuck =
      PlaceNear(state, from, replicas, AssignmentReason::kOffloaded, by_room, tally);
  Keep(state, tally, from_name, stuck);
  return stuck;
}

int64_t AssignBurst(const CycleState& state, ClusterIndex near, int64_t replicas,
                    const CurrentPlacement& current, const ScorePlugin* by_room, Tally& tally) {
  for (const auto& [name, count] : current) Keep(state, tally, name, count);
  replicas -= tally.TakeRoom(near, replicas, AssignmentReason::kPreferred);
  return PlaceNear(state, near, replicas, AssignmentReason::kBurst, by_room, tally);
}

}  // namespace mck8s::placement
