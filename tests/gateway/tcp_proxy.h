// A loopback TCP relay that a test can cut and restore: while stopped, the
// port refuses connections and every relayed connection is closed, as when
// a member cluster's API server goes away; Start() again on the same port
// brings it back.
#ifndef MCK8S_TESTS_GATEWAY_TCP_PROXY_H_
#define MCK8S_TESTS_GATEWAY_TCP_PROXY_H_

#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace mck8s::testing {

class TcpProxy {
 public:
  // Relays to 127.0.0.1:target_port.
  explicit TcpProxy(int target_port);
  ~TcpProxy();  // Stop()

  // Listens on 127.0.0.1:port (0: any free port, kept for later Starts).
  absl::Status Start(int port = 0);
  // Closes the listener and every relayed connection; joins the threads.
  void Stop();
  int port() const { return port_; }

 private:
  void AcceptLoop(int listener);
  void Relay(int client, int server);

  const int target_port_;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::thread acceptor_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::set<int> fds_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> relays_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mck8s::testing

#endif  // MCK8S_TESTS_GATEWAY_TCP_PROXY_H_
