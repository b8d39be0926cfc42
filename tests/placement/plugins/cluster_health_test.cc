#include "mck8s/placement/plugins/cluster_health.h"

#include <catch2/catch.hpp>

#include "../testing.h"

namespace mck8s::placement {
namespace {

using testing::FogCluster;
using testing::HelloRequest;
using testing::MustModel;
using testing::StateFor;

TEST_CASE("ClusterHealth takes nothing new on unreachable clusters", "[placement][plugins]") {
  struct Case {
    Health health;
    std::string reason;
    FilterOutcome want;
    std::string explanation;
  };
  const std::vector<Case> cases = {
      {Health::kReady, "", FilterOutcome::kPass, ""},
      {Health::kDegraded, "prometheus: connection refused", FilterOutcome::kPass, ""},
      {Health::kUnreachable, "no answer for 45s", FilterOutcome::kNoNew,
       "cluster is Unreachable: no answer for 45s"},
      {Health::kUnknown, "", FilterOutcome::kNoNew, "cluster is Unknown"},
  };
  const ClusterHealthFilter filter;
  CHECK(filter.Name() == "ClusterHealth");
  for (const Case& c : cases) {
    INFO(HealthName(c.health));
    Cluster cluster = FogCluster("site", 1, 1000, testing::kGi);
    cluster.health = c.health;
    cluster.health_reason = c.reason;
    const auto model = MustModel({cluster});
    PlaceRequest request = HelloRequest();
    StateFor state(*model, request);
    // A fleet with every cluster reachable skips the filter altogether.
    CHECK(filter.AppliesTo(*state) == (c.want != FilterOutcome::kPass));
    CHECK(filter.Filter(*state, 0) == c.want);
    if (c.want != FilterOutcome::kPass) CHECK(filter.Reason(*state, 0) == c.explanation);
  }
}

TEST_CASE("ClusterHealth filters a whole fleet as it filters one cluster", "[placement][plugins]") {
  std::vector<Cluster> clusters;
  const Health healths[] = {Health::kReady, Health::kDegraded, Health::kUnreachable,
                            Health::kUnknown};
  for (int i = 0; i < 8; ++i) {
    Cluster cluster = FogCluster("site-" + std::to_string(i), 1, 1000, testing::kGi);
    cluster.health = healths[i % 4];
    clusters.push_back(cluster);
  }
  const auto model = MustModel(clusters);
  StateFor state(*model, HelloRequest());
  const ClusterHealthFilter filter;
  std::vector<FilterOutcome> all(model->size());
  filter.FilterAll(*state, all);
  for (ClusterIndex c = 0; c < model->size(); ++c) CHECK(all[c] == filter.Filter(*state, c));
}

}  // namespace
}  // namespace mck8s::placement
