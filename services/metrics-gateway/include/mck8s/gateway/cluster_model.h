// -----------------------------------------------------------------------------
// File: mck8s/gateway/cluster_model.h
// -----------------------------------------------------------------------------
//
// Pure functions that turn what a member cluster's API serves (MemberCluster,
// Nodes, Pods, Deployments, metrics.k8s.io usage, Prometheus figures) into
// the ClusterStatus of the feed. No I/O, no clock: the collector passes the
// time and the objects from its informer caches.
//
// Which nodes count towards a cluster's totals (allocatable, requested, pod
// capacity): schedulable nodes (Ready and not cordoned) except control-plane
// nodes that repel ordinary pods (a NoSchedule or NoExecute taint). A node is
// control-plane when it carries the label or the taint
// node-role.kubernetes.io/control-plane (or the older .../master), never
// because of its position in a list. Every node is listed in `nodes`, with
// its own figures, whether it counts or not.
//
// A pod's request is what kube-scheduler charges: the larger of the sum of
// its containers' requests and its largest init container's request, plus
// the pod overhead. Only pods bound to a node and not in phase Succeeded or
// Failed are charged.
//
// Thread safety: the functions are pure and thread-safe.

#ifndef MCK8S_GATEWAY_CLUSTER_MODEL_H_
#define MCK8S_GATEWAY_CLUSTER_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "mck8s/kubeapi/object.h"
#include "mck8s/kubeapi/store.h"
#include "mck8s/v1/cluster_state.pb.h"

namespace mck8s::gateway {

struct Usage {
  int64_t cpu_millis = 0;
  int64_t memory_bytes = 0;
};

// "namespace/name" of a pod.
using PodKey = std::string;

// What the metrics.k8s.io API answered in the last successful poll.
struct MetricsUsage {
  std::map<std::string, Usage> nodes;  // by node name
  std::map<PodKey, Usage> pods;
};

// What Prometheus answered in the last successful poll.
struct PrometheusFigures {
  double receive_bytes_per_second = 0;
  double transmit_bytes_per_second = 0;
  std::map<PodKey, double> pod_receive_bytes_per_second;
  std::map<PodKey, double> pod_cpu_cores;
};

// A workload as the feed names it.
struct WorkloadKey {
  std::string ns;
  std::string name;
  v1::WorkloadKind kind = v1::WORKLOAD_KIND_UNSPECIFIED;
  friend bool operator<(const WorkloadKey& a, const WorkloadKey& b) {
    return std::tie(a.ns, a.name, a.kind) < std::tie(b.ns, b.name, b.kind);
  }
};

// Everything the status of one cluster is computed from.
struct ClusterInputs {
  std::vector<kubeapi::ObjectPtr> nodes;
  std::vector<kubeapi::ObjectPtr> pods;
  std::vector<kubeapi::ObjectPtr> deployments;
  // nullopt: the source did not answer (or is not served / configured).
  std::optional<MetricsUsage> metrics;
  std::optional<PrometheusFigures> prometheus;
};

// The identity of a MemberCluster object (fogguru.eu/v1).
v1::ClusterIdentity IdentityFromMemberCluster(const kubeapi::Object& member_cluster);

// Taints of a node's spec.taints or a MemberCluster's spec.taints; entries
// with an unknown effect are skipped.
std::vector<v1::Taint> ParseTaints(const rapidjson::Value* taints);

bool IsControlPlaneNode(const kubeapi::Object& node);
bool IsNodeReady(const kubeapi::Object& node);

// The pod's effective request (see the file comment). Unparsable quantities
// count as zero.
Usage PodRequest(const kubeapi::Object& pod);

// True for pods bound to a node and not finished.
bool ChargesNode(const kubeapi::Object& pod);

// The workload a pod belongs to, from its controller reference: a
// Deployment directly or through its ReplicaSet (`<deployment>-<hash>`).
std::optional<WorkloadKey> PodWorkload(const kubeapi::Object& pod);

// What FillCapacity (and the collector) read of a Node, a Pod and a
// Deployment, and nothing else: the member informers' transforms
// (kubeapi::TransformFunc), so that their caches hold under a kilobyte per
// Node instead of the server's 3 to 4. FillCapacity gives the
// same status for trimmed objects as for whole ones. Kept:
//   Node: metadata.name, resourceVersion, labels; spec.taints (key, value,
//     effect), spec.unschedulable; status.allocatable (cpu, memory, pods)
//     and the Ready condition (type, status).
//   Pod: metadata.name, namespace, resourceVersion and the controller
//     owner reference (apiVersion, kind, name, uid, controller);
//     spec.nodeName, the cpu and memory requests of containers and init
//     containers, spec.overhead (cpu, memory); status.phase.
//   Deployment: metadata.name, namespace, resourceVersion; spec.replicas;
//     status.readyReplicas.
// A field read by FillCapacity must be kept here too (model_test compares
// both).
kubeapi::Object TrimNode(kubeapi::Object node);
kubeapi::Object TrimPod(kubeapi::Object pod);
kubeapi::Object TrimDeployment(kubeapi::Object deployment);

// Fills allocatable, requested, used, pods, nodes, workloads and traffic
// of `status` (identity and health are the caller's).
void FillCapacity(const ClusterInputs& inputs, v1::ClusterStatus* status);

// Parses a metrics.k8s.io/v1beta1 NodeMetricsList / PodMetricsList body.
absl::StatusOr<std::map<std::string, Usage>> ParseNodeMetrics(std::string body);
absl::StatusOr<std::map<PodKey, Usage>> ParsePodMetrics(std::string body);

}  // namespace mck8s::gateway

#endif  // MCK8S_GATEWAY_CLUSTER_MODEL_H_
