#include "mck8s/placement/registry.h"

#include <catch2/catch.hpp>

#include "mck8s/placement/engine.h"
#include "mck8s/placement/plugins/node_fit.h"

namespace mck8s::placement {
namespace {

TEST_CASE("registry: the defaults, by name", "[placement][registry]") {
  std::shared_ptr<Registry> registry = Registry::WithDefaults();
  CHECK(registry->FilterNames() == std::vector<std::string_view>{"ClusterAffinity", "Excluded",
                                                                 "TaintToleration", "ClusterHealth",
                                                                 "CloudAllowed", "NodeFit"});
  CHECK(registry->ScorerNames() == std::vector<std::string_view>{"Preferred", "TaintPreference",
                                                                 "Steady", "MostRoom", "LeastRoom",
                                                                 "Traffic", "Proximity"});
  CHECK(registry->FindFilter("NodeFit") != nullptr);
  CHECK(registry->FindScorer("NodeFit") == nullptr);
  const absl::Status repeated = registry->AddFilter(std::make_unique<NodeFitFilter>());
  CHECK(repeated.code() == absl::StatusCode::kAlreadyExists);
  CHECK(repeated.message() == "filter \"NodeFit\" is already registered");
  CHECK(registry->AddScorer(nullptr).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("registry: engine profiles must name registered plugins", "[placement][registry]") {
  EngineConfig config = EngineConfig::Default();
  config.best_fit.scorers.push_back("Cheapest");
  absl::StatusOr<Engine> engine = Engine::Create(Registry::WithDefaults(), config);
  REQUIRE_FALSE(engine.ok());
  CHECK(engine.status().message() == "profile best-fit: unknown scorer \"Cheapest\"");

  config = EngineConfig::Default();
  config.relocation.filters = {"Nope"};
  engine = Engine::Create(Registry::WithDefaults(), config);
  REQUIRE_FALSE(engine.ok());
  CHECK(engine.status().message() == "profile relocation: unknown filter \"Nope\"");

  CHECK(Engine::Create(Registry::WithDefaults(), EngineConfig::Default()).ok());
  CHECK(Engine::Create(nullptr, EngineConfig::Default()).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mck8s::placement
