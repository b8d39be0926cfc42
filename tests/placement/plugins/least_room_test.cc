#include "mck8s/placement/plugins/least_room.h"

#include <catch2/catch.hpp>

#include "../testing.h"

namespace mck8s::placement {
namespace {

using testing::HelloRequest;
using testing::kGi;
using testing::MustModel;
using testing::StateFor;
using testing::Worker;

TEST_CASE("LeastRoom ranks the fullest cluster that still fits first", "[placement][plugins]") {
  struct Case {
    std::string name;
    std::vector<Node> nodes;
    int32_t current;
    double want;
  };
  const std::vector<Case> cases = {
      {"nothing fits", {Worker("w1", 500, kGi)}, 0, 0},
      {"one fits", {Worker("w1", 1000, kGi)}, 0, -1},
      {"four fit", {Worker("w1", 4000, 16 * kGi)}, 0, -4},
      {"replicas already there count", {Worker("w1", 1000, kGi)}, 2, -3},
  };
  const LeastRoomScorer scorer;
  CHECK(scorer.Name() == "LeastRoom");
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
