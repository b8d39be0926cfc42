// -----------------------------------------------------------------------------
// File: mck8s/k8stypes/object_key.h
// -----------------------------------------------------------------------------
//
// The names by which Kubernetes objects and their types are addressed:
//
//   ObjectKey             namespace + name: "default/web" or, for a
//                         cluster-scoped object, "web" (client-go's
//                         MetaNamespaceKey, controller-runtime's
//                         NamespacedName). The unit of work of every
//                         controller queue.
//   GroupVersion          an apiVersion: "apps/v1", or "v1" for the core group.
//   GroupVersionKind      what a manifest declares (apiVersion + kind).
//   GroupVersionResource  what a URL addresses (".../apis/apps/v1/deployments").
//
// All are plain values: comparable, ordered (member-wise), hashable with
// absl::Hash, printable.
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(ObjectKey key, ObjectKey::Parse("default/web"));
//   absl::flat_hash_set<ObjectKey> queued = {key};
//
//   MCK8S_ASSIGN_OR_RETURN(GroupVersion gv, GroupVersion::Parse("apps/v1"));
//   GroupVersionKind gvk = gv.WithKind("Deployment");
//   gvk.String();  // "apps/v1, Kind=Deployment"

#ifndef MCK8S_K8STYPES_OBJECT_KEY_H_
#define MCK8S_K8STYPES_OBJECT_KEY_H_

#include <compare>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"

namespace mck8s::k8stypes {

struct ObjectKey {
  std::string ns;    // the namespace; empty for cluster-scoped objects
  std::string name;

  // "ns/name" or "name". InvalidArgument for an empty string, more than one
  // '/', or an empty namespace or name around the '/' (client-go would accept
  // "/name"; an explicit empty namespace is almost always a bug here).
  static absl::StatusOr<ObjectKey> Parse(std::string_view key);

  bool IsClusterScoped() const { return ns.empty(); }

  // "ns/name", or "name" when cluster-scoped.
  std::string String() const;

  friend bool operator==(const ObjectKey&, const ObjectKey&) = default;
  friend std::strong_ordering operator<=>(const ObjectKey&, const ObjectKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const ObjectKey& key) {
    return H::combine(std::move(h), key.ns, key.name);
  }
  friend std::ostream& operator<<(std::ostream& os, const ObjectKey& key) {
    return os << key.String();
  }
};

struct GroupVersionKind;
struct GroupVersionResource;

struct GroupVersion {
  std::string group;  // empty for the core group
  std::string version;

  // "group/version" or "version" (core). InvalidArgument for an empty string,
  // more than one '/', or an empty group or version around the '/'.
  static absl::StatusOr<GroupVersion> Parse(std::string_view api_version);

  // The apiVersion spelling: "apps/v1", or "v1" for the core group.
  std::string String() const;

  GroupVersionKind WithKind(std::string kind) const;
  GroupVersionResource WithResource(std::string resource) const;

  friend bool operator==(const GroupVersion&, const GroupVersion&) = default;
  friend std::strong_ordering operator<=>(const GroupVersion&, const GroupVersion&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const GroupVersion& gv) {
    return H::combine(std::move(h), gv.group, gv.version);
  }
  friend std::ostream& operator<<(std::ostream& os, const GroupVersion& gv) {
    return os << gv.String();
  }
};

struct GroupVersionKind {
  std::string group;
  std::string version;
  std::string kind;

  // From a manifest's apiVersion and kind. InvalidArgument for a bad
  // apiVersion (see GroupVersion::Parse) or an empty kind.
  static absl::StatusOr<GroupVersionKind> FromApiVersionAndKind(std::string_view api_version,
                                                                std::string_view kind);

  GroupVersion GetGroupVersion() const { return GroupVersion{group, version}; }
  std::string ApiVersion() const { return GetGroupVersion().String(); }

  // Kubernetes' spelling: "apps/v1, Kind=Deployment", "/v1, Kind=Pod".
  std::string String() const;

  friend bool operator==(const GroupVersionKind&, const GroupVersionKind&) = default;
  friend std::strong_ordering operator<=>(const GroupVersionKind&,
                                          const GroupVersionKind&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const GroupVersionKind& gvk) {
    return H::combine(std::move(h), gvk.group, gvk.version, gvk.kind);
  }
  friend std::ostream& operator<<(std::ostream& os, const GroupVersionKind& gvk) {
    return os << gvk.String();
  }
};

struct GroupVersionResource {
  std::string group;
  std::string version;
  std::string resource;  // lower-case plural, e.g. "deployments"

  GroupVersion GetGroupVersion() const { return GroupVersion{group, version}; }
  std::string ApiVersion() const { return GetGroupVersion().String(); }

  // Kubernetes' spelling: "apps/v1, Resource=deployments", "/v1, Resource=pods".
  std::string String() const;

  friend bool operator==(const GroupVersionResource&, const GroupVersionResource&) = default;
  friend std::strong_ordering operator<=>(const GroupVersionResource&,
                                          const GroupVersionResource&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const GroupVersionResource& gvr) {
    return H::combine(std::move(h), gvr.group, gvr.version, gvr.resource);
  }
  friend std::ostream& operator<<(std::ostream& os, const GroupVersionResource& gvr) {
    return os << gvr.String();
  }
};

}  // namespace mck8s::k8stypes

#endif  // MCK8S_K8STYPES_OBJECT_KEY_H_
