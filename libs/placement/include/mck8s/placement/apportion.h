// -----------------------------------------------------------------------------
// File: mck8s/placement/apportion.h
// -----------------------------------------------------------------------------
//
// Dividing whole replicas among clusters in proportion to weights, without
// losing any to rounding. The spread policy weights each cluster by the
// replicas it can still hold, as Karmada's dynamic-weight division does
// (capacities 6/12/18 split 12 replicas as 2/4/6).
//
// The method is Webster's (Sainte-Laguë): seats go one at a time to the
// party with the highest weight / (seats + 0.5). It is unbiased between
// large and small parties and house-monotone: raising the total never takes
// a replica away from any cluster, which keeps scale-ups steady.
//
// Usage:
//
//   std::vector<int64_t> split = WebsterApportion(12, {6, 12, 18}, {6, 12, 18});
//   // split == {2, 4, 6}
//
// Pure: no I/O, no clock; deterministic (ties go to the lower index).

#ifndef MCK8S_PLACEMENT_APPORTION_H_
#define MCK8S_PLACEMENT_APPORTION_H_

#include <cstdint>
#include <span>
#include <vector>

namespace mck8s::placement {

// Returns seats per party. `weights` must be >= 0 (a negative weight counts
// as 0); when every weight is 0, parties are weighted equally. `caps[i]`
// bounds party i (a negative cap means unbounded); `caps` may be empty
// (no bounds) or have one entry per weight. The result sums to
// min(total, sum of caps); parties of weight 0 get seats only when every
// party of positive weight is full.
std::vector<int64_t> WebsterApportion(int64_t total, std::span<const double> weights,
                                      std::span<const int64_t> caps = {});

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_APPORTION_H_
