#include "mck8s/serf/client.h"

#include <arpa/inet.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/base/strings.h"

namespace mck8s::serf {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using msgpack::Value;

// What the agent answers when the auth key does not match (ipc.go).
constexpr std::string_view kInvalidAuthToken = "Invalid authentication token";
constexpr std::string_view kAuthRequired = "Authentication required";

std::chrono::nanoseconds ToChrono(absl::Duration d) {
  return std::chrono::nanoseconds(absl::ToInt64Nanoseconds(d));
}

absl::StatusOr<std::pair<std::string, std::string>> SplitHostPort(std::string_view host_port) {
  size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == host_port.size() || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("serf address \"", ToAbsl(host_port), "\" is not host:port"));
  }
  std::string_view host = host_port.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(std::string(host), std::string(host_port.substr(colon + 1)));
}

std::string IpToString(const std::string& raw) {
  char buf[INET6_ADDRSTRLEN] = {};
  static constexpr unsigned char kV4Prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (raw.size() == 4) {
    inet_ntop(AF_INET, raw.data(), buf, sizeof buf);
  } else if (raw.size() == 16 && std::memcmp(raw.data(), kV4Prefix, 12) == 0) {
    inet_ntop(AF_INET, raw.data() + 12, buf, sizeof buf);
  } else if (raw.size() == 16) {
    inet_ntop(AF_INET6, raw.data(), buf, sizeof buf);
  } else {
    return "";
  }
  return buf;
}

template <typename T>
absl::Status UintField(const Value& map, std::string_view key, T& out) {
  const Value* v = map.Find(key);
  if (v == nullptr || v->is_nil()) return absl::OkStatus();
  std::optional<uint64_t> n = v->AsUint();
  if (!n || *n > std::numeric_limits<T>::max()) {
    return absl::DataLossError(absl::StrCat(
        "field ", ToAbsl(key), " is not a small unsigned integer: ", v->DebugString()));
  }
  out = static_cast<T>(*n);
  return absl::OkStatus();
}

absl::Status StringField(const Value& map, std::string_view key, std::string& out) {
  const Value* v = map.Find(key);
  if (v == nullptr || v->is_nil()) return absl::OkStatus();
  const std::string* s = v->AsBytes();
  if (s == nullptr) {
    return absl::DataLossError(
        absl::StrCat("field ", ToAbsl(key), " is not a string: ", v->DebugString()));
  }
  out = *s;
  return absl::OkStatus();
}

absl::Status DoubleField(const Value& map, std::string_view key, double& out) {
  const Value* v = map.Find(key);
  if (v == nullptr || v->is_nil()) return absl::OkStatus();
  std::optional<double> d = v->AsDouble();
  if (!d) {
    return absl::DataLossError(
        absl::StrCat("field ", ToAbsl(key), " is not a number: ", v->DebugString()));
  }
  out = *d;
  return absl::OkStatus();
}

}  // namespace

struct Client::Io {
  asio::io_context context;
  tcp::socket socket{context};
  std::string buffer;  // bytes read but not yet decoded

  // Runs the io_context until `done` or the deadline; on the deadline the
  // pending operation is cancelled and DeadlineExceeded returned.
  absl::Status RunUntil(const bool& done, absl::Time deadline, std::string_view what) {
    context.restart();
    absl::Duration left = deadline - absl::Now();
    if (left > absl::ZeroDuration()) context.run_for(ToChrono(left));
    if (done) return absl::OkStatus();
    boost::system::error_code ignored;
    socket.cancel(ignored);
    context.restart();
    context.run();
    return absl::DeadlineExceededError(absl::StrCat("serf rpc: no ", ToAbsl(what), " in time"));
  }
};

Client::Client(std::string address, absl::Duration timeout)
    : address_(std::move(address)), timeout_(timeout), io_(std::make_unique<Io>()) {}

Client::~Client() = default;

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(std::string_view host_port,
                                                        std::string_view auth_key,
                                                        absl::Duration timeout) {
  MCK8S_ASSIGN_OR_RETURN(auto host_and_port, SplitHostPort(host_port));
  std::unique_ptr<Client> client(new Client(std::string(host_port), timeout));
  Io& io = *client->io_;
  absl::Time deadline = absl::Now() + timeout;

  bool done = false;
  boost::system::error_code error;
  tcp::resolver resolver(io.context);
  resolver.async_resolve(host_and_port.first, host_and_port.second,
                         [&](const boost::system::error_code& ec, tcp::resolver::results_type r) {
                           if (ec) {
                             error = ec;
                             done = true;
                             return;
                           }
                           asio::async_connect(
                               io.socket, r,
                               [&](const boost::system::error_code& ec2, const tcp::endpoint&) {
                                 error = ec2;
                                 done = true;
                               });
                         });
  absl::Status run = io.RunUntil(done, deadline, "connection");
  if (!run.ok()) {
    resolver.cancel();
    return absl::DeadlineExceededError(
        absl::StrCat("serf rpc: connecting to ", ToAbsl(host_port), " timed out"));
  }
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("serf rpc: cannot connect to ", ToAbsl(host_port), ": ", error.message()));
  }
  io.socket.set_option(tcp::no_delay(true), error);

  Value handshake = Value::Struct({{"Version", kRpcVersion}});
  absl::StatusOr<Value> hs = client->Call("handshake", &handshake, /*expect_body=*/false);
  if (!hs.ok()) {
    return absl::Status(
        hs.status().code(),
        absl::StrCat("serf rpc handshake with ", ToAbsl(host_port), ": ", hs.status().message()));
  }
  if (!auth_key.empty()) {
    Value auth = Value::Struct({{"AuthKey", auth_key}});
    absl::StatusOr<Value> a = client->Call("auth", &auth, /*expect_body=*/false);
    if (!a.ok()) {
      return absl::Status(a.status().code(), absl::StrCat("serf rpc auth with ", ToAbsl(host_port),
                                                          ": ", a.status().message()));
    }
  }
  return client;
}

absl::Status Client::Send(std::string_view command, uint64_t seq, const Value* body) {
  std::string wire;
  msgpack::Encode(Value::Struct({{"Command", command}, {"Seq", seq}}), wire);
  if (body != nullptr) msgpack::Encode(*body, wire);

  bool done = false;
  boost::system::error_code error;
  asio::async_write(io_->socket, asio::buffer(wire),
                    [&](const boost::system::error_code& ec, size_t) {
                      error = ec;
                      done = true;
                    });
  MCK8S_RETURN_IF_ERROR(
      io_->RunUntil(done, absl::Now() + timeout_, absl::StrCat(ToAbsl(command), " request sent")));
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("serf rpc: sending ", ToAbsl(command), ": ", error.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<Value> Client::ReadValue(absl::Time deadline, std::string_view what) {
  while (true) {
    size_t used = 0;
    absl::StatusOr<Value> v = msgpack::Decode(io_->buffer, &used);
    if (v.ok()) {
      io_->buffer.erase(0, used);
      return v;
    }
    if (!msgpack::IsIncomplete(v.status())) {
      return absl::DataLossError(
          absl::StrCat("serf rpc: undecodable ", ToAbsl(what), ": ", v.status().message()));
    }
    char chunk[4096];
    bool done = false;
    size_t got = 0;
    boost::system::error_code error;
    io_->socket.async_read_some(asio::buffer(chunk),
                                [&](const boost::system::error_code& ec, size_t n) {
                                  error = ec;
                                  got = n;
                                  done = true;
                                });
    MCK8S_RETURN_IF_ERROR(io_->RunUntil(done, deadline, what));
    io_->buffer.append(chunk, got);
    if (error) {
      if (error == asio::error::eof) {
        return absl::UnavailableError(
            absl::StrCat("serf rpc: connection closed ",
                         io_->buffer.empty() ? "before the " : "inside the ", ToAbsl(what)));
      }
      return absl::UnavailableError(
          absl::StrCat("serf rpc: reading ", ToAbsl(what), ": ", error.message()));
    }
  }
}

absl::StatusOr<Value> Client::Call(std::string_view command, const Value* body, bool expect_body) {
  if (!broken_.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("serf rpc connection to ", address_,
                                                      " is unusable after: ", broken_.message()));
  }
  uint64_t seq = next_seq_++;
  absl::Time deadline = absl::Now() + timeout_;
  auto fail = [&](absl::Status s) {
    if (s.code() == absl::StatusCode::kUnavailable ||
        s.code() == absl::StatusCode::kDeadlineExceeded ||
        s.code() == absl::StatusCode::kDataLoss) {
      broken_ = s;
    }
    return s;
  };

  if (absl::Status s = Send(command, seq, body); !s.ok()) return fail(s);
  std::string what = absl::StrCat(ToAbsl(command), " response header");
  absl::StatusOr<Value> header = ReadValue(deadline, what);
  if (!header.ok()) return fail(header.status());
  const Value* seq_value = header->Find("Seq");
  if (header->AsMap() == nullptr || seq_value == nullptr || seq_value->AsUint() != seq) {
    return fail(absl::DataLossError(absl::StrCat("serf rpc: ", what, " ", header->DebugString(),
                                                 " does not answer Seq ", seq)));
  }
  std::string error;
  if (absl::Status s = StringField(*header, "Error", error); !s.ok()) {
    return fail(absl::DataLossError(absl::StrCat("serf rpc: ", what, ": ", s.message())));
  }
  if (!error.empty()) {
    // Every error the agent gives to the commands wrapped here comes as a
    // bare header (handshake, auth, "Authentication required"), so there is
    // no body to skip and the stream stays in step.
    absl::StatusCode code = absl::StatusCode::kFailedPrecondition;
    if (error == kInvalidAuthToken || error == kAuthRequired) {
      code = absl::StatusCode::kUnauthenticated;
    }
    return absl::Status(
        code, absl::StrCat("serf agent at ", address_, " rejected ", ToAbsl(command), ": ", error));
  }
  if (!expect_body) return Value();
  absl::StatusOr<Value> response = ReadValue(deadline, absl::StrCat(ToAbsl(command), " response"));
  if (!response.ok()) return fail(response.status());
  return response;
}

absl::StatusOr<Member> MemberFromValue(const Value& value) {
  if (value.AsMap() == nullptr) {
    return absl::DataLossError(absl::StrCat("member is not a map: ", value.DebugString()));
  }
  Member m;
  MCK8S_RETURN_IF_ERROR(StringField(value, "Name", m.name));
  std::string raw_addr;
  MCK8S_RETURN_IF_ERROR(StringField(value, "Addr", raw_addr));
  m.addr = IpToString(raw_addr);
  MCK8S_RETURN_IF_ERROR(UintField(value, "Port", m.port));
  MCK8S_RETURN_IF_ERROR(StringField(value, "Status", m.status));
  MCK8S_RETURN_IF_ERROR(UintField(value, "ProtocolMin", m.protocol_min));
  MCK8S_RETURN_IF_ERROR(UintField(value, "ProtocolMax", m.protocol_max));
  MCK8S_RETURN_IF_ERROR(UintField(value, "ProtocolCur", m.protocol_cur));
  MCK8S_RETURN_IF_ERROR(UintField(value, "DelegateMin", m.delegate_min));
  MCK8S_RETURN_IF_ERROR(UintField(value, "DelegateMax", m.delegate_max));
  MCK8S_RETURN_IF_ERROR(UintField(value, "DelegateCur", m.delegate_cur));
  if (const Value* tags = value.Find("Tags"); tags != nullptr && !tags->is_nil()) {
    if (tags->AsMap() == nullptr) {
      return absl::DataLossError(absl::StrCat("member ", m.name, " Tags is not a map"));
    }
    for (const auto& [k, v] : *tags->AsMap()) {
      if (k.AsBytes() == nullptr || v.AsBytes() == nullptr) {
        return absl::DataLossError(absl::StrCat("member ", m.name, " has a non-string tag"));
      }
      m.tags[*k.AsBytes()] = *v.AsBytes();
    }
  }
  return m;
}

absl::StatusOr<Coordinate> CoordinateFromValue(const Value& value) {
  if (value.AsMap() == nullptr) {
    return absl::DataLossError(absl::StrCat("coordinate is not a map: ", value.DebugString()));
  }
  Coordinate c;
  if (const Value* vec = value.Find("Vec"); vec != nullptr && !vec->is_nil()) {
    if (vec->AsArray() == nullptr) {
      return absl::DataLossError(
          absl::StrCat("coordinate Vec is not an array: ", vec->DebugString()));
    }
    for (const Value& x : *vec->AsArray()) {
      std::optional<double> d = x.AsDouble();
      if (!d) {
        return absl::DataLossError(
            absl::StrCat("coordinate Vec holds a non-number: ", x.DebugString()));
      }
      c.vec.push_back(*d);
    }
  }
  MCK8S_RETURN_IF_ERROR(DoubleField(value, "Error", c.error));
  MCK8S_RETURN_IF_ERROR(DoubleField(value, "Adjustment", c.adjustment));
  MCK8S_RETURN_IF_ERROR(DoubleField(value, "Height", c.height));
  return c;
}

namespace {

absl::StatusOr<std::vector<Member>> MembersFromResponse(const Value& body,
                                                        const std::string& address) {
  const Value* list = body.Find("Members");
  if (list == nullptr || (list->AsArray() == nullptr && !list->is_nil())) {
    return absl::DataLossError(absl::StrCat("serf rpc: members response from ", address,
                                            " has no Members list: ", body.DebugString()));
  }
  std::vector<Member> members;
  if (list->is_nil()) return members;
  for (const Value& item : *list->AsArray()) {
    absl::StatusOr<Member> m = MemberFromValue(item);
    if (!m.ok()) {
      return absl::DataLossError(
          absl::StrCat("serf rpc: members response from ", address, ": ", m.status().message()));
    }
    members.push_back(*std::move(m));
  }
  return members;
}

}  // namespace

absl::StatusOr<std::vector<Member>> Client::Members() {
  MCK8S_ASSIGN_OR_RETURN(Value body, Call("members", nullptr, /*expect_body=*/true));
  return MembersFromResponse(body, address_);
}

absl::StatusOr<std::vector<Member>> Client::MembersFiltered(const MemberFilter& filter) {
  Value::Map tags;
  for (const auto& [k, v] : filter.tags) tags.emplace_back(Value(k), Value(v));
  Value request = Value::Struct({{"Tags", Value::MakeMap(std::move(tags))},
                                 {"Status", filter.status},
                                 {"Name", filter.name}});
  MCK8S_ASSIGN_OR_RETURN(Value body, Call("members-filtered", &request, /*expect_body=*/true));
  return MembersFromResponse(body, address_);
}

absl::StatusOr<Coordinate> Client::GetCoordinate(std::string_view node) {
  Value request = Value::Struct({{"Node", node}});
  MCK8S_ASSIGN_OR_RETURN(Value body, Call("get-coordinate", &request, /*expect_body=*/true));
  const Value* ok = body.Find("Ok");
  if (ok == nullptr || !ok->AsBool()) {
    return absl::DataLossError(absl::StrCat("serf rpc: get-coordinate response from ", address_,
                                            " has no Ok flag: ", body.DebugString()));
  }
  if (!*ok->AsBool()) {
    return absl::NotFoundError(absl::StrCat("serf agent at ", address_,
                                            " has no coordinate for node \"", ToAbsl(node), "\""));
  }
  const Value* coord = body.Find("Coord");
  if (coord == nullptr) {
    return absl::DataLossError(absl::StrCat("serf rpc: get-coordinate response from ", address_,
                                            " has no Coord: ", body.DebugString()));
  }
  absl::StatusOr<Coordinate> c = CoordinateFromValue(*coord);
  if (!c.ok()) {
    return absl::DataLossError(absl::StrCat("serf rpc: get-coordinate of \"", ToAbsl(node),
                                            "\" from ", address_, ": ", c.status().message()));
  }
  return c;
}

absl::StatusOr<RttMatrix> BuildRttMatrix(Client& client, const std::vector<std::string>& nodes) {
  std::map<std::string, Coordinate> coordinates;
  for (const std::string& node : nodes) {
    MCK8S_ASSIGN_OR_RETURN(Coordinate c, client.GetCoordinate(node));
    coordinates[node] = std::move(c);
  }
  return RttMatrix::FromCoordinates(coordinates);
}

}  // namespace mck8s::serf
