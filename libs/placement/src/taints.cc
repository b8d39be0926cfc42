#include "mck8s/placement/taints.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"
#include "mck8s/k8stypes/validation.h"

namespace mck8s::placement {
namespace {

int Severity(TaintVerdict verdict) { return static_cast<int>(verdict); }

absl::Status Prefixed(std::string_view field, const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat(ToAbsl(field), ": ", status.message()));
}

}  // namespace

std::string_view TaintEffectName(TaintEffect effect) {
  switch (effect) {
    case TaintEffect::kNoSchedule:
      return "NoSchedule";
    case TaintEffect::kPreferNoSchedule:
      return "PreferNoSchedule";
    case TaintEffect::kNoExecute:
      return "NoExecute";
  }
  return "Unknown";
}

bool Tolerates(const Toleration& toleration, const Taint& taint) {
  if (toleration.effect.has_value() && *toleration.effect != taint.effect) return false;
  if (!toleration.key.empty() && toleration.key != taint.key) return false;
  if (toleration.op == TolerationOperator::kExists) return true;
  return toleration.value == taint.value;
}

TaintVerdict JudgeTaint(std::span<const Toleration> tolerations, const Taint& taint) {
  bool tolerated_for_a_while = false;
  for (const Toleration& toleration : tolerations) {
    if (!Tolerates(toleration, taint)) continue;
    if (taint.effect == TaintEffect::kNoExecute && toleration.evict_after_seconds.has_value()) {
      tolerated_for_a_while = true;
      continue;
    }
    return TaintVerdict::kTolerated;
  }
  switch (taint.effect) {
    case TaintEffect::kPreferNoSchedule:
      return TaintVerdict::kAvoid;
    case TaintEffect::kNoSchedule:
      return TaintVerdict::kNoNew;
    case TaintEffect::kNoExecute:
      return tolerated_for_a_while ? TaintVerdict::kNoNew : TaintVerdict::kEvict;
  }
  return TaintVerdict::kNoNew;
}

TaintJudgement JudgeTaints(std::span<const Toleration> tolerations, std::span<const Taint> taints) {
  TaintJudgement worst;
  for (const Taint& taint : taints) {
    const TaintVerdict verdict = JudgeTaint(tolerations, taint);
    if (Severity(verdict) > Severity(worst.verdict)) {
      worst = {verdict, &taint};
      if (verdict == TaintVerdict::kEvict) break;
    }
  }
  return worst;
}

absl::Status ValidateToleration(const Toleration& toleration, std::string_view field) {
  if (toleration.key.empty()) {
    if (toleration.op != TolerationOperator::kExists) {
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(field), ".key: must not be empty unless the operator is Exists"));
    }
  } else if (absl::Status status = k8stypes::ValidateLabelKey(toleration.key); !status.ok()) {
    return Prefixed(absl::StrCat(ToAbsl(field), ".key"), status);
  }
  if (toleration.op == TolerationOperator::kExists && !toleration.value.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(field), ".value: must be empty when the operator is Exists, got \"",
                     toleration.value, "\""));
  }
  if (absl::Status status = k8stypes::ValidateLabelValue(toleration.value); !status.ok()) {
    return Prefixed(absl::StrCat(ToAbsl(field), ".value"), status);
  }
  if (toleration.evict_after_seconds.has_value()) {
    if (*toleration.evict_after_seconds < 0) {
      return absl::InvalidArgumentError(absl::StrCat(ToAbsl(field),
                                                     ".evict_after: must not be negative, got ",
                                                     *toleration.evict_after_seconds, "s"));
    }
    if (toleration.effect.has_value() && *toleration.effect != TaintEffect::kNoExecute) {
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(field), ".evict_after: only valid with the NoExecute effect, got ",
                       ToAbsl(TaintEffectName(*toleration.effect))));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTaint(const Taint& taint, std::string_view field) {
  if (taint.key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(field), ".key: must not be empty"));
  }
  if (absl::Status status = k8stypes::ValidateLabelKey(taint.key); !status.ok()) {
    return Prefixed(absl::StrCat(ToAbsl(field), ".key"), status);
  }
  if (absl::Status status = k8stypes::ValidateLabelValue(taint.value); !status.ok()) {
    return Prefixed(absl::StrCat(ToAbsl(field), ".value"), status);
  }
  return absl::OkStatus();
}

}  // namespace mck8s::placement
