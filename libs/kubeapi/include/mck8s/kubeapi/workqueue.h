// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/workqueue.h
// -----------------------------------------------------------------------------
//
// The controller work queue (client-go's rate-limiting, delaying,
// de-duplicating queue), keyed by ObjectKey:
//
//   * De-duplicating: a key added while already queued is queued once; a
//     key added while a worker processes it is queued again only when that
//     worker calls Done(), so a key is never processed by two workers at
//     once, and no change is lost.
//   * Delaying: AddAfter(key, d) makes the key ready d later (by the queue's
//     clock); the earliest pending time wins.
//   * Rate-limited: AddRateLimited(key) delays by the rate limiter's answer;
//     Forget(key) clears the key's failure count (call it on success).
//   * Shutdown: after ShutDown() adds are ignored and Get() hands out the
//     keys still queued, then nullopt (so workers end); ShutDownWithDrain()
//     also waits until every key handed out is Done().
//
// The default rate limiter is client-go's controller default: the larger of
// a per-key exponential backoff (5 ms doubling to 1000 s) and an overall
// token bucket (10 qps, burst 100).
//
// Metrics (controller-runtime's names, labels {controller, name}, both the
// queue's name unless a controller name is given; buckets 1e-8 x10 to 1000):
//   workqueue_depth{controller,name,priority=""}, workqueue_adds_total,
//   workqueue_queue_duration_seconds, workqueue_work_duration_seconds,
//   workqueue_unfinished_work_seconds, workqueue_longest_running_processor_seconds
//   (refreshed every 500 ms), workqueue_retries_total.
//
// Usage (a worker):
//
//   while (std::optional<ObjectKey> key = queue.Get()) {
//     absl::Status status = Reconcile(*key);
//     if (status.ok()) queue.Forget(*key); else queue.AddRateLimited(*key);
//     queue.Done(*key);
//   }
//
// Thread safety: all methods are thread-safe.

#ifndef MCK8S_KUBEAPI_WORKQUEUE_H_
#define MCK8S_KUBEAPI_WORKQUEUE_H_

#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/k8stypes/object_key.h"
#include "mck8s/kubeapi/clock.h"
#include "mck8s/kubeapi/rate_limiter.h"

namespace mck8s::runtime {
class Registry;
class Gauge;
class Counter;
class Histogram;
}  // namespace mck8s::runtime

namespace mck8s::kubeapi {

using k8stypes::ObjectKey;

// How long a key waits before its next try.
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // The delay for this retry of `key` (counts it as a failure).
  virtual absl::Duration When(const ObjectKey& key) = 0;
  // Clears the failure history of `key`.
  virtual void Forget(const ObjectKey& key) = 0;
  virtual int NumRequeues(const ObjectKey& key) = 0;
};

// base * 2^failures, capped at max.
class ExponentialRateLimiter final : public RateLimiter {
 public:
  ExponentialRateLimiter(absl::Duration base, absl::Duration max);
  absl::Duration When(const ObjectKey& key) override;
  void Forget(const ObjectKey& key) override;
  int NumRequeues(const ObjectKey& key) override;

 private:
  const absl::Duration base_;
  const absl::Duration max_;
  absl::Mutex mu_;
  absl::flat_hash_map<ObjectKey, int> failures_ ABSL_GUARDED_BY(mu_);
};

// An overall token bucket: the wait for the next token, whatever the key.
class BucketRateLimiter final : public RateLimiter {
 public:
  BucketRateLimiter(double qps, int burst, Clock& clock);
  absl::Duration When(const ObjectKey& key) override { return bucket_.Reserve(); }
  void Forget(const ObjectKey& key) override {}
  int NumRequeues(const ObjectKey& key) override { return 0; }

 private:
  TokenBucket bucket_;
};

// The largest delay of its parts.
class MaxOfRateLimiter final : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters);
  absl::Duration When(const ObjectKey& key) override;
  void Forget(const ObjectKey& key) override;
  int NumRequeues(const ObjectKey& key) override;

 private:
  std::vector<std::unique_ptr<RateLimiter>> limiters_;
};

// client-go's DefaultControllerRateLimiter: max(exponential 5ms..1000s,
// bucket 10 qps / 100 burst).
std::unique_ptr<RateLimiter> DefaultControllerRateLimiter(Clock& clock);

struct WorkQueueOptions {
  // The controller label of the metrics ("" : the queue's name).
  std::string controller;
  // nullptr: DefaultControllerRateLimiter.
  std::unique_ptr<RateLimiter> rate_limiter;
  Clock* clock = nullptr;               // nullptr: Clock::Real()
  runtime::Registry* metrics = nullptr;  // nullptr: Registry::Default()
};

class WorkQueue {
 public:
  explicit WorkQueue(std::string name, WorkQueueOptions options = {});
  ~WorkQueue();  // ShutDown() and join the delay thread
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const ObjectKey& key);
  // Ready after `delay` (<= 0: now). Counts as a retry in the metrics.
  void AddAfter(const ObjectKey& key, absl::Duration delay);
  void AddRateLimited(const ObjectKey& key);
  void Forget(const ObjectKey& key);
  int NumRequeues(const ObjectKey& key);

  // Blocks until a key is ready; nullopt once shut down and nothing ready
  // is left.
  std::optional<ObjectKey> Get();
  // The worker is finished with `key` (from Get()).
  void Done(const ObjectKey& key);

  // Adds are ignored from now on (delayed keys never become ready); Get()
  // drains the ready keys, then returns nullopt to every caller.
  void ShutDown();
  // Like ShutDown(), then waits until every key handed out by Get() is
  // Done().
  void ShutDownWithDrain();
  bool ShuttingDown() const;

  // Keys ready to be handed out (not the delayed ones).
  int Len() const;
  // Keys waiting for their delay.
  int Delayed() const;
  const std::string& name() const { return name_; }

 private:
  struct Waiting {
    absl::Time ready;
    uint64_t sequence;  // FIFO among equal times
    ObjectKey key;
    bool operator>(const Waiting& other) const {
      return ready != other.ready ? ready > other.ready : sequence > other.sequence;
    }
  };
  struct Metrics;

  void AddLocked(const ObjectKey& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DelayLoop();
  void UpdateProcessingMetricsLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string name_;
  Clock& clock_;
  std::unique_ptr<RateLimiter> rate_limiter_;
  std::unique_ptr<Metrics> metrics_;

  mutable absl::Mutex mu_;
  std::deque<ObjectKey> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<ObjectKey> dirty_ ABSL_GUARDED_BY(mu_);
  // Keys handed out by Get() and not Done() yet, with when they were.
  absl::flat_hash_map<ObjectKey, absl::Time> processing_ ABSL_GUARDED_BY(mu_);
  // When each queued key was added (for queue_duration).
  absl::flat_hash_map<ObjectKey, absl::Time> added_at_ ABSL_GUARDED_BY(mu_);
  std::priority_queue<Waiting, std::vector<Waiting>, std::greater<Waiting>> waiting_
      ABSL_GUARDED_BY(mu_);
  // The earliest ready time per delayed key (later AddAfters do not delay).
  absl::flat_hash_map<ObjectKey, absl::Time> waiting_ready_ ABSL_GUARDED_BY(mu_);
  uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_delay_loop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread delay_thread_;
};

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_WORKQUEUE_H_
