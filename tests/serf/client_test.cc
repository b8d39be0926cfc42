// The RPC client against a scripted stand-in for the Serf agent: a local TCP
// server (port 0) that speaks the agent's framing with the same codec and
// can be told to misbehave (reject the auth key, close the connection in
// the middle of a response, stay silent).

#include "mck8s/serf/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace mck8s::serf {
namespace {

using msgpack::Value;

struct FakeAgentOptions {
  std::string auth_key;
  std::map<std::string, Coordinate> coordinates;
  Value members = Value::MakeArray({});
  // Close the connection after this many bytes of the get-coordinate body.
  std::optional<size_t> truncate_coordinate_after;
  // Answer nothing after the handshake.
  bool silent_after_handshake = false;
  // Answer headers with this Seq instead of the request's.
  std::optional<uint64_t> wrong_seq;
};

Value CoordinateValue(const Coordinate& c) {
  Value::Array vec;
  for (double x : c.vec) vec.push_back(Value(x));
  return Value::Struct({{"Vec", Value::MakeArray(vec)},
                        {"Error", c.error},
                        {"Adjustment", c.adjustment},
                        {"Height", c.height}});
}

class FakeAgent {
 public:
  explicit FakeAgent(FakeAgentOptions options) : options_(std::move(options)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listen_fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listen_fd_, 4) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    address_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    thread_ = std::thread([this] { Serve(); });
  }

  ~FakeAgent() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    {
      absl::MutexLock lock(&mu_);
      if (conn_fd_ >= 0) ::shutdown(conn_fd_, SHUT_RDWR);
    }
    thread_.join();
    ::close(listen_fd_);
  }

  const std::string& address() const { return address_; }

  // Commands received, in order, as "command#seq".
  std::vector<std::string> Commands() {
    absl::MutexLock lock(&mu_);
    return commands_;
  }

 private:
  void Serve() {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    {
      absl::MutexLock lock(&mu_);
      conn_fd_ = fd;
    }
    std::string buffer;
    bool authed = options_.auth_key.empty();
    while (true) {
      std::optional<Value> header = Read(fd, buffer);
      if (!header) break;
      std::string command = *header->Find("Command")->AsString();
      uint64_t seq = *header->Find("Seq")->AsUint();
      {
        absl::MutexLock lock(&mu_);
        commands_.push_back(command + "#" + std::to_string(seq));
      }
      uint64_t answer_seq = options_.wrong_seq.value_or(seq);
      auto respond = [&](std::string_view error, const Value* body) {
        std::string out = msgpack::Encode(Value::Struct({{"Seq", answer_seq}, {"Error", error}}));
        if (body != nullptr) msgpack::Encode(*body, out);
        Write(fd, out);
      };
      std::optional<Value> body;
      if (command == "handshake" || command == "auth" || command == "get-coordinate" ||
          command == "members-filtered") {
        body = Read(fd, buffer);
        if (!body) break;
      }
      if (command == "handshake") {
        respond(body->Find("Version")->AsInt() == 1 ? "" : "Unsupported IPC version", nullptr);
        continue;
      }
      if (options_.silent_after_handshake) continue;
      if (command == "auth") {
        authed = *body->Find("AuthKey")->AsString() == options_.auth_key;
        respond(authed ? "" : "Invalid authentication token", nullptr);
        continue;
      }
      if (!authed) {
        respond("Authentication required", nullptr);
        continue;
      }
      if (command == "members" || command == "members-filtered") {
        Value members = options_.members;
        if (command == "members-filtered") {
          // Only the Name criterion, matched exactly, is enough here.
          const std::string& name = *body->Find("Name")->AsString();
          Value::Array kept;
          for (const Value& m : *options_.members.AsArray()) {
            if (name.empty() || *m.Find("Name")->AsString() == name) kept.push_back(m);
          }
          members = Value::MakeArray(kept);
        }
        Value response = Value::Struct({{"Members", members}});
        respond("", &response);
        continue;
      }
      if (command == "get-coordinate") {
        const std::string& node = *body->Find("Node")->AsString();
        auto it = options_.coordinates.find(node);
        Value response = Value::Struct(
            {{"Coord",
              CoordinateValue(it == options_.coordinates.end() ? Coordinate{} : it->second)},
             {"Ok", it != options_.coordinates.end()}});
        if (options_.truncate_coordinate_after) {
          std::string out = msgpack::Encode(Value::Struct({{"Seq", answer_seq}, {"Error", ""}}));
          std::string full = msgpack::Encode(response);
          out += full.substr(0, *options_.truncate_coordinate_after);
          Write(fd, out);
          break;
        }
        respond("", &response);
        continue;
      }
      respond("Unsupported command", nullptr);
      break;
    }
    absl::MutexLock lock(&mu_);
    ::close(fd);
    conn_fd_ = -1;
  }

  static std::optional<Value> Read(int fd, std::string& buffer) {
    while (true) {
      size_t used = 0;
      absl::StatusOr<Value> v = msgpack::Decode(buffer, &used);
      if (v.ok()) {
        buffer.erase(0, used);
        return *v;
      }
      if (!msgpack::IsIncomplete(v.status())) return std::nullopt;
      char chunk[1024];
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return std::nullopt;
      buffer.append(chunk, static_cast<size_t>(n));
    }
  }

  static void Write(int fd, const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  FakeAgentOptions options_;
  int listen_fd_ = -1;
  std::string address_;
  std::thread thread_;
  absl::Mutex mu_;
  int conn_fd_ = -1;
  std::vector<std::string> commands_;
};

Value MemberValue(std::string name, std::string raw_ip, int port, std::string status) {
  return Value::Struct({{"Name", name},
                        {"Addr", Value::Binary(raw_ip)},
                        {"Port", port},
                        {"Tags", Value::Struct({{"site", name}})},
                        {"Status", status},
                        {"ProtocolMin", 1},
                        {"ProtocolMax", 5},
                        {"ProtocolCur", 2},
                        {"DelegateMin", 2},
                        {"DelegateMax", 5},
                        {"DelegateCur", 4}});
}

std::string V4Mapped(std::initializer_list<int> octets) {
  std::string raw(10, '\0');
  raw += "\xff\xff";
  for (int o : octets) raw.push_back(static_cast<char>(o));
  return raw;
}

bool Contains(const absl::Status& s, std::string_view what) {
  return std::string_view(s.message().data(), s.message().size()).find(what) !=
         std::string_view::npos;
}

TEST_CASE("client: handshake, auth, members and coordinates against a fake agent") {
  FakeAgentOptions options;
  options.auth_key = "s3cret";
  options.coordinates["a"] = Coordinate{{0.003, 0}, 0.2, 0, 0.0001};
  options.coordinates["b"] = Coordinate{{0, 0.004}, 0.3, 0, 0.0002};
  options.members =
      Value::MakeArray({MemberValue("a", V4Mapped({10, 0, 0, 1}), 7946, "alive"),
                        MemberValue("b", std::string("\x7f\0\0\x01", 4), 7947, "failed")});
  FakeAgent agent(options);

  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(agent.address(), "s3cret", absl::Seconds(5));
  REQUIRE(client.ok());

  absl::StatusOr<std::vector<Member>> members = (*client)->Members();
  REQUIRE(members.ok());
  REQUIRE(members->size() == 2);
  const Member& a = (*members)[0];
  CHECK(a.name == "a");
  CHECK(a.addr == "10.0.0.1");
  CHECK(a.port == 7946);
  CHECK(a.status == "alive");
  CHECK(a.tags == std::map<std::string, std::string>{{"site", "a"}});
  CHECK(a.protocol_min == 1);
  CHECK(a.protocol_max == 5);
  CHECK(a.protocol_cur == 2);
  CHECK(a.delegate_cur == 4);
  CHECK((*members)[1].addr == "127.0.0.1");
  CHECK((*members)[1].status == "failed");

  absl::StatusOr<std::vector<Member>> only_b = (*client)->MembersFiltered({.name = "b"});
  REQUIRE(only_b.ok());
  REQUIRE(only_b->size() == 1);
  CHECK((*only_b)[0].name == "b");

  absl::StatusOr<Coordinate> coord = (*client)->GetCoordinate("a");
  REQUIRE(coord.ok());
  CHECK(*coord == options.coordinates["a"]);

  absl::StatusOr<RttMatrix> matrix = BuildRttMatrix(**client, {"a", "b"});
  REQUIRE(matrix.ok());
  CHECK(*matrix->Get("a", "b") == Approx(5.3));

  CHECK(agent.Commands() == std::vector<std::string>{"handshake#0", "auth#1", "members#2",
                                                     "members-filtered#3", "get-coordinate#4",
                                                     "get-coordinate#5", "get-coordinate#6"});
}

TEST_CASE("client: an unknown node is NotFound and the connection stays usable") {
  FakeAgentOptions options;
  options.coordinates["known"] = Coordinate{{0.001}, 0, 0, 0};
  FakeAgent agent(options);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(agent.address(), "", absl::Seconds(5));
  REQUIRE(client.ok());

  absl::StatusOr<Coordinate> missing = (*client)->GetCoordinate("ghost");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(Contains(missing.status(), "\"ghost\""));
  CHECK((*client)->GetCoordinate("known").ok());

  absl::StatusOr<RttMatrix> matrix = BuildRttMatrix(**client, {"known", "ghost"});
  REQUIRE_FALSE(matrix.ok());
  CHECK(matrix.status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("client: a wrong auth key is Unauthenticated and says so") {
  FakeAgentOptions options;
  options.auth_key = "right";
  FakeAgent agent(options);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(agent.address(), "wrong", absl::Seconds(5));
  REQUIRE_FALSE(client.ok());
  CHECK(client.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(Contains(client.status(), "auth"));
  CHECK(Contains(client.status(), "Invalid authentication token"));
}

TEST_CASE("client: commands without auth on a protected agent are Unauthenticated") {
  FakeAgentOptions options;
  options.auth_key = "right";
  FakeAgent agent(options);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(agent.address(), "", absl::Seconds(5));
  REQUIRE(client.ok());
  absl::StatusOr<std::vector<Member>> members = (*client)->Members();
  REQUIRE_FALSE(members.ok());
  CHECK(members.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(Contains(members.status(), "Authentication required"));
}

TEST_CASE(
    "client: a stream cut inside a response is Unavailable and poisons "
    "the client") {
  FakeAgentOptions options;
  options.coordinates["a"] = Coordinate{{0.001, 0.002}, 0, 0, 0};
  options.truncate_coordinate_after = 20;
  FakeAgent agent(options);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(agent.address(), "", absl::Seconds(5));
  REQUIRE(client.ok());
  absl::StatusOr<Coordinate> coord = (*client)->GetCoordinate("a");
  REQUIRE_FALSE(coord.ok());
  CHECK(coord.status().code() == absl::StatusCode::kUnavailable);
  CHECK(Contains(coord.status(), "inside the get-coordinate response"));

  absl::StatusOr<std::vector<Member>> after = (*client)->Members();
  REQUIRE_FALSE(after.ok());
  CHECK(after.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(Contains(after.status(), "unusable"));
}

TEST_CASE("client: a silent agent is DeadlineExceeded within the timeout") {
  FakeAgentOptions options;
  options.silent_after_handshake = true;
  FakeAgent agent(options);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(agent.address(), "", absl::Seconds(5));
  REQUIRE(client.ok());
  (*client)->set_timeout(absl::Milliseconds(200));
  absl::Time start = absl::Now();
  absl::StatusOr<std::vector<Member>> members = (*client)->Members();
  absl::Duration took = absl::Now() - start;
  REQUIRE_FALSE(members.ok());
  CHECK(members.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(Contains(members.status(), "members response header"));
  CHECK(took >= absl::Milliseconds(200));
  CHECK(took < absl::Seconds(3));
}

TEST_CASE("client: a response for another request is DataLoss") {
  FakeAgentOptions options;
  options.wrong_seq = 42;
  FakeAgent agent(options);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(agent.address(), "", absl::Seconds(5));
  REQUIRE_FALSE(client.ok());
  CHECK(client.status().code() == absl::StatusCode::kDataLoss);
  CHECK(Contains(client.status(), "handshake"));
  CHECK(Contains(client.status(), "Seq 0"));
}

TEST_CASE("client: nothing listening is Unavailable and names the address") {
  // Take a free port and release it so that nothing listens there.
  std::string address;
  {
    FakeAgent agent({});
    address = agent.address();
    // Let the fake agent's accept end: connect and close.
    absl::StatusOr<std::unique_ptr<Client>> c = Client::Connect(address, "", absl::Seconds(5));
    REQUIRE(c.ok());
  }
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(address, "", absl::Seconds(5));
  REQUIRE_FALSE(client.ok());
  CHECK(client.status().code() == absl::StatusCode::kUnavailable);
  CHECK(Contains(client.status(), address));
}

TEST_CASE("client: a malformed address is InvalidArgument") {
  for (std::string_view bad : {"nocolon", ":123", "host:"}) {
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(bad, "", absl::Seconds(1));
    REQUIRE_FALSE(client.ok());
    CHECK(client.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("client: body decoders reject values of the wrong shape") {
  CHECK(CoordinateFromValue(Value(1)).status().code() == absl::StatusCode::kDataLoss);
  CHECK(CoordinateFromValue(Value::Struct({{"Vec", Value("x")}})).status().code() ==
        absl::StatusCode::kDataLoss);
  CHECK(CoordinateFromValue(Value::Struct({{"Vec", Value::MakeArray({Value("x")})}}))
            .status()
            .code() == absl::StatusCode::kDataLoss);
  // Integers where floats are expected are accepted (other encoders write
  // whole numbers that way).
  absl::StatusOr<Coordinate> c =
      CoordinateFromValue(Value::Struct({{"Vec", Value::MakeArray({Value(0)})}, {"Height", 1}}));
  REQUIRE(c.ok());
  CHECK(c->height == 1.0);
  CHECK(MemberFromValue(Value::Struct({{"Port", 70000}})).status().code() ==
        absl::StatusCode::kDataLoss);
  CHECK(MemberFromValue(Value::Struct({{"Tags", Value(1)}})).status().code() ==
        absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace mck8s::serf
