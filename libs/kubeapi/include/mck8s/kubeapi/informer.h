// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/informer.h
// -----------------------------------------------------------------------------
//
// A shared informer: one list+watch of a resource kept in an indexed cache
// (store.h), with add/update/delete handlers, periodic resync and HasSynced,
// as client-go's SharedIndexInformer. Controllers read the cache instead of
// the API server and enqueue keys from the handlers.
//
// The reflector loop on the informer's thread:
//   1. List (pages of page_size) -> replace the cache; handlers see adds for
//      new objects, updates for objects that were already cached and deletes
//      for objects gone since the last list. HasSynced() turns true.
//   2. Watch from the list's resourceVersion with bookmarks. Every event
//      moves the resume point to its object's resourceVersion.
//   3. The server ends the watch (timeoutSeconds, a dropped connection):
//      watch again from the resume point, so nothing is lost or repeated.
//      A 410 Gone / Expired (as an ERROR event or an answer): list again.
//      Other failures: wait (exponential backoff, initial_backoff to
//      max_backoff) and watch again; a failed list waits the same way.
//
// A transform (InformerOptions::transform, client-go's TransformFunc) sees
// every object before the cache and the handlers do: each item of every
// list (the first and each relist) and the object of each ADDED, MODIFIED
// and DELETED event (not BOOKMARK or ERROR). What it returns is what is
// cached and what the handlers receive, so a controller that reads a few
// fields of a large object can cache only those. The informer takes the
// resume point (metadata.resourceVersion) before the transform; the cache
// key (metadata.namespace, metadata.name) is taken after it, so a transform
// must keep both. A field a transform drops is gone for every handler and
// reader of the store. KeepFields() makes the common transform.
//
// Handlers run on the informer's thread (resync: on the resync thread), one
// at a time, in event order; they must be quick (enqueue a key, not call the
// API). A handler added after Start() first receives an add for every cached
// object.
//
// Usage:
//
//   Informer pods(*client, {"", "v1", "pods"},
//                 {.resync_period = absl::Minutes(10),
//                  .transform = KeepFields({"/spec/nodeName", "/status/phase"})});
//   pods.AddEventHandler({.on_add = [&](const ObjectPtr& pod) { queue.Add(Key(*pod)); }});
//   pods.Start();
//   if (!pods.WaitForSync(absl::Seconds(30))) { ... }
//   ObjectPtr pod = pods.store().Get("default", "web-1");
//   ...
//   pods.Stop();
//
// Thread safety: all methods are thread-safe. Stop() joins the threads and
// must not be called from a handler. A list attempt in flight is not
// interrupted: Stop() may wait for it (at most the client's request
// timeout), but not for the client's retry backoff, which Stop() cuts.

#ifndef MCK8S_KUBEAPI_INFORMER_H_
#define MCK8S_KUBEAPI_INFORMER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/clock.h"
#include "mck8s/kubeapi/store.h"
#include "mck8s/kubeapi/transport.h"

namespace mck8s::kubeapi {

struct EventHandler {
  std::function<void(const ObjectPtr& object)> on_add;
  // On a change, and on every resync (then old_object == new_object).
  std::function<void(const ObjectPtr& old_object, const ObjectPtr& new_object)> on_update;
  // With the last state known (from the DELETED event, or the cache when
  // the deletion was noticed by a relist).
  std::function<void(const ObjectPtr& object)> on_delete;
};

// Turns an object as the server sent it into the object to cache (see the
// file comment). Called on the informer's thread, one object at a time;
// it must not block. A transform that drops fields should return a new
// object (or call Object::Compact() on the one it edits): a JSON pool
// never gives back the memory of removed members.
using TransformFunc = std::function<Object(Object object)>;

// A transform that keeps only the fields named by `pointers` (JSON
// pointers, object.h) besides apiVersion, kind and metadata.name,
// namespace, uid and resourceVersion; pointers to absent fields are
// skipped. The result's pool is sized exactly to what is kept. Pointers go
// through objects only: "/status/conditions" keeps the whole array, an
// array element cannot be picked (write a TransformFunc for that).
TransformFunc KeepFields(std::vector<std::string> pointers);

struct InformerOptions {
  std::string namespace_name;  // "" : all namespaces (or cluster-scoped)
  std::string label_selector;
  std::string field_selector;
  // 0: no resync.
  absl::Duration resync_period = absl::ZeroDuration();
  // Page size of the list; 0: the whole list in one answer.
  int64_t page_size = 500;
  absl::Duration initial_backoff = absl::Milliseconds(800);
  absl::Duration max_backoff = absl::Seconds(30);
  // timeoutSeconds of each watch; 0: a random 5 to 10 minutes (spreads the
  // re-watches of many informers).
  int64_t watch_timeout_seconds = 0;
  absl::Duration watch_idle_timeout = absl::Minutes(5);
  // Applied to every listed and watched object before it is cached and
  // handed to the handlers; empty: objects are cached as received.
  TransformFunc transform;
  // Not owned; nullptr: the client's clock.
  Clock* clock = nullptr;
};

class Informer {
 public:
  Informer(Client& client, GroupVersionResource gvr, InformerOptions options = {});
  ~Informer();  // Stop()
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Before Start() only (see Store::AddIndex).
  absl::Status AddIndex(const std::string& name, IndexFunc func);
  void AddEventHandler(EventHandler handler);

  // Starts the reflector (and resync) threads. Idempotent.
  void Start();
  // Ends the watch and joins the threads. Idempotent. Not from a handler.
  void Stop();

  // True once the first list has been stored.
  bool HasSynced() const;
  // Blocks (real time) until HasSynced() or the timeout; returns HasSynced().
  bool WaitForSync(absl::Duration timeout) const;

  const Store& store() const { return store_; }
  const GroupVersionResource& resource() const { return gvr_; }
  // The resourceVersion the next watch would resume from.
  std::string LastSyncResourceVersion() const;
  // How many lists and watches were made (for tests and metrics).
  int64_t lists() const;
  int64_t watches() const;

 private:
  void Run();
  void ResyncLoop();
  // false when stopping.
  bool ListAndReplace();
  // Waits `delay` on the clock unless stopped; false when stopping.
  bool Backoff(absl::Duration delay);
  void HandleEvent(WatchEvent event, absl::Status* watch_error);
  template <typename F>
  void Dispatch(F&& call);

  Client& client_;
  const GroupVersionResource gvr_;
  const InformerOptions options_;
  Clock& clock_;
  Store store_;

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  std::string resource_version_ ABSL_GUARDED_BY(mu_);
  int64_t lists_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t watches_ ABSL_GUARDED_BY(mu_) = 0;
  StreamCanceller canceller_;

  // Serialises handler calls and guards the handler list.
  absl::Mutex dispatch_mu_;
  std::vector<EventHandler> handlers_ ABSL_GUARDED_BY(dispatch_mu_);

  std::thread reflector_;
  std::thread resync_;
};

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_INFORMER_H_
