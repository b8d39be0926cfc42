#include "mck8s/kubeapi/controller.h"

#include <catch2/catch.hpp>

#include <map>

#include "absl/synchronization/mutex.h"
#include "mck8s/runtime/metrics.h"

namespace mck8s::kubeapi {
namespace {

// Records calls and answers from a per-key script of results.
struct ScriptedReconciler {
  absl::Mutex mu;
  std::map<std::string, std::vector<absl::StatusOr<Result>>> script;
  std::map<std::string, int> calls;

  absl::StatusOr<Result> operator()(const ObjectKey& key) {
    absl::MutexLock lock(&mu);
    const int n = calls[key.name]++;
    auto& answers = script[key.name];
    if (answers.empty()) return Result{};
    return answers[std::min<size_t>(n, answers.size() - 1)];
  }
  int Calls(const std::string& name) {
    absl::MutexLock lock(&mu);
    return calls[name];
  }
  void WaitForCalls(const std::string& name, int n) {
    absl::MutexLock lock(&mu);
    auto enough = [&] { return calls[name] >= n; };
    mu.Await(absl::Condition(&enough));
  }
};

struct Fixture {
  FakeClock clock;
  runtime::Registry registry;
  ScriptedReconciler reconciler;
  std::unique_ptr<Controller> controller;
  explicit Fixture(int workers = 2) {
    ControllerOptions options;
    options.workers = workers;
    options.clock = &clock;
    options.metrics = &registry;
    options.rate_limiter =
        std::make_unique<ExponentialRateLimiter>(absl::Seconds(1), absl::Seconds(60));
    controller = std::make_unique<Controller>(
        "demo", [this](const ObjectKey& key) { return reconciler(key); }, std::move(options));
  }
  bool Metric(const std::string& line) {
    return registry.Render().find(line) != std::string::npos;
  }
  // Waits until the queue holds nothing delayed or ready for `key`'s sake.
  void WaitIdle() {
    while (controller->queue().Len() > 0) std::this_thread::yield();
  }
};

TEST_CASE("controller: success, errors, requeue and requeue-after", "[kubeapi][controller]") {
  Fixture f;
  f.reconciler.script["ok"] = {Result{}};
  f.reconciler.script["flaky"] = {absl::UnavailableError("down"), absl::UnavailableError("down"),
                                  Result{}};
  f.reconciler.script["later"] = {Result{false, absl::Seconds(30)}, Result{}};
  f.reconciler.script["again"] = {Result{true, absl::ZeroDuration()}, Result{}};
  f.reconciler.script["bad"] = {TerminalError(absl::InvalidArgumentError("spec.replicas < 0"))};
  f.controller->Start();
  CHECK(f.Metric("controller_runtime_max_concurrent_reconciles{controller=\"demo\"} 2"));
  CHECK(f.Metric("controller_runtime_reconcile_total{controller=\"demo\",result=\"requeue_after\"} 0"));
  for (const char* name : {"ok", "flaky", "later", "again", "bad"}) {
    f.controller->Enqueue(ObjectKey{"ns", name});
  }
  f.reconciler.WaitForCalls("ok", 1);
  f.reconciler.WaitForCalls("bad", 1);
  f.reconciler.WaitForCalls("flaky", 1);
  f.reconciler.WaitForCalls("later", 1);
  f.reconciler.WaitForCalls("again", 1);

  // flaky: backoff 1 s, then 2 s. again: rate-limited requeue after 1 s.
  // later: 30 s.
  while (f.controller->queue().Delayed() < 3) std::this_thread::yield();
  f.clock.Advance(absl::Seconds(1));
  f.reconciler.WaitForCalls("flaky", 2);
  f.reconciler.WaitForCalls("again", 2);
  // flaky's second failure is scheduled (2 s) before time moves on.
  while (f.controller->queue().Delayed() < 2) std::this_thread::yield();
  f.clock.Advance(absl::Seconds(2));
  f.reconciler.WaitForCalls("flaky", 3);
  CHECK(f.reconciler.Calls("later") == 1);
  f.clock.Advance(absl::Seconds(27));
  f.reconciler.WaitForCalls("later", 2);
  f.controller->Stop();

  CHECK(f.reconciler.Calls("ok") == 1);
  CHECK(f.reconciler.Calls("bad") == 1);  // terminal: never retried
  CHECK(f.reconciler.Calls("flaky") == 3);
  CHECK(f.Metric("controller_runtime_reconcile_total{controller=\"demo\",result=\"error\"} 3"));
  CHECK(f.Metric("controller_runtime_reconcile_errors_total{controller=\"demo\"} 3"));
  CHECK(f.Metric("controller_runtime_terminal_reconcile_errors_total{controller=\"demo\"} 1"));
  CHECK(f.Metric("controller_runtime_reconcile_total{controller=\"demo\",result=\"requeue\"} 1"));
  CHECK(f.Metric("controller_runtime_reconcile_total{controller=\"demo\",result=\"requeue_after\"} 1"));
  CHECK(f.Metric("controller_runtime_reconcile_total{controller=\"demo\",result=\"success\"} 4"));
  CHECK(f.Metric("controller_runtime_reconcile_time_seconds_count{controller=\"demo\"} 9"));
  CHECK(f.Metric("controller_runtime_active_workers{controller=\"demo\"} 0"));
  CHECK(f.Metric("controller_runtime_reconcile_panics_total{controller=\"demo\"} 0"));
  CHECK(f.Metric("workqueue_adds_total{controller=\"demo\",name=\"demo\"}"));
}

TEST_CASE("controller: a throwing reconciler counts as a panic and is retried",
          "[kubeapi][controller]") {
  Fixture f(1);
  std::atomic<int> calls{0};
  ControllerOptions options;
  options.clock = &f.clock;
  options.metrics = &f.registry;
  options.rate_limiter =
      std::make_unique<ExponentialRateLimiter>(absl::Seconds(1), absl::Seconds(60));
  Controller thrower(
      "thrower",
      [&](const ObjectKey&) -> absl::StatusOr<Result> {
        if (calls.fetch_add(1) == 0) throw std::runtime_error("boom");
        return Result{};
      },
      std::move(options));
  thrower.Start();
  thrower.Enqueue(ObjectKey{"", "x"});
  while (thrower.queue().Delayed() < 1) std::this_thread::yield();
  f.clock.Advance(absl::Seconds(1));
  while (calls.load() < 2) std::this_thread::yield();
  thrower.Stop();
  CHECK(f.Metric("controller_runtime_reconcile_panics_total{controller=\"thrower\"} 1"));
}

TEST_CASE("controller: terminal errors are recognisable", "[kubeapi][controller]") {
  absl::Status terminal = TerminalError(absl::InvalidArgumentError("bad spec"));
  CHECK(IsTerminalError(terminal));
  CHECK(terminal.code() == absl::StatusCode::kInvalidArgument);
  CHECK_FALSE(IsTerminalError(absl::InvalidArgumentError("bad spec")));
  CHECK(TerminalError(absl::OkStatus()).ok());
}

TEST_CASE("controller: owner handler enqueues the controlling owner", "[kubeapi][controller]") {
  Fixture f;
  EventHandler handler = f.controller->EnqueueOwnerHandler("MultiClusterDeployment");
  auto owned = std::make_shared<Object>("apps/v1", "Deployment");
  owned->SetNamespace("ns");
  owned->SetName("web-edge");
  owned->SetOwnerReference({"fogguru.eu/v1", "MultiClusterDeployment", "web", "u", true, true});
  auto other = std::make_shared<Object>("apps/v1", "Deployment");
  other->SetNamespace("ns");
  other->SetName("x");
  other->SetOwnerReference({"apps/v1", "ReplicaSet", "rs", "u2", true, true});
  handler.on_add(owned);
  handler.on_add(other);
  CHECK(f.controller->queue().Len() == 1);
  CHECK(f.controller->queue().Get() == ObjectKey{"ns", "web"});
  f.controller->queue().Done(ObjectKey{"ns", "web"});
}

}  // namespace
}  // namespace mck8s::kubeapi
