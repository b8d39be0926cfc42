// -----------------------------------------------------------------------------
// File: mck8s/sim/metrics.h
// -----------------------------------------------------------------------------
//
// What a simulated cluster's monitoring stack would serve, rendered from a
// UsageSnapshot (usage.h):
//
//   - metrics.k8s.io/v1beta1 as metrics-server serves it: NodeMetrics
//     (`/apis/metrics.k8s.io/v1beta1/nodes[/NAME]`) and PodMetrics
//     (`.../pods`, `.../namespaces/NS/pods[/NAME]`), list and get, with
//     labelSelector and fieldSelector (metadata.name, metadata.namespace),
//     `timestamp` (the observation) and `window` ("10s"); CPU in nanocores
//     ("1500000000n"), memory in Ki as metrics-server writes it. A pod that
//     is not running has no metrics (404, as metrics-server answers);
//   - Prometheus text exposition (format 0.0.4) under the names real
//     exporters use: kube-state-metrics (kube_node_info,
//     kube_node_status_capacity, kube_node_status_allocatable,
//     kube_pod_info, kube_pod_status_phase,
//     kube_pod_container_resource_requests,
//     kube_deployment_spec_replicas, kube_deployment_status_replicas_ready),
//     cAdvisor (container_cpu_usage_seconds_total,
//     container_memory_working_set_bytes,
//     container_network_receive_bytes_total) and node-exporter
//     (node_network_receive_bytes_total{device="eth0",instance=NODE},
//     node_cpu_seconds_total{cpu,mode,instance} for modes "user" and "idle").
//     There is no `cluster` label: the scrape configuration adds it, as in
//     real setups.
//
// Usage:
//
//   UsageSnapshot now = usage.Observe();
//   std::string text = RenderExposition(now);
//   std::string json = RenderNodeMetricsList(now, predicate);
//
// Pure and thread-safe.

#ifndef MCK8S_SIM_METRICS_H_
#define MCK8S_SIM_METRICS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "mck8s/sim/object_store.h"
#include "mck8s/sim/usage.h"

namespace mck8s::sim {

// The Content-Type of the exposition.
inline constexpr char kExpositionContentType[] = "text/plain; version=0.0.4; charset=utf-8";

std::string RenderExposition(const UsageSnapshot& snapshot);

// `select` is applied to the Node or Pod object; `ns` empty: every namespace.
std::string RenderNodeMetricsList(const UsageSnapshot& snapshot, const ObjectPredicate& select);
std::string RenderPodMetricsList(const UsageSnapshot& snapshot, absl::string_view ns,
                                 const ObjectPredicate& select);
// One object; nullopt when there are no metrics for it.
std::optional<std::string> RenderNodeMetrics(const UsageSnapshot& snapshot, absl::string_view name);
std::optional<std::string> RenderPodMetrics(const UsageSnapshot& snapshot, absl::string_view ns,
                                            absl::string_view name);

// "1500000000n" for 1.5 cores; "16384Ki" for 16 MiB.
std::string CpuNanocores(double cores);
std::string MemoryQuantity(int64_t bytes);

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_METRICS_H_
