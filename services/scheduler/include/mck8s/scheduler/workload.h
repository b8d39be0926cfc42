// -----------------------------------------------------------------------------
// File: mck8s/scheduler/workload.h
// -----------------------------------------------------------------------------
//
// MultiClusterDeployments and MultiClusterJobs as the scheduler reads and
// writes them: the spec turned into a placement request (with validation
// errors that name the manifest field, `spec.template.spec.containers[0].
// resources.requests.cpu: ...`), the member objects (a Deployment or a Job
// per chosen cluster) and the status (placement per cluster, counts,
// conditions).
//
// The original mck8s semantics hold: `spec.replicas` is per location (the
// total is numberOfLocations x replicas), `locations` is a comma-separated
// list of cluster names that forces cluster affinity, `replicaOverrides` are
// matched to `locations` by position. An MCJ runs one Job per location.
//
// Member objects carry the label fogguru.eu/multicluster-deployment (MCD)
// or fogguru.eu/multicluster-job (MCJ) = "<namespace>.<name>" (shortened
// with a hash when longer than a label value may be), the label
// app.kubernetes.io/managed-by=mck8s-scheduler and the annotations
// kWorkloadAnnotation = "<namespace>/<name>" and kWorkloadUidAnnotation, so
// the scheduler finds every object it made for a workload, in any member,
// by one label selector.
//
// Pure functions on kubeapi::Object values; safe from any thread.

#ifndef MCK8S_SCHEDULER_WORKLOAD_H_
#define MCK8S_SCHEDULER_WORKLOAD_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/object.h"
#include "mck8s/placement/decision.h"
#include "mck8s/placement/request.h"

namespace mck8s::scheduler {

inline constexpr char kFieldManager[] = "mck8s-scheduler";
inline constexpr char kFinalizer[] = "fogguru.eu/scheduler";
// On member objects: which workload they belong to.
inline constexpr char kDeploymentLabel[] = "fogguru.eu/multicluster-deployment";
inline constexpr char kJobLabel[] = "fogguru.eu/multicluster-job";
inline constexpr char kServiceLabel[] = "fogguru.eu/multicluster-service";
inline constexpr char kWorkloadAnnotation[] = "fogguru.eu/multicluster-workload";
inline constexpr char kWorkloadUidAnnotation[] = "fogguru.eu/multicluster-workload-uid";
inline constexpr char kManagedByLabel[] = "app.kubernetes.io/managed-by";

extern const kubeapi::GroupVersionResource kMultiClusterDeployments;
extern const kubeapi::GroupVersionResource kMultiClusterJobs;
extern const kubeapi::GroupVersionResource kMultiClusterServices;
extern const kubeapi::GroupVersionResource kDeployments;
extern const kubeapi::GroupVersionResource kJobs;
extern const kubeapi::GroupVersionResource kServices;

const kubeapi::GroupVersionResource& ResourceOf(placement::WorkloadKind kind);
// "MultiClusterDeployment" / "MultiClusterJob".
std::string_view KindName(placement::WorkloadKind kind);

// What an MCD or MCJ asks for, read from its spec.
struct WorkloadSpec {
  // Everything but current_placement, which comes from status.
  placement::PlaceRequest request;
  // The pod template as given (spec.template).
  kubeapi::Object pod_template;
  // The pod selector (spec.selector, or the template's labels), as JSON
  // (metav1.LabelSelector) and in string form for status.selector.
  kubeapi::Object selector;
  std::string selector_string;
  // MCJ only: spec fields of the Job copied to each member Job.
  kubeapi::Object job_fields;
};

// Reads and validates spec. InvalidArgument whose message starts with the
// field path (`spec.locations[1]: repeated cluster "rennes"`). Checks: every
// count non-negative and numberOfLocations >= 1; a known policy; locations
// well formed and unique; replicaOverrides only with locations, no longer
// than it, non-negative integers; cluster-affinity only with locations; a
// template with at least one container, each with a name and an image, and
// requests that parse as Kubernetes quantities and are not negative; a
// valid nodeSelector and valid tolerations (template and cluster level); a
// valid clusterAffinity label selector; a selector that matches the
// template's labels; a total of at most placement::kMaxReplicas.
absl::StatusOr<WorkloadSpec> ParseWorkloadSpec(const kubeapi::Object& workload,
                                               placement::WorkloadKind kind);

// The label key tying member objects to a workload of `kind`.
std::string_view WorkloadLabelKey(placement::WorkloadKind kind);
// The label value tying member objects to `workload`.
std::string WorkloadLabelValue(placement::WorkloadKind kind, std::string_view ns,
                               std::string_view name);
// "<key>=<value>".
std::string WorkloadLabelSelector(placement::WorkloadKind kind, std::string_view ns,
                                  std::string_view name);

// The Deployment (MCD) or Job (MCJ) for one member cluster: same name and
// namespace as the workload, `replicas` replicas (Job: parallelism and
// completions from the spec), the pod template and selector, and the
// ownership labels and annotations.
kubeapi::Object BuildMemberObject(const kubeapi::Object& workload, const WorkloadSpec& spec,
                                  placement::WorkloadKind kind, int32_t replicas);

// One status.placement entry.
struct ClusterPlacement {
  std::string cluster;
  int32_t replicas = 0;
  int32_t ready_replicas = 0;
  std::string reason;

  friend bool operator==(const ClusterPlacement&, const ClusterPlacement&) = default;
};

// status.placement, one entry per cluster (sorted by cluster); empty when
// absent.
std::vector<ClusterPlacement> PlacementFromStatus(const kubeapi::Object& workload);
placement::CurrentPlacement ToCurrentPlacement(const std::vector<ClusterPlacement>& placement);
// One entry per cluster of the decision; the reason of its largest share.
std::vector<ClusterPlacement> PlacementFromDecision(const placement::Decision& decision);

// A metav1.Condition.
struct Condition {
  std::string type;
  std::string status;  // "True", "False", "Unknown"
  std::string reason;
  std::string message;
};

// Sets `condition` in status.conditions of `object` with observedGeneration
// and lastTransitionTime (kept when the status did not change).
void SetCondition(kubeapi::Object& object, const Condition& condition, absl::Time now);
// The condition of `type`, if any.
std::optional<Condition> FindCondition(const kubeapi::Object& object, std::string_view type);

// Writes status.placement from `placement` (ready counts included).
void SetPlacementStatus(kubeapi::Object& object, const std::vector<ClusterPlacement>& placement);

// Records a decision in `object`'s status: placement (keeping the ready
// counts of clusters that stay), observedGeneration, replicas (the total
// asked for), unplacedReplicas (MCJ: unplacedLocations), selector (MCD) and
// the Scheduled condition (reason Scheduled, or PartiallyScheduled when
// replicas are unplaced, with the explanation's summary). Returns the new
// placement.
std::vector<ClusterPlacement> SetDecisionStatus(kubeapi::Object& object,
                                                placement::WorkloadKind kind,
                                                const placement::Decision& decision,
                                                int64_t requested, std::string_view selector,
                                                absl::Time now);

// RFC 3339 with seconds, as metav1.Time.
std::string FormatTime(absl::Time time);

}  // namespace mck8s::scheduler

#endif  // MCK8S_SCHEDULER_WORKLOAD_H_
