// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/client.h
// -----------------------------------------------------------------------------
//
// The verbs of the Kubernetes API on objects addressed by
// group/version/resource: get, list (selectors, pagination), create, update
// (optimistic concurrency through metadata.resourceVersion), patch (JSON
// merge, JSON patch, strategic merge, server-side apply), delete
// (propagation policy, preconditions), the status and scale subresources,
// and watch. What client-go's dynamic client offers, over RestClient.
//
// Addressing: a namespace of "" means a cluster-scoped resource, or all
// namespaces for List/Watch. Names must be non-empty and contain no '/'.
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(std::unique_ptr<Client> client,
//                          Client::Create(config, ClientOptions{}));
//   const GroupVersionResource kDeployments{"apps", "v1", "deployments"};
//   absl::StatusOr<Object> web = client->Get(kDeployments, "default", "web");
//   if (IsNotFound(web.status())) { ... }
//   web->SetInt("/spec/replicas", 3);
//   absl::StatusOr<Object> updated = client->Update(kDeployments, *web);
//   if (IsConflict(updated.status())) { ... re-read and retry ... }
//
//   Object desired("apps/v1", "Deployment");  // server-side apply
//   ...
//   client->Apply(kDeployments, desired, {.field_manager = "mck8s-scheduler", .force = true});
//
// Errors: see errors.h (API errors keep their reason) and rest_client.h.
// A body that is not the expected JSON is INVALID_ARGUMENT.
//
// Thread safety: thread-safe; calls block.

#ifndef MCK8S_KUBEAPI_CLIENT_H_
#define MCK8S_KUBEAPI_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mck8s/k8stypes/object_key.h"
#include "mck8s/kubeapi/config.h"
#include "mck8s/kubeapi/object.h"
#include "mck8s/kubeapi/rest_client.h"
#include "mck8s/kubeapi/watch.h"

namespace mck8s::kubeapi {

using k8stypes::GroupVersionKind;
using k8stypes::GroupVersionResource;

struct GetOptions {
  std::string resource_version;  // "" : the latest
  std::string subresource;       // e.g. "status", "scale"
};

struct ListOptions {
  std::string label_selector;  // e.g. "app=web,tier!=db"
  std::string field_selector;  // e.g. "metadata.name=web"
  int64_t limit = 0;           // page size; 0: everything in one answer
  std::string continue_token;  // from the previous page
  std::string resource_version;
  std::string resource_version_match;  // "NotOlderThan" or "Exact"
  absl::Duration timeout = absl::ZeroDuration();  // overrides the client's
  // Cancelling it ends retry waits (see RestRequest::canceller).
  StreamCanceller* canceller = nullptr;
};

struct CreateOptions {
  std::string field_manager;
  bool dry_run = false;
  std::string subresource;
};

struct UpdateOptions {
  std::string field_manager;
  bool dry_run = false;
  std::string subresource;  // "status" for UpdateStatus
};

enum class PatchType {
  kMerge,           // application/merge-patch+json (RFC 7386)
  kJson,            // application/json-patch+json (RFC 6902)
  kStrategicMerge,  // application/strategic-merge-patch+json (built-in kinds)
  kApply,           // application/apply-patch+yaml (server-side apply; JSON body)
};

struct PatchOptions {
  std::string field_manager;  // required by the server for kApply
  bool force = false;         // kApply only: take over conflicting fields
  bool dry_run = false;
  std::string subresource;
};

enum class PropagationPolicy { kDefault, kOrphan, kBackground, kForeground };

struct DeleteOptions {
  PropagationPolicy propagation_policy = PropagationPolicy::kDefault;
  std::optional<int64_t> grace_period_seconds;
  // Preconditions: the delete fails with Conflict unless these match.
  std::string precondition_uid;
  std::string precondition_resource_version;
  bool dry_run = false;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  // Start after this version ("" : the server's choice, which begins with
  // synthetic ADDED events for everything that exists).
  std::string resource_version;
  bool allow_bookmarks = true;
  // Ask the server to end the watch after this long (0: its default).
  int64_t timeout_seconds = 0;
  // The stream is abandoned when nothing arrives for this long.
  absl::Duration idle_timeout = absl::Minutes(5);
};

// The path of a collection or an object:
//   /api/v1/namespaces/default/pods
//   /apis/apps/v1/namespaces/default/deployments/web/scale
// INVALID_ARGUMENT for an empty resource or version, or a bad name.
absl::StatusOr<std::string> ResourcePath(const GroupVersionResource& gvr, std::string_view ns,
                                         std::string_view name = "",
                                         std::string_view subresource = "");

class Discovery;

class Client {
 public:
  static absl::StatusOr<std::unique_ptr<Client>> Create(const RestConfig& config,
                                                        ClientOptions options = {});
  explicit Client(std::unique_ptr<RestClient> rest);
  ~Client();

  absl::StatusOr<Object> Get(const GroupVersionResource& gvr, std::string_view ns,
                             std::string_view name, const GetOptions& options = {});

  // One page (or, with limit 0, the whole list).
  absl::StatusOr<ObjectList> List(const GroupVersionResource& gvr, std::string_view ns,
                                  const ListOptions& options = {});
  // Follows continue tokens until the last page (pages of `options.limit`
  // items, 500 when 0). The result carries the last page's resourceVersion.
  absl::StatusOr<ObjectList> ListAll(const GroupVersionResource& gvr, std::string_view ns,
                                     ListOptions options = {});

  // Namespace from `object` (metadata.namespace); "" for cluster-scoped.
  absl::StatusOr<Object> Create(const GroupVersionResource& gvr, const Object& object,
                                const CreateOptions& options = {});
  // PUT of the whole object; its metadata.resourceVersion (when set) makes
  // the update conditional: a stale one fails with Conflict.
  absl::StatusOr<Object> Update(const GroupVersionResource& gvr, const Object& object,
                                const UpdateOptions& options = {});
  absl::StatusOr<Object> UpdateStatus(const GroupVersionResource& gvr, const Object& object,
                                      UpdateOptions options = {});

  absl::StatusOr<Object> Patch(const GroupVersionResource& gvr, std::string_view ns,
                               std::string_view name, PatchType type, std::string_view body,
                               const PatchOptions& options = {});
  // A JSON merge patch given as an object.
  absl::StatusOr<Object> MergePatch(const GroupVersionResource& gvr, std::string_view ns,
                                    std::string_view name, const Object& patch,
                                    const PatchOptions& options = {});
  absl::StatusOr<Object> JsonPatchObject(const GroupVersionResource& gvr, std::string_view ns,
                                         std::string_view name, const JsonPatch& patch,
                                         const PatchOptions& options = {});
  // Server-side apply of `desired` (name and namespace from it).
  // options.field_manager must be set (INVALID_ARGUMENT otherwise).
  absl::StatusOr<Object> Apply(const GroupVersionResource& gvr, const Object& desired,
                               const PatchOptions& options);

  // OK when the server accepted the deletion (the object may live on while
  // finalizers run).
  absl::Status Delete(const GroupVersionResource& gvr, std::string_view ns,
                      std::string_view name, const DeleteOptions& options = {});

  // The scale subresource (autoscaling/v1 Scale).
  absl::StatusOr<Object> GetScale(const GroupVersionResource& gvr, std::string_view ns,
                                  std::string_view name);
  absl::StatusOr<Object> SetScale(const GroupVersionResource& gvr, std::string_view ns,
                                  std::string_view name, int32_t replicas);

  // Streams events to `on_event` until the server ends the watch (OK), the
  // callback returns false (OK), `canceller` fires (CANCELLED), the stream
  // breaks (UNAVAILABLE / DEADLINE_EXCEEDED) or decodes badly
  // (INVALID_ARGUMENT). An ERROR event is delivered to on_event like any
  // other; the caller decides (Watcher/Informer relist on Gone).
  absl::Status Watch(const GroupVersionResource& gvr, std::string_view ns,
                     const WatchOptions& options,
                     const std::function<bool(WatchEvent)>& on_event,
                     StreamCanceller* canceller = nullptr);

  // Cached discovery of this server's resources (kind -> resource).
  Discovery& discovery();
  RestClient& rest() { return *rest_; }

 private:
  absl::StatusOr<Object> Send(RestRequest request);

  std::unique_ptr<RestClient> rest_;
  std::unique_ptr<Discovery> discovery_;
};

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_CLIENT_H_
