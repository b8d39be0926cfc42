// -----------------------------------------------------------------------------
// File: mck8s/sim/cluster.h
// -----------------------------------------------------------------------------
//
// One simulated Kubernetes cluster: the API semantics kube-apiserver applies
// between a request and its storage. A Cluster owns an ObjectStore and a
// ResourceRegistry and implements the verbs on resolved resource types:
//
//   - admission of every written object: apiVersion/kind checks, metadata
//     checks (names, labels), the kind's structural schema (pruning, defaults,
//     validation; fieldValidation Ignore/Warn/Strict), built-in defaulting and
//     validation (Deployments, Pods, Services, Jobs, Secrets, Namespaces),
//     quantities canonicalized;
//   - status and scale subresources: writes to the main resource keep the
//     status, writes to /status keep everything else, /scale reads and writes
//     the replicas through an autoscaling/v1 Scale;
//   - the four patch types and server-side apply that creates when missing;
//   - CustomResourceDefinitions: creating or updating one validates it and
//     serves its kinds at once (Established); deleting one deletes its custom
//     resources first (finalizer customresourcecleanup.apiextensions.k8s.io).
//
// The HTTP layer (api_server.h) only parses requests and renders answers; the
// in-process controllers and the fleet bootstrap call the same verbs.
//
// Usage:
//
//   Cluster cluster({.name = "rennes"});
//   auto catalog = cluster.catalog();
//   const ResourceType* deployments = catalog->Find("apps", "v1", "deployments");
//   MCK8S_ASSIGN_OR_RETURN(rapidjson::Document body, ParseJson(text));
//   MCK8S_ASSIGN_OR_RETURN(Cluster::WriteResult r,
//                          cluster.Create(*deployments, "default", std::move(body), {}));
//   std::string json = cluster.Render(*deployments, *r.object);
//
// Thread-safe: every method may be called from any thread.

#ifndef MCK8S_SIM_CLUSTER_H_
#define MCK8S_SIM_CLUSTER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/sim/object_store.h"
#include "mck8s/sim/resource_registry.h"
#include "rapidjson/document.h"

namespace mck8s::sim {

enum class FieldValidation { kIgnore, kWarn, kStrict };
enum class PatchType { kMerge, kJson, kStrategic, kApply };

// The object as a client of `type`'s version sees it (custom resources are
// stored once, in their CRD's storage version).
std::string RenderObject(const ResourceType& type, const StoredObject& object);

// "application/merge-patch+json" -> kMerge, ...; nullopt for others.
std::optional<PatchType> PatchTypeFromContentType(absl::string_view content_type);

struct RequestOptions {
  bool dry_run = false;
  FieldValidation field_validation = FieldValidation::kWarn;
  std::string field_manager;
  bool force = false;
};

class Cluster {
 public:
  struct Options {
    std::string name = "cluster";
    StoreOptions store;
    // Namespaces present at start.
    std::vector<std::string> initial_namespaces = {"default", "kube-system", "kube-public",
                                                   "kube-node-lease"};
  };

  explicit Cluster(Options options);
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  const std::string& name() const { return name_; }
  ObjectStore& store() { return store_; }
  const ObjectStore& store() const { return store_; }
  std::shared_ptr<const ResourceCatalog> catalog() const { return registry_.Snapshot(); }

  struct WriteResult {
    ObjectRef object;
    bool created = false;  // 201 rather than 200
    std::vector<std::string> warnings;
  };

  // The object as the client sees it in `type`'s version.
  std::string Render(const ResourceType& type, const StoredObject& object) const;

  // subresource: "" or "status" (the object), "scale" (a Scale).
  absl::StatusOr<std::string> Get(const ResourceType& type, absl::string_view ns,
                                  absl::string_view name, absl::string_view subresource) const;

  struct ListOptions {
    std::string label_selector;
    std::string field_selector;
    int64_t limit = 0;
    std::string continue_token;
  };
  // The selected objects (one page).
  absl::StatusOr<ObjectStore::ListResult> ListObjects(const ResourceType& type,
                                                      absl::string_view ns,
                                                      const ListOptions& options) const;
  // The rendered list body ({"kind":"...List","metadata":{...},"items":[...]}).
  absl::StatusOr<std::string> List(const ResourceType& type, absl::string_view ns,
                                   const ListOptions& options) const;

  absl::StatusOr<WriteResult> Create(const ResourceType& type, absl::string_view ns,
                                     rapidjson::Document body, const RequestOptions& options);
  absl::StatusOr<WriteResult> Update(const ResourceType& type, absl::string_view ns,
                                     absl::string_view name, absl::string_view subresource,
                                     rapidjson::Document body, const RequestOptions& options);
  // `patch` is the request body as sent (JSON, or YAML for apply).
  absl::StatusOr<WriteResult> Patch(const ResourceType& type, absl::string_view ns,
                                    absl::string_view name, absl::string_view subresource,
                                    PatchType patch_type, absl::string_view patch,
                                    const RequestOptions& options);
  // Scale GET/PUT/PATCH answers are Scale objects, rendered here.
  absl::StatusOr<std::string> RenderScale(const ResourceType& type,
                                          const StoredObject& object) const;

  // POST pods/<name>/binding: assigns an unbound pod to `node` (what
  // kube-scheduler does). Conflict when the pod is already bound; NotFound.
  absl::StatusOr<WriteResult> BindPod(absl::string_view ns, absl::string_view name,
                                      absl::string_view node, const RequestOptions& options);

  struct DeleteOptions {
    PropagationPolicy propagation = PropagationPolicy::kBackground;
    std::optional<std::string> precondition_uid;
    std::optional<std::string> precondition_resource_version;
  };
  absl::StatusOr<ObjectStore::DeleteResult> Delete(const ResourceType& type,
                                                   absl::string_view ns,
                                                   absl::string_view name,
                                                   const DeleteOptions& delete_options,
                                                   const RequestOptions& options);
  // Deletes every object the selectors match; returns the rendered list of
  // what was deleted.
  absl::StatusOr<std::string> DeleteCollection(const ResourceType& type, absl::string_view ns,
                                               const ListOptions& selection,
                                               const DeleteOptions& delete_options,
                                               const RequestOptions& options);

  struct WatchOptions {
    std::string label_selector;
    std::string field_selector;
    std::optional<uint64_t> resource_version;
    bool send_initial_events = false;
  };
  absl::StatusOr<std::shared_ptr<Watch>> StartWatch(const ResourceType& type,
                                                    absl::string_view ns,
                                                    const WatchOptions& options);

  // Installs a CRD given as an object (the fleet bootstrap's path); same
  // semantics as Create on customresourcedefinitions, but an existing CRD of
  // the same name is replaced.
  absl::Status InstallCustomResourceDefinition(rapidjson::Document crd);

 private:
  // Admission of an object about to be written (create: old == nullptr).
  absl::Status Admit(const ResourceType& type, rapidjson::Document& object,
                     const rapidjson::Document* old, const RequestOptions& options,
                     bool patch, std::vector<std::string>& warnings);
  // The kind-specific defaults and checks of built-in kinds.
  absl::Status AdmitBuiltin(const ResourceType& type, rapidjson::Document& object,
                            const rapidjson::Document* old);
  absl::Status AdmitCustomResourceDefinition(rapidjson::Document& object,
                                             const rapidjson::Document* old) const;
  // Serves the kinds of a stored CRD.
  void RegisterCustomResource(const StoredObject& crd);
  void OnRemoved(const ObjectRef& object);
  // Removes the cleanup finalizer of a deleting CRD once its resources are gone.
  void MaybeFinishCrd(const std::string& crd_name);

  // Update path shared by PUT, PATCH and subresource writes: `compute` turns
  // the current object into the body to admit.
  absl::StatusOr<WriteResult> Write(
      const ResourceType& type, absl::string_view ns, absl::string_view name,
      absl::string_view subresource, const RequestOptions& options, bool patch,
      const std::function<absl::Status(const rapidjson::Document& current,
                                       rapidjson::Document& next)>& compute);

  // The object with the replicas of `scale` (an autoscaling/v1 Scale)
  // written at the type's spec replicas path.
  absl::Status ApplyScale(const ResourceType& type, const rapidjson::Document& current,
                          const rapidjson::Value& scale, rapidjson::Document& next) const;

  std::string NextClusterIp();

  const std::string name_;
  ResourceRegistry registry_;
  ObjectStore store_;
  std::atomic<uint32_t> next_cluster_ip_{10};
  std::atomic<uint32_t> next_node_port_{30000};
};

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_CLUSTER_H_
