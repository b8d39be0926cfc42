#include "mck8s/placement/plugins/preferred.h"

#include <catch2/catch.hpp>

#include "../testing.h"

namespace mck8s::placement {
namespace {

using testing::FogCluster;
using testing::HelloRequest;
using testing::IndexOf;
using testing::MustModel;
using testing::StateFor;

TEST_CASE("Preferred ranks the preferred clusters first, in order", "[placement][plugins]") {
  const auto model =
      MustModel({FogCluster("a", 1, 1000, testing::kGi), FogCluster("b", 1, 1000, testing::kGi),
                 FogCluster("c", 1, 1000, testing::kGi)});
  struct Case {
    std::vector<std::string> preferred;
    bool applies;
    double a, b, c;
  };
  const std::vector<Case> cases = {
      {{}, false, 0, 0, 0},
      {{"c", "a"}, true, 1, 0, 2},
      {{"b"}, true, 0, 1, 0},
      {{"gone", "a"}, true, 1, 0, 0},  // absent clusters are skipped
  };
  const PreferredScorer scorer;
  CHECK(scorer.Name() == "Preferred");
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    const Case& c = cases[i];
    PlaceRequest request = HelloRequest();
    request.preferred_clusters = c.preferred;
    StateFor state(*model, request);
    REQUIRE(scorer.AppliesTo(*state) == c.applies);
    if (!c.applies) continue;
    CHECK(scorer.Score(*state, IndexOf(*model, "a")) == c.a);
    CHECK(scorer.Score(*state, IndexOf(*model, "b")) == c.b);
    CHECK(scorer.Score(*state, IndexOf(*model, "c")) == c.c);
  }
}

}  // namespace
}  // namespace mck8s::placement
