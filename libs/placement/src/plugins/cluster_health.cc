#include "mck8s/placement/plugins/cluster_health.h"

#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"

namespace mck8s::placement {

bool ClusterHealthFilter::AppliesTo(const CycleState& state) const {
  return state.model().any_unhealthy();
}

FilterOutcome ClusterHealthFilter::Filter(const CycleState& state, ClusterIndex cluster) const {
  const Health health = state.model().health(cluster);
  return health == Health::kUnreachable || health == Health::kUnknown ? FilterOutcome::kNoNew
                                                                      : FilterOutcome::kPass;
}

std::string ClusterHealthFilter::Reason(const CycleState& state, ClusterIndex cluster) const {
  const Cluster& c = state.model().cluster(cluster);
  std::string text = absl::StrCat("cluster is ", ToAbsl(HealthName(c.health)));
  if (!c.health_reason.empty()) absl::StrAppend(&text, ": ", c.health_reason);
  return text;
}

void ClusterHealthFilter::FilterAll(const CycleState& state,
                                    std::span<FilterOutcome> outcomes) const {
  const ClusterModel& model = state.model();
  for (size_t cluster = 0; cluster < outcomes.size(); ++cluster) {
    const Health health = model.health(static_cast<ClusterIndex>(cluster));
    outcomes[cluster] = health == Health::kUnreachable || health == Health::kUnknown
                            ? FilterOutcome::kNoNew
                            : FilterOutcome::kPass;
  }
}

}  // namespace mck8s::placement
