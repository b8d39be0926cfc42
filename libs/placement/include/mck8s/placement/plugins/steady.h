// -----------------------------------------------------------------------------
// File: mck8s/placement/plugins/steady.h
// -----------------------------------------------------------------------------
//
// Scorer `Steady`: 1 for clusters that already run replicas of the
// workload, 0 otherwise, so that growth goes where the workload is and a
// decision moves as few replicas as possible.
//
// Stateless; one instance serves every decision (see framework.h).

#ifndef MCK8S_PLACEMENT_PLUGINS_STEADY_H_
#define MCK8S_PLACEMENT_PLUGINS_STEADY_H_

#include <string>
#include <string_view>

#include "mck8s/placement/framework.h"

namespace mck8s::placement {

class SteadyScorer : public ScorePlugin {
 public:
  static constexpr std::string_view kName = "Steady";

  SteadyScorer() = default;

  std::string_view Name() const override { return kName; }
  bool AppliesTo(const CycleState& state) const override;
  double Score(const CycleState& state, ClusterIndex cluster) const override;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_PLUGINS_STEADY_H_
