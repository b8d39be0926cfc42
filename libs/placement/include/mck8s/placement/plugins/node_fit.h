// -----------------------------------------------------------------------------
// File: mck8s/placement/plugins/node_fit.h
// -----------------------------------------------------------------------------
//
// Filter `NodeFit`: clusters where no node can host one replica (per node,
// never from cluster totals; see fit.h) take no new replica. A cluster that
// already runs replicas of the workload passes: their room counts as theirs.
// Needs the fit, so it runs only for clusters a decision reaches.
//
// Stateless; one instance serves every decision (see framework.h).

#ifndef MCK8S_PLACEMENT_PLUGINS_NODE_FIT_H_
#define MCK8S_PLACEMENT_PLUGINS_NODE_FIT_H_

#include <string>
#include <string_view>

#include "mck8s/placement/framework.h"

namespace mck8s::placement {

class NodeFitFilter : public FilterPlugin {
 public:
  static constexpr std::string_view kName = "NodeFit";

  NodeFitFilter() = default;

  std::string_view Name() const override { return kName; }
  bool NeedsFit() const override { return true; }
  FilterOutcome Filter(const CycleState& state, ClusterIndex cluster) const override;
  std::string Reason(const CycleState& state, ClusterIndex cluster) const override;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_PLUGINS_NODE_FIT_H_
