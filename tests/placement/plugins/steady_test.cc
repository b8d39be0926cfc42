#include "mck8s/placement/plugins/steady.h"

#include <catch2/catch.hpp>

#include "../testing.h"

namespace mck8s::placement {
namespace {

using testing::FogCluster;
using testing::HelloRequest;
using testing::IndexOf;
using testing::MustModel;
using testing::StateFor;

TEST_CASE("Steady ranks clusters that run the workload first", "[placement][plugins]") {
  const auto model =
      MustModel({FogCluster("a", 1, 1000, testing::kGi), FogCluster("b", 1, 1000, testing::kGi)});
  struct Case {
    CurrentPlacement current;
    bool applies;
    double a, b;
  };
  const std::vector<Case> cases = {
      {{}, false, 0, 0},
      {{{"a", 2}}, true, 1, 0},
      {{{"a", 0}, {"b", 5}}, true, 0, 1},
      {{{"gone", 3}}, false, 0, 0},  // clusters absent from the snapshot keep nothing
  };
  const SteadyScorer scorer;
  CHECK(scorer.Name() == "Steady");
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    PlaceRequest request = HelloRequest();
    request.current_placement = cases[i].current;
    StateFor state(*model, request);
    REQUIRE(scorer.AppliesTo(*state) == cases[i].applies);
    if (!cases[i].applies) continue;
    CHECK(scorer.Score(*state, IndexOf(*model, "a")) == cases[i].a);
    CHECK(scorer.Score(*state, IndexOf(*model, "b")) == cases[i].b);
  }
}

}  // namespace
}  // namespace mck8s::placement
