#include "mck8s/placement/plugins/proximity.h"

#include <catch2/catch.hpp>

#include "../testing.h"

namespace mck8s::placement {
namespace {

using testing::HelloRequest;
using testing::IndexOf;
using testing::StateFor;

TEST_CASE("Proximity ranks by RTT from the origin, unknown last", "[placement][plugins]") {
  std::vector<Cluster> clusters = testing::FogGuruClusters();
  clusters.push_back(testing::FogCluster("faraway", 1, 1000, testing::kGi));  // no RTT at all
  const auto model = testing::MustModel(clusters, testing::FogGuruRtt());
  const ClusterIndex rennes = IndexOf(*model, "rennes");
  struct Case {
    std::string cluster;
    double want;
  };
  const std::vector<Case> cases = {
      {"rennes", 0},
      {"nantes", -2.16},
      {"grenoble", -17.45},
      {"luxembourg", -27.41},
      {"faraway", ProximityScorer::kUnknownRttScore},
  };
  const ProximityScorer scorer;
  CHECK(scorer.Name() == "Proximity");
  const PlaceRequest request = HelloRequest();
  StateFor state(*model, request, {}, rennes);
  REQUIRE(scorer.AppliesTo(*state));
  for (const Case& c : cases) {
    INFO(c.cluster);
    CHECK(scorer.Score(*state, IndexOf(*model, c.cluster)) == Approx(c.want));
  }
  StateFor no_origin(*model, request);
  CHECK_FALSE(scorer.AppliesTo(*no_origin));
}

}  // namespace
}  // namespace mck8s::placement
