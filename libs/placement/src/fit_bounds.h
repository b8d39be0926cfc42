// The upper bound of PlainFitBounds alone, inline, for loops that bound
// every cluster of a decision (CycleState::NewFitUpperBounds): the same
// arithmetic as PlainFitBounds(..., want_lower=false), without the calls.

#ifndef MCK8S_PLACEMENT_SRC_FIT_BOUNDS_H_
#define MCK8S_PLACEMENT_SRC_FIT_BOUNDS_H_

#include <algorithm>
#include <cstdint>
#include <limits>

#include "mck8s/placement/cluster_model.h"
#include "mck8s/placement/fit.h"

namespace mck8s::placement {

// floor(total * inverse), saturating at 2^62 (see fit.h on the inverses).
inline int64_t FloorOfProduct(double total, double inverse) {
  const double estimate = total * inverse;
  if (estimate >= 0x1p62) return int64_t{1} << 62;
  return static_cast<int64_t>(estimate);
}

// PlainFitBounds(model, cluster, query, /*want_lower=*/false).upper.
[[gnu::always_inline]] inline int64_t PlainFitUpperBound(const ClusterModel& model,
                                                         ClusterIndex cluster,
                                                         const FitQuery& query) {
  const ClusterFitIndex& index = model.fit_index(cluster);
  if (query.impossible || index.plain_nodes == 0) return 0;
  const bool use_cpu = query.cpu_millis > 0;
  const bool use_memory = query.memory_bytes > 0;
  if ((use_cpu && index.max_cpu_millis < static_cast<double>(query.cpu_millis)) ||
      (use_memory && index.max_memory_bytes < static_cast<double>(query.memory_bytes))) {
    return 0;
  }
  double high;
  if (use_cpu && use_memory) {
    const BucketSum& low_sum = model.bucket_sum(query.ratio_bucket, cluster);
    const BucketSum& high_sum = model.bucket_sum(query.ratio_bucket + 1, cluster);
    const double below = low_sum.cpu_millis * query.inverse_cpu;
    const double above = (index.plain_memory_bytes - high_sum.memory_bytes) * query.inverse_memory;
    const double inside_cpu = (high_sum.cpu_millis - low_sum.cpu_millis) * query.inverse_cpu;
    const double inside_memory =
        (high_sum.memory_bytes - low_sum.memory_bytes) * query.inverse_memory;
    high = below + above + std::min(inside_cpu, inside_memory);
  } else if (use_cpu) {
    high = index.plain_cpu_millis * query.inverse_cpu;
  } else if (use_memory) {
    high = index.plain_memory_bytes * query.inverse_memory;
  } else {
    high = std::numeric_limits<double>::infinity();
  }
  high = std::min(high, index.plain_pods * query.inverse_pods);
  return FloorOfProduct(high * (1.0 + 1e-9), 1.0);
}

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_SRC_FIT_BOUNDS_H_
