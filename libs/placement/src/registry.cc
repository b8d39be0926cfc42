#include "mck8s/placement/registry.h"

#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"
#include "mck8s/placement/plugins/cloud_allowed.h"
#include "mck8s/placement/plugins/cluster_affinity.h"
#include "mck8s/placement/plugins/cluster_health.h"
#include "mck8s/placement/plugins/excluded.h"
#include "mck8s/placement/plugins/least_room.h"
#include "mck8s/placement/plugins/most_room.h"
#include "mck8s/placement/plugins/node_fit.h"
#include "mck8s/placement/plugins/preferred.h"
#include "mck8s/placement/plugins/proximity.h"
#include "mck8s/placement/plugins/steady.h"
#include "mck8s/placement/plugins/taint_preference.h"
#include "mck8s/placement/plugins/taint_toleration.h"
#include "mck8s/placement/plugins/traffic.h"

namespace mck8s::placement {
namespace {

template <typename Plugin>
absl::Status Add(std::vector<std::unique_ptr<Plugin>>& plugins, std::unique_ptr<Plugin> plugin,
                 std::string_view kind) {
  if (plugin == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("null ", ToAbsl(kind)));
  }
  if (plugin->Name().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(kind), " with an empty name"));
  }
  for (const auto& existing : plugins) {
    if (existing->Name() == plugin->Name()) {
      return absl::AlreadyExistsError(
          absl::StrCat(ToAbsl(kind), " \"", ToAbsl(plugin->Name()), "\" is already registered"));
    }
  }
  plugins.push_back(std::move(plugin));
  return absl::OkStatus();
}

template <typename Plugin>
const Plugin* Find(const std::vector<std::unique_ptr<Plugin>>& plugins, std::string_view name) {
  for (const auto& plugin : plugins) {
    if (plugin->Name() == name) return plugin.get();
  }
  return nullptr;
}

}  // namespace

std::shared_ptr<Registry> Registry::WithDefaults() {
  auto registry = std::make_shared<Registry>();
  // Names are unique by construction, so these cannot fail.
  (void)registry->AddFilter(std::make_unique<ClusterAffinityFilter>());
  (void)registry->AddFilter(std::make_unique<ExcludedFilter>());
  (void)registry->AddFilter(std::make_unique<TaintTolerationFilter>());
  (void)registry->AddFilter(std::make_unique<ClusterHealthFilter>());
  (void)registry->AddFilter(std::make_unique<CloudAllowedFilter>());
  (void)registry->AddFilter(std::make_unique<NodeFitFilter>());
  (void)registry->AddScorer(std::make_unique<PreferredScorer>());
  (void)registry->AddScorer(std::make_unique<TaintPreferenceScorer>());
  (void)registry->AddScorer(std::make_unique<SteadyScorer>());
  (void)registry->AddScorer(std::make_unique<MostRoomScorer>());
  (void)registry->AddScorer(std::make_unique<LeastRoomScorer>());
  (void)registry->AddScorer(std::make_unique<TrafficScorer>());
  (void)registry->AddScorer(std::make_unique<ProximityScorer>());
  return registry;
}

absl::Status Registry::AddFilter(std::unique_ptr<FilterPlugin> filter) {
  return Add(filters_, std::move(filter), "filter");
}

absl::Status Registry::AddScorer(std::unique_ptr<ScorePlugin> scorer) {
  return Add(scorers_, std::move(scorer), "scorer");
}

const FilterPlugin* Registry::FindFilter(std::string_view name) const {
  return Find(filters_, name);
}

const ScorePlugin* Registry::FindScorer(std::string_view name) const {
  return Find(scorers_, name);
}

std::vector<std::string_view> Registry::FilterNames() const {
  std::vector<std::string_view> names;
  for (const auto& filter : filters_) names.push_back(filter->Name());
  return names;
}

std::vector<std::string_view> Registry::ScorerNames() const {
  std::vector<std::string_view> names;
  for (const auto& scorer : scorers_) names.push_back(scorer->Name());
  return names;
}

}  // namespace mck8s::placement
