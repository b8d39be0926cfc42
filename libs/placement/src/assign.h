// The assign step of each policy family. Each function hands out replicas
// through a Tally and returns the replicas it could not place.
//
// Common rules, which make decisions steady:
//  - replicas already running are kept before any new room is used, so an
//    unchanged request on an unchanged snapshot returns the same placement
//    and an update moves as few replicas as possible;
//  - on scale-down, the replicas not kept are the ones on cloud clusters
//    first, then on the lowest-ranked (or farthest) fog clusters;
//  - fog clusters are used before cloud clusters for new replicas.

#ifndef MCK8S_PLACEMENT_SRC_ASSIGN_H_
#define MCK8S_PLACEMENT_SRC_ASSIGN_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "mck8s/placement/framework.h"
#include "mck8s/placement/request.h"
#include "tally.h"

namespace mck8s::placement {

// worst-fit, best-fit, traffic-aware: the first `locations` fog clusters in
// rank order get `per_location` each as far as they fit; the overflow goes
// to the next fog clusters in rank order, then to the chosen clusters' spare
// room, then to cloud clusters in rank order.
int64_t AssignRanked(const CycleState& state, std::span<const ScorePlugin* const> scorers,
                     int64_t per_location, int64_t locations, Tally& tally);

// spread: `total` divided among the eligible fog clusters in proportion to
// the replicas each can hold (Webster, capped by that room), continuing from
// the replicas they keep; what fog clusters cannot hold goes to cloud
// clusters in rank order. A smaller total removes replicas from cloud
// clusters, then from filtered fog clusters, then by reverse Webster.
int64_t AssignSpread(const CycleState& state, std::span<const ScorePlugin* const> scorers,
                     int64_t total, Tally& tally);

// cluster-affinity: each listed cluster gets its count as far as it fits; a
// listed cluster that can host nothing is replaced by the nearest eligible
// unlisted fog cluster; the rest of each listed cluster's count is offloaded
// to fog clusters by ascending RTT from it, then to cloud clusters. Replicas
// running elsewhere are kept as that overflow, but never in place of room
// the listed cluster has: with a snapshot that does not show the workload's
// replicas yet, identity relies on reservations (reservations.h).
int64_t AssignAffinity(const CycleState& state, const Locations& locations,
                       const ScorePlugin* by_room, Tally& tally);

// Offload: every current replica stays except `replicas` taken off
// `from_name`, which go to fog clusters by ascending RTT from it, then to
// cloud clusters; those no cluster takes stay on `from_name`.
int64_t AssignOffload(const CycleState& state, std::optional<ClusterIndex> from,
                      const std::string& from_name, int64_t replicas,
                      const CurrentPlacement& current, const ScorePlugin* by_room, Tally& tally);

// Burst: every current replica stays; `replicas` more go to `near` while it
// has room, then to fog clusters by ascending RTT from it, then to cloud
// clusters.
int64_t AssignBurst(const CycleState& state, ClusterIndex near, int64_t replicas,
                    const CurrentPlacement& current, const ScorePlugin* by_room, Tally& tally);

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_SRC_ASSIGN_H_
