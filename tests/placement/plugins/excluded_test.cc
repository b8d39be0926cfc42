#include "mck8s/placement/plugins/excluded.h"

#include <catch2/catch.hpp>

#include "../testing.h"

namespace mck8s::placement {
namespace {

using testing::FogCluster;
using testing::HelloRequest;
using testing::IndexOf;
using testing::MustModel;
using testing::StateFor;

TEST_CASE("Excluded rejects listed clusters whatever is allowed", "[placement][plugins]") {
  struct Case {
    std::vector<std::string> excluded;
    std::optional<ClusterSelector> allowed;
    bool applies;
    FilterOutcome a, b;
  };
  const std::vector<Case> cases = {
      {{}, std::nullopt, false, FilterOutcome::kPass, FilterOutcome::kPass},
      {{"b"}, std::nullopt, true, FilterOutcome::kPass, FilterOutcome::kEvict},
      {{"b"},
       ClusterSelector{.names = {"a", "b"}},
       true,
       FilterOutcome::kPass,
       FilterOutcome::kEvict},
      {{"a", "b", "unknown"}, std::nullopt, true, FilterOutcome::kEvict, FilterOutcome::kEvict},
  };
  const auto model =
      MustModel({FogCluster("a", 1, 1000, testing::kGi), FogCluster("b", 1, 1000, testing::kGi)});
  const ExcludedFilter filter;
  CHECK(filter.Name() == "Excluded");
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    const Case& c = cases[i];
    PlaceRequest request = HelloRequest();
    request.constraints.excluded = c.excluded;
    request.constraints.allowed = c.allowed;
    StateFor state(*model, request);
    REQUIRE(filter.AppliesTo(*state) == c.applies);
    if (!c.applies) continue;
    CHECK(filter.Filter(*state, IndexOf(*model, "a")) == c.a);
    CHECK(filter.Filter(*state, IndexOf(*model, "b")) == c.b);
    CHECK(filter.Reason(*state, IndexOf(*model, "b")) == "listed in constraints.excluded");
  }
}

}  // namespace
}  // namespace mck8s::placement
