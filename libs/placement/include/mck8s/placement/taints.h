// -----------------------------------------------------------------------------
// File: mck8s/placement/taints.h
// -----------------------------------------------------------------------------
//
// Taints and tolerations with Kubernetes' matching rules, for the two places
// the placement engine meets them: taints on a MemberCluster (tolerated by the
// workload's cluster constraints) and taints on a node (tolerated by the
// replica's pod template).
//
// What a taint does to new replicas, by effect:
//
//   NoSchedule        no new replica unless tolerated; replicas there stay.
//   PreferNoSchedule  avoided while any other choice fits, never forbidden.
//   NoExecute         no new replica unless tolerated without a time limit;
//                     replicas there must leave unless tolerated.
//
// A NoExecute taint tolerated only for `evict_after_seconds` lets replicas
// already there stay for a while but takes no new ones: placing a replica
// that will be evicted later is a move postponed, not a placement.
//
// Usage:
//
//   Taint draining{.key = "fogguru.eu/draining", .effect = TaintEffect::kNoSchedule};
//   Toleration any_draining{.key = "fogguru.eu/draining",
//                           .op = TolerationOperator::kExists};
//   bool ok = Tolerates(any_draining, draining);  // true
//
// Plain values; pure functions, safe from any thread.

#ifndef MCK8S_PLACEMENT_TAINTS_H_
#define MCK8S_PLACEMENT_TAINTS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace mck8s::placement {

enum class TaintEffect { kNoSchedule, kPreferNoSchedule, kNoExecute };

// "NoSchedule", "PreferNoSchedule", "NoExecute": Kubernetes' spelling.
std::string_view TaintEffectName(TaintEffect effect);

struct Taint {
  std::string key;
  std::string value;
  TaintEffect effect = TaintEffect::kNoSchedule;

  friend bool operator==(const Taint&, const Taint&) = default;
};

enum class TolerationOperator { kEqual, kExists };

struct Toleration {
  // Empty with kExists matches every key.
  std::string key;
  TolerationOperator op = TolerationOperator::kEqual;
  // Compared with kEqual; must be empty with kExists.
  std::string value;
  // nullopt matches every effect.
  std::optional<TaintEffect> effect;
  // For NoExecute taints: how long replicas may stay once the taint appears
  // (Kubernetes tolerationSeconds); nullopt means forever.
  std::optional<int64_t> evict_after_seconds;

  friend bool operator==(const Toleration&, const Toleration&) = default;
};

// Whether `toleration` matches `taint` (key, operator and value, effect), as
// Kubernetes' Toleration.ToleratesTaint. It says nothing about time limits.
bool Tolerates(const Toleration& toleration, const Taint& taint);

// How `tolerations` let a taint affect a new replica.
enum class TaintVerdict {
  kTolerated,  // no effect
  kAvoid,      // PreferNoSchedule not tolerated: rank last
  kNoNew,      // no new replica; replicas already there stay
  kEvict,      // no new replica and replicas already there must leave
};

// The verdict of one taint given the tolerations; the time limit of a matching
// NoExecute toleration turns kTolerated into kNoNew.
TaintVerdict JudgeTaint(std::span<const Toleration> tolerations, const Taint& taint);

// The worst verdict over `taints` (kEvict > kNoNew > kAvoid > kTolerated), and
// the first taint that produced it (nullptr when every taint is tolerated).
struct TaintJudgement {
  TaintVerdict verdict = TaintVerdict::kTolerated;
  const Taint* taint = nullptr;
};
TaintJudgement JudgeTaints(std::span<const Toleration> tolerations, std::span<const Taint> taints);

// InvalidArgument starting with `field` when the toleration breaks
// Kubernetes' rules: an empty key needs kExists; kExists needs an empty value;
// a non-empty key must be a qualified name and the value a label value;
// evict_after_seconds must not be negative and needs a NoExecute effect.
absl::Status ValidateToleration(const Toleration& toleration, std::string_view field);

// InvalidArgument starting with `field` for an empty or malformed key or a
// malformed value.
absl::Status ValidateTaint(const Taint& taint, std::string_view field);

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_TAINTS_H_
