#include "mck8s/runtime/http_server.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <exception>
#include <map>
#include <optional>
#include <thread>
#include <unordered_set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ip/v6_only.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "mck8s/runtime/metrics.h"

namespace mck8s::runtime {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

constexpr uint32_t kMaxHeaderBytes = 16 * 1024;
constexpr uint64_t kMaxBodyBytes = 1024 * 1024;
constexpr std::chrono::seconds kReadTimeout{120};
constexpr std::chrono::seconds kWriteTimeout{30};
constexpr std::chrono::seconds kStopGracePeriod{5};
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
constexpr size_t kMaxConnections = 256;

HttpResponse TextResponse(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

}  // namespace

struct HttpServer::Impl {
  class Session;
  struct Route {
    HttpHandler handler;
    bool get_only = true;
  };

  Impl(std::string address, bool disabled, std::string host, std::string port)
      : bind_address(std::move(address)),
        disabled(disabled),
        host(std::move(host)),
        port_text(std::move(port)) {}

  absl::Status Listen();
  void Accept();
  void BeginShutdown();
  void OnSessionEnd(Session* session);
  HttpResponse Dispatch(const HttpRequest& request) const;

  const std::string bind_address;
  const bool disabled;
  const std::string host;  // empty: every interface
  const std::string port_text;

  // Written before Start(), read-only afterwards.
  std::map<std::string, Route, std::less<>> exact_routes;
  std::vector<std::pair<std::string, Route>> prefix_routes;

  // Guards the life cycle; held for the whole of Start() and Stop().
  absl::Mutex lifecycle_mu;
  enum class State { kNew, kRunning, kStopped };
  State state ABSL_GUARDED_BY(lifecycle_mu) = State::kNew;
  std::thread thread;
  std::atomic<int> bound_port{0};

  // Only touched on the server thread. Declared before io so that sessions
  // destroyed with the io_context still find the set.
  std::unordered_set<Session*> sessions;
  bool stopping = false;

  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry_timer{io};
  asio::steady_timer grace_timer{io};
};

// One connection: reads requests and writes responses in turn until the
// client or the server ends it. Owned by its pending asynchronous operation.
class HttpServer::Impl::Session
    : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Impl* server)
      : stream_(std::move(socket)), server_(server) {}
  ~Session() { server_->OnSessionEnd(this); }

  void Start() {
    server_->sessions.insert(this);
    ReadRequest();
  }

  // Server shutdown: an idle connection closes now, one being answered
  // closes after its response.
  void CloseWhenIdle() {
    if (reading_) stream_.close();
  }
  void ForceClose() { stream_.close(); }

 private:
  void ReadRequest() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(kMaxBodyBytes);
    reading_ = true;
    stream_.expires_after(kReadTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

  void OnRead(error_code ec) {
    reading_ = false;
    if (ec == http::error::body_limit) {
      return WriteResponse(
          TextResponse(413, "request body larger than 1 MiB\n"), 11,
          /*head=*/false, /*keep_alive=*/false);
    }
    if (ec == http::error::header_limit) {
      return WriteResponse(
          TextResponse(431, "request header fields larger than 16 KiB\n"), 11,
          /*head=*/false, /*keep_alive=*/false);
    }
    if (ec && ec != http::error::end_of_stream &&
        ec != http::error::partial_message &&
        ec.category() ==
            http::make_error_code(http::error::bad_target).category() &&
        !server_->stopping) {
      return WriteResponse(TextResponse(400, "malformed HTTP request\n"), 11,
                           /*head=*/false, /*keep_alive=*/false);
    }
    if (ec) {
      // End of stream, timeout, reset or shutdown: nothing to answer.
      error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_.close();
      return;
    }
    const http::request<http::string_body>& message = parser_->get();
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    const size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) {
      request.query = request.target.substr(question + 1);
    }
    for (const auto& field : message) {
      std::string name = absl::AsciiStrToLower(
          absl::string_view(field.name_string().data(),
                            field.name_string().size()));
      const absl::string_view value(field.value().data(), field.value().size());
      auto [it, inserted] = request.headers.try_emplace(std::move(name), value);
      if (!inserted) absl::StrAppend(&it->second, ", ", value);
    }
    request.body = message.body();
    const bool head = message.method() == http::verb::head;
    const bool keep_alive = message.keep_alive() && !server_->stopping;
    WriteResponse(server_->Dispatch(request), message.version(), head,
                  keep_alive);
  }

  void WriteResponse(HttpResponse response, unsigned version, bool head,
                     bool keep_alive) {
    if (response.status < 100 || response.status > 999) {
      response = TextResponse(500, absl::StrCat("handler returned invalid "
                                                "HTTP status ",
                                                response.status, "\n"));
    }
    auto& message = response_.emplace();
    message.version(version);
    message.result(static_cast<unsigned>(response.status));
    for (auto& [name, value] : response.headers) message.set(name, value);
    message.set(http::field::content_type, response.content_type);
    message.keep_alive(keep_alive);
    if (head) {
      message.content_length(response.body.size());
    } else {
      message.body() = std::move(response.body);
      message.prepare_payload();
    }
    stream_.expires_after(kWriteTimeout);
    http::async_write(stream_, message,
                      [self = shared_from_this(), keep_alive](error_code ec,
                                                              size_t) {
                        self->OnWrite(ec, keep_alive);
                      });
  }

  void OnWrite(error_code ec, bool keep_alive) {
    response_.reset();
    if (ec) {
      stream_.close();
      return;
    }
    if (!keep_alive || server_->stopping) {
      error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      stream_.close();
      return;
    }
    ReadRequest();
  }

  beast::tcp_stream stream_;
  Impl* const server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  bool reading_ = false;
};

HttpResponse HttpServer::Impl::Dispatch(const HttpRequest& request) const {
  const Route* route = nullptr;
  if (auto it = exact_routes.find(request.path); it != exact_routes.end()) {
    route = &it->second;
  } else {
    size_t longest = 0;
    for (const auto& [prefix, candidate] : prefix_routes) {
      if (prefix.size() >= longest &&
          std::string_view(request.path).substr(0, prefix.size()) == prefix) {
        longest = prefix.size();
        route = &candidate;
      }
    }
  }
  if (route == nullptr) return TextResponse(404, "404 page not found\n");
  if (route->get_only && request.method != "GET" && request.method != "HEAD") {
    HttpResponse response = TextResponse(
        405, absl::StrCat("method ", request.method, " not allowed on ",
                          request.path, "\n"));
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }
  try {
    return route->handler(request);
  } catch (const std::exception& e) {
    return TextResponse(500, absl::StrCat("internal error: ", e.what(), "\n"));
  } catch (...) {
    return TextResponse(500, "internal error\n");
  }
}

absl::Status HttpServer::Impl::Listen() {
  std::vector<tcp::endpoint> endpoints;
  if (host.empty()) {
    const auto port = static_cast<uint16_t>(std::stoi(port_text));
    // Dual-stack first, so ":port" also answers on IPv6 where it exists.
    endpoints.emplace_back(tcp::v6(), port);
    endpoints.emplace_back(tcp::v4(), port);
  } else {
    error_code ec;
    tcp::resolver resolver(io);
    const auto results = resolver.resolve(host, port_text, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot resolve the host of bind address \"",
                       bind_address, "\": ", ec.message()));
    }
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    // One listening socket, preferring IPv4 like most servers do for names
    // such as "localhost" that resolve to both families.
    std::stable_sort(endpoints.begin(), endpoints.end(),
                     [](const tcp::endpoint& a, const tcp::endpoint& b) {
                       return a.address().is_v4() && !b.address().is_v4();
                     });
  }
  error_code last_error;
  for (const tcp::endpoint& endpoint : endpoints) {
    error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec && endpoint.address().is_v6() && host.empty()) {
      acceptor.set_option(asio::ip::v6_only(false), ec);
    }
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) {
      bound_port = acceptor.local_endpoint().port();
      return absl::OkStatus();
    }
    last_error = ec;
    error_code ignored;
    acceptor.close(ignored);
  }
  return absl::UnavailableError(absl::StrCat(
      "cannot listen on \"", bind_address, "\": ", last_error.message()));
}

void HttpServer::Impl::Accept() {
  acceptor.async_accept([this](error_code ec, tcp::socket socket) {
    if (stopping) return;
    if (ec) {
      // Out of file descriptors and the like: try again shortly rather
      // than spinning.
      accept_retry_timer.expires_after(kAcceptRetryDelay);
      accept_retry_timer.async_wait([this](error_code wait_ec) {
        if (!wait_ec && !stopping) Accept();
      });
      return;
    }
    if (sessions.size() >= kMaxConnections) {
      error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<Session>(std::move(socket), this)->Start();
    }
    Accept();
  });
}

void HttpServer::Impl::BeginShutdown() {
  stopping = true;
  error_code ignored;
  acceptor.close(ignored);
  accept_retry_timer.cancel();
  // Copy: closing a session may end it, which erases it from the set.
  const std::vector<Session*> open(sessions.begin(), sessions.end());
  for (Session* session : open) session->CloseWhenIdle();
  if (sessions.empty()) return;
  grace_timer.expires_after(kStopGracePeriod);
  grace_timer.async_wait([this](error_code ec) {
    if (ec) return;
    const std::vector<Session*> remaining(sessions.begin(), sessions.end());
    for (Session* session : remaining) session->ForceClose();
  });
}

void HttpServer::Impl::OnSessionEnd(Session* session) {
  sessions.erase(session);
  if (stopping && sessions.empty()) grace_timer.cancel();
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(
    std::string_view bind_address) {
  const std::string address(bind_address);
  if (address == "0") {
    return std::unique_ptr<HttpServer>(
        new HttpServer(std::make_unique<Impl>(address, true, "", "0")));
  }
  const auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid bind address \"", address, "\": ", why,
        " (want \"host:port\", \":port\", \"[ipv6]:port\" or \"0\" to "
        "disable)"));
  };
  std::string host;
  std::string port;
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find("]:");
    if (close == std::string::npos || close == 1) {
      return invalid("a bracketed IPv6 host must be followed by \":port\"");
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos) return invalid("missing \":port\"");
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return invalid("an IPv6 host must be written in brackets");
    }
  }
  for (char c : host) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '[' ||
        c == ']') {
      return invalid("the host contains an invalid character");
    }
  }
  uint32_t port_number = 0;
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(),
                   [](char c) { return c >= '0' && c <= '9'; }) ||
      !absl::SimpleAtoi(port, &port_number) || port_number > 65535) {
    return invalid("the port must be a number from 0 to 65535");
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::make_unique<Impl>(
      address, false, std::move(host), std::to_string(port_number))));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(std::string path, HttpHandler handler) {
  impl_->exact_routes[std::move(path)] = Impl::Route{std::move(handler), true};
}

void HttpServer::HandleAllMethods(std::string path, HttpHandler handler) {
  impl_->exact_routes[std::move(path)] = Impl::Route{std::move(handler), false};
}

void HttpServer::HandlePrefix(std::string prefix, HttpHandler handler) {
  for (auto& [existing, route] : impl_->prefix_routes) {
    if (existing == prefix) {
      route = Impl::Route{std::move(handler), true};
      return;
    }
  }
  impl_->prefix_routes.emplace_back(std::move(prefix),
                                    Impl::Route{std::move(handler), true});
}

absl::Status HttpServer::Start() {
  absl::MutexLock lock(&impl_->lifecycle_mu);
  if (impl_->disabled) return absl::OkStatus();
  if (impl_->state != Impl::State::kNew) {
    return absl::FailedPreconditionError(
        absl::StrCat("HTTP server on \"", impl_->bind_address,
                     "\" was already started"));
  }
  if (absl::Status status = impl_->Listen(); !status.ok()) return status;
  impl_->Accept();
  impl_->state = Impl::State::kRunning;
  impl_->thread = std::thread([impl = impl_.get()] {
    pthread_setname_np(pthread_self(), "mck8s-http");
    impl->io.run();
  });
  return absl::OkStatus();
}

int HttpServer::port() const { return impl_->bound_port.load(); }

const std::string& HttpServer::bind_address() const {
  return impl_->bind_address;
}

void HttpServer::Stop() {
  absl::MutexLock lock(&impl_->lifecycle_mu);
  if (impl_->state == Impl::State::kRunning) {
    asio::post(impl_->io, [impl = impl_.get()] { impl->BeginShutdown(); });
  }
  impl_->state = Impl::State::kStopped;
  // From a handler the thread cannot join itself; a later Stop() from
  // another thread (at the latest the destructor) joins it.
  if (impl_->thread.joinable() &&
      impl_->thread.get_id() != std::this_thread::get_id()) {
    impl_->thread.join();
  }
}

void InstallMetricsHandler(HttpServer& server, Registry& registry) {
  server.Handle("/metrics", [&registry](const HttpRequest&) {
    HttpResponse response;
    response.content_type = std::string(kTextContentType);
    response.body = registry.Render();
    return response;
  });
}

}  // namespace mck8s::runtime
