#include "mck8s/placement/plugins/steady.h"

namespace mck8s::placement {

bool SteadyScorer::AppliesTo(const CycleState& state) const { return state.HasCurrent(); }

double SteadyScorer::Score(const CycleState& state, ClusterIndex cluster) const {
  return state.Current(cluster) > 0 ? 1.0 : 0.0;
}

}  // namespace mck8s::placement
