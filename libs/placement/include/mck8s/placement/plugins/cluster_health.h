// -----------------------------------------------------------------------------
// File: mck8s/placement/plugins/cluster_health.h
// -----------------------------------------------------------------------------
//
// Filter `ClusterHealth`: unreachable clusters and clusters never contacted
// take no new replica (their figures are stale or unknown). Replicas already
// there stay (kNoNew): moving them is the descheduler's explicit decision,
// as eviction on failure is in Karmada. Degraded clusters pass: their
// capacity figures are current.
//
// Stateless; one instance serves every decision (see framework.h).

#ifndef MCK8S_PLACEMENT_PLUGINS_CLUSTER_HEALTH_H_
#define MCK8S_PLACEMENT_PLUGINS_CLUSTER_HEALTH_H_

#include <string>
#include <string_view>

#include "mck8s/placement/framework.h"

namespace mck8s::placement {

class ClusterHealthFilter : public FilterPlugin {
 public:
  static constexpr std::string_view kName = "ClusterHealth";

  ClusterHealthFilter() = default;

  std::string_view Name() const override { return kName; }
  bool AppliesTo(const CycleState& state) const override;
  FilterOutcome Filter(const CycleState& state, ClusterIndex cluster) const override;
  void FilterAll(const CycleState& state, std::span<FilterOutcome> outcomes) const override;
  std::string Reason(const CycleState& state, ClusterIndex cluster) const override;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_PLUGINS_CLUSTER_HEALTH_H_
