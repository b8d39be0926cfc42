#include "mck8s/placement/plugins/taint_preference.h"

namespace mck8s::placement {

bool TaintPreferenceScorer::AppliesTo(const CycleState& state) const {
  return state.model().any_cluster_taints();
}

double TaintPreferenceScorer::Score(const CycleState& state, ClusterIndex cluster) const {
  const TaintJudgement judgement =
      JudgeTaints(state.constraints().tolerations, state.model().cluster(cluster).taints);
  return judgement.verdict == TaintVerdict::kAvoid ? -1.0 : 0.0;
}

}  // namespace mck8s::placement
