// -----------------------------------------------------------------------------
// File: mck8s/k8stypes/resources.h
// -----------------------------------------------------------------------------
//
// A Kubernetes ResourceList reduced to integers: what a pod requests, what a
// node or a cluster has free, in the units the placement engine computes with
// (CPU in millicores, memory in bytes, pods as a count, every other resource
// such as "nvidia.com/gpu" or "ephemeral-storage" in its Kubernetes Value()).
//
// The conversion from strings follows Kubernetes' rounding: CPU rounds up to
// the next millicore (MilliValue), everything else up to the next unit
// (Value), so "0.5m" of CPU is 1m and "0.5" of a GPU is 1.
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(
//       Resources per_pod,
//       ResourcesFromStringMap(std::map<std::string, std::string>{
//           {"cpu", "250m"}, {"memory", "512Mi"}}));
//   Resources free{.cpu_millis = 4000, .memory_bytes = int64_t{8} << 30, .pods = 110};
//   bool fits = free.Fits(per_pod);                     // true
//   int64_t replicas = ReplicasThatFit(free, per_pod);  // 16
//
// Arithmetic saturates at the int64 limits instead of overflowing: the
// numbers come from the outside world and must never trigger undefined
// behaviour. Values are plain data; share them freely across threads.

#ifndef MCK8S_K8STYPES_RESOURCES_H_
#define MCK8S_K8STYPES_RESOURCES_H_

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mck8s::k8stypes {

// The resource names with a dedicated field.
inline constexpr std::string_view kResourceCpu = "cpu";
inline constexpr std::string_view kResourceMemory = "memory";
inline constexpr std::string_view kResourcePods = "pods";

struct Resources {
  int64_t cpu_millis = 0;
  int64_t memory_bytes = 0;
  int64_t pods = 0;
  // Every other resource by its Kubernetes name, in Value() units. Ordered so
  // that String() is deterministic. The functions of this header never leave
  // a zero amount in it (parsing and arithmetic drop them), so that == means
  // "same amounts" however the values were computed.
  std::map<std::string, int64_t, std::less<>> extended;

  // Element-wise, saturating. Extended resources are combined by name; a name
  // missing on one side counts as zero there.
  Resources& operator+=(const Resources& other);
  Resources& operator-=(const Resources& other);
  friend Resources operator+(Resources a, const Resources& b) { return a += b; }
  friend Resources operator-(Resources a, const Resources& b) { return a -= b; }
  // Every amount multiplied by `factor` (e.g. per-replica times replicas).
  Resources Times(int64_t factor) const;

  // True when `need` fits into these (free) resources: every dimension that
  // `need` requests (amount > 0) is available here in at least that amount.
  // A dimension `need` does not request never blocks, even when these free
  // resources are negative there (an over-committed node still admits a pod
  // that asks for nothing of what it lacks) - the Kubernetes scheduler's
  // NodeResourcesFit rule.
  bool Fits(const Resources& need) const;

  // True when every amount, extended included, is zero.
  bool IsZero() const;

  // The extended amount for `name`, 0 when absent.
  int64_t Extended(std::string_view name) const;

  // "cpu=250m memory=512Mi pods=1 nvidia.com/gpu=1": canonical Kubernetes
  // quantities, zero dimensions left out, "{}" when everything is zero.
  std::string String() const;

  friend bool operator==(const Resources& a, const Resources& b) = default;
  friend std::ostream& operator<<(std::ostream& os, const Resources& r) {
    return os << r.String();
  }
};

// Parses one ResourceList entry into `resources` (cpu -> millis, memory and
// pods -> Value(), any other name -> extended[name]), replacing what was
// there. InvalidArgument naming the resource for an empty name, an unparsable
// or negative quantity; OutOfRange when the amount does not fit an int64.
absl::Status SetResourceFromString(std::string_view name, std::string_view quantity,
                                   Resources& resources);

// Builds Resources from a ResourceList-shaped map of name -> quantity string
// (std::map, absl::flat_hash_map, anything iterable as pairs of strings).
// Errors as SetResourceFromString, for the first bad entry.
template <typename StringMap>
absl::StatusOr<Resources> ResourcesFromStringMap(const StringMap& resource_list) {
  Resources resources;
  for (const auto& [name, quantity] : resource_list) {
    if (absl::Status status = SetResourceFromString(name, quantity, resources);
        !status.ok()) {
      return status;
    }
  }
  return resources;
}

// How many replicas of `per_replica` fit into `free`: the minimum, over every
// dimension `per_replica` requests (amount > 0), of floor(free / request),
// never below zero. A replica is a pod, so the pods dimension always limits:
// each replica takes max(per_replica.pods, 1) pod slots. Consequently a
// request of all zeros is limited by free.pods alone, and free.pods must be
// filled in by the caller.
int64_t ReplicasThatFit(const Resources& free, const Resources& per_replica);

}  // namespace mck8s::k8stypes

#endif  // MCK8S_K8STYPES_RESOURCES_H_
