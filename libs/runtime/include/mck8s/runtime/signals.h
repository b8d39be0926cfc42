// -----------------------------------------------------------------------------
// File: mck8s/runtime/signals.h
// -----------------------------------------------------------------------------
//
// Graceful shutdown on SIGTERM and SIGINT, the way Kubernetes stops a pod:
// the first signal asks the process to drain and exit 0; a second one exits
// at once with status 1 (an operator who presses Ctrl-C twice means it).
//
// Usage (first thing in main, before any thread is started, so that every
// thread inherits the blocked signal mask and only the waiter sees them):
//
//   ShutdownSignal& shutdown = ShutdownSignal::Install();
//   ... start servers and controllers ...
//   shutdown.Wait();
//   ... drain and stop ...
//
// Thread-safe.

#ifndef MCK8S_RUNTIME_SIGNALS_H_
#define MCK8S_RUNTIME_SIGNALS_H_

#include <atomic>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace mck8s::runtime {

class ShutdownSignal {
 public:
  // Blocks SIGTERM and SIGINT in the calling thread and starts the waiter
  // thread. Idempotent: later calls return the same instance.
  static ShutdownSignal& Install();

  // Blocks until a signal arrived or Trigger() was called.
  void Wait() { notification_.WaitForNotification(); }
  // As Wait(), with a limit; returns whether shutdown was requested.
  bool WaitFor(absl::Duration timeout) {
    return notification_.WaitForNotificationWithTimeout(timeout);
  }
  bool requested() const { return notification_.HasBeenNotified(); }

  // Requests shutdown without a signal (a fatal condition in a component).
  void Trigger();

 private:
  ShutdownSignal() = default;
  // Returns false when shutdown had already been requested.
  bool NotifyOnce() {
    if (requested_.exchange(true)) return false;
    notification_.Notify();
    return true;
  }

  std::atomic<bool> requested_{false};
  absl::Notification notification_;
};

}  // namespace mck8s::runtime

#endif  // MCK8S_RUNTIME_SIGNALS_H_
