#include "mck8s/placement/plugins/most_room.h"

namespace mck8s::placement {

double MostRoomScorer::Score(const CycleState& state, ClusterIndex cluster) const {
  return static_cast<double>(state.Capacity(cluster));
}

double MostRoomScorer::ScoreBound(const CycleState& state, ClusterIndex cluster) const {
  return static_cast<double>(state.Current(cluster) + state.NewFitUpperBound(cluster));
}

}  // namespace mck8s::placement
