// -----------------------------------------------------------------------------
// File: mck8s/placement/request.h
// -----------------------------------------------------------------------------
//
// What callers ask the placement engine: place a workload's whole replica
// count with a policy (PlaceRequest), move replicas off one cluster
// (OffloadRequest), or add replicas near one cluster (BurstRequest). The
// fields mirror proto/mck8s/v1/scheduler.proto one to one, so a service
// converts without interpretation, and validation errors start with the proto
// path of the offending field (`replica.requests.cpu_millis: must not be
// negative`, `locations.clusters[2].cluster: repeated cluster "lille"`).
//
// Replica counts keep the original mck8s meaning: `spec.replicas` is per
// location, so ReplicasPerLocation{2} with number_of_locations 2 places 4
// replicas; Locations lists clusters with an explicit count each (an MCD's
// `locations` with `replicaOverrides`) and implies the cluster-affinity
// policy.
//
// Usage:
//
//   PlaceRequest request;
//   request.workload = {WorkloadKind::kMultiClusterDeployment, "default", "hello"};
//   request.replica.requests = {.cpu_millis = 1000, .memory_bytes = int64_t{1} << 30};
//   request.replica_count = ReplicasPerLocation{2};
//   request.number_of_locations = 2;
//   MCK8S_ASSIGN_OR_RETURN(request.policy, ParsePolicy("traffic-aware"));
//   MCK8S_RETURN_IF_ERROR(ValidatePlaceRequest(request));
//
// Plain values; pure functions, safe from any thread.

#ifndef MCK8S_PLACEMENT_REQUEST_H_
#define MCK8S_PLACEMENT_REQUEST_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mck8s/k8stypes/label_selector.h"
#include "mck8s/placement/cluster_model.h"
#include "mck8s/placement/taints.h"

namespace mck8s::placement {

enum class Policy { kClusterAffinity, kWorstFit, kBestFit, kTrafficAware, kSpread };

// Reads a policy name as manifests and the original's talk spell it:
// `cluster-affinity`, `worst-fit`/`worst_fit`, `best-fit`/`best_fit`,
// `traffic-aware`/`most-traffic`/`most_traffic`, `spread` (`_` and `-` are
// interchangeable everywhere, case is ignored). InvalidArgument quoting the
// value and listing the accepted names otherwise.
absl::StatusOr<Policy> ParsePolicy(std::string_view name);

// The canonical manifest spelling: "worst-fit", "traffic-aware", ...
std::string_view PolicyName(Policy policy);

// The proto enum spelling, for summaries: "WORST_FIT", "CLUSTER_AFFINITY", ...
std::string_view PolicyLabel(Policy policy);

// What one replica needs from a node.
struct ReplicaRequirements {
  // Requests of one replica (its containers' requests summed). pods is the
  // number of pods per replica; 0 is read as 1.
  Resources requests;
  // Labels a node must carry (the pod template's nodeSelector).
  Labels node_selector;
  // Node taints the replica tolerates (the pod template's tolerations).
  std::vector<Toleration> node_tolerations;
};

// Clusters allowed; a cluster must satisfy every criterion that is set.
struct ClusterSelector {
  std::vector<std::string> names;                         // empty: any name
  std::optional<k8stypes::LabelSelector> label_selector;  // nullopt: any labels
  std::vector<std::string> regions;                       // empty: any region
};

struct ClusterConstraints {
  std::optional<ClusterSelector> allowed;  // nullopt: every cluster
  std::vector<std::string> excluded;       // by name, whatever `allowed` says
  std::vector<Toleration> tolerations;     // of MemberCluster taints
};

struct ClusterReplicas {
  std::string cluster;
  int32_t replicas = 0;

  friend bool operator==(const ClusterReplicas&, const ClusterReplicas&) = default;
};

// `spec.replicas`: replicas per location; the total is number_of_locations
// times this.
struct ReplicasPerLocation {
  int32_t replicas = 0;
};

// Explicit clusters with a count each, in order of preference.
struct Locations {
  std::vector<ClusterReplicas> clusters;
};

using ReplicaCount = std::variant<std::monostate, ReplicasPerLocation, Locations>;

// Replicas a workload runs now, by cluster name.
using CurrentPlacement = std::map<std::string, int32_t, std::less<>>;

// The most replicas one call may ask for: the engine's cost grows with the
// count in a few steps (Webster seats, node claims), so an absurd count is an
// error rather than a stall.
inline constexpr int64_t kMaxReplicas = 1'000'000;

struct PlaceRequest {
  WorkloadKey workload;
  ReplicaRequirements replica;
  ReplicaCount replica_count;
  // nullopt (unspecified): cluster-affinity with Locations, else worst-fit.
  std::optional<Policy> policy;
  // 0 is read as 1 (the original's default). Ignored with Locations.
  int32_t number_of_locations = 0;
  ClusterConstraints constraints;
  // Ranked first, in this order, by the ranking policies; tie-breaks for
  // spread; ignored by cluster-affinity.
  std::vector<std::string> preferred_clusters;
  // Replicas running now; kept where they are as far as the policy allows.
  CurrentPlacement current_placement;
  // Whether cloud clusters may receive new replicas. The scheduler API always
  // allows it for Place; callers such as the descheduler may not.
  bool allow_cloud = true;
  // Fill the per-cluster part of the explanation (the summary is always
  // there). Costs a full evaluation of every cluster.
  bool explain = false;
};

struct OffloadRequest {
  WorkloadKey workload;
  // May be absent from the snapshot (a deregistered cluster).
  std::string from_cluster;
  // At least 1, at most current_placement[from_cluster].
  int32_t replicas = 0;
  ReplicaRequirements replica;
  CurrentPlacement current_placement;
  ClusterConstraints constraints;
  // When false, replicas no fog cluster takes stay on from_cluster.
  bool allow_cloud = true;
  bool explain = false;
};

struct BurstRequest {
  WorkloadKey workload;
  // Must be in the snapshot.
  std::string near_cluster;
  // At least 1.
  int32_t replicas = 0;
  ReplicaRequirements replica;
  CurrentPlacement current_placement;
  ClusterConstraints constraints;
  // When false, replicas no fog cluster takes are left unplaced.
  bool allow_cloud = true;
  bool explain = false;
};

// InvalidArgument naming the field (by proto path) for: a malformed workload
// (empty or invalid namespace or name); negative requests; an invalid node
// selector or toleration; no replica count; negative replicas or
// number_of_locations; a total above kMaxReplicas; an empty, repeated or
// negative entry in locations; cluster-affinity without locations or
// locations with another policy; empty names in constraints or
// preferred_clusters; repeated preferred clusters; an empty name or negative
// count in current_placement.
absl::Status ValidatePlaceRequest(const PlaceRequest& request);

// As above for the shared fields, plus: an empty from_cluster; replicas below
// 1 or above what current_placement holds on from_cluster.
absl::Status ValidateOffloadRequest(const OffloadRequest& request);

// As above for the shared fields, plus: an empty near_cluster; replicas below
// 1 or above kMaxReplicas.
absl::Status ValidateBurstRequest(const BurstRequest& request);

// The policy a valid request is placed with (resolves an unspecified one).
Policy EffectivePolicy(const PlaceRequest& request);

// The replicas a valid request asks for in total.
int64_t TotalReplicas(const PlaceRequest& request);

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_REQUEST_H_
