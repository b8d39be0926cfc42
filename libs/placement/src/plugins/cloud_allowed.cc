#include "mck8s/placement/plugins/cloud_allowed.h"

namespace mck8s::placement {

bool CloudAllowedFilter::AppliesTo(const CycleState& state) const {
  return !state.allow_cloud() && state.model().any_cloud();
}

FilterOutcome CloudAllowedFilter::Filter(const CycleState& state, ClusterIndex cluster) const {
  return state.model().kind(cluster) == ClusterKind::kCloud ? FilterOutcome::kNoNew
                                                            : FilterOutcome::kPass;
}

std::string CloudAllowedFilter::Reason(const CycleState&, ClusterIndex) const {
  return "cloud cluster, and the request does not allow cloud clusters";
}

void CloudAllowedFilter::FilterAll(const CycleState& state,
                                   std::span<FilterOutcome> outcomes) const {
  const ClusterModel& model = state.model();
  for (size_t cluster = 0; cluster < outcomes.size(); ++cluster) {
    outcomes[cluster] = model.kind(static_cast<ClusterIndex>(cluster)) == ClusterKind::kCloud
                            ? FilterOutcome::kNoNew
                            : FilterOutcome::kPass;
  }
}

}  // namespace mck8s::placement
