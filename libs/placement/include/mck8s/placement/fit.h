// -----------------------------------------------------------------------------
// File: mck8s/placement/fit.h
// -----------------------------------------------------------------------------
//
// How many replicas fit on a cluster, node by node: the sum over its
// schedulable nodes of the replicas each node can hold on its own (a replica
// needs one node with room for all of its requests; cluster totals never
// decide). A node may host a replica when it is schedulable, carries every
// label of the replica's node selector and has no NoSchedule/NoExecute taint
// the replica does not tolerate; it then holds
// k8stypes::ReplicasThatFit(node free room, per-replica requests).
//
// Two paths compute the same number:
//
//  - the plain path, for replicas with no node selector and no extended
//    resources on clusters where tolerations change nothing: a loop over the
//    flat columns ClusterModel precomputed (a multiply and a min per node and
//    dimension, no allocation), plus O(1) bounds (below) and a Pareto front
//    check for "does any node fit one";
//  - the node path, for everything else (node selectors, tolerations of
//    tainted nodes, extended resources, capacity reserved by earlier
//    decisions): node by node with the full rules.
//
// Bounds in O(1). Without floors, a cluster holds S = sum over nodes of
// min(cpu_i / c, mem_i / m) replicas; a node whose CPU-to-memory ratio is
// below the replica's is CPU-bound, above it memory-bound. ClusterModel sums
// free CPU and memory per ratio bucket (kRatioBuckets); nodes in buckets
// below the replica's count their CPU, above it their memory, and nodes in
// the replica's own bucket between f * max and min of the two, where f =
// 2^(-1/4) is the bucket's width. That brackets S; the exact answer is at
// most floor(S) and, floors losing less than one replica per node, at least
// S minus the node count (when pod slots do not bind). Decisions rank
// thousands of clusters on these bounds and compute exact fits only for the
// few that may come first.
//
// The plain path divides by multiplying with a reciprocal rounded upwards by
// 2^-50, which is exact (floor(a / b)) for every a below 2^48: the estimate is
// never below a / b and stays below floor(a / b) + 1. ClusterModel clamps node
// amounts to 2^48 for that reason.
//
// Usage:
//
//   FitQuery query = FitQuery::Prepare(requirements);
//   if (query.CanUsePlainPath(model.fit_index(c))) {
//     int64_t replicas = PlainFit(model, c, query);
//   } else {
//     int64_t replicas = NodePathFit(model, c, requirements, deductions);
//   }
//
// Pure functions; safe from any thread.

#ifndef MCK8S_PLACEMENT_FIT_H_
#define MCK8S_PLACEMENT_FIT_H_

#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "mck8s/placement/cluster_model.h"

namespace mck8s::placement {

struct ReplicaRequirements;

// Amounts to take off one node's free room (capacity reserved by decisions
// the feed does not show yet).
struct NodeDeduction {
  int32_t node = 0;  // index in Cluster::nodes
  Resources amount;
};

// A replica's requests, prepared once per decision for the plain path.
struct FitQuery {
  int64_t cpu_millis = 0;
  int64_t memory_bytes = 0;
  int64_t pods_per_replica = 1;
  // Reciprocals rounded up (see the file comment); 0 for a dimension the
  // replica does not request.
  double inverse_cpu = 0;
  double inverse_memory = 0;
  double inverse_pods = 1;
  // No node selector and no extended resources.
  bool plain = false;
  // The replica tolerates some node taint, so tainted nodes may count.
  bool has_tolerations = false;
  // Some request exceeds kMaxNodeAmount: no node can hold it.
  bool impossible = false;
  // The replica's ratio bucket and its width factor (0 for the open-ended
  // first and last buckets); meaningful when it requests CPU and memory.
  int ratio_bucket = 0;
  double bucket_factor = 0;

  static FitQuery Prepare(const ReplicaRequirements& requirements);

  // Whether the plain path gives the exact answer on a cluster with this
  // index (deductions aside: the caller checks those).
  bool CanUsePlainPath(const ClusterFitIndex& index) const {
    return plain && !(has_tolerations && index.has_tainted_nodes);
  }
};

// The ratio bucket of `cpu_millis` per GiB of `memory_bytes` (see
// kRatioBuckets); monotone in the ratio.
int RatioBucket(double cpu_millis, double memory_bytes);

struct FitBounds {
  int64_t lower = 0;
  int64_t upper = 0;
};

// Bounds of PlainFit in O(1) (see the file comment); `want_lower` false skips
// the lower bound (left 0), which most rankings do not need.
FitBounds PlainFitBounds(const ClusterModel& model, ClusterIndex cluster, const FitQuery& query,
                         bool want_lower = true);

// Exact replicas on the plain nodes of `cluster`; with a `limit`, the exact
// count when it is at most `limit`, else some count above `limit` (a lower
// bound: the scan stops early, which is all a decision looking for the
// clusters with the least room needs).
int64_t PlainFit(const ClusterModel& model, ClusterIndex cluster, const FitQuery& query,
                 int64_t limit = std::numeric_limits<int64_t>::max());

// PlainFit after taking `deductions` (sorted by node) off the nodes' free
// room: reserved clusters keep the plain path's speed.
int64_t PlainFitWithDeductions(const ClusterModel& model, ClusterIndex cluster,
                               const FitQuery& query, std::span<const NodeDeduction> deductions);

// Replicas per plain node of `cluster`, as (node index in Cluster::nodes,
// replicas) pairs for the nodes that hold at least one, into `out`.
void PlainFitPerNode(const ClusterModel& model, ClusterIndex cluster, const FitQuery& query,
                     std::vector<std::pair<int32_t, int64_t>>& out);

// Whether some plain node of `cluster` can hold one replica (exact for
// pods_per_replica == 1; otherwise an optimistic answer, never a wrong "no").
bool PlainFitsOne(const ClusterModel& model, ClusterIndex cluster, const FitQuery& query);

// An upper bound of the replicas any replica shape with these requests can
// get on `cluster`, from totals: over plain nodes when `plain_nodes_only`,
// else over every schedulable node. Never below the exact answer.
int64_t FitUpperBound(const ClusterModel& model, ClusterIndex cluster, const FitQuery& query,
                      bool plain_nodes_only);

// Whether `node` may host a replica at all, room aside: schedulable, every
// node-selector label present, every NoSchedule/NoExecute taint tolerated.
bool NodeAccepts(const Node& node, const ReplicaRequirements& requirements);

// Replicas `node` can hold with the full rules; `deduction` (may be null) is
// taken off its free room first.
int64_t NodeReplicas(const Node& node, const ReplicaRequirements& requirements,
                     const Resources* deduction);

// Exact replicas on `cluster` with the full rules. `deductions` must be
// sorted by node.
int64_t NodePathFit(const ClusterModel& model, ClusterIndex cluster,
                    const ReplicaRequirements& requirements,
                    std::span<const NodeDeduction> deductions);

// Replicas per node of `cluster` (same rules as NodePathFit), into `out`
// (resized to the node count).
void FitPerNode(const ClusterModel& model, ClusterIndex cluster,
                const ReplicaRequirements& requirements, std::span<const NodeDeduction> deductions,
                std::vector<int64_t>& out);

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_FIT_H_
