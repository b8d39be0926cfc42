// -----------------------------------------------------------------------------
// File: mck8s/placement/plugins/excluded.h
// -----------------------------------------------------------------------------
//
// Filter `Excluded`: clusters listed in constraints.excluded take no
// replica, whatever `allowed` says; replicas there must move (kEvict).
//
// Stateless; one instance serves every decision (see framework.h).

#ifndef MCK8S_PLACEMENT_PLUGINS_EXCLUDED_H_
#define MCK8S_PLACEMENT_PLUGINS_EXCLUDED_H_

#include <string>
#include <string_view>

#include "mck8s/placement/framework.h"

namespace mck8s::placement {

class ExcludedFilter : public FilterPlugin {
 public:
  static constexpr std::string_view kName = "Excluded";

  ExcludedFilter() = default;

  std::string_view Name() const override { return kName; }
  bool AppliesTo(const CycleState& state) const override;
  FilterOutcome Filter(const CycleState& state, ClusterIndex cluster) const override;
  std::string Reason(const CycleState& state, ClusterIndex cluster) const override;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_PLUGINS_EXCLUDED_H_
