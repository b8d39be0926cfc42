#include "mck8s/runtime/signals.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

namespace mck8s::runtime {

ShutdownSignal& ShutdownSignal::Install() {
  static ShutdownSignal* instance = [] {
    auto* signal_state = new ShutdownSignal();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // The waiter inherits the blocked mask and takes signals synchronously
    // with sigwait, so no handler runs in an arbitrary thread.
    std::thread([signal_state, set] {
      int received = 0;
      while (sigwait(&set, &received) == 0) {
        if (!signal_state->NotifyOnce()) {
          static const char kMessage[] =
              "second signal received, exiting immediately\n";
          (void)!::write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
          _exit(1);
        }
      }
    }).detach();
    return signal_state;
  }();
  return *instance;
}

void ShutdownSignal::Trigger() { NotifyOnce(); }

}  // namespace mck8s::runtime
