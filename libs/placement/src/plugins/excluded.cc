#include "mck8s/placement/plugins/excluded.h"

namespace mck8s::placement {

bool ExcludedFilter::AppliesTo(const CycleState& state) const {
  return !state.constraints().excluded.empty();
}

FilterOutcome ExcludedFilter::Filter(const CycleState& state, ClusterIndex cluster) const {
  return state.ExcludedByName(cluster) ? FilterOutcome::kEvict : FilterOutcome::kPass;
}

std::string ExcludedFilter::Reason(const CycleState&, ClusterIndex) const {
  return "listed in constraints.excluded";
}

}  // namespace mck8s::placement
