// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/store.h
// -----------------------------------------------------------------------------
//
// The thread-safe, indexed object cache behind an informer (client-go's
// cache.Indexer). Objects are kept by key ("namespace/name" or "name") as
// std::shared_ptr<const Object>: readers get immutable snapshots that stay
// valid however the cache changes afterwards, and copying one costs a
// reference count.
//
// Indexes map an object to index values; ByIndex() returns the objects with
// a value. Every store has the namespace index (kNamespaceIndex); add custom
// ones before the first object arrives (e.g. pods by node name, placements
// by target cluster).
//
// Usage:
//
//   Store store;
//   store.AddIndex("by-node", [](const Object& pod) {
//     std::vector<std::string> values;
//     if (auto node = pod.FindString("/spec/nodeName")) values.emplace_back(*node);
//     return values;
//   });
//   std::vector<ObjectPtr> on_node = store.ByIndex("by-node", "node-1");
//
// Thread safety: all methods are thread-safe.

#ifndef MCK8S_KUBEAPI_STORE_H_
#define MCK8S_KUBEAPI_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "mck8s/kubeapi/object.h"

namespace mck8s::kubeapi {

using ObjectPtr = std::shared_ptr<const Object>;
using IndexFunc = std::function<std::vector<std::string>(const Object&)>;

inline constexpr char kNamespaceIndex[] = "namespace";

// The cache key of an object: "namespace/name", or "name" when it has no
// namespace.
std::string ObjectKeyString(const Object& object);

class Store {
 public:
  Store();

  // FAILED_PRECONDITION once the store holds objects (client-go refuses
  // too: existing objects would be missing from the new index);
  // ALREADY_EXISTS for a name in use.
  absl::Status AddIndex(const std::string& name, IndexFunc func);

  // Inserts or replaces; returns the previous object (nullptr if none).
  ObjectPtr Upsert(ObjectPtr object);
  // Removes by key; returns what was there (nullptr if nothing).
  ObjectPtr Delete(const std::string& key);
  // Replaces the whole content (a relist), returning what was there.
  std::vector<ObjectPtr> Replace(std::vector<ObjectPtr> objects);

  ObjectPtr Get(const std::string& key) const;
  ObjectPtr Get(std::string_view ns, std::string_view name) const;
  std::vector<ObjectPtr> List() const;
  std::vector<std::string> ListKeys() const;
  // Objects with `value` in index `index`; empty for an unknown index.
  std::vector<ObjectPtr> ByIndex(std::string_view index, std::string_view value) const;
  // The objects of one namespace (the namespace index).
  std::vector<ObjectPtr> ListNamespace(std::string_view ns) const;
  size_t size() const;

 private:
  struct Index {
    IndexFunc func;
    bool by_namespace = false;  // kNamespaceIndex: the value is the namespace, func unused
    absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> values;
  };
  void IndexLocked(const std::string& key, const Object& object) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UnindexLocked(const std::string& key, const Object& object)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, ObjectPtr> items_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Index> indexes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_STORE_H_
