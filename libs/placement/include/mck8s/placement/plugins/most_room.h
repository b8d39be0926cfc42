// -----------------------------------------------------------------------------
// File: mck8s/placement/plugins/most_room.h
// -----------------------------------------------------------------------------
//
// Scorer `MostRoom` (worst-fit): the replicas the cluster can hold, most
// first, which spreads load. Counts the room of the replicas already there.
//
// Stateless; one instance serves every decision (see framework.h).

#ifndef MCK8S_PLACEMENT_PLUGINS_MOST_ROOM_H_
#define MCK8S_PLACEMENT_PLUGINS_MOST_ROOM_H_

#include <span>
#include <string>
#include <string_view>

#include "mck8s/placement/framework.h"

namespace mck8s::placement {

class MostRoomScorer : public ScorePlugin {
 public:
  static constexpr std::string_view kName = "MostRoom";

  MostRoomScorer() = default;

  std::string_view Name() const override { return kName; }
  bool NeedsFit() const override { return true; }
  double ScoreBound(const CycleState& state, ClusterIndex cluster) const override;
  void ScoreBoundAll(const CycleState& state, std::span<const ClusterIndex> clusters,
                     std::span<double> out) const override;
  double Score(const CycleState& state, ClusterIndex cluster) const override;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_PLUGINS_MOST_ROOM_H_
