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

// Replicas of a CPU-and-memory query the plain nodes hold by ratio bucket:
// nodes in buckets below the query's are bound by CPU, above it by memory,
// and the query's own bucket by either (see fit.h).
struct BucketShares {
  double below_and_above = 0;
  double inside_cpu = 0;
  double inside_memory = 0;
};

[[gnu::always_inline]] inline BucketShares SharesByBucket(const ClusterModel& model,
                                                          ClusterIndex cluster,
                                                          const ClusterFitIndex& index,
                                                          const FitQuery& query) {
  const BucketSum& low_sum = model.bucket_sum(query.ratio_bucket, cluster);
  const BucketSum& high_sum = model.bucket_sum(query.ratio_bucket + 1, cluster);
  BucketShares shares;
  shares.below_and_above =
      low_sum.cpu_millis * query.inverse_cpu +
      (index.plain_memory_bytes - high_sum.memory_bytes) * query.inverse_memory;
  shares.inside_cpu = (high_sum.cpu_millis - low_sum.cpu_millis) * query.inverse_cpu;
  shares.inside_memory = (high_sum.memory_bytes - low_sum.memory_bytes) * query.inverse_memory;
  return shares;
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
    const BucketShares shares = SharesByBucket(model, cluster, index, query);
    high = shares.below_and_above + std::min(shares.inside_cpu, shares.inside_memory);
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
