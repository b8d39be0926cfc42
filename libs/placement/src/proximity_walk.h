// Walks clusters of one kind (fog or cloud) by proximity to an origin: first
// those with a known RTT from it, nearest first (ties by name), then those
// with an unknown RTT, which the snapshot treats as farther than any known
// one, ranked among themselves by the replicas they can hold, most first.
// With no origin (a cluster absent from the snapshot), only the second part.
// The origin itself is never returned.
//
// Returned clusters passed the filters that do not need the fit; callers take
// room through Tally, which checks the rest.

#ifndef MCK8S_PLACEMENT_SRC_PROXIMITY_WALK_H_
#define MCK8S_PLACEMENT_SRC_PROXIMITY_WALK_H_

#include <memory>
#include <optional>

#include "mck8s/placement/framework.h"
#include "select.h"

namespace mck8s::placement {

class ProximityWalk {
 public:
  ProximityWalk(const CycleState& state, std::optional<ClusterIndex> origin, ClusterKind kind,
                const ScorePlugin* by_room);

  std::optional<ClusterIndex> Next();

 private:
  const CycleState& state_;
  std::optional<ClusterIndex> origin_;
  ClusterKind kind_;
  const ScorePlugin* by_room_;
  std::span<const Neighbour> neighbours_;
  size_t position_ = 0;
  std::unique_ptr<Ranker> unknown_;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_SRC_PROXIMITY_WALK_H_
