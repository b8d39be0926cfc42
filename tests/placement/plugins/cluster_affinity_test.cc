#include "mck8s/placement/plugins/cluster_affinity.h"

#include <catch2/catch.hpp>

#include "../testing.h"

namespace mck8s::placement {
namespace {

using testing::FogCluster;
using testing::HelloRequest;
using testing::IndexOf;
using testing::MustModel;
using testing::StateFor;

std::shared_ptr<const ClusterModel> Sites() {
  Cluster a = FogCluster("a", 1, 1000, testing::kGi);
  a.region = "eu-west";
  a.labels = {{"env", "prod"}};
  Cluster b = FogCluster("b", 1, 1000, testing::kGi);
  b.region = "eu-east";
  b.labels = {{"env", "dev"}};
  Cluster c = FogCluster("c", 1, 1000, testing::kGi);
  c.region = "eu-west";
  c.labels = {{"env", "dev"}};
  return MustModel({a, b, c});
}

TEST_CASE("ClusterAffinity keeps only allowed clusters", "[placement][plugins]") {
  struct Case {
    std::string name;
    ClusterSelector allowed;
    FilterOutcome a, b, c;
  };
  const auto selector = [](std::string_view text) { return *k8stypes::LabelSelector::Parse(text); };
  const FilterOutcome pass = FilterOutcome::kPass;
  const FilterOutcome evict = FilterOutcome::kEvict;
  const std::vector<Case> cases = {
      {"by name", {.names = {"a", "c"}}, pass, evict, pass},
      {"unknown names allow nothing", {.names = {"zz"}}, evict, evict, evict},
      {"by region", {.regions = {"eu-west"}}, pass, evict, pass},
      {"by labels", {.label_selector = selector("env=prod")}, pass, evict, evict},
      {"by set-based labels", {.label_selector = selector("env in (dev)")}, evict, pass, pass},
      {"every criterion must hold",
       {.names = {"a", "b"}, .regions = {"eu-west"}},
       pass,
       evict,
       evict},
  };
  const auto model = Sites();
  const ClusterAffinityFilter filter;
  for (const Case& c : cases) {
    INFO(c.name);
    PlaceRequest request = HelloRequest();
    request.constraints.allowed = c.allowed;
    StateFor state(*model, request);
    REQUIRE(filter.AppliesTo(*state));
    CHECK(filter.Filter(*state, IndexOf(*model, "a")) == c.a);
    CHECK(filter.Filter(*state, IndexOf(*model, "b")) == c.b);
    CHECK(filter.Filter(*state, IndexOf(*model, "c")) == c.c);
  }
}

TEST_CASE("ClusterAffinity explains and skips itself", "[placement][plugins]") {
  const auto model = Sites();
  const ClusterAffinityFilter filter;
  CHECK(filter.Name() == "ClusterAffinity");
  PlaceRequest request = HelloRequest();
  {
    StateFor state(*model, request);
    CHECK_FALSE(filter.AppliesTo(*state));  // no constraints
  }
  request.constraints.allowed = ClusterSelector{};
  {
    StateFor state(*model, request);
    CHECK_FALSE(filter.AppliesTo(*state));  // an empty selector allows everything
  }
  request.constraints.allowed = ClusterSelector{.names = {"a"}};
  {
    StateFor state(*model, request);
    CHECK(filter.Reason(*state, IndexOf(*model, "b")) == "not among the allowed clusters [a]");
  }
  request.constraints.allowed = ClusterSelector{.regions = {"eu-west"}};
  {
    StateFor state(*model, request);
    CHECK(filter.Reason(*state, IndexOf(*model, "b")) ==
          "region \"eu-east\" is not among the allowed regions [eu-west]");
  }
  request.constraints.allowed =
      ClusterSelector{.label_selector = *k8stypes::LabelSelector::Parse("env=prod")};
  {
    StateFor state(*model, request);
    CHECK(filter.Reason(*state, IndexOf(*model, "c")) ==
          "labels do not match the selector \"env=prod\"");
  }
}

}  // namespace
}  // namespace mck8s::placement
