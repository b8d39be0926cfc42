#include "mck8s/kubeapi/workqueue.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "mck8s/runtime/metrics.h"

namespace mck8s::kubeapi {
namespace {

ObjectKey Key(const std::string& name) { return ObjectKey{"default", name}; }

struct Fixture {
  FakeClock clock;
  runtime::Registry registry;
  std::unique_ptr<WorkQueue> queue;
  explicit Fixture(std::unique_ptr<RateLimiter> limiter = nullptr) {
    WorkQueueOptions options;
    options.clock = &clock;
    options.metrics = &registry;
    options.rate_limiter = std::move(limiter);
    queue = std::make_unique<WorkQueue>("test", std::move(options));
  }
  bool Metric(const std::string& line) {
    return registry.Render().find(line) != std::string::npos;
  }
};

// Blocks (really) until the queue has `n` ready keys.
void WaitForLen(WorkQueue& queue, int n) {
  while (queue.Len() < n) std::this_thread::yield();
}

TEST_CASE("workqueue: FIFO and de-duplication", "[kubeapi][workqueue]") {
  Fixture f;
  f.queue->Add(Key("a"));
  f.queue->Add(Key("b"));
  f.queue->Add(Key("a"));
  CHECK(f.queue->Len() == 2);
  CHECK(f.queue->Get() == Key("a"));
  CHECK(f.queue->Get() == Key("b"));
  CHECK(f.queue->Len() == 0);
  CHECK(f.Metric("workqueue_adds_total{controller=\"test\",name=\"test\"} 2"));
  CHECK(f.Metric("workqueue_depth{controller=\"test\",name=\"test\",priority=\"\"} 0"));
}

TEST_CASE("workqueue: a key being processed is not handed out twice", "[kubeapi][workqueue]") {
  Fixture f;
  f.queue->Add(Key("a"));
  std::optional<ObjectKey> first = f.queue->Get();
  REQUIRE(first == Key("a"));
  f.queue->Add(Key("a"));  // changed while processing
  f.queue->Add(Key("a"));
  CHECK(f.queue->Len() == 0);  // held back until Done
  f.queue->Done(Key("a"));
  CHECK(f.queue->Len() == 1);
  CHECK(f.queue->Get() == Key("a"));
  f.queue->Done(Key("a"));
  CHECK(f.queue->Len() == 0);
}

TEST_CASE("workqueue: concurrent workers never share a key", "[kubeapi][workqueue]") {
  Fixture f;
  std::atomic<int> in_flight_a{0};
  std::atomic<bool> overlap{false};
  std::atomic<int> processed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (std::optional<ObjectKey> key = f.queue->Get()) {
        if (*key == Key("a")) {
          if (in_flight_a.fetch_add(1) != 0) overlap = true;
          std::this_thread::yield();
          in_flight_a.fetch_sub(1);
        }
        processed.fetch_add(1);
        f.queue->Done(*key);
      }
    });
  }
  for (int i = 0; i < 2000; ++i) {
    f.queue->Add(Key("a"));
    f.queue->Add(Key("k" + std::to_string(i % 7)));
  }
  f.queue->ShutDownWithDrain();
  for (std::thread& t : workers) t.join();
  CHECK_FALSE(overlap);
  CHECK(processed.load() > 0);
}

TEST_CASE("workqueue: AddAfter waits on the clock, and the earliest time wins",
          "[kubeapi][workqueue]") {
  Fixture f;
  f.queue->AddAfter(Key("late"), absl::Seconds(10));
  f.queue->AddAfter(Key("soon"), absl::Seconds(5));
  f.queue->AddAfter(Key("late"), absl::Seconds(3));  // moves it earlier
  f.queue->AddAfter(Key("soon"), absl::Seconds(8));  // does not delay it
  CHECK(f.queue->Delayed() == 2);
  CHECK(f.queue->Len() == 0);
  f.clock.Advance(absl::Seconds(3));
  WaitForLen(*f.queue, 1);
  CHECK(f.queue->Get() == Key("late"));
  f.clock.Advance(absl::Seconds(2));
  WaitForLen(*f.queue, 1);
  CHECK(f.queue->Get() == Key("soon"));
  CHECK(f.queue->Delayed() == 0);
  CHECK(f.Metric("workqueue_retries_total{controller=\"test\",name=\"test\"} 4"));
  f.queue->AddAfter(Key("now"), absl::ZeroDuration());
  CHECK(f.queue->Len() == 1);
}

TEST_CASE("workqueue: rate-limited requeues back off per key until Forget",
          "[kubeapi][workqueue]") {
  Fixture f(std::make_unique<ExponentialRateLimiter>(absl::Seconds(1), absl::Seconds(5)));
  f.queue->AddRateLimited(Key("a"));  // 1 s
  f.queue->AddRateLimited(Key("b"));  // 1 s
  CHECK(f.queue->NumRequeues(Key("a")) == 1);
  f.clock.Advance(absl::Seconds(1));
  WaitForLen(*f.queue, 2);
  REQUIRE(f.queue->Get() == Key("a"));
  f.queue->Done(Key("a"));
  REQUIRE(f.queue->Get() == Key("b"));
  f.queue->Done(Key("b"));
  f.queue->AddRateLimited(Key("a"));  // 2 s
  f.clock.Advance(absl::Seconds(1));
  CHECK(f.queue->Len() == 0);
  f.clock.Advance(absl::Seconds(1));
  WaitForLen(*f.queue, 1);
  REQUIRE(f.queue->Get() == Key("a"));
  f.queue->Done(Key("a"));
  f.queue->Forget(Key("a"));
  CHECK(f.queue->NumRequeues(Key("a")) == 0);
}

TEST_CASE("workqueue: rate limiters", "[kubeapi][workqueue]") {
  ExponentialRateLimiter exponential(absl::Milliseconds(5), absl::Seconds(1));
  const ObjectKey key = Key("x");
  std::vector<absl::Duration> delays;
  for (int i = 0; i < 10; ++i) delays.push_back(exponential.When(key));
  CHECK(delays[0] == absl::Milliseconds(5));
  CHECK(delays[1] == absl::Milliseconds(10));
  CHECK(delays[7] == absl::Milliseconds(640));
  CHECK(delays[8] == absl::Seconds(1));
  CHECK(delays[9] == absl::Seconds(1));
  CHECK(exponential.When(Key("other")) == absl::Milliseconds(5));
  exponential.Forget(key);
  CHECK(exponential.When(key) == absl::Milliseconds(5));

  FakeClock clock;
  std::unique_ptr<RateLimiter> standard = DefaultControllerRateLimiter(clock);
  // The burst of 100 covers the first keys; the bucket then spaces them.
  for (int i = 0; i < 100; ++i) {
    REQUIRE(standard->When(Key("k" + std::to_string(i))) == absl::Milliseconds(5));
  }
  CHECK(standard->When(Key("k100")) == absl::Milliseconds(100));
}

TEST_CASE("workqueue: shutdown hands out what is queued, then nothing", "[kubeapi][workqueue]") {
  Fixture f;
  f.queue->Add(Key("a"));
  f.queue->ShutDown();
  f.queue->Add(Key("b"));  // ignored
  CHECK(f.queue->ShuttingDown());
  CHECK(f.queue->Get() == Key("a"));
  CHECK_FALSE(f.queue->Get().has_value());

  Fixture g;
  absl::Notification got_none;
  std::thread blocked([&] {
    CHECK_FALSE(g.queue->Get().has_value());
    got_none.Notify();
  });
  g.queue->ShutDown();
  got_none.WaitForNotification();
  blocked.join();
}

TEST_CASE("workqueue: shutdown with drain waits for keys in progress", "[kubeapi][workqueue]") {
  Fixture f;
  f.queue->Add(Key("a"));
  REQUIRE(f.queue->Get() == Key("a"));
  std::atomic<bool> drained{false};
  std::thread shutdown([&] {
    f.queue->ShutDownWithDrain();
    drained = true;
  });
  while (!f.queue->ShuttingDown()) std::this_thread::yield();
  CHECK_FALSE(drained.load());
  f.queue->Done(Key("a"));
  shutdown.join();
  CHECK(drained.load());
}

TEST_CASE("workqueue: queue and work durations on the queue's clock", "[kubeapi][workqueue]") {
  Fixture f;
  f.queue->Add(Key("a"));
  f.clock.Advance(absl::Seconds(2));
  REQUIRE(f.queue->Get() == Key("a"));
  f.clock.Advance(absl::Milliseconds(30));
  f.queue->Done(Key("a"));
  const std::string text = f.registry.Render();
  CHECK(text.find("workqueue_queue_duration_seconds_sum{controller=\"test\",name=\"test\"} 2") !=
        std::string::npos);
  CHECK(text.find("workqueue_work_duration_seconds_sum{controller=\"test\",name=\"test\"} 0.03") !=
        std::string::npos);
  CHECK(text.find("le=\"9.999999999999999e-06\"") != std::string::npos);
}

}  // namespace
}  // namespace mck8s::kubeapi
