#include "mck8s/placement/plugins/cluster_affinity.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mck8s::placement {
namespace {

bool RegionAllowed(const ClusterSelector& allowed, const Cluster& cluster) {
  return allowed.regions.empty() || std::find(allowed.regions.begin(), allowed.regions.end(),
                                              cluster.region) != allowed.regions.end();
}

bool LabelsAllowed(const ClusterSelector& allowed, const Cluster& cluster) {
  return !allowed.label_selector.has_value() || allowed.label_selector->Matches(cluster.labels);
}

}  // namespace

bool ClusterAffinityFilter::AppliesTo(const CycleState& state) const {
  const std::optional<ClusterSelector>& allowed = state.constraints().allowed;
  return allowed.has_value() &&
         (!allowed->names.empty() || !allowed->regions.empty() ||
          (allowed->label_selector.has_value() && !allowed->label_selector->Empty()));
}

FilterOutcome ClusterAffinityFilter::Filter(const CycleState& state, ClusterIndex cluster) const {
  const ClusterSelector& allowed = *state.constraints().allowed;
  const Cluster& c = state.model().cluster(cluster);
  if (!state.AllowedByName(cluster) || !RegionAllowed(allowed, c) || !LabelsAllowed(allowed, c)) {
    return FilterOutcome::kEvict;
  }
  return FilterOutcome::kPass;
}

std::string ClusterAffinityFilter::Reason(const CycleState& state, ClusterIndex cluster) const {
  const ClusterSelector& allowed = *state.constraints().allowed;
  const Cluster& c = state.model().cluster(cluster);
  if (!state.AllowedByName(cluster)) {
    return absl::StrCat("not among the allowed clusters [", absl::StrJoin(allowed.names, ", "),
                        "]");
  }
  if (!RegionAllowed(allowed, c)) {
    return absl::StrCat("region \"", c.region, "\" is not among the allowed regions [",
                        absl::StrJoin(allowed.regions, ", "), "]");
  }
  return absl::StrCat("labels do not match the selector \"", allowed.label_selector->String(),
                      "\"");
}

}  // namespace mck8s::placement
