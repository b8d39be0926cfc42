#include "select.h"

#include <catch2/catch.hpp>
#include <random>

#include "mck8s/placement/plugins/least_room.h"
#include "mck8s/placement/plugins/most_room.h"
#include "mck8s/placement/plugins/node_fit.h"
#include "mck8s/placement/plugins/preferred.h"
#include "mck8s/placement/plugins/steady.h"
#include "mck8s/placement/plugins/traffic.h"
#include "testing.h"

namespace mck8s::placement {
namespace {

using testing::kGi;

std::shared_ptr<const ClusterModel> RandomFleet(std::mt19937_64& random, int clusters) {
  const auto pick = [&](int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(random);
  };
  std::vector<Cluster> fleet;
  for (int c = 0; c < clusters; ++c) {
    Cluster cluster;
    cluster.name = "c" + std::to_string(1000 + c);
    for (int n = 0; n < 8; ++n) {
      cluster.nodes.push_back(testing::Worker("n" + std::to_string(n), pick(0, 6) * 500,
                                              pick(0, 8) * kGi / 2, pick(0, 30)));
    }
    if (pick(0, 3) > 0) cluster.receive_bytes_per_second = static_cast<double>(pick(0, 5) * 1000);
    fleet.push_back(std::move(cluster));
  }
  return testing::MustModel(fleet);
}

TEST_CASE("select: the lazy order is the full sort's", "[placement][select]") {
  struct Case {
    std::string name;
    std::vector<const ScorePlugin*> scorers;
    bool preferred;
    bool current;
  };
  const MostRoomScorer most_room;
  const LeastRoomScorer least_room;
  const TrafficScorer traffic;
  const PreferredScorer preferred;
  const SteadyScorer steady;
  const std::vector<Case> cases = {
      {"most room", {&most_room}, false, false},
      {"least room", {&least_room}, false, false},
      {"traffic", {&traffic}, false, false},
      {"preferred, steady, most room", {&preferred, &steady, &most_room}, true, true},
      {"preferred, steady, least room", {&preferred, &steady, &least_room}, true, true},
  };
  const NodeFitFilter node_fit;
  std::mt19937_64 random(7);
  for (int round = 0; round < 20; ++round) {
    const auto model = RandomFleet(random, 150);
    for (const Case& c : cases) {
      INFO(c.name << " round " << round);
      PlaceRequest request = testing::HelloRequest();
      if (c.preferred) request.preferred_clusters = {"c1007", "c1003", "c1040"};
      if (c.current) request.current_placement = {{"c1005", 2}, {"c1050", 1}};
      testing::StateFor lazy_state(*model, request, {&node_fit});
      std::vector<ClusterIndex> all;
      for (ClusterIndex i = 0; i < model->size(); ++i) all.push_back(i);
      Ranker ranker(*lazy_state, c.scorers, all);
      std::vector<ClusterIndex> lazy;
      while (std::optional<ClusterIndex> next = ranker.Next()) lazy.push_back(*next);

      testing::StateFor eager_state(*model, request, {&node_fit});
      std::vector<ClusterIndex> eager;
      for (ClusterIndex i : all) {
        if (eager_state->Outcome(i) == FilterOutcome::kPass) eager.push_back(i);
      }
      std::sort(eager.begin(), eager.end(), [&](ClusterIndex a, ClusterIndex b) {
        return Ranker::RanksBefore(*eager_state, c.scorers, a, b);
      });
      CHECK(lazy == eager);
    }
  }
}

TEST_CASE("select: only clusters that may come next pay for an exact fit", "[placement][select]") {
  // 400 clusters with distinct sizes (c1000 holds 10 replicas, c1001 20,
  // ...): the three roomiest are found after a handful of exact fits.
  std::vector<Cluster> fleet;
  for (int c = 0; c < 400; ++c) {
    Cluster cluster;
    cluster.name = "c" + std::to_string(1000 + c);
    for (int n = 0; n < 10; ++n) {
      cluster.nodes.push_back(
          testing::Worker("n" + std::to_string(n), 1000 * (c + 1), 1024 * kGi, 1000));
    }
    fleet.push_back(std::move(cluster));
  }
  const auto model = testing::MustModel(fleet);
  const MostRoomScorer most_room;
  const std::vector<const ScorePlugin*> scorers = {&most_room};
  PlaceRequest request = testing::HelloRequest();
  testing::StateFor state(*model, request);
  std::vector<ClusterIndex> all;
  for (ClusterIndex i = 0; i < model->size(); ++i) all.push_back(i);
  Ranker ranker(*state, scorers, all);
  CHECK(model->cluster(*ranker.Next()).name == "c1399");
  CHECK(model->cluster(*ranker.Next()).name == "c1398");
  CHECK(model->cluster(*ranker.Next()).name == "c1397");
  int exact = 0;
  for (ClusterIndex i : all) exact += state->NewFitKnown(i);
  CHECK(exact < 40);
}

}  // namespace
}  // namespace mck8s::placement
