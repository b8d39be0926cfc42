// -----------------------------------------------------------------------------
// File: mck8s/placement/plugins/traffic.h
// -----------------------------------------------------------------------------
//
// Scorer `Traffic` (traffic-aware): the cluster's network receive rate in
// bytes per second, highest first; clusters without a figure score -1 and
// rank last.
//
// Stateless; one instance serves every decision (see framework.h).

#ifndef MCK8S_PLACEMENT_PLUGINS_TRAFFIC_H_
#define MCK8S_PLACEMENT_PLUGINS_TRAFFIC_H_

#include <string>
#include <string_view>

#include "mck8s/placement/framework.h"

namespace mck8s::placement {

class TrafficScorer : public ScorePlugin {
 public:
  static constexpr std::string_view kName = "Traffic";

  TrafficScorer() = default;

  std::string_view Name() const override { return kName; }
  double Score(const CycleState& state, ClusterIndex cluster) const override;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_PLUGINS_TRAFFIC_H_
