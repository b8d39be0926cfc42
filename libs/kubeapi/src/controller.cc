#include "mck8s/kubeapi/controller.h"

#include <exception>
#include <utility>

#include "absl/strings/cord.h"
#include "mck8s/kubeapi/errors.h"
#include "mck8s/runtime/log.h"
#include "mck8s/runtime/metrics.h"

namespace mck8s::kubeapi {
namespace {

constexpr char kTerminalPayload[] = "type.mck8s.dev/kubeapi.TerminalError";

std::vector<double> ReconcileBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6,
          0.7,   0.8,  0.9,   1,    1.25, 1.5, 1.75, 2,   2.5,  3,   3.5,  4,   4.5, 5,
          6,     7,    8,     9,    10,   15,  20,   25,  30,   40,  50,   60};
}

}  // namespace

absl::Status TerminalError(absl::Status status) {
  if (status.ok()) return status;
  status.SetPayload(kTerminalPayload, absl::Cord("true"));
  return status;
}

bool IsTerminalError(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kTerminalPayload).has_value();
}

struct Controller::Metrics {
  runtime::Counter& success;
  runtime::Counter& error;
  runtime::Counter& requeue;
  runtime::Counter& requeue_after;
  runtime::Counter& errors;
  runtime::Counter& terminal_errors;
  runtime::Counter& panics;
  runtime::Histogram& time;
  runtime::Gauge& max_concurrent;
  runtime::Gauge& active_workers;

  Metrics(runtime::Registry& r, const std::string& c)
      : success(Total(r).WithLabels({c, "success"})),
        error(Total(r).WithLabels({c, "error"})),
        requeue(Total(r).WithLabels({c, "requeue"})),
        requeue_after(Total(r).WithLabels({c, "requeue_after"})),
        errors(r.AddCounter("controller_runtime_reconcile_errors_total",
                            "Total number of reconciliation errors per controller", {"controller"})
                   .WithLabels({c})),
        terminal_errors(r.AddCounter("controller_runtime_terminal_reconcile_errors_total",
                                     "Total number of terminal reconciliation errors per "
                                     "controller",
                                     {"controller"})
                            .WithLabels({c})),
        panics(r.AddCounter("controller_runtime_reconcile_panics_total",
                            "Total number of reconciliation panics per controller", {"controller"})
                   .WithLabels({c})),
        time(r.AddHistogram("controller_runtime_reconcile_time_seconds",
                            "Length of time per reconciliation per controller", {"controller"},
                            ReconcileBuckets())
                 .WithLabels({c})),
        max_concurrent(r.AddGauge("controller_runtime_max_concurrent_reconciles",
                                  "Maximum number of concurrent reconciles per controller",
                                  {"controller"})
                           .WithLabels({c})),
        active_workers(r.AddGauge("controller_runtime_active_workers",
                                  "Number of currently used workers per controller",
                                  {"controller"})
                           .WithLabels({c})) {
    // Timeouts are not a concept here, but the series exists at 0 as in
    // controller-runtime so dashboards find it.
    r.AddCounter("controller_runtime_reconcile_timeouts_total",
                 "Total number of reconciliation timeouts per controller", {"controller"})
        .WithLabels({c});
  }

  static runtime::CounterFamily& Total(runtime::Registry& r) {
    return r.AddCounter("controller_runtime_reconcile_total",
                        "Total number of reconciliations per controller", {"controller", "result"});
  }
};

Controller::Controller(std::string name, Reconciler reconciler, ControllerOptions options)
    : name_(std::move(name)),
      reconciler_(std::move(reconciler)),
      workers_(std::max(options.workers, 1)),
      clock_(options.clock != nullptr ? *options.clock : Clock::Real()) {
  runtime::Registry& registry =
      options.metrics != nullptr ? *options.metrics : runtime::Registry::Default();
  metrics_ = std::make_unique<Metrics>(registry, name_);
  WorkQueueOptions queue_options;
  queue_options.controller = name_;
  queue_options.rate_limiter = std::move(options.rate_limiter);
  queue_options.clock = &clock_;
  queue_options.metrics = &registry;
  queue_ = std::make_unique<WorkQueue>(name_, std::move(queue_options));
}

Controller::~Controller() { Stop(); }

EventHandler Controller::EnqueueHandler() {
  EventHandler handler;
  handler.on_add = [this](const ObjectPtr& object) { Enqueue(object->key()); };
  handler.on_update = [this](const ObjectPtr&, const ObjectPtr& object) {
    Enqueue(object->key());
  };
  handler.on_delete = [this](const ObjectPtr& object) { Enqueue(object->key()); };
  return handler;
}

EventHandler Controller::EnqueueOwnerHandler(std::string owner_kind) {
  auto enqueue_owner = [this, owner_kind](const ObjectPtr& object) {
    std::optional<OwnerReference> owner = object->controller_reference();
    if (owner.has_value() && owner->kind == owner_kind) {
      Enqueue(ObjectKey{std::string(object->namespace_name()), owner->name});
    }
  };
  EventHandler handler;
  handler.on_add = enqueue_owner;
  handler.on_update = [enqueue_owner](const ObjectPtr& old_object, const ObjectPtr& object) {
    enqueue_owner(old_object);
    if (old_object != object) enqueue_owner(object);
  };
  handler.on_delete = enqueue_owner;
  return handler;
}

void Controller::Start() {
  if (started_) return;
  started_ = true;
  metrics_->max_concurrent.Set(workers_);
  metrics_->active_workers.Set(0);
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { Worker(); });
}

void Controller::Stop() {
  queue_->ShutDownWithDrain();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void Controller::Worker() {
  while (std::optional<ObjectKey> key = queue_->Get()) {
    ProcessOne(*key);
    queue_->Done(*key);
  }
}

void Controller::ProcessOne(const ObjectKey& key) {
  metrics_->active_workers.Increment();
  const absl::Time start = clock_.Now();
  absl::StatusOr<Result> result;
  try {
    result = reconciler_(key);
  } catch (const std::exception& e) {
    metrics_->panics.Increment();
    result = absl::InternalError(std::string("reconciler threw: ") + e.what());
  } catch (...) {
    metrics_->panics.Increment();
    result = absl::InternalError("reconciler threw a non-standard exception");
  }
  metrics_->time.Observe(absl::ToDoubleSeconds(clock_.Now() - start));
  metrics_->active_workers.Decrement();
  if (!result.ok()) {
    metrics_->errors.Increment();
    metrics_->error.Increment();
    if (IsTerminalError(result.status())) {
      metrics_->terminal_errors.Increment();
      queue_->Forget(key);
      runtime::log::Error("reconcile failed (terminal, not retried)",
                          {{"controller", name_}, {"key", key.String()},
                           {"error", ErrorText(result.status())}});
    } else {
      queue_->AddRateLimited(key);
      runtime::log::Warn("reconcile failed, retrying",
                         {{"controller", name_}, {"key", key.String()},
                          {"error", ErrorText(result.status())}});
    }
    return;
  }
  if (result->requeue_after > absl::ZeroDuration()) {
    queue_->Forget(key);
    queue_->AddAfter(key, result->requeue_after);
    metrics_->requeue_after.Increment();
  } else if (result->requeue) {
    queue_->AddRateLimited(key);
    metrics_->requeue.Increment();
  } else {
    queue_->Forget(key);
    metrics_->success.Increment();
  }
}

}  // namespace mck8s::kubeapi
