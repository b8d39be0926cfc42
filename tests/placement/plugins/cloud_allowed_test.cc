#include "mck8s/placement/plugins/cloud_allowed.h"

#include <catch2/catch.hpp>

#include "../testing.h"

namespace mck8s::placement {
namespace {

using testing::FogCluster;
using testing::HelloRequest;
using testing::IndexOf;
using testing::MustModel;
using testing::StateFor;

TEST_CASE("CloudAllowed keeps new replicas off cloud clusters on request", "[placement][plugins]") {
  Cluster cloud = FogCluster("nancy", 1, 8000, 32 * testing::kGi);
  cloud.kind = ClusterKind::kCloud;
  // A fog cluster whose name says "cloud": the kind decides, never the name.
  Cluster lookalike = FogCluster("cloud-lab", 1, 1000, testing::kGi);
  const auto model = MustModel({cloud, lookalike});
  struct Case {
    bool allow_cloud;
    bool applies;
    FilterOutcome nancy, lab;
  };
  const std::vector<Case> cases = {
      {true, false, FilterOutcome::kPass, FilterOutcome::kPass},
      {false, true, FilterOutcome::kNoNew, FilterOutcome::kPass},
  };
  const CloudAllowedFilter filter;
  CHECK(filter.Name() == "CloudAllowed");
  for (const Case& c : cases) {
    INFO("allow_cloud " << c.allow_cloud);
    PlaceRequest request = HelloRequest();
    request.allow_cloud = c.allow_cloud;
    StateFor state(*model, request);
    REQUIRE(filter.AppliesTo(*state) == c.applies);
    if (!c.applies) continue;
    CHECK(filter.Filter(*state, IndexOf(*model, "nancy")) == c.nancy);
    CHECK(filter.Filter(*state, IndexOf(*model, "cloud-lab")) == c.lab);
    std::vector<FilterOutcome> all(model->size());
    filter.FilterAll(*state, all);
    CHECK(all[IndexOf(*model, "nancy")] == c.nancy);
    CHECK(all[IndexOf(*model, "cloud-lab")] == c.lab);
  }
}

}  // namespace
}  // namespace mck8s::placement
