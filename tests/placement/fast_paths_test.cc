// The engine's fast paths give what the plain node-by-node rules give, on
// random fleets with a fixed seed: bounds computed for the whole fleet in
// one loop, the Pareto-front lower bound, the lazy ranking on fleets large
// enough to be tightened and refilled in batches, and spread's staged heap.

#include <catch2/catch.hpp>
#include <random>

#include "fit_bounds.h"
#include "mck8s/placement/apportion.h"
#include "mck8s/placement/engine.h"
#include "mck8s/placement/fit.h"
#include "mck8s/placement/framework.h"
#include "mck8s/placement/plugins/least_room.h"
#include "mck8s/placement/plugins/most_room.h"
#include "mck8s/placement/plugins/node_fit.h"
#include "select.h"
#include "testing.h"

namespace mck8s::placement {
namespace {

using testing::kGi;

int64_t Pick(std::mt19937_64& random, int64_t low, int64_t high) {
  return std::uniform_int_distribution<int64_t>(low, high)(random);
}

// Fog clusters of 1 to 12 nodes of mixed sizes and use, a few with tainted
// or unschedulable nodes and nodes with few pod slots.
std::shared_ptr<const ClusterModel> RandomFleet(std::mt19937_64& random, int clusters) {
  std::vector<Cluster> fleet;
  for (int c = 0; c < clusters; ++c) {
    Cluster cluster;
    cluster.name = "c" + std::to_string(10000 + c);
    const int64_t size = int64_t{1000} << Pick(random, 1, 5);
    const int nodes = static_cast<int>(Pick(random, 1, 12));
    for (int n = 0; n < nodes; ++n) {
      Node node = testing::Worker("n" + std::to_string(n), size * Pick(random, 0, 100) / 100,
                                  size * Pick(random, 0, 100) / 100 * kGi / 1000,
                                  Pick(random, 0, 4) == 0 ? Pick(random, 0, 3) : 110);
      if (Pick(random, 0, 19) == 0) node.schedulable = false;
      if (Pick(random, 0, 9) == 0) {
        node.taints.push_back({"dedicated", "gpu", TaintEffect::kNoSchedule});
      }
      cluster.nodes.push_back(std::move(node));
    }
    fleet.push_back(std::move(cluster));
  }
  return testing::MustModel(fleet);
}

ReplicaRequirements RandomReplica(std::mt19937_64& random) {
  ReplicaRequirements replica;
  replica.requests.cpu_millis = Pick(random, 0, 3) == 0 ? 0 : Pick(random, 1, 40) * 100;
  replica.requests.memory_bytes = Pick(random, 0, 3) == 0 ? 0 : Pick(random, 1, 32) * kGi / 4;
  replica.requests.pods = Pick(random, 0, 4) == 0 ? Pick(random, 2, 3) : 1;
  if (Pick(random, 0, 4) == 0) {
    replica.node_tolerations.push_back(
        {"dedicated", TolerationOperator::kEqual, "gpu", std::nullopt, std::nullopt});
  }
  return replica;
}

std::vector<ClusterIndex> AllClusters(const ClusterModel& model) {
  std::vector<ClusterIndex> all;
  for (ClusterIndex i = 0; i < model.size(); ++i) all.push_back(i);
  return all;
}

TEST_CASE("fast paths: whole-fleet upper bounds are the per-cluster ones", "[placement][fit]") {
  std::mt19937_64 random(11);
  const MostRoomScorer most_room;
  for (int round = 0; round < 30; ++round) {
    const auto model = RandomFleet(random, 200);
    PlaceRequest request = testing::HelloRequest(RandomReplica(random));
    const std::vector<ClusterIndex> all = AllClusters(*model);
    testing::StateFor bulk(*model, request);
    std::vector<double> bounds(all.size());
    bulk->NewFitUpperBounds(all, bounds);
    std::vector<double> scores(all.size());
    testing::StateFor scorer_state(*model, request);
    most_room.ScoreBoundAll(*scorer_state, all, scores);
    testing::StateFor one_by_one(*model, request);
    const FitQuery query = FitQuery::Prepare(request.replica);
    for (ClusterIndex c : all) {
      INFO("round " << round << " cluster " << c);
      const int64_t single = one_by_one->NewFitUpperBound(c);
      CHECK(bounds[c] == static_cast<double>(single));
      CHECK(scores[c] == most_room.ScoreBound(*one_by_one, c));
      CHECK(bulk->NewFitKnown(c) == one_by_one->NewFitKnown(c));
      CHECK(single >= NodePathFit(*model, c, request.replica, {}));
      if (query.CanUsePlainPath(model->fit_index(c))) {
        CHECK(PlainFitUpperBound(*model, c, query) ==
              PlainFitBounds(*model, c, query, /*want_lower=*/false).upper);
      }
    }
  }
}

TEST_CASE("fast paths: the lower bound never exceeds the node-by-node fit", "[placement][fit]") {
  std::mt19937_64 random(12);
  for (int round = 0; round < 40; ++round) {
    const auto model = RandomFleet(random, 150);
    PlaceRequest request = testing::HelloRequest(RandomReplica(random));
    testing::StateFor bounded(*model, request);
    for (ClusterIndex c : AllClusters(*model)) {
      INFO("round " << round << " cluster " << c);
      const int64_t exact = NodePathFit(*model, c, request.replica, {});
      const int64_t lower = bounded->NewFitLowerBound(c);
      CHECK(lower <= exact);
      // A bound that settled the fit settled it right.
      if (bounded->NewFitKnown(c)) CHECK(bounded->NewFit(c) == exact);
    }
  }
}

TEST_CASE("fast paths: the lazy order on large fleets is the full sort's", "[placement][select]") {
  const MostRoomScorer most_room;
  const LeastRoomScorer least_room;
  const NodeFitFilter node_fit;
  std::mt19937_64 random(13);
  for (int round = 0; round < 12; ++round) {
    const auto model = RandomFleet(random, 700);
    for (const ScorePlugin* scorer : {static_cast<const ScorePlugin*>(&most_room),
                                      static_cast<const ScorePlugin*>(&least_room)}) {
      INFO(scorer->Name() << " round " << round);
      PlaceRequest request = testing::HelloRequest(RandomReplica(random));
      const std::vector<const ScorePlugin*> scorers = {scorer};
      const std::vector<ClusterIndex> all = AllClusters(*model);
      testing::StateFor lazy_state(*model, request, {&node_fit});
      Ranker ranker(*lazy_state, scorers, all);
      std::vector<ClusterIndex> lazy;
      while (std::optional<ClusterIndex> next = ranker.Next()) lazy.push_back(*next);

      testing::StateFor eager_state(*model, request, {&node_fit});
      std::vector<ClusterIndex> eager;
      for (ClusterIndex i : all) {
        if (eager_state->Outcome(i) == FilterOutcome::kPass) eager.push_back(i);
      }
      std::sort(eager.begin(), eager.end(), [&](ClusterIndex a, ClusterIndex b) {
        return Ranker::RanksBefore(*eager_state, scorers, a, b);
      });
      CHECK(lazy == eager);
    }
  }
}

TEST_CASE("fast paths: spread on large fleets is Webster over exact capacities",
          "[placement][spread]") {
  const Engine engine = Engine::CreateDefault();
  std::mt19937_64 random(14);
  for (int round = 0; round < 30; ++round) {
    const auto model = RandomFleet(random, 400);
    PlaceRequest request = testing::HelloRequest(RandomReplica(random));
    request.policy = Policy::kSpread;
    request.replica_count = ReplicasPerLocation{static_cast<int32_t>(Pick(random, 1, 80))};
    request.number_of_locations = 1;
    std::vector<double> weights;
    std::vector<int64_t> caps;
    int64_t room = 0;
    for (ClusterIndex c = 0; c < model->size(); ++c) {
      const int64_t fit = NodePathFit(*model, c, request.replica, {});
      weights.push_back(static_cast<double>(fit));
      caps.push_back(fit);
      room += fit;
    }
    INFO("round " << round);
    absl::StatusOr<Decision> decision = engine.Place(*model, request);
    REQUIRE(decision.ok());
    const int64_t total = std::get<ReplicasPerLocation>(request.replica_count).replicas;
    if (room == 0) {
      CHECK(decision->unplaced_replicas == total);
      continue;
    }
    const std::vector<int64_t> expected = WebsterApportion(total, weights, caps);
    for (ClusterIndex c = 0; c < model->size(); ++c) {
      INFO("cluster " << model->cluster(c).name);
      CHECK(decision->ReplicasOn(model->cluster(c).name) == expected[c]);
    }
    CHECK(decision->unplaced_replicas == std::max<int64_t>(0, total - room));
  }
}

}  // namespace
}  // namespace mck8s::placement
