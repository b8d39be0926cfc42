// -----------------------------------------------------------------------------
// File: mck8s/placement/plugins/least_room.h
// -----------------------------------------------------------------------------
//
// Scorer `LeastRoom` (best-fit): minus the replicas the cluster can hold, so
// the fullest cluster that still fits ranks first, which packs workloads and
// keeps large clusters free. Counts the room of the replicas already there.
//
// Stateless; one instance serves every decision (see framework.h).

#ifndef MCK8S_PLACEMENT_PLUGINS_LEAST_ROOM_H_
#define MCK8S_PLACEMENT_PLUGINS_LEAST_ROOM_H_

#include <string>
#include <string_view>

#include "mck8s/placement/framework.h"

namespace mck8s::placement {

class LeastRoomScorer : public ScorePlugin {
 public:
  static constexpr std::string_view kName = "LeastRoom";

  LeastRoomScorer() = default;

  std::string_view Name() const override { return kName; }
  bool NeedsFit() const override { return true; }
  bool ScoreAboveIsCheap() const override { return true; }
  double ScoreBound(const CycleState& state, ClusterIndex cluster) const override;
  double ScoreAbove(const CycleState& state, ClusterIndex cluster, double floor,
                    bool* exact) const override;
  double Score(const CycleState& state, ClusterIndex cluster) const override;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_PLUGINS_LEAST_ROOM_H_
