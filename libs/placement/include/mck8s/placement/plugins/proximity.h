// -----------------------------------------------------------------------------
// File: mck8s/placement/plugins/proximity.h
// -----------------------------------------------------------------------------
//
// Scorer `Proximity`: minus the RTT in milliseconds from the decision's
// origin (Offload's from_cluster, Burst's near_cluster, the first listed
// location), so nearer ranks first; the origin itself scores 0 and clusters
// with an unknown RTT score kUnknownRttScore, below any measured one.
//
// Stateless; one instance serves every decision (see framework.h).

#ifndef MCK8S_PLACEMENT_PLUGINS_PROXIMITY_H_
#define MCK8S_PLACEMENT_PLUGINS_PROXIMITY_H_

#include <string>
#include <string_view>

#include "mck8s/placement/framework.h"

namespace mck8s::placement {

class ProximityScorer : public ScorePlugin {
 public:
  static constexpr std::string_view kName = "Proximity";

  ProximityScorer() = default;

  std::string_view Name() const override { return kName; }
  bool AppliesTo(const CycleState& state) const override;
  static constexpr double kUnknownRttScore = -1e9;
  double Score(const CycleState& state, ClusterIndex cluster) const override;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_PLUGINS_PROXIMITY_H_
