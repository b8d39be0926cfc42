#include "mck8s/kubeapi/workqueue.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "mck8s/runtime/metrics.h"

namespace mck8s::kubeapi {
namespace {

// How often the in-progress gauges are refreshed (as client-go does).
constexpr absl::Duration kProcessingMetricsPeriod = absl::Milliseconds(500);

std::vector<double> QueueBuckets() { return runtime::ExponentialBuckets(1e-8, 10, 12); }

}  // namespace

// ---------------------------------------------------------------------------
// Rate limiters

ExponentialRateLimiter::ExponentialRateLimiter(absl::Duration base, absl::Duration max)
    : base_(base), max_(max) {}

absl::Duration ExponentialRateLimiter::When(const ObjectKey& key) {
  absl::MutexLock lock(&mu_);
  const int exponent = failures_[key]++;
  const double nanos = absl::ToDoubleNanoseconds(base_) * std::pow(2.0, exponent);
  if (!(nanos < absl::ToDoubleNanoseconds(max_))) return max_;
  return absl::Nanoseconds(static_cast<int64_t>(nanos));
}

void ExponentialRateLimiter::Forget(const ObjectKey& key) {
  absl::MutexLock lock(&mu_);
  failures_.erase(key);
}

int ExponentialRateLimiter::NumRequeues(const ObjectKey& key) {
  absl::MutexLock lock(&mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

BucketRateLimiter::BucketRateLimiter(double qps, int burst, Clock& clock)
    : bucket_(qps, burst, clock) {}

MaxOfRateLimiter::MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters)
    : limiters_(std::move(limiters)) {}

absl::Duration MaxOfRateLimiter::When(const ObjectKey& key) {
  absl::Duration longest = absl::ZeroDuration();
  for (auto& limiter : limiters_) longest = std::max(longest, limiter->When(key));
  return longest;
}

void MaxOfRateLimiter::Forget(const ObjectKey& key) {
  for (auto& limiter : limiters_) limiter->Forget(key);
}

int MaxOfRateLimiter::NumRequeues(const ObjectKey& key) {
  int most = 0;
  for (auto& limiter : limiters_) most = std::max(most, limiter->NumRequeues(key));
  return most;
}

std::unique_ptr<RateLimiter> DefaultControllerRateLimiter(Clock& clock) {
  std::vector<std::unique_ptr<RateLimiter>> parts;
  parts.push_back(
      std::make_unique<ExponentialRateLimiter>(absl::Milliseconds(5), absl::Seconds(1000)));
  parts.push_back(std::make_unique<BucketRateLimiter>(10, 100, clock));
  return std::make_unique<MaxOfRateLimiter>(std::move(parts));
}

// ---------------------------------------------------------------------------
// WorkQueue

struct WorkQueue::Metrics {
  runtime::Gauge& depth;
  runtime::Counter& adds;
  runtime::Histogram& queue_duration;
  runtime::Histogram& work_duration;
  runtime::Gauge& unfinished;
  runtime::Gauge& longest;
  runtime::Counter& retries;

  Metrics(runtime::Registry& r, const std::string& controller, const std::string& name)
      : depth(r.AddGauge("workqueue_depth",
                         "Current depth of workqueue by workqueue and priority",
                         {"controller", "name", "priority"})
                  .WithLabels({controller, name, ""})),
        adds(r.AddCounter("workqueue_adds_total", "Total number of adds handled by workqueue",
                          {"controller", "name"})
                 .WithLabels({controller, name})),
        queue_duration(r.AddHistogram("workqueue_queue_duration_seconds",
                                      "How long in seconds an item stays in workqueue before "
                                      "being requested",
                                      {"controller", "name"}, QueueBuckets())
                           .WithLabels({controller, name})),
        work_duration(r.AddHistogram("workqueue_work_duration_seconds",
                                     "How long in seconds processing an item from workqueue "
                                     "takes.",
                                     {"controller", "name"}, QueueBuckets())
                          .WithLabels({controller, name})),
        unfinished(r.AddGauge("workqueue_unfinished_work_seconds",
                              "How many seconds of work has been done that is in progress and "
                              "hasn't been observed by work_duration. Large values indicate "
                              "stuck threads. One can deduce the number of stuck threads by "
                              "observing the rate at which this increases.",
                              {"controller", "name"})
                       .WithLabels({controller, name})),
        longest(r.AddGauge("workqueue_longest_running_processor_seconds",
                           "How many seconds has the longest running processor for workqueue "
                           "been running.",
                           {"controller", "name"})
                    .WithLabels({controller, name})),
        retries(r.AddCounter("workqueue_retries_total",
                             "Total number of items added to the workqueue with a non-zero "
                             "delay (rate-limited requeues, explicit RequeueAfter or AddAfter "
                             "calls)",
                             {"controller", "name"})
                    .WithLabels({controller, name})) {}
};

WorkQueue::WorkQueue(std::string name, WorkQueueOptions options)
    : name_(std::move(name)),
      clock_(options.clock != nullptr ? *options.clock : Clock::Real()),
      rate_limiter_(options.rate_limiter != nullptr ? std::move(options.rate_limiter)
                                                    : DefaultControllerRateLimiter(clock_)) {
  runtime::Registry& registry =
      options.metrics != nullptr ? *options.metrics : runtime::Registry::Default();
  metrics_ = std::make_unique<Metrics>(
      registry, options.controller.empty() ? name_ : options.controller, name_);
  delay_thread_ = std::thread([this] { DelayLoop(); });
}

WorkQueue::~WorkQueue() {
  ShutDown();
  {
    absl::MutexLock lock(&mu_);
    stop_delay_loop_ = true;
  }
  delay_thread_.join();
}

void WorkQueue::AddLocked(const ObjectKey& key) {
  if (shutting_down_) return;
  if (!dirty_.insert(key).second) return;  // already queued
  metrics_->adds.Increment();
  metrics_->depth.Increment();
  added_at_[key] = clock_.Now();
  // A key being processed is queued again when its worker calls Done().
  if (processing_.contains(key)) return;
  queue_.push_back(key);
}

void WorkQueue::Add(const ObjectKey& key) {
  absl::MutexLock lock(&mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const ObjectKey& key, absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_) return;
  metrics_->retries.Increment();
  if (delay <= absl::ZeroDuration()) {
    AddLocked(key);
    return;
  }
  const absl::Time ready = clock_.Now() + delay;
  auto [it, inserted] = waiting_ready_.try_emplace(key, ready);
  if (!inserted) {
    if (it->second <= ready) return;  // already due sooner
    it->second = ready;
  }
  waiting_.push(Waiting{ready, sequence_++, key});
}

void WorkQueue::AddRateLimited(const ObjectKey& key) { AddAfter(key, rate_limiter_->When(key)); }

void WorkQueue::Forget(const ObjectKey& key) { rate_limiter_->Forget(key); }

int WorkQueue::NumRequeues(const ObjectKey& key) { return rate_limiter_->NumRequeues(key); }

std::optional<ObjectKey> WorkQueue::Get() {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || shutting_down_;
  };
  mu_.Await(absl::Condition(&ready));
  if (queue_.empty()) return std::nullopt;
  ObjectKey key = std::move(queue_.front());
  queue_.pop_front();
  const absl::Time now = clock_.Now();
  metrics_->depth.Decrement();
  if (auto it = added_at_.find(key); it != added_at_.end()) {
    metrics_->queue_duration.Observe(absl::ToDoubleSeconds(now - it->second));
    added_at_.erase(it);
  }
  processing_[key] = now;
  dirty_.erase(key);
  return key;
}

void WorkQueue::Done(const ObjectKey& key) {
  absl::MutexLock lock(&mu_);
  auto it = processing_.find(key);
  if (it == processing_.end()) return;
  metrics_->work_duration.Observe(absl::ToDoubleSeconds(clock_.Now() - it->second));
  processing_.erase(it);
  if (dirty_.contains(key)) queue_.push_back(key);
}

void WorkQueue::ShutDown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
}

void WorkQueue::ShutDownWithDrain() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
  auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return processing_.empty(); };
  mu_.Await(absl::Condition(&drained));
}

bool WorkQueue::ShuttingDown() const {
  absl::MutexLock lock(&mu_);
  return shutting_down_;
}

int WorkQueue::Len() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

int WorkQueue::Delayed() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(waiting_ready_.size());
}

void WorkQueue::UpdateProcessingMetricsLocked(absl::Time now) {
  double total = 0;
  double longest = 0;
  for (const auto& [key, start] : processing_) {
    const double age = absl::ToDoubleSeconds(now - start);
    total += age;
    longest = std::max(longest, age);
  }
  metrics_->unfinished.Set(total);
  metrics_->longest.Set(longest);
}

void WorkQueue::DelayLoop() {
  absl::MutexLock lock(&mu_);
  uint64_t seen_sequence = sequence_;
  absl::Time next_metrics = clock_.Now();
  while (!stop_delay_loop_) {
    const absl::Time now = clock_.Now();
    while (!waiting_.empty() && waiting_.top().ready <= now) {
      Waiting due = waiting_.top();
      waiting_.pop();
      auto it = waiting_ready_.find(due.key);
      // A stale entry: the key was re-scheduled sooner and already added.
      if (it == waiting_ready_.end() || it->second != due.ready) continue;
      waiting_ready_.erase(it);
      AddLocked(due.key);
    }
    if (now >= next_metrics) {
      UpdateProcessingMetricsLocked(now);
      next_metrics = now + kProcessingMetricsPeriod;
    }
    absl::Time deadline = next_metrics;
    if (!waiting_.empty()) deadline = std::min(deadline, waiting_.top().ready);
    seen_sequence = sequence_;
    // Wake early for a new delayed key (it may be due sooner) or a stop.
    auto changed = [this, &seen_sequence]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stop_delay_loop_ || sequence_ != seen_sequence;
    };
    clock_.AwaitWithDeadline(mu_, absl::Condition(&changed), deadline);
  }
}

}  // namespace mck8s::kubeapi
