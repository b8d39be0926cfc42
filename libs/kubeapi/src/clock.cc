#include "mck8s/kubeapi/clock.h"

namespace mck8s::kubeapi {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  void SleepUntil(absl::Time deadline) override {
    absl::Duration left = deadline - absl::Now();
    if (left > absl::ZeroDuration()) absl::SleepFor(left);
  }
  bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                         absl::Time deadline) override {
    if (deadline == absl::InfiniteFuture()) {
      mu.Await(condition);
      return true;
    }
    return mu.AwaitWithDeadline(condition, deadline);
  }
};

int64_t ToNanos(absl::Time t) { return absl::ToUnixNanos(t); }

// How often a waiter on the fake clock looks at the fake time again.
constexpr absl::Duration kFakePoll = absl::Milliseconds(1);

}  // namespace

Clock& Clock::Real() {
  static RealClock* const clock = new RealClock();
  return *clock;
}

FakeClock::FakeClock() : FakeClock(absl::FromUnixSeconds(1767225600)) {}

FakeClock::FakeClock(absl::Time start) : now_ns_(ToNanos(start)) {}

absl::Time FakeClock::Now() const { return absl::FromUnixNanos(now_ns_.load()); }

void FakeClock::Advance(absl::Duration duration) {
  now_ns_.fetch_add(absl::ToInt64Nanoseconds(duration));
}

void FakeClock::SetTime(absl::Time time) { now_ns_.store(ToNanos(time)); }

absl::Duration FakeClock::AutoAdvanced() const {
  return absl::Nanoseconds(auto_advanced_ns_.load());
}

void FakeClock::SleepUntil(absl::Time deadline) {
  if (auto_advance_.load()) {
    const int64_t target = ToNanos(deadline);
    int64_t now = now_ns_.load();
    while (now < target && !now_ns_.compare_exchange_weak(now, target)) {
    }
    if (now < target) auto_advanced_ns_.fetch_add(target - now);
    return;
  }
  absl::Mutex mu;
  absl::MutexLock lock(&mu);
  static const bool kNever = false;
  AwaitWithDeadline(mu, absl::Condition(&kNever), deadline);
}

bool FakeClock::AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                                  absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) {
    mu.Await(condition);
    return true;
  }
  const int64_t target = ToNanos(deadline);
  waiters_.fetch_add(1);
  bool result = false;
  while (true) {
    if (mu.AwaitWithTimeout(condition, kFakePoll)) {
      result = true;
      break;
    }
    if (now_ns_.load() >= target) break;
  }
  waiters_.fetch_sub(1);
  return result;
}

}  // namespace mck8s::kubeapi
