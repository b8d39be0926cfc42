// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/controller.h
// -----------------------------------------------------------------------------
//
// The controller runner (controller-runtime's Controller): N workers take
// keys from a WorkQueue and call a Reconciler, level-triggered and keyed by
// name only. What the reconciler returns decides what happens to the key:
//
//   error (not terminal)     -> rate-limited requeue (backoff grows per key)
//   TerminalError(status)    -> no retry; counted as a terminal error
//   Result{.requeue_after=d} -> requeued after d; backoff reset
//   Result{.requeue=true}    -> rate-limited requeue
//   Result{}                 -> done; backoff reset
//
// A reconciler that throws is counted as a panic and treated as an error.
//
// Metrics (controller-runtime's names and buckets; all series created at 0
// by Start()): controller_runtime_reconcile_total{controller,result},
// controller_runtime_reconcile_errors_total, ..._terminal_reconcile_errors_total,
// ..._reconcile_panics_total, ..._reconcile_time_seconds,
// ..._max_concurrent_reconciles, ..._active_workers, plus the queue's
// workqueue_* series labelled with the controller name.
//
// Usage:
//
//   Controller controller("multiclusterdeployment",
//       [&](const ObjectKey& key) -> absl::StatusOr<Result> {
//         ... read the cache, act, write status ...
//         return Result{};
//       },
//       {.workers = 4});
//   informer.AddEventHandler(controller.EnqueueHandler());
//   controller.Start();
//   ...
//   controller.Stop();  // queued and running reconciles finish first
//
// Thread safety: Enqueue* and the queue are thread-safe; Start/Stop from
// one owner thread.

#ifndef MCK8S_KUBEAPI_CONTROLLER_H_
#define MCK8S_KUBEAPI_CONTROLLER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mck8s/k8stypes/object_key.h"
#include "mck8s/kubeapi/informer.h"
#include "mck8s/kubeapi/workqueue.h"

namespace mck8s::kubeapi {

struct Result {
  bool requeue = false;
  absl::Duration requeue_after = absl::ZeroDuration();
};

using Reconciler = std::function<absl::StatusOr<Result>(const ObjectKey& key)>;

// Marks `status` (not OK) as terminal: the controller will not retry it.
absl::Status TerminalError(absl::Status status);
bool IsTerminalError(const absl::Status& status);

struct ControllerOptions {
  int workers = 1;
  std::unique_ptr<RateLimiter> rate_limiter;  // nullptr: the default
  Clock* clock = nullptr;
  runtime::Registry* metrics = nullptr;
};

class Controller {
 public:
  Controller(std::string name, Reconciler reconciler, ControllerOptions options = {});
  ~Controller();  // Stop()
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  void Enqueue(const ObjectKey& key) { queue_->Add(key); }
  void EnqueueAfter(const ObjectKey& key, absl::Duration delay) { queue_->AddAfter(key, delay); }
  // Enqueues the key of every added, updated or deleted object.
  EventHandler EnqueueHandler();
  // Enqueues the key of the controller owner (ownerReferences with
  // controller: true) of kind `owner_kind`, for objects the controller owns.
  EventHandler EnqueueOwnerHandler(std::string owner_kind);

  // Starts the workers. Idempotent.
  void Start();
  // Stops accepting keys; the workers finish the keys already queued and
  // in progress (delayed ones are dropped), then are joined.
  void Stop();

  WorkQueue& queue() { return *queue_; }
  const std::string& name() const { return name_; }

 private:
  struct Metrics;
  void Worker();
  void ProcessOne(const ObjectKey& key);

  const std::string name_;
  Reconciler reconciler_;
  const int workers_;
  Clock& clock_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<WorkQueue> queue_;
  std::vector<std::thread> threads_;
  bool started_ = false;
};

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_CONTROLLER_H_
