#include "mck8s/placement/engine.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "assign.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/base/strings.h"
#include "select.h"
#include "tally.h"

namespace mck8s::placement {
namespace {

std::string Plural(int64_t count, std::string_view word) {
  return absl::StrCat(count, " ", ToAbsl(word), count == 1 ? "" : "s");
}

absl::Status CheckDeductions(const ClusterModel& model, const Deductions* deductions) {
  if (deductions != nullptr && deductions->model() != nullptr && deductions->model() != &model) {
    return absl::FailedPreconditionError(
        absl::StrCat("reservations were resolved against another snapshot (revision ",
                     deductions->model()->revision(), "), not revision ", model.revision()));
  }
  return absl::OkStatus();
}

// Names the request mentions that the snapshot lacks, sorted and unique.
class UnknownNames {
 public:
  explicit UnknownNames(const ClusterModel& model) : model_(model) {}
  void Check(const std::string& name) {
    if (!model_.Find(name).has_value()) names_.push_back(name);
  }
  void CheckAll(const std::vector<std::string>& names) {
    for (const std::string& name : names) Check(name);
  }
  void CheckConstraints(const ClusterConstraints& constraints) {
    if (constraints.allowed.has_value()) CheckAll(constraints.allowed->names);
    CheckAll(constraints.excluded);
  }
  void CheckCurrent(const CurrentPlacement& current) {
    for (const auto& [name, replicas] : current) {
      if (replicas > 0) Check(name);
    }
  }
  std::vector<std::string> Take() {
    std::sort(names_.begin(), names_.end());
    names_.erase(std::unique(names_.begin(), names_.end()), names_.end());
    return std::move(names_);
  }

 private:
  const ClusterModel& model_;
  std::vector<std::string> names_;
};

// Where the engine's model puts each cluster's new replicas: one at a time
// on the node with the most room left (ties to the node whose name sorts
// first), the way Kubernetes' default scoring spreads pods.
std::vector<NodeClaim> Claims(const CycleState& state, const Tally& tally) {
  const ClusterModel& model = state.model();
  std::vector<NodeClaim> claims;
  std::vector<std::pair<int32_t, int64_t>> fits;
  std::vector<int64_t> per_node;
  std::vector<std::pair<int64_t, int32_t>> heap;
  std::vector<std::pair<int32_t, int64_t>> taken;
  for (const auto& [cluster, fresh] : tally.NewReplicas()) {
    fits.clear();
    const std::span<const NodeDeduction> deductions = state.DeductionsOn(cluster);
    if (deductions.empty() && state.query().CanUsePlainPath(model.fit_index(cluster))) {
      PlainFitPerNode(model, cluster, state.query(), fits);
    } else {
      FitPerNode(model, cluster, state.replica(), deductions, per_node);
      for (size_t n = 0; n < per_node.size(); ++n) {
        if (per_node[n] > 0) fits.emplace_back(static_cast<int32_t>(n), per_node[n]);
      }
    }
    // (room left, -node): the top is the roomiest node, lowest index first.
    heap.clear();
    for (const auto& [node, fit] : fits) heap.emplace_back(fit, -node);
    taken.clear();
    if (fresh == 1) {
      // The usual case of a spread decision: one replica, the roomiest node.
      if (!heap.empty()) {
        taken.emplace_back(-std::max_element(heap.begin(), heap.end())->second, 1);
      }
    } else {
      std::make_heap(heap.begin(), heap.end());
      for (int64_t i = 0; i < fresh && !heap.empty(); ++i) {
        std::pop_heap(heap.begin(), heap.end());
        const auto [room, negative_node] = heap.back();
        heap.pop_back();
        const int32_t node = -negative_node;
        auto it = std::find_if(taken.begin(), taken.end(),
                               [node](const auto& entry) { return entry.first == node; });
        if (it == taken.end()) {
          taken.emplace_back(node, 1);
        } else {
          ++it->second;
        }
        if (room > 1) {
          heap.emplace_back(room - 1, negative_node);
          std::push_heap(heap.begin(), heap.end());
        }
      }
      std::sort(taken.begin(), taken.end());
    }
    for (const auto& [node, replicas] : taken) {
      claims.push_back({model.cluster(cluster).name, model.cluster(cluster).nodes[node].name,
                        static_cast<int32_t>(replicas)});
    }
  }
  return claims;
}

// Fills explanation.clusters: ranked clusters first (by `group`, then
// scores, then name), then filtered ones by name. Returns how many clusters
// were filtered out.
template <typename GroupOf>
int64_t ExplainClusters(const CycleState& state, const Tally& tally,
                        std::span<const ScorePlugin* const> scorers, GroupOf group_of,
                        Explanation& explanation) {
  const ClusterModel& model = state.model();
  struct Row {
    int64_t group;
    std::vector<double> scores;
    ClusterIndex cluster;
  };
  state.EvaluateCheapFilters();
  std::vector<Row> ranked;
  std::vector<ClusterIndex> filtered;
  for (ClusterIndex cluster = 0; cluster < model.size(); ++cluster) {
    if (state.Outcome(cluster) == FilterOutcome::kPass) {
      ranked.push_back({group_of(cluster), Ranker::ExactScores(state, scorers, cluster), cluster});
    } else {
      filtered.push_back(cluster);
    }
  }
  std::sort(ranked.begin(), ranked.end(), [](const Row& a, const Row& b) {
    if (a.group != b.group) return a.group < b.group;
    if (a.scores != b.scores) {
      return std::lexicographical_compare(b.scores.begin(), b.scores.end(), a.scores.begin(),
                                          a.scores.end());
    }
    return a.cluster < b.cluster;
  });
  const auto rtt_of = [&](ClusterIndex cluster) -> std::optional<RttFromOrigin> {
    std::optional<ClusterIndex> origin = tally.OriginOf(cluster);
    if (!origin.has_value()) origin = state.origin();
    if (!origin.has_value() || *origin == cluster) return std::nullopt;
    std::optional<double> rtt = model.Rtt(*origin, cluster);
    if (!rtt.has_value()) return std::nullopt;
    return RttFromOrigin{model.cluster(*origin).name, *rtt};
  };
  explanation.clusters.reserve(model.size());
  for (size_t position = 0; position < ranked.size(); ++position) {
    const Row& row = ranked[position];
    ClusterExplanation entry;
    entry.cluster = model.cluster(row.cluster).name;
    for (size_t j = 0; j < scorers.size(); ++j) {
      entry.scores.push_back({std::string(scorers[j]->Name()), row.scores[j]});
    }
    entry.total = static_cast<double>(ranked.size() - position);
    entry.max_replicas = state.Capacity(row.cluster);
    entry.rtt = rtt_of(row.cluster);
    explanation.clusters.push_back(std::move(entry));
  }
  for (ClusterIndex cluster : filtered) {
    ClusterExplanation entry;
    entry.cluster = model.cluster(cluster).name;
    const FilterPlugin* filter = state.RejectedBy(cluster);
    const FilterOutcome outcome = state.Outcome(cluster);
    entry.filtered =
        FilterRejection{filter != nullptr ? std::string(filter->Name()) : std::string("Unknown"),
                        filter != nullptr ? filter->Reason(state, cluster) : std::string(),
                        outcome == FilterOutcome::kNoNew};
    if (state.CheapOutcome(cluster) == FilterOutcome::kPass) {
      entry.max_replicas = state.Capacity(cluster);
    }
    entry.rtt = rtt_of(cluster);
    explanation.clusters.push_back(std::move(entry));
  }
  return static_cast<int64_t>(filtered.size());
}

void AppendTail(std::string& summary, int64_t filtered, bool explained,
                const std::vector<std::string>& unknown) {
  if (explained) absl::StrAppend(&summary, "; ", Plural(filtered, "cluster"), " filtered out");
  if (!unknown.empty()) {
    absl::StrAppend(&summary, "; not in the snapshot: ", absl::StrJoin(unknown, ", "));
  }
}

Decision NewDecision(const CycleState& state, const Tally& tally, int64_t requested,
                     int64_t unplaced) {
  Decision decision;
  decision.workload = state.workload();
  decision.assignments = tally.Assignments();
  decision.requested_replicas = requested;
  decision.unplaced_replicas = unplaced;
  decision.snapshot_revision = state.model().revision();
  decision.per_replica = state.replica().requests;
  decision.claims = Claims(state, tally);
  return decision;
}

absl::StatusOr<std::vector<const FilterPlugin*>> ResolveFilters(const Registry& registry,
                                                                const Profile& profile,
                                                                std::string_view profile_name) {
  std::vector<const FilterPlugin*> filters;
  for (const std::string& name : profile.filters) {
    const FilterPlugin* filter = registry.FindFilter(name);
    if (filter == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("profile ", ToAbsl(profile_name), ": unknown filter \"", name, "\""));
    }
    filters.push_back(filter);
  }
  return filters;
}

absl::StatusOr<std::vector<const ScorePlugin*>> ResolveScorers(const Registry& registry,
                                                               const Profile& profile,
                                                               std::string_view profile_name) {
  std::vector<const ScorePlugin*> scorers;
  for (const std::string& name : profile.scorers) {
    const ScorePlugin* scorer = registry.FindScorer(name);
    if (scorer == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("profile ", ToAbsl(profile_name), ": unknown scorer \"", name, "\""));
    }
    scorers.push_back(scorer);
  }
  return scorers;
}

// The cycle input of a request with the fields Place, Offload and Burst
// share; `origin` is where proximity walks start.
template <typename Request>
CycleInput CommonInput(const Request& request, std::optional<ClusterIndex> origin) {
  CycleInput input;
  input.workload = &request.workload;
  input.replica = &request.replica;
  input.constraints = &request.constraints;
  input.current = &request.current_placement;
  input.allow_cloud = request.allow_cloud;
  input.origin = origin;
  return input;
}

// Explains an Offload or Burst when asked (fog clusters ranked before cloud
// ones) and returns how many clusters were filtered out.
int64_t ExplainRelocation(const CycleState& state, const Tally& tally,
                          std::span<const ScorePlugin* const> scorers, bool explain,
                          Explanation& explanation) {
  if (!explain) return 0;
  const ClusterModel& model = state.model();
  return ExplainClusters(
      state, tally, scorers,
      [&](ClusterIndex cluster) -> int64_t {
        return model.kind(cluster) == ClusterKind::kCloud ? 1 : 0;
      },
      explanation);
}

}  // namespace

EngineConfig EngineConfig::Default() {
  const std::vector<std::string> filters = {"ClusterAffinity", "Excluded",     "TaintToleration",
                                            "ClusterHealth",   "CloudAllowed", "NodeFit"};
  const auto ranked = [&](std::string policy_scorer) {
    return Profile{filters, {"Preferred", "TaintPreference", "Steady", std::move(policy_scorer)}};
  };
  EngineConfig config;
  config.worst_fit = ranked("MostRoom");
  config.best_fit = ranked("LeastRoom");
  config.traffic_aware = ranked("Traffic");
  config.spread = ranked("MostRoom");
  config.cluster_affinity = Profile{filters, {"Proximity"}};
  config.relocation = Profile{filters, {"Proximity"}};
  return config;
}

absl::StatusOr<Engine> Engine::Create(std::shared_ptr<const Registry> registry,
                                      EngineConfig config) {
  if (registry == nullptr) return absl::InvalidArgumentError("registry: must not be null");
  Engine engine;
  const auto resolve = [&](const Profile& profile, Policy policy,
                           Pipeline& pipeline) -> absl::Status {
    pipeline.name = std::string(PolicyName(policy));
    MCK8S_ASSIGN_OR_RETURN(pipeline.filters, ResolveFilters(*registry, profile, pipeline.name));
    MCK8S_ASSIGN_OR_RETURN(pipeline.scorers, ResolveScorers(*registry, profile, pipeline.name));
    return absl::OkStatus();
  };
  MCK8S_RETURN_IF_ERROR(resolve(config.cluster_affinity, Policy::kClusterAffinity,
                                engine.policies_[static_cast<size_t>(Policy::kClusterAffinity)]));
  MCK8S_RETURN_IF_ERROR(resolve(config.worst_fit, Policy::kWorstFit,
                                engine.policies_[static_cast<size_t>(Policy::kWorstFit)]));
  MCK8S_RETURN_IF_ERROR(resolve(config.best_fit, Policy::kBestFit,
                                engine.policies_[static_cast<size_t>(Policy::kBestFit)]));
  MCK8S_RETURN_IF_ERROR(resolve(config.traffic_aware, Policy::kTrafficAware,
                                engine.policies_[static_cast<size_t>(Policy::kTrafficAware)]));
  MCK8S_RETURN_IF_ERROR(resolve(config.spread, Policy::kSpread,
                                engine.policies_[static_cast<size_t>(Policy::kSpread)]));
  engine.relocation_.name = "relocation";
  MCK8S_ASSIGN_OR_RETURN(engine.relocation_.filters,
                         ResolveFilters(*registry, config.relocation, "relocation"));
  MCK8S_ASSIGN_OR_RETURN(engine.relocation_.scorers,
                         ResolveScorers(*registry, config.relocation, "relocation"));
  engine.room_scorer_ = registry->FindScorer(config.room_scorer);
  if (engine.room_scorer_ == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("room_scorer: unknown scorer \"", config.room_scorer, "\""));
  }
  engine.registry_ = std::move(registry);
  return engine;
}

Engine Engine::CreateDefault() {
  absl::StatusOr<Engine> engine = Create(Registry::WithDefaults(), EngineConfig::Default());
  // The default registry has every plugin the default config names.
  return *std::move(engine);
}

const Engine::Pipeline& Engine::PipelineFor(Policy policy) const {
  return policies_[static_cast<size_t>(policy)];
}

absl::StatusOr<Decision> Engine::Place(const ClusterModel& model, const PlaceRequest& request,
                                       const Deductions* deductions) const {
  MCK8S_RETURN_IF_ERROR(ValidatePlaceRequest(request));
  MCK8S_RETURN_IF_ERROR(CheckDeductions(model, deductions));
  const Policy policy = EffectivePolicy(request);
  const Pipeline& pipeline = PipelineFor(policy);
  const Locations* locations = std::get_if<Locations>(&request.replica_count);

  CycleInput input = CommonInput(request, std::nullopt);
  if (policy == Policy::kClusterAffinity) {
    for (const ClusterReplicas& entry : locations->clusters) {
      if ((input.origin = model.Find(entry.cluster)).has_value()) break;
    }
  } else {
    input.preferred = request.preferred_clusters;
  }
  CycleState state(model, input, pipeline.filters, deductions);
  Tally tally(state);

  const int64_t total = TotalReplicas(request);
  int64_t unplaced = 0;
  switch (policy) {
    case Policy::kClusterAffinity:
      unplaced = AssignAffinity(state, *locations, room_scorer_, tally);
      break;
    case Policy::kWorstFit:
    case Policy::kBestFit:
    case Policy::kTrafficAware: {
      const auto& per_location = std::get<ReplicasPerLocation>(request.replica_count);
      unplaced = AssignRanked(state, pipeline.scorers, per_location.replicas,
                              std::max<int64_t>(request.number_of_locations, 1), tally);
      break;
    }
    case Policy::kSpread:
      unplaced = AssignSpread(state, pipeline.scorers, total, tally);
      break;
  }

  Decision decision = NewDecision(state, tally, total, unplaced);
  UnknownNames unknown(model);
  if (locations != nullptr) {
    for (const ClusterReplicas& entry : locations->clusters) unknown.Check(entry.cluster);
  } else {
    unknown.CheckAll(request.preferred_clusters);
  }
  unknown.CheckConstraints(request.constraints);
  unknown.CheckCurrent(request.current_placement);
  decision.explanation.unknown_clusters = unknown.Take();

  int64_t filtered = 0;
  if (request.explain) {
    filtered = ExplainClusters(
        state, tally, pipeline.scorers,
        [&](ClusterIndex cluster) -> int64_t {
          const int64_t cloud = model.kind(cluster) == ClusterKind::kCloud ? 1 : 0;
          if (locations == nullptr) return cloud;
          const auto& listed = locations->clusters;
          for (size_t i = 0; i < listed.size(); ++i) {
            if (listed[i].cluster == model.cluster(cluster).name) return static_cast<int64_t>(i);
          }
          return static_cast<int64_t>(listed.size()) + cloud;
        },
        decision.explanation);
  }
  std::string summary =
      absl::StrCat(total - unplaced, " of ", Plural(total, "replica"), " placed on ",
                   Plural(tally.ClustersUsed(), "cluster"), " by ", ToAbsl(PolicyLabel(policy)));
  if (unplaced > 0)
    absl::StrAppend(&summary, "; ", unplaced, " unplaced: no eligible cluster has room");
  AppendTail(summary, filtered, request.explain, decision.explanation.unknown_clusters);
  decision.explanation.summary = std::move(summary);
  return decision;
}

absl::StatusOr<Decision> Engine::Offload(const ClusterModel& model, const OffloadRequest& request,
                                         const Deductions* deductions) const {
  MCK8S_RETURN_IF_ERROR(ValidateOffloadRequest(request));
  MCK8S_RETURN_IF_ERROR(CheckDeductions(model, deductions));
  const CycleInput input = CommonInput(request, model.Find(request.from_cluster));
  CycleState state(model, input, relocation_.filters, deductions);
  Tally tally(state);
  const int64_t stuck = AssignOffload(state, input.origin, request.from_cluster, request.replicas,
                                      request.current_placement, room_scorer_, tally);
  Decision decision = NewDecision(state, tally, request.replicas, stuck);
  UnknownNames unknown(model);
  unknown.Check(request.from_cluster);
  unknown.CheckConstraints(request.constraints);
  unknown.CheckCurrent(request.current_placement);
  decision.explanation.unknown_clusters = unknown.Take();
  const int64_t filtered =
      ExplainRelocation(state, tally, relocation_.scorers, request.explain, decision.explanation);
  const int64_t receivers = static_cast<int64_t>(tally.NewReplicas().size());
  std::string summary =
      absl::StrCat(request.replicas - stuck, " of ", Plural(request.replicas, "replica"),
                   " moved off ", request.from_cluster, " to ", Plural(receivers, "cluster"));
  if (stuck > 0) {
    absl::StrAppend(&summary, "; ", stuck, " stay on ", request.from_cluster,
                    ": no other eligible cluster has room");
  }
  AppendTail(summary, filtered, request.explain, decision.explanation.unknown_clusters);
  decision.explanation.summary = std::move(summary);
  return decision;
}

absl::StatusOr<Decision> Engine::Burst(const ClusterModel& model, const BurstRequest& request,
                                       const Deductions* deductions) const {
  MCK8S_RETURN_IF_ERROR(ValidateBurstRequest(request));
  MCK8S_RETURN_IF_ERROR(CheckDeductions(model, deductions));
  std::optional<ClusterIndex> near = model.Find(request.near_cluster);
  if (!near.has_value()) {
    return absl::NotFoundError(absl::StrCat("near_cluster: cluster \"", request.near_cluster,
                                            "\" is not in the snapshot (revision ",
                                            model.revision(), ")"));
  }
  const CycleInput input = CommonInput(request, near);
  CycleState state(model, input, relocation_.filters, deductions);
  Tally tally(state);
  const int64_t unplaced =
      AssignBurst(state, *near, request.replicas, request.current_placement, room_scorer_, tally);
  Decision decision = NewDecision(state, tally, request.replicas, unplaced);
  UnknownNames unknown(model);
  unknown.CheckConstraints(request.constraints);
  unknown.CheckCurrent(request.current_placement);
  decision.explanation.unknown_clusters = unknown.Take();
  const int64_t filtered =
      ExplainRelocation(state, tally, relocation_.scorers, request.explain, decision.explanation);
  const int64_t receivers = static_cast<int64_t>(tally.NewReplicas().size());
  std::string summary =
      absl::StrCat(request.replicas - unplaced, " of ", Plural(request.replicas, "replica"),
                   " added near ", request.near_cluster, " on ", Plural(receivers, "cluster"));
  if (unplaced > 0) {
    absl::StrAppend(&summary, "; ", unplaced, " unplaced: no eligible cluster has room");
  }
  AppendTail(summary, filtered, request.explain, decision.explanation.unknown_clusters);
  decision.explanation.summary = std::move(summary);
  return decision;
}

}  // namespace mck8s::placement
