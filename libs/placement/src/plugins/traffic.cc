#include "mck8s/placement/plugins/traffic.h"

namespace mck8s::placement {

double TrafficScorer::Score(const CycleState& state, ClusterIndex cluster) const {
  return state.model().receive_rate(cluster);
}

}  // namespace mck8s::placement
