// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/discovery.h
// -----------------------------------------------------------------------------
//
// What resources a server serves, and which resource serves a kind (the
// RESTMapper of client-go). Discovery asks for the aggregated document
// (apidiscovery.k8s.io/v2, two requests: /api and /apis) and falls back to
// the legacy walk (/api, /apis, then one APIResourceList per group-version)
// when the server answers with plain APIVersions/APIGroupList.
//
// The answer is cached for `ttl`; a kind or resource not found in the cache
// triggers one fresh discovery (a CRD created a moment ago), as kubectl does.
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(ApiResource r,
//       client.discovery().ForKind({"apps", "v1", "Deployment"}));
//   // r.gvr == {"apps", "v1", "deployments"}, r.namespaced == true
//
// Thread-safe; concurrent callers share one refresh.

#ifndef MCK8S_KUBEAPI_DISCOVERY_H_
#define MCK8S_KUBEAPI_DISCOVERY_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/k8stypes/object_key.h"
#include "mck8s/kubeapi/clock.h"
#include "mck8s/kubeapi/rest_client.h"

namespace mck8s::kubeapi {

struct ApiResource {
  k8stypes::GroupVersionResource gvr;
  std::string kind;
  std::string singular;
  bool namespaced = true;
  std::vector<std::string> verbs;
  std::vector<std::string> short_names;
  std::vector<std::string> subresources;  // e.g. "status", "scale"
};

class Discovery {
 public:
  Discovery(RestClient& rest, Clock& clock, absl::Duration ttl = absl::Minutes(10));

  // NOT_FOUND (naming the kind) when the server does not serve it even
  // after a fresh discovery.
  absl::StatusOr<ApiResource> ForKind(const k8stypes::GroupVersionKind& gvk);
  absl::StatusOr<ApiResource> ForResource(const k8stypes::GroupVersionResource& gvr);
  // Everything, from the cache (refreshed when stale).
  absl::StatusOr<std::vector<ApiResource>> Resources();
  // Forget the cache; the next call discovers again.
  void Invalidate();

  // Parsers, exposed for tests: an APIGroupDiscoveryList (aggregated), an
  // APIResourceList of one group-version (legacy). INVALID_ARGUMENT on
  // malformed input.
  static absl::StatusOr<std::vector<ApiResource>> ParseAggregated(std::string_view json);
  static absl::StatusOr<std::vector<ApiResource>> ParseResourceList(std::string_view json);

 private:
  absl::Status RefreshLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status EnsureFreshLocked(bool force) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  RestClient& rest_;
  Clock& clock_;
  const absl::Duration ttl_;
  absl::Mutex mu_;
  std::vector<ApiResource> resources_ ABSL_GUARDED_BY(mu_);
  absl::Time fetched_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_DISCOVERY_H_
