// -----------------------------------------------------------------------------
// File: mck8s/placement/plugins/taint_toleration.h
// -----------------------------------------------------------------------------
//
// Filter `TaintToleration`: MemberCluster taints against the workload's
// constraints.tolerations. An untolerated NoSchedule taint (or a NoExecute
// one tolerated only for a while) takes no new replica but keeps those there
// (kNoNew); an untolerated NoExecute taint sends them away (kEvict).
// PreferNoSchedule taints pass here and rank the cluster last (see the
// TaintPreference scorer).
//
// Stateless; one instance serves every decision (see framework.h).

#ifndef MCK8S_PLACEMENT_PLUGINS_TAINT_TOLERATION_H_
#define MCK8S_PLACEMENT_PLUGINS_TAINT_TOLERATION_H_

#include <string>
#include <string_view>

#include "mck8s/placement/framework.h"

namespace mck8s::placement {

class TaintTolerationFilter : public FilterPlugin {
 public:
  static constexpr std::string_view kName = "TaintToleration";

  TaintTolerationFilter() = default;

  std::string_view Name() const override { return kName; }
  bool AppliesTo(const CycleState& state) const override;
  FilterOutcome Filter(const CycleState& state, ClusterIndex cluster) const override;
  std::string Reason(const CycleState& state, ClusterIndex cluster) const override;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_PLUGINS_TAINT_TOLERATION_H_
