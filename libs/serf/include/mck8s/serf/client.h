// -----------------------------------------------------------------------------
// File: mck8s/serf/client.h
// -----------------------------------------------------------------------------
//
// A client of the Serf agent's RPC protocol (what `serf members -rpc-addr=...`
// speaks): MessagePack over one TCP connection. Every request is a header map
// {Command, Seq} followed, for commands that take one, by a body map; every
// response is a header {Seq, Error} followed, for commands that return one,
// by a body. The connection starts with `handshake` {Version: 1} and, when
// the agent was started with an RPC auth key, `auth` {AuthKey}.
//
// The client covers what the metrics gateway needs: the member list
// (`members`, `members-filtered`) and the cached Vivaldi coordinate of a
// node (`get-coordinate`), from which BuildRttMatrix derives the RTT between
// every pair of nodes the way `serf rtt` does.
//
// Usage:
//
//   absl::StatusOr<std::unique_ptr<serf::Client>> client =
//       serf::Client::Connect("127.0.0.1:7373", /*auth_key=*/"",
//       absl::Seconds(5));
//   if (!client.ok()) return client.status();
//   absl::StatusOr<std::vector<serf::Member>> members = (*client)->Members();
//   absl::StatusOr<serf::RttMatrix> rtt =
//       serf::BuildRttMatrix(**client, {"rennes", "nantes", "lille"});
//
// Errors name what failed and map to codes as follows: the agent cannot be
// reached or closed the connection (also inside a response) -> Unavailable;
// no answer within the timeout -> DeadlineExceeded; auth key rejected ->
// Unauthenticated; the agent has no coordinate for a node -> NotFound;
// a response that is not the protocol -> DataLoss; any other error the
// agent reports -> FailedPrecondition with its message. After Unavailable,
// DeadlineExceeded or DataLoss the connection's framing is lost: later
// calls fail with FailedPrecondition; connect again.
//
// Thread-safety: a Client is used by one thread at a time (calls block and
// are answered in order); distinct Clients are independent.

#ifndef MCK8S_SERF_CLIENT_H_
#define MCK8S_SERF_CLIENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mck8s/serf/coordinate.h"
#include "mck8s/serf/msgpack.h"

namespace mck8s::serf {

// The IPC protocol version this client speaks (the only one Serf defines).
inline constexpr int kRpcVersion = 1;

// One member as the agent reports it.
struct Member {
  std::string name;
  // Textual IP address ("10.0.0.1", "::1"); IPv4-mapped IPv6 addresses are
  // shown as IPv4.
  std::string addr;
  uint16_t port = 0;
  std::map<std::string, std::string> tags;
  // "alive", "leaving", "left", "failed".
  std::string status;
  uint8_t protocol_min = 0, protocol_max = 0, protocol_cur = 0;
  uint8_t delegate_min = 0, delegate_max = 0, delegate_cur = 0;
};

// members-filtered's criteria; the agent treats each value as a regular
// expression anchored at both ends. Empty fields do not filter.
struct MemberFilter {
  std::map<std::string, std::string> tags;
  std::string status;
  std::string name;
};

class Client {
 public:
  // Connects to `host_port` ("host:port", IPv6 hosts in brackets), performs
  // the handshake and, when `auth_key` is not empty, authenticates. The
  // timeout bounds the connection and each later call, separately.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(std::string_view host_port,
                                                         std::string_view auth_key,
                                                         absl::Duration timeout);

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The agent's view of the cluster, including failed and left members.
  absl::StatusOr<std::vector<Member>> Members();
  absl::StatusOr<std::vector<Member>> MembersFiltered(const MemberFilter& filter);

  // The agent's cached coordinate of `node` (its own included). NotFound when
  // the agent has none (unknown node, or no probe answered yet).
  absl::StatusOr<Coordinate> GetCoordinate(std::string_view node);

  // Sends one request and returns the response body (nil when
  // `expect_body` is false). For commands this class does not wrap. When the
  // agent answers with an error, no body is read: use it only for commands
  // whose errors come as a bare header (not `join`, whose error response
  // carries a body).
  absl::StatusOr<msgpack::Value> Call(std::string_view command, const msgpack::Value* body,
                                      bool expect_body);

  const std::string& address() const { return address_; }
  void set_timeout(absl::Duration timeout) { timeout_ = timeout; }

 private:
  struct Io;
  Client(std::string address, absl::Duration timeout);

  absl::Status Send(std::string_view command, uint64_t seq, const msgpack::Value* body);
  absl::StatusOr<msgpack::Value> ReadValue(absl::Time deadline, std::string_view what);

  std::string address_;
  absl::Duration timeout_;
  uint64_t next_seq_ = 0;
  absl::Status broken_;
  std::unique_ptr<Io> io_;
};

// Fetches the coordinate of every node in `nodes` through `client` (one
// agent's cache, as `serf rtt -rpc-addr=...` does) and returns their RTT
// matrix. Fails with the first failing node's error.
absl::StatusOr<RttMatrix> BuildRttMatrix(Client& client, const std::vector<std::string>& nodes);

// Decoders for the response bodies, exposed for tests.
absl::StatusOr<Coordinate> CoordinateFromValue(const msgpack::Value& value);
absl::StatusOr<Member> MemberFromValue(const msgpack::Value& value);

}  // namespace mck8s::serf

#endif  // MCK8S_SERF_CLIENT_H_
