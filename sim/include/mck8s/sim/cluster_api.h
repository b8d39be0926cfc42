// -----------------------------------------------------------------------------
// File: mck8s/sim/cluster_api.h
// -----------------------------------------------------------------------------
//
// The Kubernetes REST API of one simulated cluster, independent of sockets: a
// parsed HTTP request in, a response (or a watch to stream) out. It routes
// what kubectl, client-go and the official clients ask:
//
//   /version, /healthz, /livez, /readyz
//   /api, /apis             APIVersions / APIGroupList, or the aggregated
//                           apidiscovery.k8s.io/v2 (v2beta1) list when the
//                           Accept header asks for APIGroupDiscoveryList
//   /api/v1, /apis/G, /apis/G/V
//                           APIGroup and APIResourceList
//   /openapi/v3, /openapi/v3/api/v1, /openapi/v3/apis/G/V
//                           OpenAPI v3 documents: every kind's schema under
//                           components.schemas, every path with its
//                           operations (patch carries
//                           x-kubernetes-group-version-kind and the
//                           fieldValidation parameter, so kubectl leaves
//                           validation to the server)
//   /api/v1/[watch/][namespaces/NS/]RESOURCE[/NAME[/status|scale]]
//   /apis/G/V/...           the same for named groups
//   /apis/metrics.k8s.io/v1beta1/[namespaces/NS/](nodes|pods)[/NAME]
//                           NodeMetrics and PodMetrics from the usage model
//                           (metrics.h); 503 when the cluster has none
//   /metrics                Prometheus text exposition of the cluster's
//                           kube-state-metrics, cAdvisor and node-exporter
//                           series (metrics.h)
//
// Verbs: GET (get, list, watch with ?watch=true or /watch/), POST (create),
// PUT (update), PATCH (the four patch types by Content-Type), DELETE (delete
// with DeleteOptions in the body or query, deletecollection). Query
// parameters: labelSelector, fieldSelector, limit, continue, resourceVersion,
// allowWatchBookmarks, timeoutSeconds, sendInitialEvents, dryRun,
// fieldValidation, fieldManager, force, propagationPolicy.
//
// Usage:
//
//   ClusterApi api(cluster, {.path_prefix = "/clusters/rennes"});
//   ApiResponse response = api.Handle(request);  // request.path lacks the prefix
//   if (response.watch) { stream api.EncodeEvent(*response.watch, e) per event }
//
// Thread-safe: Handle may run on many threads at once.

#ifndef MCK8S_SIM_CLUSTER_API_H_
#define MCK8S_SIM_CLUSTER_API_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/sim/cluster.h"
#include "mck8s/sim/usage.h"

namespace mck8s::sim {

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the cluster prefix: "/api/v1/pods"
  std::string query;   // raw, without '?'
  std::string content_type;
  std::string accept;
  std::string body;
};

// A watch the transport streams: one line per event, chunked.
struct WatchStream {
  std::shared_ptr<Watch> watch;
  std::shared_ptr<const ResourceCatalog> catalog;  // keeps `type` alive
  const ResourceType* type = nullptr;
  absl::Duration timeout = absl::Minutes(30);
  bool bookmarks = false;
  // Non-empty: each event's object is a meta.k8s.io Table of this version
  // ("v1"), with rows' objects as `include_object` says.
  std::string table_version;
  std::string include_object;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<WatchStream> watch;
};

class ClusterApi {
 public:
  struct Options {
    // Where clients reach this cluster: the path before every API path
    // ("/clusters/rennes"); OpenAPI documents link to their URLs with it.
    std::string path_prefix;
    // host:port advertised in APIVersions.serverAddressByClientCIDRs.
    std::string server_address = "127.0.0.1";
    // Watches without timeoutSeconds end after this long.
    absl::Duration default_watch_timeout = absl::Minutes(30);
    // The usage model behind metrics.k8s.io and /metrics (must outlive the
    // ClusterApi); null: neither is served.
    UsageModel* usage = nullptr;
  };

  ClusterApi(Cluster& cluster, Options options);

  Cluster& cluster() { return cluster_; }

  ApiResponse Handle(const ApiRequest& request);

  // One newline-terminated watch event line for `stream`.
  static std::string EncodeEvent(const WatchStream& stream, const WatchEvent& event);

  // The /openapi/v3 document of a group-version ("api/v1", "apis/apps/v1");
  // nullopt when the cluster serves no such group-version.
  std::optional<std::string> OpenApiDocument(absl::string_view group_version);

 private:
  struct OpenApiCache {
    uint64_t generation = 0;
    std::map<std::string, std::pair<std::string, std::string>> documents;  // gv -> (doc, hash)
  };

  ApiResponse HandleResource(const ApiRequest& request,
                             const std::shared_ptr<const ResourceCatalog>& catalog,
                             absl::string_view group, absl::string_view version,
                             std::vector<std::string> rest,
                             const std::multimap<std::string, std::string>& params);
  ApiResponse Discovery(const ApiRequest& request, bool core);
  ApiResponse HandleMetrics(const ResourceType& type, absl::string_view ns, absl::string_view name,
                            bool watch, const std::multimap<std::string, std::string>& params);
  ApiResponse OpenApiRoot();
  void RefreshOpenApi(const ResourceCatalog& catalog) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Cluster& cluster_;
  const Options options_;
  absl::Mutex mu_;
  OpenApiCache openapi_ ABSL_GUARDED_BY(mu_);
};

// Decodes a query string into its parameters (percent-decoding, '+' as space).
std::multimap<std::string, std::string> ParseQuery(absl::string_view query);

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_CLUSTER_API_H_
