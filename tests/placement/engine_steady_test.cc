// Steady decisions: a repeated request keeps the placement; scaling adds or
// removes as few replicas as possible, removing cloud replicas first, then
// those on the lowest-ranked fog clusters.

#include <catch2/catch.hpp>

#include "engine_testing.h"
#include "mck8s/placement/apportion.h"
#include "mck8s/placement/engine.h"
#include "mck8s/placement/reservations.h"
#include "testing.h"

namespace mck8s::placement {
namespace {

using testing::FogGuru;
using testing::FogGuruClusters;
using testing::FogGuruRtt;
using testing::HelloRequest;
using testing::Lines;
using testing::MustPlace;
using testing::WithRunning;

using Want = std::vector<std::string>;

// The snapshot the feed shows once `placement` runs.
std::shared_ptr<const ClusterModel> Reflecting(const CurrentPlacement& placement,
                                               uint64_t revision = 2) {
  return WithRunning(FogGuruClusters(), FogGuruRtt(),
                     {WorkloadKind::kMultiClusterDeployment, "default", "hello"}, placement,
                     testing::OneCpuOneGi().requests, revision);
}

// Replicas that moved or appeared between two placements.
int64_t Changes(const CurrentPlacement& before, const CurrentPlacement& after) {
  int64_t changes = 0;
  for (const auto& [cluster, replicas] : after) {
    auto it = before.find(cluster);
    const int32_t was = it == before.end() ? 0 : it->second;
    changes += std::abs(replicas - was);
  }
  for (const auto& [cluster, replicas] : before) {
    if (!after.contains(cluster)) changes += replicas;
  }
  return changes;
}

TEST_CASE("steady: an unchanged request keeps its placement", "[placement][engine][steady]") {
  struct Case {
    std::string name;
    PlaceRequest request;
  };
  const auto per_location = [](Policy policy, int32_t replicas, int32_t locations) {
    PlaceRequest request = HelloRequest();
    request.policy = policy;
    request.replica_count = ReplicasPerLocation{replicas};
    request.number_of_locations = locations;
    return request;
  };
  PlaceRequest affinity = HelloRequest();
  affinity.replica_count = Locations{{{"nantes", 45}, {"lille", 2}}};
  const std::vector<Case> cases = {
      {"worst-fit", per_location(Policy::kWorstFit, 2, 2)},
      {"worst-fit with overflow and cloud", per_location(Policy::kWorstFit, 80, 1)},
      {"best-fit", per_location(Policy::kBestFit, 3, 3)},
      {"traffic-aware", per_location(Policy::kTrafficAware, 4, 2)},
      {"spread", per_location(Policy::kSpread, 30, 1)},
      {"spread with cloud", per_location(Policy::kSpread, 85, 1)},
      {"cluster-affinity", affinity},
  };
  const Engine engine = Engine::CreateDefault();
  const auto model = FogGuru();
  for (const Case& c : cases) {
    INFO(c.name);
    const Decision first = MustPlace(engine, *model, c.request);
    PlaceRequest again = c.request;
    again.current_placement = first.ByCluster();
    // On the same snapshot (the feed has not caught up), with the first
    // decision reserved as the scheduler does ...
    Reservations reservations;
    reservations.Reconcile(model, /*now=*/0);
    reservations.Record(first, /*expires_at=*/100);
    const Decision same_snapshot = MustPlace(engine, *model, again, &reservations.deductions());
    CHECK(same_snapshot.ByCluster() == first.ByCluster());
    CHECK(same_snapshot.claims.empty());  // nothing new to claim
    // ... and on the snapshot that shows the replicas running.
    const auto reflected = Reflecting(first.ByCluster());
    const Decision reflected_snapshot = MustPlace(engine, *reflected, again);
    CHECK(reflected_snapshot.ByCluster() == first.ByCluster());
    CHECK(reflected_snapshot.unplaced_replicas == first.unplaced_replicas);
  }
}

TEST_CASE("steady: scaling a ranked policy changes as few replicas as possible",
          "[placement][engine][steady]") {
  const Engine engine = Engine::CreateDefault();
  PlaceRequest request = HelloRequest();
  request.policy = Policy::kWorstFit;
  request.number_of_locations = 2;
  struct Step {
    int32_t per_location;
    int32_t locations;
    Want want;
    int64_t changes;
  };
  const std::vector<Step> steps = {
      {2, 2, {"luxembourg 2 Preferred", "rennes 2 Preferred"}, 4},
      {3, 2, {"luxembourg 3 Preferred", "rennes 3 Preferred"}, 2},
      {3, 3, {"grenoble 3 Preferred", "luxembourg 3 Preferred", "rennes 3 Preferred"}, 3},
      {1, 3, {"grenoble 1 Preferred", "luxembourg 1 Preferred", "rennes 1 Preferred"}, 6},
      {1, 1, {"luxembourg 1 Preferred"}, 2},
      {0, 1, {}, 1},
  };
  CurrentPlacement current;
  for (size_t i = 0; i < steps.size(); ++i) {
    INFO("step " << i);
    const Step& step = steps[i];
    request.replica_count = ReplicasPerLocation{step.per_location};
    request.number_of_locations = step.locations;
    request.current_placement = current;
    const auto model = Reflecting(current, i + 2);
    const Decision decision = MustPlace(engine, *model, request);
    CHECK(Lines(decision) == step.want);
    CHECK(Changes(current, decision.ByCluster()) == step.changes);
    current = decision.ByCluster();
  }
}

TEST_CASE("steady: scale-down gives up cloud replicas first, then the lowest-ranked fog",
          "[placement][engine][steady]") {
  const Engine engine = Engine::CreateDefault();
  PlaceRequest request = HelloRequest();
  request.policy = Policy::kWorstFit;
  request.replica_count = ReplicasPerLocation{80};
  const auto empty = FogGuru();
  const Decision big = MustPlace(engine, *empty, request);
  REQUIRE(big.ReplicasOn("nancy") == 10);

  request.current_placement = big.ByCluster();
  request.replica_count = ReplicasPerLocation{65};
  const auto model = Reflecting(big.ByCluster());
  const Decision smaller = MustPlace(engine, *model, request);
  // nancy's 10 go first, then 5 from nantes, the lowest-ranked fog cluster
  // (room ties among the 10-replica clusters go by name).
  CHECK(Lines(smaller) == Want{"grenoble 10 Offloaded", "lille 10 Offloaded",
                               "luxembourg 20 Preferred", "nantes 5 Offloaded",
                               "rennes 20 Offloaded"});
}

TEST_CASE("steady: spread grows and shrinks along Webster", "[placement][engine][steady]") {
  const Engine engine = Engine::CreateDefault();
  PlaceRequest request = HelloRequest();
  request.policy = Policy::kSpread;
  const std::vector<std::string> fog = {"grenoble", "lille", "luxembourg", "nantes", "rennes"};
  const std::vector<double> room = {10, 10, 20, 10, 20};
  CurrentPlacement current;
  for (int32_t total : {4, 9, 30, 12, 5}) {
    INFO("total " << total);
    request.replica_count = ReplicasPerLocation{total};
    request.current_placement = current;
    // The reflected snapshot leaves each cluster the same room for this
    // workload (its own replicas count as its room), so the division is the
    // fresh one: Webster is house-monotone, and reverse Webster retraces it.
    const auto model = Reflecting(current, 10 + total);
    const Decision decision = MustPlace(engine, *model, request);
    const std::vector<int64_t> want =
        WebsterApportion(total, room, std::vector<int64_t>{10, 10, 20, 10, 20});
    for (size_t i = 0; i < fog.size(); ++i) CHECK(decision.ReplicasOn(fog[i]) == want[i]);
    const CurrentPlacement next = decision.ByCluster();
    int64_t before = 0;
    for (const auto& [cluster, replicas] : current) before += replicas;
    CHECK(Changes(current, next) == std::abs(total - before));
    current = next;
  }
}

TEST_CASE("steady: cluster-affinity keeps its offloaded replicas", "[placement][engine][steady]") {
  const Engine engine = Engine::CreateDefault();
  PlaceRequest request = HelloRequest();
  struct Step {
    int32_t nantes;
    Want want;
  };
  const std::vector<Step> steps = {
      {14, {"nantes 10 Preferred", "rennes 4 Offloaded"}},
      {16, {"nantes 10 Preferred", "rennes 6 Offloaded"}},
      {35, {"grenoble 5 Offloaded", "nantes 10 Preferred", "rennes 20 Offloaded"}},
      // Scaling down removes the farthest overflow first.
      {28, {"nantes 10 Preferred", "rennes 18 Offloaded"}},
      {8, {"nantes 8 Preferred"}},
  };
  CurrentPlacement current;
  for (size_t i = 0; i < steps.size(); ++i) {
    INFO("step " << i);
    request.replica_count = Locations{{{"nantes", steps[i].nantes}}};
    request.current_placement = current;
    const auto model = Reflecting(current, i + 2);
    const Decision decision = MustPlace(engine, *model, request);
    CHECK(Lines(decision) == steps[i].want);
    current = decision.ByCluster();
  }
  // The count is explicit: once nantes has room again (a sixth worker), the
  // overflow it can hold comes back; the rest stays where it runs.
  request.replica_count = Locations{{{"nantes", 14}}};
  request.current_placement = {{"nantes", 10}, {"rennes", 4}};
  std::vector<Cluster> grown = FogGuruClusters();
  for (Cluster& cluster : grown) {
    if (cluster.name == "nantes") {
      cluster.nodes.push_back(testing::Worker("nantes-w6", 2000, 4 * testing::kGi));
    }
  }
  const auto model =
      WithRunning(grown, FogGuruRtt(), {WorkloadKind::kMultiClusterDeployment, "default", "hello"},
                  request.current_placement, testing::OneCpuOneGi().requests, 9);
  CHECK(Lines(MustPlace(engine, *model, request)) ==
        Want{"nantes 12 Preferred", "rennes 2 Offloaded"});
  // A changed location moves the replicas.
  request.replica_count = Locations{{{"lille", 14}}};
  CHECK(Lines(MustPlace(engine, *model, request)) ==
        Want{"lille 10 Preferred", "nantes 4 Offloaded"});
}

TEST_CASE("steady: current replicas on clusters the snapshot lacks count as nothing",
          "[placement][engine][steady]") {
  const Engine engine = Engine::CreateDefault();
  PlaceRequest request = HelloRequest();
  request.replica_count = ReplicasPerLocation{2};
  request.current_placement = {{"paris", 2}};
  const Decision decision = MustPlace(engine, *FogGuru(), request);
  CHECK(Lines(decision) == Want{"luxembourg 2 Preferred"});
  CHECK(decision.explanation.unknown_clusters == std::vector<std::string>{"paris"});
}

}  // namespace
}  // namespace mck8s::placement
