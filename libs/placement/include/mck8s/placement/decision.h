// -----------------------------------------------------------------------------
// File: mck8s/placement/decision.h
// -----------------------------------------------------------------------------
//
// What the placement engine answers: the complete resulting placement of a
// workload (never a difference, so repeating a call is harmless), the
// replicas that fit nowhere, the nodes its model put new replicas on (what a
// Reservations ledger holds until the feed shows them), and an explanation
// of every cluster's fate. Mirrors PlaceResponse/Placement/Explanation of
// proto/mck8s/v1/scheduler.proto.
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(Decision decision, engine.Place(*model, request));
//   for (const Assignment& a : decision.assignments) {
//     std::cout << a.cluster << " " << a.replicas << " "
//               << AssignmentReasonName(a.reason) << "\n";
//   }
//   request.current_placement = decision.ByCluster();  // the next call's input
//
// Plain values.

#ifndef MCK8S_PLACEMENT_DECISION_H_
#define MCK8S_PLACEMENT_DECISION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mck8s/placement/cluster_model.h"
#include "mck8s/placement/request.h"

namespace mck8s::placement {

// Why replicas are on a cluster, as decided by one call. Declared in the
// order assignments of one cluster are sorted.
enum class AssignmentReason {
  kPreferred,  // chosen by the policy or listed by the workload, or kept
  kOffloaded,  // overflow of a chosen or listed cluster, or moved by Offload
  kBurst,      // added by Burst next to a full cluster
  kCloud,      // on a cloud cluster because no fog cluster could hold them
};

// "Preferred", "Offloaded", "Burst", "Cloud".
std::string_view AssignmentReasonName(AssignmentReason reason);

struct Assignment {
  std::string cluster;
  int32_t replicas = 0;  // at least 1
  AssignmentReason reason = AssignmentReason::kPreferred;

  friend bool operator==(const Assignment&, const Assignment&) = default;
};

// New replicas the engine's model put on one node (replicas already running
// are not claimed: the feed accounts for them).
struct NodeClaim {
  std::string cluster;
  std::string node;
  int32_t replicas = 0;

  friend bool operator==(const NodeClaim&, const NodeClaim&) = default;
};

struct FilterRejection {
  // Stable step name, e.g. "ClusterHealth", "NodeFit".
  std::string filter;
  // For people, with the figures.
  std::string reason;
  // True when replicas already on the cluster may stay (e.g. unreachable or
  // full clusters); false when they must leave (excluded clusters, untolerated
  // NoExecute taints).
  bool keeps_existing = false;
};

struct ScorerResult {
  std::string scorer;
  double score = 0;
};

struct RttFromOrigin {
  std::string origin_cluster;
  double rtt_ms = 0;
};

struct ClusterExplanation {
  std::string cluster;
  // Set when a filter rejected the cluster; `scores` is then empty.
  std::optional<FilterRejection> filtered;
  // One entry per scorer of the policy, in the order they rank.
  std::vector<ScorerResult> scores;
  // The value clusters were ranked by, highest first: the number of ranked
  // clusters minus the cluster's position, so it orders exactly as the
  // (lexicographic) scores did. 0 for filtered clusters.
  double total = 0;
  // Replicas of this workload the cluster can hold, node by node, counting
  // the room of the replicas it keeps; nullopt when not computed.
  std::optional<int64_t> max_replicas;
  // From the cluster the decision started from; nullopt when RTT played no
  // part or is unknown.
  std::optional<RttFromOrigin> rtt;
};

struct Explanation {
  // E.g. "12 of 12 replicas placed on 3 clusters by WORST_FIT; 2 clusters
  // filtered out". Names requested clusters absent from the snapshot.
  std::string summary;
  // Filled only when the request asked to explain: ranked clusters first,
  // best first, then filtered ones by name.
  std::vector<ClusterExplanation> clusters;
  // Clusters the request named (locations, preferred, constraints, current
  // placement, origin) that the snapshot does not have, sorted.
  std::vector<std::string> unknown_clusters;
};

struct Decision {
  WorkloadKey workload;
  // Sorted by cluster, then reason; a cluster appears once per reason.
  std::vector<Assignment> assignments;
  // Place: the total asked for; Offload: replicas to move; Burst: to add.
  int64_t requested_replicas = 0;
  // Of requested_replicas, those that fit nowhere. For Offload they stay on
  // the origin cluster and are included there in `assignments`.
  int64_t unplaced_replicas = 0;
  uint64_t snapshot_revision = 0;
  // The per-replica requests, for reservations.
  Resources per_replica;
  // Sorted by cluster, then node.
  std::vector<NodeClaim> claims;
  Explanation explanation;

  // Replicas on `cluster`, every reason summed.
  int64_t ReplicasOn(std::string_view cluster) const;
  // Replicas in every assignment.
  int64_t PlacedReplicas() const;
  // Replicas per cluster: the current_placement of the next call.
  CurrentPlacement ByCluster() const;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_DECISION_H_
