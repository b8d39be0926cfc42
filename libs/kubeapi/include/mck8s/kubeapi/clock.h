// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/clock.h
// -----------------------------------------------------------------------------
//
// The time source of everything in kubeapi that waits: the client-side rate
// limiter, retry backoff, the work queue's delays, informer resync and leader
// election. Production code uses Clock::Real(); tests pass a FakeClock and
// move time by hand, so a test of "retry after 30 s" takes no real time and
// never depends on the machine being fast.
//
// Usage:
//
//   FakeClock clock;                       // starts at a fixed instant
//   WorkQueue queue(options, &clock);
//   queue.AddAfter(key, absl::Seconds(5));
//   clock.Advance(absl::Seconds(5));      // the key becomes ready
//
// Waiting: components wait on their own absl::Mutex with a condition (for
// example "stopped or new work"), and ask the clock to end the wait at a
// deadline expressed in the clock's time: AwaitWithDeadline(). The real clock
// converts it to a real deadline; the fake clock re-evaluates the condition
// and its own time every millisecond of real time, so Advance() takes effect
// without any registration between the clock and its waiters.
//
// Thread safety: all methods of both clocks are thread-safe.

#ifndef MCK8S_KUBEAPI_CLOCK_H_
#define MCK8S_KUBEAPI_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mck8s::kubeapi {

class Clock {
 public:
  virtual ~Clock() = default;

  virtual absl::Time Now() const = 0;

  // Blocks until `deadline` (in this clock's time) has passed.
  virtual void SleepUntil(absl::Time deadline) = 0;
  void SleepFor(absl::Duration duration) { SleepUntil(Now() + duration); }

  // `mu` must be held. Waits, releasing `mu` meanwhile, until `condition`
  // holds or this clock reaches `deadline` (absl::InfiniteFuture(): no
  // deadline). Returns the value of `condition` at the end, with `mu` held.
  virtual bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                                 absl::Time deadline) = 0;

  // The wall clock (absl::Now()); never destroyed.
  static Clock& Real();
};

// A clock that moves only when told to. Starts at 2026-01-01T00:00:00Z.
class FakeClock final : public Clock {
 public:
  FakeClock();
  explicit FakeClock(absl::Time start);

  absl::Time Now() const override;
  // Returns once Advance()/SetTime() reach `deadline`, or at once with
  // auto-advance on (see below), moving the clock to `deadline`.
  void SleepUntil(absl::Time deadline) override;
  bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                         absl::Time deadline) override;

  void Advance(absl::Duration duration);
  void SetTime(absl::Time time);

  // With auto-advance, SleepUntil() jumps the clock to its deadline instead of
  // waiting: for code that sleeps on its own thread (retry backoff) when the
  // test only wants to know how long it slept. Off by default.
  void SetAutoAdvance(bool on) { auto_advance_.store(on); }

  // Total time jumped by auto-advancing sleeps.
  absl::Duration AutoAdvanced() const;

  // How many callers are blocked in SleepUntil() or AwaitWithDeadline() with
  // a finite deadline right now: tests wait for a component to reach its
  // timed wait before advancing the clock.
  int Waiters() const { return waiters_.load(); }

 private:
  std::atomic<int64_t> now_ns_;
  std::atomic<int64_t> auto_advanced_ns_{0};
  std::atomic<bool> auto_advance_{false};
  std::atomic<int> waiters_{0};
};

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_CLOCK_H_
