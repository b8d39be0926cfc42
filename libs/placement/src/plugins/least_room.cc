#include "mck8s/placement/plugins/least_room.h"

#include <cmath>

namespace mck8s::placement {

double LeastRoomScorer::Score(const CycleState& state, ClusterIndex cluster) const {
  return -static_cast<double>(state.Capacity(cluster));
}

double LeastRoomScorer::ScoreBound(const CycleState& state, ClusterIndex cluster) const {
  return -static_cast<double>(state.Current(cluster) + state.NewFitLowerBound(cluster));
}

double LeastRoomScorer::ScoreAbove(const CycleState& state, ClusterIndex cluster, double floor,
                                   bool* exact) const {
  // -capacity >= floor  <=>  new fit <= -floor - current.
  const int64_t current = state.Current(cluster);
  const double limit = -floor - static_cast<double>(current);
  if (!(limit < 9e18)) {
    *exact = true;
    return Score(state, cluster);
  }
  const int64_t fit = state.NewFitUpTo(cluster, static_cast<int64_t>(std::floor(limit)), exact);
  return -static_cast<double>(current + fit);
}

}  // namespace mck8s::placement
