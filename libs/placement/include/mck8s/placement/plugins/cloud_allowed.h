// -----------------------------------------------------------------------------
// File: mck8s/placement/plugins/cloud_allowed.h
// -----------------------------------------------------------------------------
//
// Filter `CloudAllowed`: when the request does not allow cloud clusters,
// they take no new replica (replicas already there stay).
//
// Stateless; one instance serves every decision (see framework.h).

#ifndef MCK8S_PLACEMENT_PLUGINS_CLOUD_ALLOWED_H_
#define MCK8S_PLACEMENT_PLUGINS_CLOUD_ALLOWED_H_

#include <string>
#include <string_view>

#include "mck8s/placement/framework.h"

namespace mck8s::placement {

class CloudAllowedFilter : public FilterPlugin {
 public:
  static constexpr std::string_view kName = "CloudAllowed";

  CloudAllowedFilter() = default;

  std::string_view Name() const override { return kName; }
  bool AppliesTo(const CycleState& state) const override;
  FilterOutcome Filter(const CycleState& state, ClusterIndex cluster) const override;
  void FilterAll(const CycleState& state, std::span<FilterOutcome> outcomes) const override;
  std::string Reason(const CycleState& state, ClusterIndex cluster) const override;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_PLUGINS_CLOUD_ALLOWED_H_
