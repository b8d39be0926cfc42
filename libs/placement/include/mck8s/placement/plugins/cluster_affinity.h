// -----------------------------------------------------------------------------
// File: mck8s/placement/plugins/cluster_affinity.h
// -----------------------------------------------------------------------------
//
// Filter `ClusterAffinity`: only clusters the workload's constraints allow
// (constraints.allowed: by name, MemberCluster labels and region; a cluster
// must satisfy every criterion that is set). A cluster no longer allowed
// keeps nothing: its replicas must move (kEvict).
//
// Stateless; one instance serves every decision (see framework.h).

#ifndef MCK8S_PLACEMENT_PLUGINS_CLUSTER_AFFINITY_H_
#define MCK8S_PLACEMENT_PLUGINS_CLUSTER_AFFINITY_H_

#include <string>
#include <string_view>

#include "mck8s/placement/framework.h"

namespace mck8s::placement {

class ClusterAffinityFilter : public FilterPlugin {
 public:
  static constexpr std::string_view kName = "ClusterAffinity";

  ClusterAffinityFilter() = default;

  std::string_view Name() const override { return kName; }
  bool AppliesTo(const CycleState& state) const override;
  FilterOutcome Filter(const CycleState& state, ClusterIndex cluster) const override;
  std::string Reason(const CycleState& state, ClusterIndex cluster) const override;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_PLUGINS_CLUSTER_AFFINITY_H_
