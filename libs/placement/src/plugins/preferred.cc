#include "mck8s/placement/plugins/preferred.h"

namespace mck8s::placement {

bool PreferredScorer::AppliesTo(const CycleState& state) const {
  return state.PreferredCount() > 0;
}

double PreferredScorer::Score(const CycleState& state, ClusterIndex cluster) const {
  const int32_t position = state.PreferredPosition(cluster);
  return position < 0 ? 0.0 : static_cast<double>(state.PreferredCount() - position);
}

}  // namespace mck8s::placement
