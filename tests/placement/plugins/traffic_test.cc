#include "mck8s/placement/plugins/traffic.h"

#include <catch2/catch.hpp>

#include "../testing.h"

namespace mck8s::placement {
namespace {

using testing::FogCluster;
using testing::HelloRequest;
using testing::MustModel;
using testing::StateFor;

TEST_CASE("Traffic ranks by network receive rate, unknown last", "[placement][plugins]") {
  struct Case {
    std::optional<double> rate;
    double want;
  };
  const std::vector<Case> cases = {
      {5e6, 5e6},
      {0.0, 0.0},
      {std::nullopt, -1.0},
  };
  const TrafficScorer scorer;
  CHECK(scorer.Name() == "Traffic");
  CHECK_FALSE(scorer.NeedsFit());
  for (const Case& c : cases) {
    Cluster cluster = FogCluster("site", 1, 1000, testing::kGi);
    cluster.receive_bytes_per_second = c.rate;
    const auto model = MustModel({cluster});
    StateFor state(*model, HelloRequest());
    REQUIRE(scorer.AppliesTo(*state));
    CHECK(scorer.Score(*state, 0) == c.want);
  }
}

}  // namespace
}  // namespace mck8s::placement
