#include "mck8s/placement/plugins/most_room.h"

#include <catch2/catch.hpp>

#include "../testing.h"

namespace mck8s::placement {
namespace {

using testing::HelloRequest;
using testing::kGi;
using testing::MustModel;
using testing::StateFor;
using testing::Worker;

TEST_CASE("MostRoom scores the replicas a cluster can hold", "[placement][plugins]") {
  struct Case {
    std::string name;
    std::vector<Node> nodes;
    int32_t current;
    double want;
  };
  const std::vector<Case> cases = {
      {"empty cluster", {}, 0, 0},
      {"cpu bound", {Worker("w1", 4000, 16 * kGi)}, 0, 4},
      {"memory bound", {Worker("w1", 8000, 3 * kGi)}, 0, 3},
      {"pods bound", {Worker("w1", 8000, 16 * kGi, 2)}, 0, 2},
      {"per node, not from totals",
       {Worker("w1", 1500, 4 * kGi), Worker("w2", 1500, 4 * kGi)},
       0,
       2},
      {"replicas already there count", {Worker("w1", 1000, kGi)}, 3, 4},
  };
  const MostRoomScorer scorer;
  CHECK(scorer.Name() == "MostRoom");
  CHECK(scorer.NeedsFit());
  for (const Case& c : cases) {
    INFO(c.name);
    Cluster cluster;
    cluster.name = "site";
    cluster.nodes = c.nodes;
    const auto model = MustModel({cluster});
    PlaceRequest request = HelloRequest();
    if (c.current > 0) request.current_placement["site"] = c.current;
    StateFor state(*model, request);
    const double bound = scorer.ScoreBound(*state, 0);
    CHECK(scorer.Score(*state, 0) == c.want);
    CHECK(bound >= c.want);
  }
}

}  // namespace
}  // namespace mck8s::placement
