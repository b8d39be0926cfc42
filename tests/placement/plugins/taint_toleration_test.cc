#include "mck8s/placement/plugins/taint_toleration.h"

#include <catch2/catch.hpp>

#include "../testing.h"

namespace mck8s::placement {
namespace {

using testing::FogCluster;
using testing::HelloRequest;
using testing::IndexOf;
using testing::MustModel;
using testing::StateFor;

std::shared_ptr<const ClusterModel> Tainted() {
  Cluster draining = FogCluster("draining", 1, 1000, testing::kGi);
  draining.taints = {{"fogguru.eu/draining", "", TaintEffect::kNoSchedule}};
  Cluster broken = FogCluster("broken", 1, 1000, testing::kGi);
  broken.taints = {{"fogguru.eu/broken", "disk", TaintEffect::kNoExecute}};
  Cluster costly = FogCluster("costly", 1, 1000, testing::kGi);
  costly.taints = {{"fogguru.eu/costly", "", TaintEffect::kPreferNoSchedule}};
  Cluster clean = FogCluster("clean", 1, 1000, testing::kGi);
  return MustModel({draining, broken, costly, clean});
}

TEST_CASE("TaintToleration judges MemberCluster taints", "[placement][plugins]") {
  struct Case {
    std::string name;
    std::vector<Toleration> tolerations;
    FilterOutcome draining, broken, costly, clean;
  };
  const FilterOutcome pass = FilterOutcome::kPass;
  const FilterOutcome no_new = FilterOutcome::kNoNew;
  const FilterOutcome evict = FilterOutcome::kEvict;
  const std::vector<Case> cases = {
      {"no tolerations", {}, no_new, evict, pass, pass},
      {"tolerate everything", {{.op = TolerationOperator::kExists}}, pass, pass, pass, pass},
      {"tolerate draining by key",
       {{.key = "fogguru.eu/draining", .op = TolerationOperator::kExists}},
       pass,
       evict,
       pass,
       pass},
      {"wrong value", {{.key = "fogguru.eu/broken", .value = "cpu"}}, no_new, evict, pass, pass},
      {"right value", {{.key = "fogguru.eu/broken", .value = "disk"}}, no_new, pass, pass, pass},
      {"NoExecute tolerated for a while takes nothing new",
       {{.key = "fogguru.eu/broken",
         .op = TolerationOperator::kExists,
         .effect = TaintEffect::kNoExecute,
         .evict_after_seconds = 300}},
       no_new,
       no_new,
       pass,
       pass},
      {"effect must match",
       {{.key = "fogguru.eu/draining",
         .op = TolerationOperator::kExists,
         .effect = TaintEffect::kNoExecute}},
       no_new,
       evict,
       pass,
       pass},
  };
  const auto model = Tainted();
  const TaintTolerationFilter filter;
  CHECK(filter.Name() == "TaintToleration");
  for (const Case& c : cases) {
    INFO(c.name);
    PlaceRequest request = HelloRequest();
    request.constraints.tolerations = c.tolerations;
    StateFor state(*model, request);
    REQUIRE(filter.AppliesTo(*state));
    CHECK(filter.Filter(*state, IndexOf(*model, "draining")) == c.draining);
    CHECK(filter.Filter(*state, IndexOf(*model, "broken")) == c.broken);
    CHECK(filter.Filter(*state, IndexOf(*model, "costly")) == c.costly);
    CHECK(filter.Filter(*state, IndexOf(*model, "clean")) == c.clean);
  }
}

TEST_CASE("TaintToleration explains and skips untainted fleets", "[placement][plugins]") {
  const TaintTolerationFilter filter;
  const auto model = Tainted();
  PlaceRequest request = HelloRequest();
  StateFor state(*model, request);
  CHECK(filter.Reason(*state, IndexOf(*model, "broken")) ==
        "taint fogguru.eu/broken=disk:NoExecute is not tolerated");
  CHECK(filter.Reason(*state, IndexOf(*model, "draining")) ==
        "taint fogguru.eu/draining=:NoSchedule is not tolerated");

  const auto untainted = MustModel({FogCluster("a", 1, 1000, testing::kGi)});
  StateFor other(*untainted, request);
  CHECK_FALSE(filter.AppliesTo(*other));
}

}  // namespace
}  // namespace mck8s::placement
