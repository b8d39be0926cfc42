// -----------------------------------------------------------------------------
// File: mck8s/placement/plugins/taint_preference.h
// -----------------------------------------------------------------------------
//
// Scorer `TaintPreference`: -1 for clusters with a PreferNoSchedule taint the
// workload does not tolerate, 0 otherwise, so they are used only when no
// other cluster of the same preference fits.
//
// Stateless; one instance serves every decision (see framework.h).

#ifndef MCK8S_PLACEMENT_PLUGINS_TAINT_PREFERENCE_H_
#define MCK8S_PLACEMENT_PLUGINS_TAINT_PREFERENCE_H_

#include <string>
#include <string_view>

#include "mck8s/placement/framework.h"

namespace mck8s::placement {

class TaintPreferenceScorer : public ScorePlugin {
 public:
  static constexpr std::string_view kName = "TaintPreference";

  TaintPreferenceScorer() = default;

  std::string_view Name() const override { return kName; }
  bool AppliesTo(const CycleState& state) const override;
  double Score(const CycleState& state, ClusterIndex cluster) const override;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_PLUGINS_TAINT_PREFERENCE_H_
