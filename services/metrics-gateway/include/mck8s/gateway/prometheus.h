// -----------------------------------------------------------------------------
// File: mck8s/gateway/prometheus.h
// -----------------------------------------------------------------------------
//
// The Prometheus HTTP API queries of the feed: instant queries
// (GET /api/v1/query) for a cluster's network traffic and each pod's
// receive rate and CPU usage, which the collector folds into workloads.
//
// Queries are PromQL templates in which `{{cluster}}` is replaced by the
// member cluster's name, so that one Prometheus scraping several clusters
// (each target labelled with its cluster) serves them all; the defaults use
// the cAdvisor exporter names and no cluster filter, for a Prometheus per
// cluster.
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(auto client, PrometheusClient::Create("http://prom:9090"));
//   MCK8S_ASSIGN_OR_RETURN(PrometheusFigures figures,
//                          QueryFigures(*client, PrometheusQueries{}, "edge-1"));
//
// Thread safety: PrometheusClient is thread-safe (calls block).

#ifndef MCK8S_GATEWAY_PROMETHEUS_H_
#define MCK8S_GATEWAY_PROMETHEUS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mck8s/gateway/cluster_model.h"
#include "mck8s/kubeapi/rest_client.h"

namespace mck8s::gateway {

struct PrometheusQueries {
  // A single sample: bytes per second received by the cluster.
  std::string cluster_receive = "sum(rate(container_network_receive_bytes_total[2m]))";
  // A single sample: bytes per second transmitted by the cluster.
  std::string cluster_transmit = "sum(rate(container_network_transmit_bytes_total[2m]))";
  // One sample per pod, labelled `namespace` and `pod`: bytes per second.
  std::string pod_receive =
      "sum by (namespace, pod) (rate(container_network_receive_bytes_total[2m]))";
  // One sample per pod, labelled `namespace` and `pod`: CPU cores.
  std::string pod_cpu = "sum by (namespace, pod) (rate(container_cpu_usage_seconds_total[2m]))";
};

// `query` with every `{{cluster}}` replaced by `cluster`.
std::string ExpandQuery(std::string_view query, std::string_view cluster);

struct PrometheusSample {
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Decodes an instant-query answer whose resultType is `vector` or `scalar`.
// INVALID_ARGUMENT for malformed JSON, status other than "success" (with
// Prometheus' error text) or another result type.
absl::StatusOr<std::vector<PrometheusSample>> ParseQueryResponse(std::string_view body);

class PrometheusClient {
 public:
  // `url`: the base URL of the HTTP API (http or https, optional path).
  static absl::StatusOr<std::unique_ptr<PrometheusClient>> Create(const std::string& url,
                                                                  absl::Duration timeout,
                                                                  runtime::Registry* metrics);
  absl::StatusOr<std::vector<PrometheusSample>> Query(const std::string& query);
  const std::string& url() const { return url_; }

 private:
  PrometheusClient(std::string url, std::unique_ptr<kubeapi::RestClient> rest,
                   absl::Duration timeout);
  const std::string url_;
  std::unique_ptr<kubeapi::RestClient> rest_;
  const absl::Duration timeout_;
};

// Runs the four queries for `cluster`; the first failure is returned,
// prefixed with the query's role.
absl::StatusOr<PrometheusFigures> QueryFigures(PrometheusClient& client,
                                               const PrometheusQueries& queries,
                                               const std::string& cluster);

}  // namespace mck8s::gateway

#endif  // MCK8S_GATEWAY_PROMETHEUS_H_
