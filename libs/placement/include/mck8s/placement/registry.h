// -----------------------------------------------------------------------------
// File: mck8s/placement/registry.h
// -----------------------------------------------------------------------------
//
// The explicit list of pipeline plugins the engine may use, by name. Nothing
// registers itself: Registry::Default() names every filter and scorer of
// this library in one place, so reading it tells what a decision can do, and
// a test or a service can build a registry with a plugin more or less.
//
// Usage:
//
//   std::shared_ptr<Registry> registry = Registry::WithDefaults();
//   MCK8S_RETURN_IF_ERROR(registry->AddFilter(std::make_unique<MyFilter>()));
//   MCK8S_ASSIGN_OR_RETURN(Engine engine,
//                          Engine::Create(registry, EngineConfig::Default()));
//
// Thread safety: fill a registry, then share it const; lookups are then safe
// from any thread.

#ifndef MCK8S_PLACEMENT_REGISTRY_H_
#define MCK8S_PLACEMENT_REGISTRY_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "mck8s/placement/framework.h"

namespace mck8s::placement {

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // A registry with every plugin of this library: the filters
  // ClusterAffinity, Excluded, TaintToleration, ClusterHealth, CloudAllowed,
  // NodeFit and the scorers Preferred, TaintPreference, Steady, MostRoom,
  // LeastRoom, Traffic, Proximity.
  static std::shared_ptr<Registry> WithDefaults();

  // AlreadyExists when a plugin of the same kind has this name;
  // InvalidArgument for a null plugin or an empty name.
  absl::Status AddFilter(std::unique_ptr<FilterPlugin> filter);
  absl::Status AddScorer(std::unique_ptr<ScorePlugin> scorer);

  // nullptr when absent.
  const FilterPlugin* FindFilter(std::string_view name) const;
  const ScorePlugin* FindScorer(std::string_view name) const;

  // In registration order.
  std::vector<std::string_view> FilterNames() const;
  std::vector<std::string_view> ScorerNames() const;

 private:
  std::vector<std::unique_ptr<FilterPlugin>> filters_;
  std::vector<std::unique_ptr<ScorePlugin>> scorers_;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_REGISTRY_H_
