// -----------------------------------------------------------------------------
// File: mck8s/sim/object_store.h
// -----------------------------------------------------------------------------
//
// The storage of one simulated cluster: what etcd plus the generic registry,
// the namespace controller and the garbage collector are to kube-apiserver.
//
// Objects are kept as compact JSON with the few fields the store indexes
// (labels, selectable fields, owners, finalizers) extracted beside it, keyed by
// resource ("deployments.apps"), namespace and name. Every write takes the next
// value of one cluster-wide counter as its resourceVersion and appends an event
// to a bounded history, from which watches start at any recent
// resourceVersion; older ones get 410 Expired.
//
// The store owns the object semantics that must be atomic with the write:
//   - uid, creationTimestamp, resourceVersion, generation (bumped when
//     anything outside metadata and status changes, for resources that track
//     it), optimistic concurrency (409 Conflict on a stale resourceVersion);
//   - finalizers: deleting an object with finalizers only sets
//     deletionTimestamp; removing the last finalizer then removes it;
//   - ownerReferences: removing an owner deletes its dependents (Background),
//     deletes them before the owner (Foreground, with the foregroundDeletion
//     finalizer) or strips the reference (Orphan);
//   - namespaces: objects are created only in existing, active namespaces;
//     deleting a namespace marks it Terminating, deletes its content and removes
//     it once empty.
//
// Usage:
//
//   ObjectStore store({.history_capacity = 10000});
//   store.RegisterResource("namespaces", {.namespaced = false});
//   store.RegisterResource("deployments.apps", {.track_generation = true});
//   MCK8S_ASSIGN_OR_RETURN(ObjectRef ns, store.Create("namespaces", "", doc, {}));
//   MCK8S_ASSIGN_OR_RETURN(
//       ObjectRef updated,
//       store.Update("deployments.apps", "default", "web",
//                    [](const rapidjson::Document& current,
//                       rapidjson::Document& proposed) -> absl::Status {
//                      proposed.CopyFrom(current, proposed.GetAllocator());
//                      ...; return absl::OkStatus();
//                    }, {}));
//   auto watch = store.Watch("deployments.apps", {.from_resource_version = rv});
//   for (const WatchEvent& e : (*watch)->TakeEvents()) { ... }
//   (*watch)->Stop();
//
// Thread-safe: one mutex per store guards every table, the history and the
// watcher list. Watch wake-up callbacks run with that mutex held and must only
// schedule work (post to an executor), never call back into the store.

#ifndef MCK8S_SIM_OBJECT_STORE_H_
#define MCK8S_SIM_OBJECT_STORE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <tuple>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/sim/api_error.h"
#include "rapidjson/document.h"

namespace mck8s::sim {

// How the store treats one resource.
struct StoreResourceOptions {
  GroupResource group_resource;  // for error messages; defaults from the id
  bool namespaced = true;
  // Bump metadata.generation when anything outside metadata and status
  // changes (Deployments, Jobs, custom resources, ...).
  bool track_generation = false;
  // Dotted paths, besides metadata.name and metadata.namespace, that field
  // selectors may use ("spec.nodeName", "status.phase").
  std::vector<std::string> selectable_fields;
};

// One stored object: its JSON and the metadata the store indexes. Immutable
// once published; a write publishes a new StoredObject.
struct StoredObject {
  std::string json;  // compact JSON of the whole object
  std::string resource_id;
  std::string ns;  // "" for cluster-scoped objects
  std::string name;
  std::string uid;
  uint64_t resource_version = 0;
  bool deleting = false;  // metadata.deletionTimestamp is set
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by key
  // metadata.name, metadata.namespace and the resource's selectable fields.
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<std::string> owner_uids;
  std::vector<std::string> finalizers;

  // The label value, or nullptr when the label is absent.
  const std::string* Label(absl::string_view key) const;
  // The value of a selectable field ("" when the field is absent).
  absl::string_view Field(absl::string_view path) const;
  // A fresh document holding the object.
  rapidjson::Document Parse() const;
};
using ObjectRef = std::shared_ptr<const StoredObject>;

// Decides whether an object belongs to a list or a watch (label and field
// selectors). An empty function matches everything.
using ObjectPredicate = std::function<bool(const StoredObject&)>;

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark };
absl::string_view WatchEventTypeName(WatchEventType type);

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  ObjectRef object;  // null for bookmarks
  uint64_t resource_version = 0;
  // Set on the bookmark that ends the initial events of a watch started
  // with send_initial_events.
  bool initial_events_end = false;
  // The version before a modification (history only): lets a filtered watch
  // turn a change that leaves or enters its selector into DELETED or ADDED.
  ObjectRef previous;
};

// The consumer side of one watch. The store appends events; the consumer
// takes them. When the consumer falls more than the store's per-watch limit
// behind, the store ends the watch (as kube-apiserver drops slow watchers):
// the consumer sees terminated() and should close its stream.
class Watch {
 public:
  Watch() = default;
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  // Takes every queued event (possibly none). Thread-safe.
  std::deque<WatchEvent> TakeEvents();
  // Blocks until an event is queued, the watch ended, or `timeout` passed;
  // returns whether events are queued. For tests and simple consumers.
  bool WaitForEvents(absl::Duration timeout);
  // Called, with the store's lock and the watch's lock held, each time the
  // queue goes from empty to non-empty or the watch ends: it must only
  // schedule work, never call into the watch or the store. Initial events
  // are queued before it can be set: check TakeEvents once after setting it.
  // After Stop() returns, the wake-up is not running and never runs again.
  void SetWakeup(std::function<void()> wakeup);
  // Unregisters the watch; no more events arrive. Idempotent.
  void Stop();
  bool stopped() const;
  // The store ended the watch (consumer too slow, resource removed).
  bool terminated() const;

 private:
  friend class ObjectStore;
  // Appends an event; returns false when the queue overflowed (the watch is
  // then terminated). Called with the store lock held.
  bool Push(WatchEvent event, size_t limit);
  void Terminate();

  mutable absl::Mutex mu_;
  std::deque<WatchEvent> queue_ ABSL_GUARDED_BY(mu_);
  std::function<void()> wakeup_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool terminated_ ABSL_GUARDED_BY(mu_) = false;

  // Set by the store at registration, read under the store's lock.
  std::string resource_id_;
  std::string ns_;
  ObjectPredicate predicate_;
};

enum class PropagationPolicy { kBackground, kForeground, kOrphan };

struct StoreOptions {
  // Events kept for watches that resume from a resourceVersion.
  size_t history_capacity = 10000;
  // Events a watch may have queued before the store ends it.
  size_t watch_queue_limit = 100000;
  // The clock for creationTimestamp and deletionTimestamp.
  std::function<absl::Time()> clock;
  // Seed of the uid generator (0: random).
  uint64_t uid_seed = 0;
  // The resource id holding namespaces (whose lifecycle the store runs).
  std::string namespace_resource = "namespaces";
};

class ObjectStore {
 public:
  explicit ObjectStore(StoreOptions options = {});
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;
  ~ObjectStore();

  // Declares a resource. Re-registering keeps the objects and updates the
  // options. Thread-safe.
  void RegisterResource(const std::string& resource_id, StoreResourceOptions options);
  // Forgets a resource and all its objects, without events; its watches end.
  void UnregisterResource(const std::string& resource_id);
  bool HasResource(const std::string& resource_id) const;

  // The resourceVersion of the latest write.
  uint64_t CurrentResourceVersion() const;

  // NotFound (Kubernetes wording) when absent.
  absl::StatusOr<ObjectRef> Get(const std::string& resource_id, absl::string_view ns,
                                absl::string_view name) const;

  struct ListOptions {
    std::optional<std::string> ns;  // unset: every namespace
    ObjectPredicate predicate;
    int64_t limit = 0;           // 0: no limit
    std::string continue_token;  // from a previous page
  };
  struct ListResult {
    std::vector<ObjectRef> items;  // ordered by namespace, then name
    uint64_t resource_version = 0;
    std::string continue_token;  // empty on the last page
  };
  // BadRequest on a malformed continue token; Expired (410) when the token's
  // resourceVersion left the history window.
  absl::StatusOr<ListResult> List(const std::string& resource_id,
                                  const ListOptions& options) const;

  struct WriteOptions {
    bool dry_run = false;
    // Create only: the uid to give the object (a controller that must name
    // it in the object itself, e.g. a Job's selector); empty: a fresh one.
    std::string uid;
  };

  // Stores a new object. Sets metadata.uid, creationTimestamp,
  // resourceVersion, generation (1, when tracked) and, for namespaced
  // resources, metadata.namespace = ns; drops any client-set deletion fields.
  // Errors: AlreadyExists; NotFound for a missing namespace; Forbidden for a
  // terminating one; BadRequest when metadata.name is empty.
  absl::StatusOr<ObjectRef> Create(const std::string& resource_id, absl::string_view ns,
                                   rapidjson::Document object, WriteOptions options);

  // Computes the next version of an object from its current one. `proposed`
  // starts empty; the mutator fills it (usually from a copy of `current`).
  // Its errors abort the update and are returned unchanged.
  using Mutator = std::function<absl::Status(const rapidjson::Document& current,
                                             rapidjson::Document& proposed)>;

  // Replaces an object with what `mutate` proposes, atomically. When
  // `proposed` carries metadata.resourceVersion it must equal the current one
  // (else 409 Conflict). The store keeps uid, creationTimestamp,
  // deletionTimestamp and name; bumps generation; skips the write (same
  // resourceVersion, no event) when nothing changed; and removes the object
  // when it is being deleted and its last finalizer went away.
  // NotFound when absent.
  absl::StatusOr<ObjectRef> Update(const std::string& resource_id, absl::string_view ns,
                                   absl::string_view name, const Mutator& mutate,
                                   WriteOptions options);

  struct DeleteOptions {
    PropagationPolicy propagation = PropagationPolicy::kBackground;
    std::optional<std::string> precondition_uid;
    std::optional<std::string> precondition_resource_version;
    bool dry_run = false;
  };
  struct DeleteResult {
    ObjectRef object;      // the final state (removed) or the marked object
    bool removed = false;  // false: waiting for finalizers or content
  };
  // Deletes an object: removes it, or marks it with deletionTimestamp while
  // finalizers (or, for a namespace, content) remain. Dependents follow the
  // propagation policy. Errors: NotFound; Conflict on failed preconditions.
  absl::StatusOr<DeleteResult> Delete(const std::string& resource_id, absl::string_view ns,
                                      absl::string_view name, const DeleteOptions& options);

  struct WatchOptions {
    std::optional<std::string> ns;
    ObjectPredicate predicate;
    // Unset (or 0): start with ADDED events for every current object, then
    // changes. Set: replay the changes after it from the history.
    std::optional<uint64_t> from_resource_version;
    // Start with ADDED events for every current object, then a BOOKMARK
    // marked initial_events_end (the WatchList protocol).
    bool send_initial_events = false;
  };
  // Registers a watch. Expired (410) when from_resource_version is older than
  // the history window; NotFound when the resource is unknown.
  absl::StatusOr<std::shared_ptr<Watch>> StartWatch(const std::string& resource_id,
                                                    const WatchOptions& options);
  // Queues a BOOKMARK at the current resourceVersion on `watch`, after every
  // event already queued for it.
  void Bookmark(Watch& watch);

  // Called after every write that removed an object, outside the store lock,
  // in commit order per thread (for cleanups such as the CRD finalizer).
  void SetRemovalObserver(std::function<void(const ObjectRef&)> observer);

  // A fresh uid from the store's generator.
  std::string GenerateUid();

  // Number of stored objects of `resource_id` (all namespaces).
  size_t Count(const std::string& resource_id) const;

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name
  struct Table {
    StoreResourceOptions options;
    std::map<Key, ObjectRef> objects;
  };
  struct Pending {
    std::vector<ObjectRef> removed;
  };

  Table* FindTable(const std::string& resource_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const Table* FindTable(const std::string& resource_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status UnknownResource(const std::string& resource_id) const;

  // Turns a document into a published object with the next resourceVersion
  // already written into its metadata.
  ObjectRef Publish(const std::string& resource_id, const Table& table,
                    rapidjson::Document& doc, uint64_t resource_version) const;
  // Records an event in the history and hands it to matching watches.
  void Emit(WatchEventType type, const ObjectRef& object, const ObjectRef& previous)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StoreObject(const ObjectRef& object) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes `doc` as the new version of an existing object.
  ObjectRef Replace(const std::string& resource_id, Table& table, const ObjectRef& old,
                    rapidjson::Document& doc) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::StatusOr<DeleteResult> DeleteLocked(const std::string& resource_id,
                                            const ObjectRef& object,
                                            PropagationPolicy propagation,
                                            Pending& pending)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ObjectRef RemoveLocked(const std::string& resource_id, const ObjectRef& object,
                         Pending& pending) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes the object when it is deleting and nothing holds it any more
  // (finalizers, namespace content).
  void MaybeFinish(const std::string& resource_id, const ObjectRef& object,
                   Pending& pending) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Rewrites an object through `edit` (internal writes: finalizer removal,
  // orphaning, namespace phase). Returns the new version.
  ObjectRef Rewrite(const std::string& resource_id, const ObjectRef& object,
                    const std::function<void(rapidjson::Document&)>& edit)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::pair<std::string, ObjectRef>> DependentsOf(const std::string& uid) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool NamespaceEmpty(const std::string& ns) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The stored object with this uid and its resource id, if any.
  std::pair<std::string, ObjectRef> FindByUid(const std::string& uid) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Notify(Pending& pending);

  std::string NewUid() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string Now() const;

  const StoreOptions options_;
  mutable absl::Mutex mu_;
  std::unordered_map<std::string, Table> tables_ ABSL_GUARDED_BY(mu_);
  uint64_t resource_version_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<WatchEvent> history_ ABSL_GUARDED_BY(mu_);
  uint64_t evicted_through_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::shared_ptr<Watch>> watches_ ABSL_GUARDED_BY(mu_);
  // owner uid -> (resource id, namespace, name) of dependents.
  std::multimap<std::string, std::tuple<std::string, std::string, std::string>> owners_
      ABSL_GUARDED_BY(mu_);
  // uid -> (resource id, namespace, name) of every stored object.
  std::unordered_map<std::string, std::tuple<std::string, std::string, std::string>> uids_
      ABSL_GUARDED_BY(mu_);
  std::mt19937_64 random_ ABSL_GUARDED_BY(mu_);
  std::function<void(const ObjectRef&)> removal_observer_;
};

// Formats a time as Kubernetes does in metadata ("2024-05-01T10:00:00Z").
std::string FormatTimestamp(absl::Time time);

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_OBJECT_STORE_H_
