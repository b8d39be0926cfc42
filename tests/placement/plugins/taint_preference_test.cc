#include "mck8s/placement/plugins/taint_preference.h"

#include <catch2/catch.hpp>

#include "../testing.h"

namespace mck8s::placement {
namespace {

using testing::FogCluster;
using testing::HelloRequest;
using testing::IndexOf;
using testing::MustModel;
using testing::StateFor;

TEST_CASE("TaintPreference ranks PreferNoSchedule clusters last", "[placement][plugins]") {
  Cluster costly = FogCluster("costly", 1, 1000, testing::kGi);
  costly.taints = {{"fogguru.eu/costly", "", TaintEffect::kPreferNoSchedule}};
  const auto model = MustModel({costly, FogCluster("clean", 1, 1000, testing::kGi)});
  struct Case {
    std::vector<Toleration> tolerations;
    double costly, clean;
  };
  const std::vector<Case> cases = {
      {{}, -1, 0},
      {{{.key = "fogguru.eu/costly", .op = TolerationOperator::kExists}}, 0, 0},
      {{{.key = "other", .op = TolerationOperator::kExists}}, -1, 0},
  };
  const TaintPreferenceScorer scorer;
  CHECK(scorer.Name() == "TaintPreference");
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    PlaceRequest request = HelloRequest();
    request.constraints.tolerations = cases[i].tolerations;
    StateFor state(*model, request);
    REQUIRE(scorer.AppliesTo(*state));
    CHECK(scorer.Score(*state, IndexOf(*model, "costly")) == cases[i].costly);
    CHECK(scorer.Score(*state, IndexOf(*model, "clean")) == cases[i].clean);
  }
  const auto untainted = MustModel({FogCluster("clean", 1, 1000, testing::kGi)});
  StateFor state(*untainted, HelloRequest());
  CHECK_FALSE(scorer.AppliesTo(*state));
}

}  // namespace
}  // namespace mck8s::placement
