#include "mck8s/sim/http_server.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "mck8s/sim/api_error.h"

namespace mck8s::sim {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kBodyLimit = 64 * 1024 * 1024;

std::chrono::nanoseconds ToChrono(absl::Duration d) { return absl::ToChronoNanoseconds(d); }

std::string UnauthorizedBody() {
  return R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})";
}

// A streaming watch the server can cut from another thread.
class AbortableWatch {
 public:
  virtual ~AbortableWatch() = default;
  virtual void Abort() = 0;
};

ApiResponse Forbidden() {
  ApiResponse response;
  response.status = 403;
  response.body = R"({"error":"the control endpoint answers loopback peers only"})";
  return response;
}

}  // namespace

bool IsLoopbackAddress(absl::string_view ip) {
  boost::system::error_code ec;
  net::ip::address address = net::ip::make_address(std::string(ip), ec);
  if (ec) return false;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return address.is_loopback();
}

class HttpServer::Impl {
 public:
  Impl(Options options, Resolver resolver)
      : options_(std::move(options)), resolver_(std::move(resolver)) {}

  absl::Status Start();
  uint16_t port() const { return port_.load(); }
  void Stop();

  const Options& options() const { return options_; }
  ClusterApi* Resolve(absl::string_view name) const { return resolver_(name); }

  void TrackWatch(const std::shared_ptr<Watch>& watch) {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      watch->Stop();
      return;
    }
    watches_.erase(std::remove_if(watches_.begin(), watches_.end(),
                                  [](const std::weak_ptr<Watch>& w) { return w.expired(); }),
                   watches_.end());
    watches_.push_back(watch);
  }

  void TrackWatchSession(const std::string& cluster, std::weak_ptr<AbortableWatch> session) {
    absl::MutexLock lock(&mu_);
    watch_sessions_.erase(std::remove_if(watch_sessions_.begin(), watch_sessions_.end(),
                                         [](const auto& entry) { return entry.second.expired(); }),
                          watch_sessions_.end());
    watch_sessions_.emplace_back(cluster, std::move(session));
  }

  void AbortWatches(absl::string_view cluster) {
    std::vector<std::shared_ptr<AbortableWatch>> sessions;
    {
      absl::MutexLock lock(&mu_);
      for (const auto& [name, weak] : watch_sessions_) {
        if (name != cluster) continue;
        if (auto session = weak.lock()) sessions.push_back(std::move(session));
      }
    }
    for (const auto& session : sessions) session->Abort();
  }

 private:
  void Accept();

  const Options options_;
  const Resolver resolver_;
  // Declared before the io_context: sessions left in it at destruction hold
  // TLS streams made from this context.
  std::unique_ptr<ssl::context> tls_;
  net::io_context ioc_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::vector<std::thread> threads_;
  std::atomic<uint16_t> port_{0};
  absl::Mutex mu_;
  std::vector<std::weak_ptr<Watch>> watches_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, std::weak_ptr<AbortableWatch>>> watch_sessions_
      ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ = false;
};

namespace {

// One connection. Stream is beast::tcp_stream or an ssl_stream over it.
template <typename Stream>
class Session : public AbortableWatch, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, HttpServer::Impl& server)
      : stream_(std::move(stream)),
        server_(server),
        timeout_timer_(stream_.get_executor()),
        bookmark_timer_(stream_.get_executor()),
        delay_timer_(stream_.get_executor()),
        drop_timer_(stream_.get_executor()) {}

  void Abort() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->Finish(true); });
  }

  ~Session() {
    if (watch_.watch != nullptr) watch_.watch->Stop();
  }

  void Run() {
    net::dispatch(stream_.get_executor(),
                  [self = this->shared_from_this()] { self->Begin(); });
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  void Begin() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Close();
                                self->Read();
                              });
    } else {
      Read();
    }
  }

  void Read() {
    parser_.emplace();
    parser_->body_limit(kBodyLimit);
    parser_->header_limit(1024 * 1024);
    beast::get_lowest_layer(stream_).expires_after(ToChrono(server_.options().idle_timeout));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

  void OnRead(beast::error_code ec) {
    if (ec) return Close();
    request_ = parser_->release();
    cluster_.clear();
    keep_alive_ = request_.keep_alive();
    version_ = request_.version();
    absl::string_view target(request_.target().data(), request_.target().size());
    absl::string_view path = target.substr(0, target.find('?'));
    if (absl::StartsWith(path, "/sim/")) return Write(Control(target));
    absl::string_view rest = path;
    FaultInjector* faults = server_.options().faults;
    if (faults != nullptr && absl::ConsumePrefix(&rest, "/clusters/")) {
      cluster_ = std::string(rest.substr(0, rest.find('/')));
      FaultInjector::Decision decision = faults->Decide(cluster_);
      if (decision.hang) return Hang();
      if (decision.delay > absl::ZeroDuration()) {
        delay_timer_.expires_after(ToChrono(decision.delay));
        delay_timer_.async_wait(
            [self = this->shared_from_this(),
             injected = std::move(decision.response)](beast::error_code ec) mutable {
              if (ec) return self->Close();
              self->Respond(std::move(injected));
            });
        return;
      }
      return Respond(std::move(decision.response));
    }
    Respond(std::nullopt);
  }

  void Respond(std::optional<ApiResponse> injected) {
    if (injected.has_value()) return Write(std::move(*injected));
    ApiResponse response = Route(request_);
    if (response.watch.has_value()) return StartWatch(std::move(response));
    Write(std::move(response));
  }

  ApiResponse Control(absl::string_view target) {
    beast::error_code ec;
    tcp::endpoint peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (ec || !IsLoopbackAddress(peer.address().to_string())) return Forbidden();
    if (!server_.options().control) {
      ApiResponse missing;
      missing.status = 404;
      missing.body = R"({"error":"not found"})";
      return missing;
    }
    ApiRequest api;
    api.method = std::string(request_.method_string());
    size_t question = target.find('?');
    api.path = std::string(target.substr(0, question));
    if (question != absl::string_view::npos) api.query = std::string(target.substr(question + 1));
    api.content_type = std::string(request_[http::field::content_type]);
    api.accept = std::string(request_[http::field::accept]);
    api.body = std::move(request_.body());
    return server_.options().control(api);
  }

  // An unreachable cluster: the request is never answered; the connection
  // ends when the client closes it (its timeout) or after the idle timeout.
  void Hang() {
    beast::get_lowest_layer(stream_).expires_never();
    std::weak_ptr<Session> weak = this->shared_from_this();
    timeout_timer_.expires_after(ToChrono(server_.options().idle_timeout));
    timeout_timer_.async_wait([weak](beast::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->Close();
    });
    stream_.async_read_some(net::buffer(probe_),
                            [self = this->shared_from_this()](beast::error_code, size_t) {
                              self->timeout_timer_.cancel();
                              self->Close();
                            });
  }

  ApiResponse Route(http::request<http::string_body>& request) {
    ApiRequest api;
    api.method = std::string(request.method_string());
    absl::string_view target(request.target().data(), request.target().size());
    size_t question = target.find('?');
    absl::string_view path = target.substr(0, question);
    if (question != absl::string_view::npos) api.query = std::string(target.substr(question + 1));
    api.content_type = std::string(request[http::field::content_type]);
    api.accept = std::string(request[http::field::accept]);
    api.body = std::move(request.body());

    if (path == "/healthz" || path == "/livez" || path == "/readyz") {
      ApiResponse ok;
      ok.content_type = "text/plain; charset=utf-8";
      ok.body = "ok";
      return ok;
    }
    absl::string_view rest = path;
    if (!absl::ConsumePrefix(&rest, "/clusters/")) {
      ApiResponse missing;
      missing.status = 404;
      missing.body = ToHttpError(PathNotFoundError()).body;
      return missing;
    }
    size_t slash = rest.find('/');
    absl::string_view cluster = rest.substr(0, slash);
    api.path = slash == absl::string_view::npos ? "/" : std::string(rest.substr(slash));
    ClusterApi* target_api = server_.Resolve(cluster);
    if (target_api == nullptr) {
      ApiResponse missing;
      missing.status = 404;
      missing.body = ToHttpError(ApiError(404, "NotFound",
                                          absl::StrCat("cluster \"", cluster, "\" not found")))
                         .body;
      return missing;
    }
    const std::string& token = server_.options().bearer_token;
    if (!token.empty() && api.path != "/version" && api.path != "/healthz" &&
        api.path != "/livez" && api.path != "/readyz") {
      absl::string_view auth(request[http::field::authorization].data(),
                             request[http::field::authorization].size());
      if (auth != absl::StrCat("Bearer ", token)) {
        ApiResponse unauthorized;
        unauthorized.status = 401;
        unauthorized.body = UnauthorizedBody();
        return unauthorized;
      }
    }
    api_ = target_api;
    return target_api->Handle(api);
  }

  void Write(ApiResponse response) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version_);
    res->set(http::field::server, "mck8s-sim");
    res->set(http::field::content_type, response.content_type);
    res->set(http::field::cache_control, "no-cache, private");
    for (const auto& [name, value] : response.headers) res->insert(name, value);
    res->body() = std::move(response.body);
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec || !res->keep_alive()) return self->Close();
                        self->Read();
                      });
  }

  // ---- watch streaming

  void StartWatch(ApiResponse response) {
    watch_ = std::move(*response.watch);
    server_.TrackWatch(watch_.watch);
    if (!cluster_.empty()) {
      server_.TrackWatchSession(cluster_, std::weak_ptr<AbortableWatch>(this->shared_from_this()));
      if (std::optional<absl::Duration> after = server_.options().faults->DropWatch(cluster_)) {
        std::weak_ptr<Session> weak = this->shared_from_this();
        drop_timer_.expires_after(ToChrono(*after));
        drop_timer_.async_wait([weak](beast::error_code ec) {
          if (ec) return;
          if (auto self = weak.lock()) self->Finish(true);
        });
      }
    }
    beast::get_lowest_layer(stream_).expires_never();
    header_ = std::make_shared<http::response<http::empty_body>>(http::status::ok, version_);
    header_->set(http::field::server, "mck8s-sim");
    header_->set(http::field::content_type, "application/json");
    header_->set(http::field::cache_control, "no-cache, private");
    // Not "Connection: close": with it Beast reports end_of_stream once the
    // header is written. The connection is closed after the last chunk.
    header_->keep_alive(true);
    header_->chunked(true);
    serializer_ = std::make_shared<http::response_serializer<http::empty_body>>(*header_);
    writing_ = true;
    http::async_write_header(stream_, *serializer_,
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               self->writing_ = false;
                               if (ec) return self->Finish(true);
                               self->ArmWatch();
                             });
  }

  void ArmWatch() {
    std::weak_ptr<Session> weak = this->shared_from_this();
    auto executor = stream_.get_executor();
    watch_.watch->SetWakeup([weak, executor] {
      net::post(executor, [weak] {
        if (auto self = weak.lock()) self->Pump();
      });
    });
    timeout_timer_.expires_after(ToChrono(watch_.timeout));
    timeout_timer_.async_wait([weak](beast::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->Finish(false);
    });
    if (watch_.bookmarks) ScheduleBookmark();
    // Any byte or the end of the stream from the client ends the watch. Wait
    // on the socket itself: the stream's own reads carry its timeouts.
    // Any byte or the end of the stream from the client ends the watch. This
    // read stays pending for the whole watch and holds the session alive.
    stream_.async_read_some(net::buffer(probe_),
                            [self = this->shared_from_this()](beast::error_code, size_t) {
                              self->Finish(true);
                            });
    Pump();
  }

  void ScheduleBookmark() {
    std::weak_ptr<Session> weak = this->shared_from_this();
    bookmark_timer_.expires_after(ToChrono(server_.options().bookmark_interval));
    bookmark_timer_.async_wait([weak](beast::error_code ec) {
      if (ec) return;
      auto self = weak.lock();
      if (self == nullptr || self->finished_) return;
      if (self->api_ != nullptr) self->api_->cluster().store().Bookmark(*self->watch_.watch);
      self->ScheduleBookmark();
    });
  }

  void Pump() {
    if (finished_ || writing_) return;
    std::deque<WatchEvent> events = watch_.watch->TakeEvents();
    if (events.empty()) {
      if (watch_.watch->terminated()) Finish(false);
      return;
    }
    auto data = std::make_shared<std::string>();
    for (const WatchEvent& event : events) *data += ClusterApi::EncodeEvent(watch_, event);
    writing_ = true;
    net::async_write(stream_, http::make_chunk(net::buffer(*data)),
                     [self = this->shared_from_this(), data](beast::error_code ec, size_t) {
                       self->writing_ = false;
                       if (ec) return self->Finish(true);
                       if (self->finishing_) return self->Finish(false);
                       self->Pump();
                     });
  }

  void Finish(bool abort) {
    if (finished_) return;
    if (writing_ && !abort) {
      finishing_ = true;
      return;
    }
    finished_ = true;
    if (watch_.watch != nullptr) watch_.watch->Stop();
    beast::error_code ignored;
    timeout_timer_.cancel();
    bookmark_timer_.cancel();
    drop_timer_.cancel();
    if (abort) return Close();
    writing_ = true;
    net::async_write(stream_, http::make_chunk_last(),
                     [self = this->shared_from_this()](beast::error_code, size_t) {
                       self->writing_ = false;
                       self->Close();
                     });
  }

  void Close() {
    beast::error_code ec;
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    } else {
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    }
    beast::get_lowest_layer(stream_).close();
  }

  Stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
  // The cluster of the current request when faults are injected.
  std::string cluster_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  ClusterApi* api_ = nullptr;

  WatchStream watch_;
  std::shared_ptr<http::response<http::empty_body>> header_;
  std::shared_ptr<http::response_serializer<http::empty_body>> serializer_;
  net::steady_timer timeout_timer_;
  net::steady_timer bookmark_timer_;
  net::steady_timer delay_timer_;
  net::steady_timer drop_timer_;
  char probe_[1];
  bool writing_ = false;
  bool finishing_ = false;
  bool finished_ = false;
};

}  // namespace

absl::Status HttpServer::Impl::Start() {
  if (started_) return absl::FailedPreconditionError("server already started");
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    tls_ = std::make_unique<ssl::context>(ssl::context::tls_server);
    beast::error_code ec;
    tls_->use_certificate_chain_file(options_.tls_cert_file, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read TLS certificate ", options_.tls_cert_file, ": ", ec.message()));
    }
    tls_->use_private_key_file(options_.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read TLS key ", options_.tls_key_file, ": ", ec.message()));
    }
  }
  beast::error_code ec;
  net::ip::address address = net::ip::make_address(options_.host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid listen address \"", options_.host, "\": ", ec.message()));
  }
  acceptor_ = std::make_unique<tcp::acceptor>(ioc_);
  tcp::endpoint endpoint(address, options_.port);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.host, ":",
                                               options_.port, ": ", ec.message()));
  }
  port_ = acceptor_->local_endpoint().port();
  work_.emplace(ioc_.get_executor());
  Accept();
  int threads = options_.threads > 0 ? options_.threads
                                     : std::max(1u, std::thread::hardware_concurrency());
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { ioc_.run(); });
  }
  started_ = true;
  return absl::OkStatus();
}

void HttpServer::Impl::Accept() {
  acceptor_->async_accept(net::make_strand(ioc_), [this](beast::error_code ec,
                                                         tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted) return;
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      if (tls_ != nullptr) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls_),
            *this)
            ->Run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), *this)
            ->Run();
      }
    }
    if (acceptor_->is_open()) Accept();
  });
}

void HttpServer::Impl::Stop() {
  if (!started_) return;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (const std::weak_ptr<Watch>& weak : watches_) {
      if (auto watch = weak.lock()) watch->Stop();
    }
    watches_.clear();
  }
  net::post(ioc_, [this] {
    beast::error_code ec;
    acceptor_->close(ec);
  });
  work_.reset();
  ioc_.stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  started_ = false;
}

HttpServer::HttpServer(Options options, Resolver resolver)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(resolver))) {}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start() { return impl_->Start(); }

uint16_t HttpServer::port() const { return impl_->port(); }

void HttpServer::Stop() { impl_->Stop(); }

void HttpServer::AbortWatches(absl::string_view cluster) { impl_->AbortWatches(cluster); }

}  // namespace mck8s::sim
