// -----------------------------------------------------------------------------
// File: mck8s/placement/engine.h
// -----------------------------------------------------------------------------
//
// The placement engine: decides how many replicas of a multi-cluster
// workload go to which member cluster, on one ClusterModel snapshot, and
// explains why. Pure: no I/O, no threads, no clock; the same inputs give the
// same decision (ties go to the cluster whose name sorts first).
//
// Each call runs the pipeline of framework.h with the profile of its policy
// (EngineConfig): filters, scorers, then select and assign:
//
//   worst-fit / best-fit / traffic-aware   rank fog clusters (Preferred,
//       TaintPreference, Steady, then MostRoom / LeastRoom / Traffic); the
//       first number_of_locations get replicas_per_location each as far as
//       they fit; overflow to the next ranked, then to cloud clusters.
//   spread   divide the total among eligible fog clusters in proportion to
//       the replicas each can hold (Webster, see apportion.h); cloud for
//       the rest.
//   cluster-affinity   listed clusters get their counts as far as they fit;
//       a listed cluster hosting nothing is replaced by the nearest unlisted
//       fog cluster; overflow offloaded by ascending RTT, then to cloud.
//   Offload / Burst   move replicas off a cluster / add replicas near one,
//       by ascending RTT, fog first, cloud only for what no fog cluster
//       holds.
//
// Decisions are steady (replicas in current_placement are kept before any
// new room is used), partial (what fits is placed, the rest is reported as
// unplaced; never all or nothing), and respect reservations (Deductions) of
// decisions the snapshot does not reflect yet. Fit is per node.
//
// Usage:
//
//   Engine engine = Engine::CreateDefault();
//   MCK8S_ASSIGN_OR_RETURN(Decision decision,
//                          engine.Place(*model, request, &deductions));
//
// Thread safety: an Engine is immutable; its methods may run concurrently on
// shared models and Deductions.

#ifndef MCK8S_PLACEMENT_ENGINE_H_
#define MCK8S_PLACEMENT_ENGINE_H_

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mck8s/placement/cluster_model.h"
#include "mck8s/placement/decision.h"
#include "mck8s/placement/framework.h"
#include "mck8s/placement/registry.h"
#include "mck8s/placement/request.h"
#include "mck8s/placement/reservations.h"

namespace mck8s::placement {

// The plugins one kind of decision runs, by registry name, in order.
struct Profile {
  std::vector<std::string> filters;
  std::vector<std::string> scorers;
};

struct EngineConfig {
  Profile worst_fit;
  Profile best_fit;
  Profile traffic_aware;
  Profile spread;
  Profile cluster_affinity;
  // Offload and Burst.
  Profile relocation;
  // Orders clusters with no known RTT in proximity walks (most room first).
  std::string room_scorer = "MostRoom";

  // Every policy filters with ClusterAffinity, Excluded, TaintToleration,
  // ClusterHealth, CloudAllowed, NodeFit. Ranking policies score with
  // Preferred, TaintPreference, Steady, then their own scorer; spread as
  // worst-fit (for the cloud overflow and explanations); cluster-affinity,
  // Offload and Burst with Proximity.
  static EngineConfig Default();
};

class Engine {
 public:
  // InvalidArgument naming the profile and the plugin for a name the
  // registry does not have.
  static absl::StatusOr<Engine> Create(std::shared_ptr<const Registry> registry,
                                       EngineConfig config);
  // Registry::WithDefaults() and EngineConfig::Default().
  static Engine CreateDefault();

  // Places the request's whole replica count. Errors: InvalidArgument from
  // ValidatePlaceRequest; FailedPrecondition when `deductions` were resolved
  // against another model. Not finding room is not an error (see
  // Decision::unplaced_replicas).
  absl::StatusOr<Decision> Place(const ClusterModel& model, const PlaceRequest& request,
                                 const Deductions* deductions = nullptr) const;

  // Moves request.replicas off request.from_cluster (which may be absent from
  // the snapshot: receivers are then ranked by room). Errors as Place, with
  // ValidateOffloadRequest.
  absl::StatusOr<Decision> Offload(const ClusterModel& model, const OffloadRequest& request,
                                   const Deductions* deductions = nullptr) const;

  // Adds request.replicas near request.near_cluster. Errors as Place, with
  // ValidateBurstRequest, and NotFound naming near_cluster when the snapshot
  // does not have it.
  absl::StatusOr<Decision> Burst(const ClusterModel& model, const BurstRequest& request,
                                 const Deductions* deductions = nullptr) const;

 private:
  struct Pipeline {
    std::string name;
    std::vector<const FilterPlugin*> filters;
    std::vector<const ScorePlugin*> scorers;
  };

  Engine() = default;
  const Pipeline& PipelineFor(Policy policy) const;

  std::shared_ptr<const Registry> registry_;
  std::array<Pipeline, 5> policies_;  // indexed by Policy
  Pipeline relocation_;
  const ScorePlugin* room_scorer_ = nullptr;
};

}  // namespace mck8s::placement

#endif  // MCK8S_PLACEMENT_ENGINE_H_
