#include "mck8s/placement/plugins/most_room.h"

namespace mck8s::placement {

double MostRoomScorer::Score(const CycleState& state, ClusterIndex cluster) const {
  return static_cast<double>(state.Capacity(cluster));
}

double MostRoomScorer::ScoreBound(const CycleState& state, ClusterIndex cluster) const {
  return static_cast<double>(state.Current(cluster) + state.NewFitUpperBound(cluster));
}

void MostRoomScorer::ScoreBoundAll(const CycleState& state, std::span<const ClusterIndex> clusters,
                                   std::span<double> out) const {
  // With current replicas the bound sums two integers before rounding to a
  // double; the plain loop keeps that arithmetic.
  if (state.HasCurrent()) {
    ScorePlugin::ScoreBoundAll(state, clusters, out);
    return;
  }
  state.NewFitUpperBounds(clusters, out);
}

}  // namespace mck8s::placement
