#include "mck8s/kubeapi/rate_limiter.h"

#include <catch2/catch.hpp>

#include <thread>

#include "mck8s/kubeapi/clock.h"

namespace mck8s::kubeapi {
namespace {

TEST_CASE("token bucket: burst first, then qps", "[kubeapi][rate_limiter]") {
  FakeClock clock;
  TokenBucket bucket(/*qps=*/2, /*burst=*/3, clock);
  CHECK(bucket.TryAccept());
  CHECK(bucket.TryAccept());
  CHECK(bucket.TryAccept());
  CHECK_FALSE(bucket.TryAccept());
  clock.Advance(absl::Milliseconds(499));
  CHECK_FALSE(bucket.TryAccept());
  clock.Advance(absl::Milliseconds(1));
  CHECK(bucket.TryAccept());
  // Idle time refills up to the burst only.
  clock.Advance(absl::Hours(1));
  int accepted = 0;
  while (bucket.TryAccept()) ++accepted;
  CHECK(accepted == 3);
}

TEST_CASE("token bucket: reservations queue callers 1/qps apart", "[kubeapi][rate_limiter]") {
  FakeClock clock;
  TokenBucket bucket(/*qps=*/10, /*burst=*/1, clock);
  CHECK(bucket.Reserve() == absl::ZeroDuration());
  CHECK(bucket.Reserve() == absl::Milliseconds(100));
  CHECK(bucket.Reserve() == absl::Milliseconds(200));
  clock.Advance(absl::Milliseconds(200));
  CHECK(bucket.Reserve() == absl::Milliseconds(100));
}

TEST_CASE("token bucket: Wait sleeps on the clock", "[kubeapi][rate_limiter]") {
  FakeClock clock;
  clock.SetAutoAdvance(true);
  TokenBucket bucket(/*qps=*/1, /*burst=*/2, clock);
  for (int i = 0; i < 5; ++i) bucket.Wait();
  CHECK(clock.AutoAdvanced() == absl::Seconds(3));
}

TEST_CASE("token bucket: qps <= 0 is unlimited", "[kubeapi][rate_limiter]") {
  FakeClock clock;
  TokenBucket bucket(0, 1, clock);
  for (int i = 0; i < 1000; ++i) REQUIRE(bucket.TryAccept());
  CHECK(bucket.Reserve() == absl::ZeroDuration());
}

TEST_CASE("fake clock: AwaitWithDeadline ends when time is advanced", "[kubeapi][clock]") {
  FakeClock clock;
  absl::Mutex mu;
  bool flag = false;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    clock.AwaitWithDeadline(mu, absl::Condition(&flag), clock.Now() + absl::Seconds(10));
  });
  // Wait (really) until the waiter is blocked, then move fake time.
  while (clock.Waiters() == 0) absl::SleepFor(absl::Microseconds(100));
  clock.Advance(absl::Seconds(10));
  waiter.join();
  CHECK_FALSE(flag);
}

}  // namespace
}  // namespace mck8s::kubeapi
