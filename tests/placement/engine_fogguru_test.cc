// End-to-end decisions on the FogGuru testbed of the original talk (see
// testing.h): with 1 CPU / 1 GiB replicas rennes and luxembourg hold 20,
// nantes, lille and grenoble 10, and the cloud cluster nancy 24.

#include <catch2/catch.hpp>

#include "engine_testing.h"
#include "mck8s/placement/apportion.h"
#include "mck8s/placement/engine.h"
#include "testing.h"

namespace mck8s::placement {
namespace {

using testing::FogGuru;
using testing::FogGuruClusters;
using testing::FogGuruRtt;
using testing::HelloRequest;
using testing::Lines;
using testing::MustModel;
using testing::MustPlace;

using Want = std::vector<std::string>;

std::shared_ptr<const ClusterModel> FogGuruWithTraffic() {
  std::vector<Cluster> clusters = FogGuruClusters();
  for (Cluster& cluster : clusters) {
    if (cluster.name == "nantes") cluster.receive_bytes_per_second = 5e6;
    if (cluster.name == "luxembourg") cluster.receive_bytes_per_second = 3e6;
    if (cluster.name == "lille") cluster.receive_bytes_per_second = 2e6;
    if (cluster.name == "rennes") cluster.receive_bytes_per_second = 1e6;
    if (cluster.name == "nancy") cluster.receive_bytes_per_second = 9e6;  // cloud: overflow only
  }
  return MustModel(clusters, FogGuruRtt());
}

TEST_CASE("engine: the talk's MCD (2 replicas x 2 locations) with each policy",
          "[placement][engine][fogguru]") {
  struct Case {
    std::string policy;  // as a manifest spells it
    Want want;
  };
  const std::vector<Case> cases = {
      // The two roomiest clusters (ties by name).
      {"worst-fit", {"luxembourg 2 Preferred", "rennes 2 Preferred"}},
      {"worst_fit", {"luxembourg 2 Preferred", "rennes 2 Preferred"}},
      // The two fullest clusters that still fit.
      {"best-fit", {"grenoble 2 Preferred", "lille 2 Preferred"}},
      {"best_fit", {"grenoble 2 Preferred", "lille 2 Preferred"}},
      // The two fog clusters receiving most traffic; the cloud is never chosen.
      {"traffic-aware", {"luxembourg 2 Preferred", "nantes 2 Preferred"}},
      {"most-traffic", {"luxembourg 2 Preferred", "nantes 2 Preferred"}},
      {"most_traffic", {"luxembourg 2 Preferred", "nantes 2 Preferred"}},
      // 4 replicas by room 10/10/20/10/20: Webster gives the first seats to
      // the big clusters, then one to each of the first small ones.
      {"spread",
       {"grenoble 1 Preferred", "lille 1 Preferred", "luxembourg 1 Preferred",
        "rennes 1 Preferred"}},
  };
  const Engine engine = Engine::CreateDefault();
  const auto model = FogGuruWithTraffic();
  for (const Case& c : cases) {
    INFO(c.policy);
    PlaceRequest request = HelloRequest();
    request.replica_count = ReplicasPerLocation{2};
    request.number_of_locations = 2;
    absl::StatusOr<Policy> policy = ParsePolicy(c.policy);
    REQUIRE(policy.ok());
    request.policy = *policy;
    const Decision decision = MustPlace(engine, *model, request);
    CHECK(Lines(decision) == c.want);
    CHECK(decision.unplaced_replicas == 0);
    CHECK(decision.requested_replicas == 4);
    CHECK(decision.snapshot_revision == model->revision());
  }
}

TEST_CASE("engine: spread is Webster over the room of each fog cluster",
          "[placement][engine][fogguru]") {
  const Engine engine = Engine::CreateDefault();
  const auto model = FogGuru();
  // Fog clusters by name: grenoble, lille, luxembourg, nantes, rennes.
  const std::vector<std::string> fog = {"grenoble", "lille", "luxembourg", "nantes", "rennes"};
  const std::vector<double> room = {10, 10, 20, 10, 20};
  const std::vector<int64_t> caps = {10, 10, 20, 10, 20};
  for (int32_t total : {1, 3, 7, 12, 35, 69, 70}) {
    INFO("total " << total);
    PlaceRequest request = HelloRequest();
    request.policy = Policy::kSpread;
    request.replica_count = ReplicasPerLocation{total};
    const Decision decision = MustPlace(engine, *model, request);
    const std::vector<int64_t> want = WebsterApportion(total, room, caps);
    for (size_t i = 0; i < fog.size(); ++i) CHECK(decision.ReplicasOn(fog[i]) == want[i]);
    CHECK(decision.ReplicasOn("nancy") == 0);
  }
  // Beyond the fog's 70, the cloud takes the rest.
  PlaceRequest request = HelloRequest();
  request.policy = Policy::kSpread;
  request.replica_count = ReplicasPerLocation{40};
  request.number_of_locations = 2;  // only scales the total
  const Decision decision = MustPlace(engine, *model, request);
  CHECK(decision.ReplicasOn("nancy") == 10);
  CHECK(decision.PlacedReplicas() == 80);
}

TEST_CASE("engine: ranked overflow goes down the ranking, then to the cloud",
          "[placement][engine][fogguru]") {
  const Engine engine = Engine::CreateDefault();
  const auto model = FogGuru();
  struct Case {
    int32_t per_location;
    int32_t locations;
    Want want;
  };
  const std::vector<Case> cases = {
      {30, 1, {"luxembourg 20 Preferred", "rennes 10 Offloaded"}},
      {25, 2, {"grenoble 10 Offloaded", "luxembourg 20 Preferred", "rennes 20 Preferred"}},
      // Beyond every fog cluster: the cloud cluster, by its kind.
      {80,
       1,
       {"grenoble 10 Offloaded", "lille 10 Offloaded", "luxembourg 20 Preferred", "nancy 10 Cloud",
        "nantes 10 Offloaded", "rennes 20 Offloaded"}},
  };
  for (const Case& c : cases) {
    INFO(c.per_location << " x " << c.locations);
    PlaceRequest request = HelloRequest();
    request.policy = Policy::kWorstFit;
    request.replica_count = ReplicasPerLocation{c.per_location};
    request.number_of_locations = c.locations;
    CHECK(Lines(MustPlace(engine, *model, request)) == c.want);
  }
}

TEST_CASE("engine: a cluster-affinity MCD larger than its cluster is offloaded by RTT",
          "[placement][engine][fogguru]") {
  const Engine engine = Engine::CreateDefault();
  const auto model = FogGuru();
  struct Case {
    std::string name;
    Locations locations;
    Want want;
  };
  const std::vector<Case> cases = {
      {"fits", {{{"nantes", 6}}}, {"nantes 6 Preferred"}},
      // nantes holds 10; then rennes (2.16 ms), grenoble (16.38), lille (22.21).
      {"overflow to rennes", {{{"nantes", 14}}}, {"nantes 10 Preferred", "rennes 4 Offloaded"}},
      {"overflow down the RTT table",
       {{{"nantes", 45}}},
       {"grenoble 10 Offloaded", "lille 5 Offloaded", "nantes 10 Preferred",
        "rennes 20 Offloaded"}},
      {"several locations",
       {{{"nantes", 12}, {"lille", 3}}},
       {"lille 3 Preferred", "nantes 10 Preferred", "rennes 2 Offloaded"}},
      // The cloud (nancy, 2.90 ms from luxembourg) only after every fog site.
      {"overflow to the cloud last",
       {{{"luxembourg", 75}}},
       {"grenoble 10 Offloaded", "lille 10 Offloaded", "luxembourg 20 Preferred", "nancy 5 Cloud",
        "nantes 10 Offloaded", "rennes 20 Offloaded"}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    PlaceRequest request = HelloRequest();
    request.replica_count = c.locations;
    const Decision decision = MustPlace(engine, *model, request);
    CHECK(Lines(decision) == c.want);
    CHECK(decision.unplaced_replicas == 0);
  }
}

TEST_CASE("engine: a listed cluster that hosts nothing gets the nearest substitute",
          "[placement][engine][fogguru]") {
  const Engine engine = Engine::CreateDefault();
  std::vector<Cluster> clusters = FogGuruClusters();
  for (Cluster& cluster : clusters) {
    if (cluster.name == "lille") {
      cluster.health = Health::kUnreachable;
      cluster.health_reason = "no answer for 60s";
    }
  }
  const auto model = MustModel(clusters, FogGuruRtt());
  PlaceRequest request = HelloRequest();
  request.replica_count = Locations{{{"lille", 4}}};
  // From lille: luxembourg 11.88 ms, grenoble 12.06 ms.
  CHECK(Lines(MustPlace(engine, *model, request)) == Want{"luxembourg 4 Offloaded"});

  // A listed cluster the snapshot does not know: receivers by room.
  request.replica_count = Locations{{{"paris", 3}}};
  const Decision decision = MustPlace(engine, *model, request);
  CHECK(Lines(decision) == Want{"luxembourg 3 Offloaded"});
  CHECK(decision.explanation.unknown_clusters == std::vector<std::string>{"paris"});
  CHECK_THAT(decision.explanation.summary, Catch::EndsWith("not in the snapshot: paris"));
}

TEST_CASE("engine: burst to the cloud cluster nancy", "[placement][engine][fogguru]") {
  const Engine engine = Engine::CreateDefault();
  const auto model = FogGuru();
  BurstRequest request;
  request.workload = {WorkloadKind::kMultiClusterDeployment, "default", "hello"};
  request.replica = testing::OneCpuOneGi();
  request.near_cluster = "luxembourg";
  request.replicas = 80;
  absl::StatusOr<Decision> decision = engine.Burst(*model, request);
  REQUIRE(decision.ok());
  // luxembourg first, then fog by RTT from it (lille 11.88, grenoble 15.33,
  // nantes 26.29, rennes 27.41), nancy (2.90 ms away, but cloud) last.
  CHECK(Lines(*decision) == Want{"grenoble 10 Burst", "lille 10 Burst", "luxembourg 20 Preferred",
                                 "nancy 10 Cloud", "nantes 10 Burst", "rennes 20 Burst"});
  CHECK(decision->unplaced_replicas == 0);

  // Cloud is a kind, never a name: a fog cluster called "cloudy" is fog and
  // a cloud cluster called "edge-7" is cloud.
  std::vector<Cluster> clusters;
  Cluster fog = testing::FogCluster("cloudy", 1, 2000, 4 * testing::kGi);
  Cluster cloud = testing::FogCluster("edge-7", 1, 8000, 32 * testing::kGi);
  cloud.kind = ClusterKind::kCloud;
  Cluster origin = testing::FogCluster("origin", 1, 1000, 4 * testing::kGi);
  std::vector<RttEntry> rtt;
  testing::AddSymmetricRtt(rtt, "origin", "edge-7", 1);
  testing::AddSymmetricRtt(rtt, "origin", "cloudy", 50);
  const auto mixed = MustModel({fog, cloud, origin}, rtt);
  request.near_cluster = "origin";
  request.replicas = 5;
  decision = engine.Burst(*mixed, request);
  REQUIRE(decision.ok());
  CHECK(Lines(*decision) == Want{"cloudy 2 Burst", "edge-7 2 Cloud", "origin 1 Preferred"});
}

TEST_CASE("engine: partial placement places what fits and reports the rest",
          "[placement][engine][fogguru]") {
  const Engine engine = Engine::CreateDefault();
  const auto model = FogGuru();
  struct Case {
    std::string name;
    PlaceRequest request;
    int64_t placed;
    int64_t unplaced;
    std::string summary;
  };
  PlaceRequest worst = HelloRequest();
  worst.replica_count = ReplicasPerLocation{100};
  PlaceRequest fog_only = worst;
  fog_only.allow_cloud = false;
  PlaceRequest affinity = HelloRequest();
  affinity.replica_count = Locations{{{"nantes", 200}}};
  PlaceRequest spread = worst;
  spread.policy = Policy::kSpread;
  PlaceRequest huge = HelloRequest();
  huge.replica.requests.cpu_millis = 16000;  // no node has 16 CPUs
  huge.replica_count = ReplicasPerLocation{3};
  const std::vector<Case> cases = {
      {"worst-fit", worst, 94, 6,
       "94 of 100 replicas placed on 6 clusters by WORST_FIT; 6 unplaced: no eligible cluster "
       "has room"},
      {"fog only", fog_only, 70, 30,
       "70 of 100 replicas placed on 5 clusters by WORST_FIT; 30 unplaced: no eligible cluster "
       "has room"},
      {"affinity", affinity, 94, 106, ""},
      {"spread", spread, 94, 6, ""},
      {"nothing fits anywhere", huge, 0, 3,
       "0 of 3 replicas placed on 0 clusters by WORST_FIT; 3 unplaced: no eligible cluster has "
       "room"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const Decision decision = MustPlace(engine, *model, c.request);
    CHECK(decision.PlacedReplicas() == c.placed);
    CHECK(decision.unplaced_replicas == c.unplaced);
    if (!c.summary.empty()) CHECK(decision.explanation.summary == c.summary);
  }
}

TEST_CASE("engine: constraints, taints and health", "[placement][engine][fogguru]") {
  const Engine engine = Engine::CreateDefault();
  std::vector<Cluster> clusters = FogGuruClusters();
  for (Cluster& cluster : clusters) {
    if (cluster.name == "rennes") {
      cluster.taints = {{"fogguru.eu/maintenance", "", TaintEffect::kNoExecute}};
    }
    if (cluster.name == "grenoble") {
      cluster.taints = {{"fogguru.eu/draining", "", TaintEffect::kNoSchedule}};
    }
    if (cluster.name == "lille") cluster.health = Health::kUnreachable;
    if (cluster.name == "nantes") {
      cluster.taints = {{"fogguru.eu/costly", "", TaintEffect::kPreferNoSchedule}};
    }
    cluster.region = cluster.name == "luxembourg" ? "lu" : "fr";
  }
  const auto model = MustModel(clusters, FogGuruRtt());
  struct Case {
    std::string name;
    PlaceRequest request;
    Want want;
  };
  PlaceRequest base = HelloRequest();
  base.replica_count = ReplicasPerLocation{2};
  base.number_of_locations = 2;
  PlaceRequest excluded = base;
  excluded.constraints.excluded = {"luxembourg"};
  PlaceRequest region = base;
  region.constraints.allowed = ClusterSelector{.regions = {"fr"}};
  region.allow_cloud = false;
  PlaceRequest tolerant = base;
  tolerant.constraints.tolerations = {{.op = TolerationOperator::kExists}};
  PlaceRequest kept = base;
  // Replicas on the NoExecute cluster move; on the NoSchedule and the
  // unreachable clusters they stay.
  kept.current_placement = {{"rennes", 2}, {"grenoble", 1}, {"lille", 1}};
  const std::vector<Case> cases = {
      // rennes (NoExecute), grenoble (NoSchedule), lille (unreachable) are
      // out; nantes (PreferNoSchedule) ranks last; nancy is cloud.
      {"taints and health", base, {"luxembourg 2 Preferred", "nantes 2 Preferred"}},
      // One eligible fog cluster for two locations: the second share goes to
      // its spare room, since the cloud takes only what fog cannot hold.
      {"excluded", excluded, {"nantes 4 Preferred"}},
      {"region", region, {"nantes 4 Preferred"}},
      {"tolerating every taint", tolerant, {"luxembourg 2 Preferred", "rennes 2 Preferred"}},
      {"replicas stay unless evicted",
       kept,
       {"grenoble 1 Offloaded", "lille 1 Offloaded", "luxembourg 2 Preferred"}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(Lines(MustPlace(engine, *model, c.request)) == c.want);
  }
}

TEST_CASE("engine: node selectors and node tolerations decide which nodes count",
          "[placement][engine][fogguru]") {
  const Engine engine = Engine::CreateDefault();
  std::vector<Cluster> clusters = FogGuruClusters();
  for (Cluster& cluster : clusters) {
    if (cluster.name != "lille") continue;
    // Two of lille's workers have GPUs (and say so in a label).
    for (Node& node : cluster.nodes) {
      if (node.name == "lille-w1" || node.name == "lille-w2") {
        node.labels["accelerator"] = "gpu";
        node.free.extended["nvidia.com/gpu"] = 1;
      }
    }
  }
  const auto model = MustModel(clusters, FogGuruRtt());
  struct Case {
    std::string name;
    ReplicaRequirements replica;
    Want want;
    int64_t unplaced;
  };
  ReplicaRequirements gpu = testing::OneCpuOneGi();
  gpu.requests.extended["nvidia.com/gpu"] = 1;
  ReplicaRequirements labelled = testing::OneCpuOneGi();
  labelled.node_selector = {{"accelerator", "gpu"}};
  // Only control-plane nodes (2 CPU / 4 GiB each, so 2 replicas per site),
  // which the replica must tolerate.
  ReplicaRequirements on_control_planes = testing::OneCpuOneGi();
  on_control_planes.node_selector = {{"node-role.kubernetes.io/control-plane", ""}};
  on_control_planes.node_tolerations = {
      {.key = "node-role.kubernetes.io/control-plane", .op = TolerationOperator::kExists}};
  const std::vector<Case> cases = {
      {"extended resources", gpu, {"lille 2 Preferred"}, 3},
      {"node selector", labelled, {"lille 4 Preferred"}, 1},
      // Every fog site holds 2: grenoble first by name, the overflow down the
      // ranking, the 11th on the cloud.
      {"control planes, tolerated",
       on_control_planes,
       {"grenoble 2 Preferred", "lille 2 Offloaded", "luxembourg 2 Offloaded", "nancy 1 Cloud",
        "nantes 2 Offloaded", "rennes 2 Offloaded"},
       0},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    PlaceRequest request = HelloRequest(c.replica);
    request.replica_count = ReplicasPerLocation{c.name == "control planes, tolerated" ? 11 : 5};
    const Decision decision = MustPlace(engine, *model, request);
    CHECK(Lines(decision) == c.want);
    CHECK(decision.unplaced_replicas == c.unplaced);
  }
}

TEST_CASE("engine: invalid requests are InvalidArgument naming the field",
          "[placement][engine][fogguru]") {
  const Engine engine = Engine::CreateDefault();
  const auto model = FogGuru();
  PlaceRequest request = HelloRequest();
  request.replica_count = ReplicasPerLocation{-1};
  absl::StatusOr<Decision> decision = engine.Place(*model, request);
  CHECK(decision.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(decision.status().message() == "replicas_per_location: must not be negative, got -1");

  request.replica_count = Locations{{{"nantes", 1}, {"nantes", 2}}};
  decision = engine.Place(*model, request);
  CHECK(decision.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(decision.status().message() ==
        "locations.clusters[1].cluster: repeated cluster \"nantes\"");

  request.replica_count = ReplicasPerLocation{1};
  request.replica.requests.memory_bytes = -1;
  decision = engine.Place(*model, request);
  CHECK(decision.status().message() ==
        "replica.requests.memory_bytes: must not be negative, got -1");

  BurstRequest burst;
  burst.workload = request.workload;
  burst.near_cluster = "paris";
  burst.replicas = 1;
  decision = engine.Burst(*model, burst);
  CHECK(decision.status().code() == absl::StatusCode::kNotFound);
  CHECK(decision.status().message() ==
        "near_cluster: cluster \"paris\" is not in the snapshot (revision 1)");

  OffloadRequest offload;
  offload.workload = request.workload;
  offload.from_cluster = "rennes";
  offload.replicas = 1;
  decision = engine.Offload(*model, offload);
  CHECK(decision.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(decision.status().message() ==
        "replicas: 1 exceeds the 0 replicas current_placement holds on \"rennes\"");
}

TEST_CASE("engine: decisions are deterministic and claim nodes", "[placement][engine][fogguru]") {
  const Engine engine = Engine::CreateDefault();
  const auto model = FogGuru();
  PlaceRequest request = HelloRequest();
  request.replica_count = ReplicasPerLocation{7};
  const Decision first = MustPlace(engine, *model, request);
  const Decision second = MustPlace(engine, *model, request);
  CHECK(first.assignments == second.assignments);
  CHECK(first.claims == second.claims);
  // 7 replicas on luxembourg's five 4-CPU workers, one at a time on the
  // roomiest: two workers get two.
  CHECK(first.claims == std::vector<NodeClaim>{{"luxembourg", "luxembourg-w1", 2},
                                               {"luxembourg", "luxembourg-w2", 2},
                                               {"luxembourg", "luxembourg-w3", 1},
                                               {"luxembourg", "luxembourg-w4", 1},
                                               {"luxembourg", "luxembourg-w5", 1}});
  CHECK(first.per_replica == testing::OneCpuOneGi().requests);
}

}  // namespace
}  // namespace mck8s::placement
