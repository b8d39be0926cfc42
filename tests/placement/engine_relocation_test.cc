// Offload and Burst: moving replicas off one cluster, adding replicas near
// one, by ascending RTT, fog before cloud.

#include <catch2/catch.hpp>

#include "engine_testing.h"
#include "mck8s/placement/engine.h"
#include "testing.h"

namespace mck8s::placement {
namespace {

using testing::FogGuru;
using testing::FogGuruClusters;
using testing::FogGuruRtt;
using testing::Lines;
using testing::MustModel;

using Want = std::vector<std::string>;

OffloadRequest HelloOffload(std::string from, int32_t replicas, CurrentPlacement current) {
  OffloadRequest request;
  request.workload = {WorkloadKind::kMultiClusterDeployment, "default", "hello"};
  request.replica = testing::OneCpuOneGi();
  request.from_cluster = std::move(from);
  request.replicas = replicas;
  request.current_placement = std::move(current);
  return request;
}

TEST_CASE("offload: replicas move to the nearest fog clusters", "[placement][engine][offload]") {
  struct Case {
    std::string name;
    OffloadRequest request;
    Want want;
    int64_t stuck;
  };
  OffloadRequest fog_full = HelloOffload("rennes", 20, {{"rennes", 20}});
  fog_full.constraints.allowed = ClusterSelector{.names = {"rennes", "nantes", "nancy"}};
  OffloadRequest no_cloud = fog_full;
  no_cloud.allow_cloud = false;
  const std::vector<Case> cases = {
      {"to the nearest",
       HelloOffload("rennes", 5, {{"rennes", 10}, {"luxembourg", 2}}),
       {"luxembourg 2 Preferred", "nantes 5 Offloaded", "rennes 5 Preferred"},
       0},
      // nantes (2.16 ms) holds 10, grenoble (17.45) the rest.
      {"down the RTT table",
       HelloOffload("rennes", 20, {{"rennes", 20}}),
       {"grenoble 10 Offloaded", "nantes 10 Offloaded"},
       0},
      {"cloud only for what fog cannot take",
       fog_full,
       {"nancy 10 Cloud", "nantes 10 Offloaded"},
       0},
      {"without cloud the rest stays",
       no_cloud,
       {"nantes 10 Offloaded", "rennes 10 Preferred"},
       10},
      // A deregistered cluster: no RTT known, receivers by room.
      {"from a cluster the snapshot lacks",
       HelloOffload("gone", 3, {{"gone", 3}}),
       {"luxembourg 3 Offloaded"},
       0},
  };
  const Engine engine = Engine::CreateDefault();
  const auto model = FogGuru();
  for (const Case& c : cases) {
    INFO(c.name);
    absl::StatusOr<Decision> decision = engine.Offload(*model, c.request);
    REQUIRE(decision.ok());
    CHECK(Lines(*decision) == c.want);
    CHECK(decision->unplaced_replicas == c.stuck);
    CHECK(decision->PlacedReplicas() == [&] {
      int64_t total = 0;
      for (const auto& [cluster, replicas] : c.request.current_placement) total += replicas;
      return total;
    }());
  }
}

TEST_CASE("offload: moves replicas off an unreachable cluster", "[placement][engine][offload]") {
  std::vector<Cluster> clusters = FogGuruClusters();
  for (Cluster& cluster : clusters) {
    if (cluster.name == "lille") cluster.health = Health::kUnreachable;
  }
  const auto model = MustModel(clusters, FogGuruRtt());
  const Engine engine = Engine::CreateDefault();
  OffloadRequest request = HelloOffload("lille", 4, {{"lille", 4}});
  request.explain = true;
  absl::StatusOr<Decision> decision = engine.Offload(*model, request);
  REQUIRE(decision.ok());
  // From lille: nancy 9.70 (cloud), luxembourg 11.88.
  CHECK(Lines(*decision) == Want{"luxembourg 4 Offloaded"});
  CHECK(decision->explanation.summary ==
        "4 of 4 replicas moved off lille to 1 cluster; 1 cluster filtered out");
  bool found = false;
  for (const ClusterExplanation& entry : decision->explanation.clusters) {
    if (entry.cluster != "luxembourg") continue;
    found = true;
    REQUIRE(entry.rtt.has_value());
    CHECK(entry.rtt->origin_cluster == "lille");
    CHECK(entry.rtt->rtt_ms == 11.88);
  }
  CHECK(found);
}

TEST_CASE("burst: near a cluster while it has room, then its neighbours",
          "[placement][engine][burst]") {
  struct Case {
    std::string near;
    int32_t replicas;
    CurrentPlacement current;
    Want want;
    int64_t unplaced;
  };
  const std::vector<Case> cases = {
      {"luxembourg", 3, {}, {"luxembourg 3 Preferred"}, 0},
      {"lille", 15, {}, {"lille 10 Preferred", "luxembourg 5 Burst"}, 0},
      // Replicas already running stay where they are, wherever that is.
      {"lille",
       2,
       {{"rennes", 4}, {"paris", 1}},
       {"lille 2 Preferred", "paris 1 Preferred", "rennes 4 Preferred"},
       0},
      {"nantes", 100, {}, {}, 6},
  };
  const Engine engine = Engine::CreateDefault();
  const auto model = FogGuru();
  for (const Case& c : cases) {
    INFO(c.near << " " << c.replicas);
    BurstRequest request;
    request.workload = {WorkloadKind::kMultiClusterDeployment, "default", "hello"};
    request.replica = testing::OneCpuOneGi();
    request.near_cluster = c.near;
    request.replicas = c.replicas;
    request.current_placement = c.current;
    absl::StatusOr<Decision> decision = engine.Burst(*model, request);
    REQUIRE(decision.ok());
    if (!c.want.empty()) CHECK(Lines(*decision) == c.want);
    CHECK(decision->unplaced_replicas == c.unplaced);
  }
}

}  // namespace
}  // namespace mck8s::placement
