#include "mck8s/placement/plugins/taint_toleration.h"

#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"

namespace mck8s::placement {

bool TaintTolerationFilter::AppliesTo(const CycleState& state) const {
  return state.model().any_cluster_taints();
}

FilterOutcome TaintTolerationFilter::Filter(const CycleState& state, ClusterIndex cluster) const {
  const TaintJudgement judgement =
      JudgeTaints(state.constraints().tolerations, state.model().cluster(cluster).taints);
  switch (judgement.verdict) {
    case TaintVerdict::kEvict:
      return FilterOutcome::kEvict;
    case TaintVerdict::kNoNew:
      return FilterOutcome::kNoNew;
    case TaintVerdict::kTolerated:
    case TaintVerdict::kAvoid:
      return FilterOutcome::kPass;
  }
  return FilterOutcome::kPass;
}

std::string TaintTolerationFilter::Reason(const CycleState& state, ClusterIndex cluster) const {
  const TaintJudgement judgement =
      JudgeTaints(state.constraints().tolerations, state.model().cluster(cluster).taints);
  if (judgement.taint == nullptr) return "taints not tolerated";
  const Taint& taint = *judgement.taint;
  std::string text = absl::StrCat("taint ", taint.key, "=", taint.value, ":",
                                  ToAbsl(TaintEffectName(taint.effect)));
  if (taint.effect == TaintEffect::kNoExecute && judgement.verdict == TaintVerdict::kNoNew) {
    return absl::StrCat(text, " is tolerated only for a while: no new replicas");
  }
  return absl::StrCat(text, " is not tolerated");
}

}  // namespace mck8s::placement
