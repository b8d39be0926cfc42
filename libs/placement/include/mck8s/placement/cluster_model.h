// -----------------------------------------------------------------------------
// File: mck8s/placement/cluster_model.h
// -----------------------------------------------------------------------------
//
// The fleet as the placement engine sees it: one immutable, numbered snapshot
// of every member cluster (identity, health, nodes with their free room,
// workloads, traffic) and of the round-trip times between clusters. Decisions
// are taken on a snapshot and name its revision, so "why did this happen" can
// be answered against the exact figures that were seen.
//
// Build it once per feed revision with ClusterModel::Create and share it
// (std::shared_ptr<const ClusterModel>) between every decision taken on that
// revision. Create does the work decisions must not repeat: it sorts clusters
// and nodes by name, indexes names, sorts each cluster's neighbours by RTT and
// lays the free room of every node out in flat columns, with per-cluster
// totals and the Pareto front of node sizes, so that "how many replicas fit
// here" is a short loop and "can anything fit here" a few comparisons.
//
// Fit is always per node: a replica needs one node with room for all of its
// requests, so cluster totals are used only as upper bounds, never as answers.
//
// Units: CPU in millicores, memory in bytes, pods as a count (see
// mck8s/k8stypes/resources.h). Node figures above kMaxNodeAmount (2^48) are
// clamped to it: no node has 256 TiB free, and the bound keeps the engine's
// floating-point division exact.
//
// Usage:
//
//   std::vector<Cluster> clusters = ...;   // from the cluster-state feed
//   std::vector<RttEntry> rtt = {{"rennes", "nantes", 2.16}, ...};
//   MCK8S_ASSIGN_OR_RETURN(std::shared_ptr<const ClusterModel> model,
//                          ClusterModel::Create(revision, std::move(clusters), rtt));
//   std::optional<ClusterIndex> rennes = model->Find("rennes");
//   for (const Neighbour& n : model->NeighboursByRtt(*rennes)) { ... }
//
// Thread safety: a ClusterModel is immutable after Create; share it freely.

#ifndef MCK8S_PLACEMENT_CLUSTER_MODEL_H_
#define MCK8S_PLACEMENT_CLUSTER_MODEL_H_

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "mck8s/k8stypes/resources.h"
#include "mck8s/placement/taints.h"

namespace mck8s::placement {

using Labels = std::map<std::string, std::string, std::less<>>;
using k8stypes::Resources;

// Position of a cluster in a ClusterModel (clusters sorted by name).
using ClusterIndex = int32_t;

inline constexpr int64_t kMaxNodeAmount = int64_t{1} << 48;
// Free pod slots above this count as this many (no node runs a billion pods),
// so that per-node replica counts fit an int32 in the fit kernel.
inline constexpr int64_t kMaxNodePods = int64_t{1} << 30;

enum class WorkloadKind { kMultiClusterDeployment, kMultiClusterJob };

// Names one multi-cluster workload (an MCD or an MCJ).
struct WorkloadKey {
  WorkloadKind kind = WorkloadKind::kMultiClusterDeployment;
  std::string ns;
  std::string name;

  // "mcd default/web" or "mcj batch/report".
  std::string String() const;

  friend bool operator==(const WorkloadKey&, const WorkloadKey&) = default;
  friend std::strong_ordering operator<=>(const WorkloadKey&, const WorkloadKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const WorkloadKey& key) {
    return H::combine(std::move(h), key.kind, key.ns, key.name);
  }
  friend std::ostream& operator<<(std::ostream& os, const WorkloadKey& key) {
    return os << key.String();
  }
};

enum class ClusterKind { kFog, kCloud };

enum class Health {
  kReady,        // every source fresh
  kDegraded,     // capacity current, some other source stale
  kUnreachable,  // API server silent past the failure threshold
  kUnknown,      // never contacted
};

std::string_view HealthName(Health health);

struct Node {
  std::string name;
  Resources allocatable;
  // Allocatable minus the requests of non-terminal pods on the node: the room
  // one more replica must fit in. free.pods is the number of free pod slots.
  Resources free;
  // Ready and not cordoned.
  bool schedulable = true;
  // Carries a control-plane role label. Informational: whether workloads may
  // run there is decided by the node's taints, as in Kubernetes.
  bool control_plane = false;
  Labels labels;
  std::vector<Taint> taints;
};

// One mck8s workload as seen on one member cluster.
struct WorkloadStats {
  WorkloadKey workload;
  int32_t desired_replicas = 0;
  int32_t ready_replicas = 0;
  std::optional<Resources> usage;
  std::optional<double> receive_bytes_per_second;
};

struct Cluster {
  std::string name;
  std::string region;
  std::string zone;
  std::string provider;
  Labels labels;
  std::vector<Taint> taints;
  // From the MemberCluster's explicit field, never guessed from the name.
  ClusterKind kind = ClusterKind::kFog;
  Health health = Health::kReady;
  std::string health_reason;
  std::vector<Node> nodes;
  std::vector<WorkloadStats> workloads;
  // Bytes per second received by the cluster's nodes; nullopt when unknown.
  std::optional<double> receive_bytes_per_second;
};

// A measured or configured round-trip time; directed.
struct RttEntry {
  std::string from_cluster;
  std::string to_cluster;
  double rtt_ms = 0;
};

struct Neighbour {
  ClusterIndex cluster = 0;
  double rtt_ms = 0;
};

// Free room of nodes laid out column by column, as doubles (exact: every
// amount is below 2^53). Index i of each column is the same node.
struct NodeColumns {
  std::vector<double> cpu_millis;
  std::vector<double> memory_bytes;
  std::vector<double> pods;
  // Index of the node in its Cluster::nodes.
  std::vector<int32_t> node;
};

// Buckets of CPU-to-memory ratio (millicores per GiB) that bound the
// replicas a cluster can hold in O(1): bucket 0 holds ratios below 1, bucket
// b in [1, kRatioBuckets - 2] the ratios in [2^((b-1)/4), 2^(b/4)), the last
// one everything above (and nodes without memory). See fit.h.
inline constexpr int kRatioBuckets = 64;

// What Create precomputes per cluster for bounding the replicas it can hold;
// read for every cluster of every decision, so kept small (one cache line).
struct alignas(64) ClusterFitIndex {
  // Totals over the "plain" nodes: schedulable nodes with no NoSchedule or
  // NoExecute taint, i.e. the nodes any replica without node selector or
  // tolerations may use.
  double plain_cpu_millis = 0;
  double plain_memory_bytes = 0;
  double plain_pods = 0;
  // Largest free CPU and memory, and smallest free pod count, among them.
  double max_cpu_millis = 0;
  double max_memory_bytes = 0;
  double min_pods = 0;
  uint32_t plain_nodes = 0;
  // Some schedulable node carries a NoSchedule/NoExecute taint.
  bool has_tainted_nodes = false;
};

// Where a cluster's nodes sit in the model's flat arrays, and totals for
// replicas that may use tainted nodes.
struct ClusterNodeRanges {
  // Range of the plain nodes in ClusterModel::plain_columns().
  uint32_t plain_begin = 0;
  uint32_t plain_end = 0;
  // Range in ClusterModel::fronts() of the Pareto front of the plain nodes
  // with a free pod slot: (cpu, memory) pairs no other such node dominates,
  // sorted by CPU descending (so memory ascending). A replica of one pod fits
  // some plain node exactly when it fits some point of the front.
  uint32_t front_begin = 0;
  uint32_t front_end = 0;
  // Totals over every schedulable node (plain or tainted): an upper bound for
  // any replica, whatever it tolerates or selects.
  double schedulable_cpu_millis = 0;
  double schedulable_memory_bytes = 0;
  double schedulable_pods = 0;
};

// Free CPU and memory of a cluster's plain nodes whose ratio bucket is below
// a given bucket (a prefix sum over buckets).
struct BucketSum {
  double cpu_millis = 0;
  double memory_bytes = 0;
};

struct FrontPoint {
  double cpu_millis = 0;
  double memory_bytes = 0;
};

// A validated cluster with its nodes and workloads sorted by name: the
// part of a model that depends on one cluster alone. Immutable and shared,
// so that successive models reuse the clusters that did not change (a feed
// delta names a few clusters out of a thousand).
class PreparedCluster {
 public:
  // Validates `cluster` and sorts its nodes and workloads. InvalidArgument
  // naming the element as `clusters[position]...` (the same checks and
  // messages as ClusterModel::Create).
  static absl::StatusOr<PreparedCluster> Prepare(Cluster cluster, size_t position);

  const Cluster& get() const { return *cluster_; }
  const std::string& name() const { return cluster_->name; }

 private:
  friend class ClusterModel;
  explicit PreparedCluster(std::shared_ptr<const Cluster> cluster) : cluster_(std::move(cluster)) {}

  std::shared_ptr<const Cluster> cluster_;
};

class ClusterModel {
 public:
  // Validates and indexes a snapshot. `clusters` may come in any order; they
  // are sorted by name (so are each cluster's nodes and workloads). RTT
  // entries naming a cluster absent from `clusters` are dropped (a filtered
  // feed sends entries with one end outside the filter).
  //
  // InvalidArgument naming the element (`clusters[2].nodes[0].name: ...`,
  // `rtt[4].rtt_ms: ...`) for: an empty or repeated cluster, node or workload
  // name; negative resources; an invalid taint; a negative or non-finite
  // traffic figure or RTT; an RTT from a cluster to itself; a repeated RTT
  // pair.
  static absl::StatusOr<std::shared_ptr<const ClusterModel>> Create(uint64_t revision,
                                                                    std::vector<Cluster> clusters,
                                                                    std::span<const RttEntry> rtt);

  // As Create, from clusters prepared earlier (and possibly shared with
  // other models). Clusters are indexed in name order whatever the order of
  // `clusters`; a repeated name is InvalidArgument naming its position.
  static absl::StatusOr<std::shared_ptr<const ClusterModel>> CreateFromPrepared(
      uint64_t revision, std::vector<PreparedCluster> clusters, std::span<const RttEntry> rtt);

  ClusterModel(const ClusterModel&) = delete;
  ClusterModel& operator=(const ClusterModel&) = delete;

  uint64_t revision() const { return revision_; }
  // Clusters are numbered 0 to size() - 1 in name order.
  const Cluster& cluster(ClusterIndex index) const { return clusters_[index].get(); }
  ClusterIndex size() const { return static_cast<ClusterIndex>(clusters_.size()); }

  std::optional<ClusterIndex> Find(std::string_view name) const;

  // The RTT from `from` to `to`; nullopt when unknown (never 0 for "unknown").
  std::optional<double> Rtt(ClusterIndex from, ClusterIndex to) const;
  // Clusters with a known RTT from `from`, nearest first (ties by name).
  std::span<const Neighbour> NeighboursByRtt(ClusterIndex from) const;

  // The stats of `workload` on cluster `index`, or nullptr.
  const WorkloadStats* FindWorkload(ClusterIndex index, const WorkloadKey& workload) const;

  // Index of node `name` in cluster(index).nodes, or nullopt.
  std::optional<int32_t> FindNode(ClusterIndex index, std::string_view name) const;

  // Compact copies of Cluster::kind and Cluster::health: read for every
  // cluster of every decision, so kept out of the large Cluster records.
  ClusterKind kind(ClusterIndex index) const { return kinds_[index]; }
  Health health(ClusterIndex index) const { return healths_[index]; }
  // Cluster::receive_bytes_per_second, or -1 when unknown.
  double receive_rate(ClusterIndex index) const { return receive_rates_[index]; }

  // Fit precomputation (see fit.h).
  const ClusterFitIndex& fit_index(ClusterIndex index) const { return fit_[index]; }
  const ClusterNodeRanges& node_ranges(ClusterIndex index) const { return ranges_[index]; }
  const NodeColumns& plain_columns() const { return plain_; }
  std::span<const FrontPoint> fronts() const { return fronts_; }
  // Prefix sums over ratio buckets: the plain nodes of `index` in buckets
  // below `bucket` (0 to kRatioBuckets). Stored bucket-major, so that one
  // decision, which reads one or two buckets for every cluster, reads them
  // in sequence.
  const BucketSum& bucket_sum(int bucket, ClusterIndex index) const {
    return bucket_sums_[static_cast<size_t>(bucket) * clusters_.size() + index];
  }

  // Fleet-wide facts that let filters and scorers skip work.
  bool any_cluster_taints() const { return any_cluster_taints_; }
  bool any_cloud() const { return any_cloud_; }
  // Some cluster is Unreachable or Unknown.
  bool any_unhealthy() const { return any_unhealthy_; }

 private:
  ClusterModel() = default;

  uint64_t revision_ = 0;
  std::vector<PreparedCluster> clusters_;
  absl::flat_hash_map<std::string, ClusterIndex> index_by_name_;
  // Per cluster i: neighbours in [rtt_offsets_[i], rtt_offsets_[i+1]) of
  // rtt_by_distance_ (nearest first) and of rtt_by_index_ (by cluster index).
  std::vector<uint32_t> rtt_offsets_;
  std::vector<Neighbour> rtt_by_distance_;
  std::vector<Neighbour> rtt_by_index_;
  std::vector<ClusterKind> kinds_;
  std::vector<Health> healths_;
  std::vector<double> receive_rates_;
  std::vector<ClusterFitIndex> fit_;
  std::vector<ClusterNodeRanges> ranges_;
  NodeColumns plain_;
  std::vector<FrontPoint> fronts_;
  std::vector<BucketSum> bucket_sums_;
  bool any_cluster_taints_ = false;
  bool any_cloud_ = false;
  bool any_unhealthy_ = false;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_CLUSTER_MODEL_H_
