// -----------------------------------------------------------------------------
// File: mck8s/sim/resource_registry.h
// -----------------------------------------------------------------------------
//
// What a simulated cluster serves: one ResourceType per group/version/resource
// (built-in kinds and the kinds of every established CustomResourceDefinition),
// with what discovery, OpenAPI, validation and patching need to know about it.
//
// The registry publishes immutable catalogs: a request takes the current
// catalog once and uses it throughout, while CRD changes install a new catalog
// (copy on write). Each catalog has a generation number, which changes the
// hashes in /openapi/v3 so that clients refetch documents after a CRD change.
//
// Usage:
//
//   ResourceRegistry registry;
//   registry.SetBuiltins(BuiltinResourceTypes());
//   std::shared_ptr<const ResourceCatalog> catalog = registry.Snapshot();
//   const ResourceType* type = catalog->Find("apps", "v1", "deployments");
//
// Thread-safe: Snapshot() and the setters may be called from any thread; a
// catalog is immutable.

#ifndef MCK8S_SIM_RESOURCE_REGISTRY_H_
#define MCK8S_SIM_RESOURCE_REGISTRY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "mck8s/apischema/crd.h"
#include "mck8s/apischema/structural_schema.h"
#include "mck8s/sim/api_error.h"
#include "rapidjson/document.h"

namespace mck8s::sim {

struct ScaleSubresourcePaths {
  std::string spec_replicas_path = ".spec.replicas";
  std::string status_replicas_path = ".status.replicas";
  std::string label_selector_path;  // may be empty
};

struct ResourceType {
  std::string group;    // "" for core
  std::string version;  // "v1"
  std::string kind;     // "Deployment"
  std::string list_kind;
  std::string plural;  // "deployments"
  std::string singular;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  std::vector<std::string> verbs = {"create", "delete", "deletecollection", "get",
                                    "list",   "patch",  "update",           "watch"};
  bool status_subresource = false;
  std::optional<ScaleSubresourcePaths> scale;
  // Bump metadata.generation on changes outside metadata and status.
  bool track_generation = false;
  // Built-in kinds accept strategic merge patches; custom resources do not.
  bool builtin = true;
  // Field selectors beyond metadata.name and metadata.namespace.
  std::vector<std::string> selectable_fields;
  // Validation, defaulting and pruning of the object (apiVersion, kind and
  // metadata are handled apart). Null: accept anything.
  std::shared_ptr<const apischema::StructuralSchema> schema;
  // The OpenAPI v3 schema published for the kind (with descriptions, the
  // full ObjectMeta and the x-kubernetes-patch-* extensions strategic merge
  // patches follow). Null: a schema that only names the kind.
  std::shared_ptr<const rapidjson::Document> openapi_schema;
  // The additionalPrinterColumns of a custom resource (tables).
  std::vector<apischema::PrinterColumn> printer_columns;
  // The CRD that defines this type ("" for built-ins).
  std::string crd_name;
  // The CRD's storage version: objects are stored once per group/resource
  // whatever version they were written in.
  std::string storage_version;

  // The store key of the resource: "deployments.apps", "pods".
  std::string ResourceId() const;
  // "apps/v1", or "v1" for core.
  std::string ApiVersion() const;
  GroupResource group_resource() const { return {group, plural}; }
  GroupKind group_kind() const { return {group, kind}; }
  // The name of the schema in OpenAPI documents:
  // "io.k8s.api.apps.v1.Deployment", "eu.fogguru.v1.MultiClusterDeployment".
  std::string OpenApiName() const;
};

// One group-version as discovery lists it.
struct GroupVersionEntry {
  std::string group;
  std::string version;
  std::vector<const ResourceType*> resources;  // sorted by plural
};

class ResourceCatalog {
 public:
  ResourceCatalog(std::vector<std::shared_ptr<const ResourceType>> types,
                  uint64_t generation);

  // The type serving group/version/plural, or nullptr.
  const ResourceType* Find(absl::string_view group, absl::string_view version,
                           absl::string_view plural) const;
  // The type of group/kind at `version` (any version when empty), or nullptr.
  const ResourceType* FindKind(absl::string_view group, absl::string_view version,
                               absl::string_view kind) const;
  // The type storing `resource_id` ("deployments.apps") in its storage
  // version, or nullptr.
  const ResourceType* FindByResourceId(absl::string_view resource_id) const;

  const std::vector<std::shared_ptr<const ResourceType>>& types() const { return types_; }
  // Groups in discovery order: core first, then built-in groups, then CRD
  // groups by name; versions within a group in the order registered.
  const std::vector<GroupVersionEntry>& group_versions() const { return group_versions_; }
  uint64_t generation() const { return generation_; }

 private:
  std::vector<std::shared_ptr<const ResourceType>> types_;
  std::vector<GroupVersionEntry> group_versions_;
  uint64_t generation_;
};

class ResourceRegistry {
 public:
  ResourceRegistry();

  std::shared_ptr<const ResourceCatalog> Snapshot() const;

  // Replaces the built-in types.
  void SetBuiltins(std::vector<ResourceType> types);
  // Installs (or replaces) the types a CRD defines, one per served version.
  void SetCustomResource(const std::string& crd_name, std::vector<ResourceType> types);
  // Removes the types of a CRD.
  void RemoveCustomResource(const std::string& crd_name);

 private:
  void Rebuild() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::vector<std::shared_ptr<const ResourceType>> builtins_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::shared_ptr<const ResourceType>>> custom_
      ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<const ResourceCatalog> current_ ABSL_GUARDED_BY(mu_);
};

// The ResourceTypes a CRD defines (one per served version), from its
// apischema reading and the CRD object (for the published schema).
std::vector<ResourceType> ResourceTypesFromCrd(const apischema::CustomResourceDefinition& crd,
                                               const rapidjson::Value& crd_object);

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_RESOURCE_REGISTRY_H_
