// -----------------------------------------------------------------------------
// File: mck8s/gateway/serf_rtt.h
// -----------------------------------------------------------------------------
//
// Round-trip times measured by Serf: the Vivaldi coordinates a Serf agent
// holds for every member, turned into RTTs exactly as `serf rtt` does
// (mck8s/serf). A member cluster takes part when its MemberCluster declares
// spec.serf (nodeName defaults to the cluster's name).
//
// One agent's cache answers for all nodes, as with `serf rtt -rpc-addr`:
// the agent at `rpc_address` when set, otherwise the first member's
// spec.serf.rpcAddress that accepts a connection. The connection is kept
// between rounds and made again after a failure. A node the agent has no
// coordinate for yet has no entries (unknown RTT), not an error.
//
// Usage:
//
//   SerfRttSource serf({.auth_key = std::getenv("SERF_RPC_AUTH") ?: ""});
//   options.measured_rtt = &serf;
//
// Thread safety: thread-safe (calls are serialised).

#ifndef MCK8S_GATEWAY_SERF_RTT_H_
#define MCK8S_GATEWAY_SERF_RTT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/gateway/rtt.h"

namespace mck8s::serf {
class Client;
}

namespace mck8s::gateway {

struct SerfRttOptions {
  // "host:port" of the agent to ask; empty: the members' spec.serf.rpcAddress.
  std::string rpc_address;
  // The agents' RPC auth key; empty when they require none.
  std::string auth_key;
  // Bounds the connection and each call.
  absl::Duration timeout = absl::Seconds(5);
};

class SerfRttSource : public RttSource {
 public:
  explicit SerfRttSource(SerfRttOptions options);
  ~SerfRttSource() override;

  // UNAVAILABLE naming the addresses tried when no agent answers; the
  // agent's error for a failed call. An empty table when no target
  // declares Serf and no rpc_address is set.
  absl::StatusOr<RttTable> Fetch(const std::vector<RttTarget>& targets) override;
  std::string Name() const override { return "serf"; }

 private:
  const SerfRttOptions options_;
  absl::Mutex mu_;
  std::unique_ptr<serf::Client> client_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mck8s::gateway

#endif  // MCK8S_GATEWAY_SERF_RTT_H_
