// -----------------------------------------------------------------------------
// File: mck8s/placement/plugins/preferred.h
// -----------------------------------------------------------------------------
//
// Scorer `Preferred`: the request's preferred_clusters first, in their
// order: the first of k preferred clusters scores k, the last 1, every other
// cluster 0.
//
// Stateless; one instance serves every decision (see framework.h).

#ifndef MCK8S_PLACEMENT_PLUGINS_PREFERRED_H_
#define MCK8S_PLACEMENT_PLUGINS_PREFERRED_H_

#include <string>
#include <string_view>

#include "mck8s/placement/framework.h"

namespace mck8s::placement {

class PreferredScorer : public ScorePlugin {
 public:
  static constexpr std::string_view kName = "Preferred";

  PreferredScorer() = default;

  std::string_view Name() const override { return kName; }
  bool AppliesTo(const CycleState& state) const override;
  double Score(const CycleState& state, ClusterIndex cluster) const override;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_PLUGINS_PREFERRED_H_
