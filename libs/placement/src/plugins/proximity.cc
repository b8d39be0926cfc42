#include "mck8s/placement/plugins/proximity.h"

namespace mck8s::placement {

bool ProximityScorer::AppliesTo(const CycleState& state) const {
  return state.origin().has_value();
}

double ProximityScorer::Score(const CycleState& state, ClusterIndex cluster) const {
  const ClusterIndex origin = *state.origin();
  if (cluster == origin) return 0.0;
  std::optional<double> rtt = state.model().Rtt(origin, cluster);
  return rtt.has_value() ? -*rtt : kUnknownRttScore;
}

}  // namespace mck8s::placement
