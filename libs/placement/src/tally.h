// The assign step's ledger for one decision: replicas handed out per
// cluster and reason, split into replicas kept where they run and new ones
// taking room (only new ones are claimed on nodes and reserved).

#ifndef MCK8S_PLACEMENT_SRC_TALLY_H_
#define MCK8S_PLACEMENT_SRC_TALLY_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "mck8s/placement/decision.h"
#include "mck8s/placement/framework.h"

namespace mck8s::placement {

class Tally {
 public:
  explicit Tally(const CycleState& state) : state_(state) {}

  // Current replicas on `cluster` not yet kept; 0 when the filters send the
  // cluster's replicas away.
  int64_t KeptLeft(ClusterIndex cluster) const;
  // New replicas `cluster` can still take; 0 unless every filter passes it.
  int64_t RoomLeft(ClusterIndex cluster) const;

  // Keeps up to `wanted` current replicas on `cluster`; returns how many.
  // `force` keeps them whatever the filters say (Offload and Burst keep every
  // replica they are not asked to move).
  int64_t TakeKept(ClusterIndex cluster, int64_t wanted, AssignmentReason reason,
                   bool force = false);
  // Places up to `wanted` new replicas on `cluster`; returns how many.
  int64_t TakeRoom(ClusterIndex cluster, int64_t wanted, AssignmentReason reason);
  // Replicas on a cluster absent from the snapshot (kept by Offload/Burst).
  void AddExternal(const std::string& cluster, int64_t replicas, AssignmentReason reason);

  int64_t Assigned(ClusterIndex cluster) const;
  int64_t NewOn(ClusterIndex cluster) const;

  // The origin whose overflow, substitute or burst `cluster` received.
  void NoteOrigin(ClusterIndex cluster, ClusterIndex origin);
  std::optional<ClusterIndex> OriginOf(ClusterIndex cluster) const;

  // Sorted by cluster name, then reason; no zero entries.
  std::vector<Assignment> Assignments() const;
  // (cluster, new replicas), ascending by cluster.
  std::vector<std::pair<ClusterIndex, int64_t>> NewReplicas() const;
  int64_t ClustersUsed() const;

 private:
  struct Counts {
    int64_t kept = 0;
    int64_t fresh = 0;
    std::array<int64_t, 4> by_reason{};
    ClusterIndex origin = -1;
  };

  const CycleState& state_;
  absl::flat_hash_map<ClusterIndex, Counts> counts_;
  std::vector<Assignment> external_;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_SRC_TALLY_H_
