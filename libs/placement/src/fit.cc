#include "mck8s/placement/fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define MCK8S_PLACEMENT_AVX2 1
#endif

#include "fit_bounds.h"
#include "mck8s/placement/request.h"

namespace mck8s::placement {
namespace {

// 1 / divisor, nudged up by 2^-50 so that a * result never falls below a /
// divisor (see fit.h).
double InverseRoundedUp(int64_t divisor) {
  return (1.0 / static_cast<double>(divisor)) * (1.0 + 0x1p-50);
}

// Replicas of one plain node: the fewest over the requested dimensions and
// the pod slots (exact, see fit.h; ClusterModel caps pods at kMaxNodePods so
// the count fits an int32).
template <bool kCpu, bool kMemory, bool kPods>
inline double NodeReplicasPlain(double cpu, double memory, double pods, const FitQuery& query) {
  double replicas = kPods ? pods * query.inverse_pods : pods;
  if constexpr (kCpu) replicas = std::min(replicas, cpu * query.inverse_cpu);
  if constexpr (kMemory) replicas = std::min(replicas, memory * query.inverse_memory);
  return replicas;
}

#if defined(MCK8S_PLACEMENT_AVX2)
// Four nodes at a time, on CPUs that have AVX2 (chosen at run time).
template <bool kCpu, bool kMemory, bool kPods>
__attribute__((target("avx2"))) int64_t PlainFitKernelAvx2(const double* cpu, const double* memory,
                                                           const double* pods, uint32_t begin,
                                                           uint32_t end, const FitQuery& query,
                                                           int64_t limit) {
  const __m256d inverse_cpu = _mm256_set1_pd(query.inverse_cpu);
  const __m256d inverse_memory = _mm256_set1_pd(query.inverse_memory);
  const __m256d inverse_pods = _mm256_set1_pd(query.inverse_pods);
  __m256d sum = _mm256_setzero_pd();
  uint32_t i = begin;
  for (; i + 4 <= end; i += 4) {
    __m256d replicas = _mm256_loadu_pd(pods + i);
    if constexpr (kPods) replicas = _mm256_mul_pd(replicas, inverse_pods);
    if constexpr (kCpu) {
      replicas = _mm256_min_pd(replicas, _mm256_mul_pd(_mm256_loadu_pd(cpu + i), inverse_cpu));
    }
    if constexpr (kMemory) {
      replicas =
          _mm256_min_pd(replicas, _mm256_mul_pd(_mm256_loadu_pd(memory + i), inverse_memory));
    }
    sum = _mm256_add_pd(sum, _mm256_cvtepi32_pd(_mm256_cvttpd_epi32(replicas)));
    if (((i - begin) & 12) == 12) {  // every 16 nodes: stop once past the limit
      const __m128d pair = _mm_add_pd(_mm256_castpd256_pd128(sum), _mm256_extractf128_pd(sum, 1));
      const double partial = _mm_cvtsd_f64(_mm_add_sd(pair, _mm_unpackhi_pd(pair, pair)));
      if (partial > static_cast<double>(limit)) return static_cast<int64_t>(partial);
    }
  }
  double lanes[4];
  _mm256_storeu_pd(lanes, sum);
  int64_t total = static_cast<int64_t>(lanes[0]) + static_cast<int64_t>(lanes[1]) +
                  static_cast<int64_t>(lanes[2]) + static_cast<int64_t>(lanes[3]);
  for (; i < end; ++i) {
    total += static_cast<int64_t>(
        NodeReplicasPlain<kCpu, kMemory, kPods>(cpu[i], memory[i], pods[i], query));
  }
  return total;
}

bool HasAvx2() {
  static const bool has_avx2 = __builtin_cpu_supports("avx2");
  return has_avx2;
}
#endif

template <bool kCpu, bool kMemory, bool kPods>
int64_t PlainFitKernel(const double* cpu, const double* memory, const double* pods, uint32_t begin,
                       uint32_t end, const FitQuery& query, int64_t limit) {
#if defined(MCK8S_PLACEMENT_AVX2)
  if (HasAvx2()) {
    return PlainFitKernelAvx2<kCpu, kMemory, kPods>(cpu, memory, pods, begin, end, query, limit);
  }
#endif
  int64_t total = 0;
  uint32_t i = begin;
#if defined(__SSE2__)
  // Two nodes at a time; truncation to int32 and back is exact for counts
  // below kMaxNodePods, and sums of such integers are exact in doubles.
  const __m128d inverse_cpu = _mm_set1_pd(query.inverse_cpu);
  const __m128d inverse_memory = _mm_set1_pd(query.inverse_memory);
  const __m128d inverse_pods = _mm_set1_pd(query.inverse_pods);
  __m128d sum = _mm_setzero_pd();
  for (; i + 2 <= end; i += 2) {
    __m128d replicas = _mm_loadu_pd(pods + i);
    if constexpr (kPods) replicas = _mm_mul_pd(replicas, inverse_pods);
    if constexpr (kCpu) {
      replicas = _mm_min_pd(replicas, _mm_mul_pd(_mm_loadu_pd(cpu + i), inverse_cpu));
    }
    if constexpr (kMemory) {
      replicas = _mm_min_pd(replicas, _mm_mul_pd(_mm_loadu_pd(memory + i), inverse_memory));
    }
    sum = _mm_add_pd(sum, _mm_cvtepi32_pd(_mm_cvttpd_epi32(replicas)));
    if (((i - begin) & 14) == 14) {  // every 16 nodes: stop once past the limit
      const double partial = _mm_cvtsd_f64(_mm_add_sd(sum, _mm_unpackhi_pd(sum, sum)));
      if (partial > static_cast<double>(limit)) return static_cast<int64_t>(partial);
    }
  }
  double lanes[2];
  _mm_storeu_pd(lanes, sum);
  total = static_cast<int64_t>(lanes[0]) + static_cast<int64_t>(lanes[1]);
#endif
  for (; i < end; ++i) {
    total += static_cast<int64_t>(
        NodeReplicasPlain<kCpu, kMemory, kPods>(cpu[i], memory[i], pods[i], query));
  }
  return total;
}

bool Deducted(std::span<const NodeDeduction> deductions, int32_t node, const Resources** amount) {
  auto it = std::lower_bound(
      deductions.begin(), deductions.end(), node,
      [](const NodeDeduction& deduction, int32_t n) { return deduction.node < n; });
  if (it == deductions.end() || it->node != node) return false;
  *amount = &it->amount;
  return true;
}

}  // namespace

FitQuery FitQuery::Prepare(const ReplicaRequirements& requirements) {
  const Resources& requests = requirements.requests;
  FitQuery query;
  query.cpu_millis = requests.cpu_millis;
  query.memory_bytes = requests.memory_bytes;
  query.pods_per_replica = std::max<int64_t>(requests.pods, 1);
  query.impossible = requests.cpu_millis >= kMaxNodeAmount ||
                     requests.memory_bytes >= kMaxNodeAmount ||
                     query.pods_per_replica >= kMaxNodeAmount;
  if (requests.cpu_millis > 0) query.inverse_cpu = InverseRoundedUp(requests.cpu_millis);
  if (requests.memory_bytes > 0) {
    query.inverse_memory = InverseRoundedUp(requests.memory_bytes);
  }
  query.inverse_pods = query.pods_per_replica == 1 ? 1.0 : InverseRoundedUp(query.pods_per_replica);
  query.plain = requirements.node_selector.empty() && requests.extended.empty();
  if (requests.cpu_millis > 0 && requests.memory_bytes > 0) {
    query.ratio_bucket = RatioBucket(static_cast<double>(requests.cpu_millis),
                                     static_cast<double>(requests.memory_bytes));
    if (query.ratio_bucket > 0 && query.ratio_bucket < kRatioBuckets - 1) {
      // Slightly below 2^(-1/4), so that rounding at bucket edges never
      // makes the lower bound too high.
      query.bucket_factor = 0.8408964152537145 * (1.0 - 1e-9);
    }
  }
  query.has_tolerations = !requirements.node_tolerations.empty();
  return query;
}

int RatioBucket(double cpu_millis, double memory_bytes) {
  if (memory_bytes <= 0) return kRatioBuckets - 1;
  const double ratio = cpu_millis / (memory_bytes / 1073741824.0);
  if (!(ratio >= 1.0)) return 0;
  const double bucket = 1.0 + std::floor(4.0 * std::log2(ratio));
  return bucket >= kRatioBuckets - 1 ? kRatioBuckets - 1 : static_cast<int>(bucket);
}

FitBounds PlainFitBounds(const ClusterModel& model, ClusterIndex cluster, const FitQuery& query,
                         bool want_lower) {
  const ClusterFitIndex& index = model.fit_index(cluster);
  if (query.impossible || index.plain_nodes == 0) return {0, 0};
  const bool use_cpu = query.cpu_millis > 0;
  const bool use_memory = query.memory_bytes > 0;
  // No node has enough of one dimension: nothing fits.
  if ((use_cpu && index.max_cpu_millis < static_cast<double>(query.cpu_millis)) ||
      (use_memory && index.max_memory_bytes < static_cast<double>(query.memory_bytes))) {
    return {0, 0};
  }
  double low;
  double high;
  double largest_node;  // an upper bound of any node's replicas, pods aside
  if (use_cpu && use_memory) {
    const BucketShares shares = SharesByBucket(model, cluster, index, query);
    high = shares.below_and_above + std::min(shares.inside_cpu, shares.inside_memory);
    low = shares.below_and_above +
          query.bucket_factor * std::max(shares.inside_cpu, shares.inside_memory);
    largest_node = std::min(index.max_cpu_millis * query.inverse_cpu,
                            index.max_memory_bytes * query.inverse_memory);
  } else if (use_cpu) {
    high = low = index.plain_cpu_millis * query.inverse_cpu;
    largest_node = index.max_cpu_millis * query.inverse_cpu;
  } else if (use_memory) {
    high = low = index.plain_memory_bytes * query.inverse_memory;
    largest_node = index.max_memory_bytes * query.inverse_memory;
  } else {
    high = low = largest_node = std::numeric_limits<double>::infinity();
  }
  const double pods = index.plain_pods * query.inverse_pods;
  high = std::min(high, pods);
  if (!want_lower) return {0, FloorOfProduct(high * (1.0 + 1e-9), 1.0)};
  // Floors lose less than one replica per node; pod slots may cut deeper
  // unless even the largest node's share stays below every node's slots.
  const double slots = index.min_pods * query.inverse_pods;
  if (largest_node <= slots) {
    low = std::min(low, pods) - static_cast<double>(index.plain_nodes);
  } else {
    low = 0;
  }
  FitBounds bounds;
  bounds.upper = FloorOfProduct(high * (1.0 + 1e-9), 1.0);
  bounds.lower = low <= 0 ? 0 : static_cast<int64_t>(std::ceil(low * (1.0 - 1e-9)));
  bounds.lower = std::min(bounds.lower, bounds.upper);
  return bounds;
}

int64_t PlainFit(const ClusterModel& model, ClusterIndex cluster, const FitQuery& query,
                 int64_t limit) {
  if (query.impossible) return 0;
  const ClusterNodeRanges& index = model.node_ranges(cluster);
  const NodeColumns& columns = model.plain_columns();
  const double* cpu = columns.cpu_millis.data();
  const double* memory = columns.memory_bytes.data();
  const double* pods = columns.pods.data();
  const bool use_cpu = query.cpu_millis > 0;
  const bool use_memory = query.memory_bytes > 0;
  const bool use_pods = query.pods_per_replica > 1;
  const uint32_t b = index.plain_begin;
  const uint32_t e = index.plain_end;
  if (use_pods) {
    if (use_cpu && use_memory)
      return PlainFitKernel<true, true, true>(cpu, memory, pods, b, e, query, limit);
    if (use_cpu) return PlainFitKernel<true, false, true>(cpu, memory, pods, b, e, query, limit);
    if (use_memory) return PlainFitKernel<false, true, true>(cpu, memory, pods, b, e, query, limit);
    return PlainFitKernel<false, false, true>(cpu, memory, pods, b, e, query, limit);
  }
  if (use_cpu && use_memory)
    return PlainFitKernel<true, true, false>(cpu, memory, pods, b, e, query, limit);
  if (use_cpu) return PlainFitKernel<true, false, false>(cpu, memory, pods, b, e, query, limit);
  if (use_memory) return PlainFitKernel<false, true, false>(cpu, memory, pods, b, e, query, limit);
  return PlainFitKernel<false, false, false>(cpu, memory, pods, b, e, query, limit);
}

int64_t PlainFitWithDeductions(const ClusterModel& model, ClusterIndex cluster,
                               const FitQuery& query, std::span<const NodeDeduction> deductions) {
  if (query.impossible) return 0;
  const ClusterNodeRanges& index = model.node_ranges(cluster);
  const NodeColumns& columns = model.plain_columns();
  int64_t total = 0;
  size_t d = 0;
  for (uint32_t i = index.plain_begin; i < index.plain_end; ++i) {
    double cpu = columns.cpu_millis[i];
    double memory = columns.memory_bytes[i];
    double pods = columns.pods[i];
    const int32_t node = columns.node[i];
    while (d < deductions.size() && deductions[d].node < node) ++d;
    if (d < deductions.size() && deductions[d].node == node) {
      const Resources& taken = deductions[d].amount;
      cpu = std::max(0.0, cpu - static_cast<double>(taken.cpu_millis));
      memory = std::max(0.0, memory - static_cast<double>(taken.memory_bytes));
      pods = std::max(0.0, pods - static_cast<double>(taken.pods));
    }
    double replicas = query.pods_per_replica > 1 ? pods * query.inverse_pods : pods;
    if (query.cpu_millis > 0) replicas = std::min(replicas, cpu * query.inverse_cpu);
    if (query.memory_bytes > 0) replicas = std::min(replicas, memory * query.inverse_memory);
    total += static_cast<int64_t>(replicas);
  }
  return total;
}

void PlainFitPerNode(const ClusterModel& model, ClusterIndex cluster, const FitQuery& query,
                     std::vector<std::pair<int32_t, int64_t>>& out) {
  out.clear();
  if (query.impossible) return;
  const ClusterNodeRanges& index = model.node_ranges(cluster);
  const NodeColumns& columns = model.plain_columns();
  for (uint32_t i = index.plain_begin; i < index.plain_end; ++i) {
    double replicas =
        query.pods_per_replica > 1 ? columns.pods[i] * query.inverse_pods : columns.pods[i];
    if (query.cpu_millis > 0)
      replicas = std::min(replicas, columns.cpu_millis[i] * query.inverse_cpu);
    if (query.memory_bytes > 0) {
      replicas = std::min(replicas, columns.memory_bytes[i] * query.inverse_memory);
    }
    const int64_t whole = static_cast<int64_t>(replicas);
    if (whole > 0) out.emplace_back(columns.node[i], whole);
  }
}

bool PlainFitsOne(const ClusterModel& model, ClusterIndex cluster, const FitQuery& query) {
  if (query.impossible) return false;
  const ClusterNodeRanges& index = model.node_ranges(cluster);
  const std::span<const FrontPoint> fronts = model.fronts();
  const double cpu = static_cast<double>(query.cpu_millis);
  const double memory = static_cast<double>(query.memory_bytes);
  // CPU descends along the front and memory ascends: the last point with
  // enough CPU has the most memory among those with enough CPU.
  double best_memory = -1;
  for (uint32_t i = index.front_begin; i < index.front_end; ++i) {
    if (fronts[i].cpu_millis < cpu) break;
    best_memory = fronts[i].memory_bytes;
  }
  return best_memory >= 0 && best_memory >= memory;
}

int64_t FitUpperBound(const ClusterModel& model, ClusterIndex cluster, const FitQuery& query,
                      bool plain_nodes_only) {
  if (query.impossible) return 0;
  const ClusterFitIndex& fit = model.fit_index(cluster);
  const ClusterNodeRanges& index = model.node_ranges(cluster);
  const double cpu = plain_nodes_only ? fit.plain_cpu_millis : index.schedulable_cpu_millis;
  const double memory = plain_nodes_only ? fit.plain_memory_bytes : index.schedulable_memory_bytes;
  const double pods = plain_nodes_only ? fit.plain_pods : index.schedulable_pods;
  // Sums may exceed 2^53 and round; one more replica absorbs that.
  int64_t bound = FloorOfProduct(pods, query.inverse_pods) + 1;
  if (query.cpu_millis > 0) bound = std::min(bound, FloorOfProduct(cpu, query.inverse_cpu) + 1);
  if (query.memory_bytes > 0) {
    bound = std::min(bound, FloorOfProduct(memory, query.inverse_memory) + 1);
  }
  return bound;
}

bool NodeAccepts(const Node& node, const ReplicaRequirements& requirements) {
  if (!node.schedulable) return false;
  for (const auto& [key, value] : requirements.node_selector) {
    auto it = node.labels.find(key);
    if (it == node.labels.end() || it->second != value) return false;
  }
  const TaintVerdict verdict = JudgeTaints(requirements.node_tolerations, node.taints).verdict;
  return verdict != TaintVerdict::kNoNew && verdict != TaintVerdict::kEvict;
}

int64_t NodeReplicas(const Node& node, const ReplicaRequirements& requirements,
                     const Resources* deduction) {
  if (!NodeAccepts(node, requirements)) return 0;
  const int64_t replicas =
      deduction == nullptr
          ? k8stypes::ReplicasThatFit(node.free, requirements.requests)
          : k8stypes::ReplicasThatFit(node.free - *deduction, requirements.requests);
  // As the plain path, which caps free pod slots at kMaxNodePods.
  return std::min(replicas, kMaxNodePods / std::max<int64_t>(requirements.requests.pods, 1));
}

int64_t NodePathFit(const ClusterModel& model, ClusterIndex cluster,
                    const ReplicaRequirements& requirements,
                    std::span<const NodeDeduction> deductions) {
  const std::vector<Node>& nodes = model.cluster(cluster).nodes;
  int64_t total = 0;
  for (size_t n = 0; n < nodes.size(); ++n) {
    const Resources* deduction = nullptr;
    Deducted(deductions, static_cast<int32_t>(n), &deduction);
    total += NodeReplicas(nodes[n], requirements, deduction);
  }
  return total;
}

void FitPerNode(const ClusterModel& model, ClusterIndex cluster,
                const ReplicaRequirements& requirements, std::span<const NodeDeduction> deductions,
                std::vector<int64_t>& out) {
  const std::vector<Node>& nodes = model.cluster(cluster).nodes;
  out.resize(nodes.size());
  for (size_t n = 0; n < nodes.size(); ++n) {
    const Resources* deduction = nullptr;
    Deducted(deductions, static_cast<int32_t>(n), &deduction);
    out[n] = NodeReplicas(nodes[n], requirements, deduction);
  }
}

}  // namespace mck8s::placement
