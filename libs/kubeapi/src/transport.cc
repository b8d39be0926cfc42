#include "mck8s/kubeapi/transport.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <chrono>
#include <deque>
#include <limits>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"

namespace mck8s::kubeapi {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// What a stream hands on_data at most at once. The buffer is left
// unzeroed: a watch of small events only ever touches its first pages, so
// thousands of quiet watches cost little resident memory.
constexpr size_t kStreamPiece = 64 * 1024;
// Beast reads a socket into its buffer no more than the buffer's free
// capacity at a time (512 bytes for a fresh one), and each read of a
// connection with a deadline also re-arms its timer: a 100,000-pod list
// would take some 470,000 system calls at that size. Bodies beyond
// kSmallBody are therefore read through a buffer of kBodyReadBuffer bytes
// (Beast reads at most 64 KiB at a time anyway); streams use a smaller one,
// as a long-lived watch keeps it.
constexpr size_t kSmallBody = 4 * 1024;
constexpr size_t kBodyReadBuffer = 64 * 1024;
constexpr size_t kStreamReadBuffer = 16 * 1024;
constexpr uint32_t kMaxHeaderBytes = 1 << 20;

bool IsIpAddress(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::chrono::steady_clock::time_point SteadyDeadline(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return std::chrono::steady_clock::time_point::max();
  const absl::Duration left = deadline - absl::Now();
  return std::chrono::steady_clock::now() +
         std::chrono::nanoseconds(absl::ToInt64Nanoseconds(std::max(left, absl::ZeroDuration())));
}

// One HTTP connection, with the io_context its operations run on. Operations
// are started and completed on the calling thread (RunOp), so a connection
// needs no background thread and no strand: it is only ever used by the one
// caller that took it from the pool.
struct Connection {
  asio::io_context ioc{1};
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  absl::Time idle_since;
  bool reused = false;

  beast::tcp_stream& Lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  void SetDeadline(absl::Time deadline) {
    if (deadline == absl::InfiniteFuture()) {
      Lowest().expires_never();
    } else {
      Lowest().expires_at(SteadyDeadline(deadline));
    }
  }

  // Whether the server has not closed the connection while it sat idle: a
  // readable socket means an EOF or an unexpected byte, both unusable.
  bool LooksAlive() {
    if (buffer.size() != 0) return false;
    const int fd = Lowest().socket().native_handle();
    char byte;
    const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  void Close() {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Lowest().socket().close(ignored);
  }
};

// Starts an asynchronous operation with a completion handler that records
// its error code, and runs the connection's io_context until it completes.
template <typename Start>
beast::error_code RunOp(asio::io_context& ioc, Start&& start) {
  beast::error_code result;
  bool done = false;
  start([&result, &done](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  ioc.restart();
  while (!done) {
    if (ioc.run_one() == 0) {
      if (!done) result = asio::error::operation_aborted;
      break;
    }
  }
  return result;
}

// Waits until the socket of a plain connection is readable (or at EOF),
// without holding a buffer meanwhile. beast::error::timeout at `deadline`;
// operation_aborted when the socket is cancelled (StreamCanceller).
beast::error_code WaitReadable(asio::io_context& ioc, tcp::socket& socket, absl::Time deadline) {
  asio::steady_timer timer(ioc);
  bool timed_out = false;
  if (deadline != absl::InfiniteFuture()) {
    timer.expires_at(SteadyDeadline(deadline));
    timer.async_wait([&](beast::error_code ec) {
      if (ec) return;
      timed_out = true;
      beast::error_code ignored;
      socket.cancel(ignored);
    });
  }
  beast::error_code ec = RunOp(
      ioc, [&](auto handler) { socket.async_wait(tcp::socket::wait_read, std::move(handler)); });
  timer.cancel();
  // The timer's handler (now aborted) runs before `timer` and `timed_out`
  // go out of scope.
  ioc.restart();
  ioc.poll();
  if (timed_out) return beast::error::timeout;
  return ec;
}

// Makes one connection present `certificate` (leaf, then the chain) and its
// key, replacing whatever the shared context holds.
absl::Status UseClientCertificate(SSL* ssl_handle, const ClientCertificate& certificate) {
  using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
  Bio cert_bio(
      BIO_new_mem_buf(certificate.cert_pem.data(), static_cast<int>(certificate.cert_pem.size())),
      &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> leaf(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (leaf == nullptr || SSL_use_certificate(ssl_handle, leaf.get()) != 1) {
    ERR_clear_error();
    return absl::UnauthenticatedError("the client certificate is not usable PEM");
  }
  SSL_clear_chain_certs(ssl_handle);
  while (X509* intermediate = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)) {
    SSL_add0_chain_cert(ssl_handle, intermediate);  // takes ownership
  }
  ERR_clear_error();  // the loop ends on "no start line"
  Bio key_bio(
      BIO_new_mem_buf(certificate.key_pem.data(), static_cast<int>(certificate.key_pem.size())),
      &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (key == nullptr || SSL_use_PrivateKey(ssl_handle, key.get()) != 1 ||
      SSL_check_private_key(ssl_handle) != 1) {
    ERR_clear_error();
    return absl::UnauthenticatedError(
        "the client key is not usable PEM or does not match the certificate");
  }
  return absl::OkStatus();
}

// Looks `host` up with asio's resolver on `ioc`, which has no expiry of its
// own: it runs until `deadline`.
beast::error_code ResolveHost(asio::io_context& ioc, const std::string& host,
                              const std::string& port, absl::Time deadline,
                              tcp::resolver::results_type* endpoints) {
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  bool done = false;
  resolver.async_resolve(host, port, [&](beast::error_code e, tcp::resolver::results_type results) {
    ec = e;
    *endpoints = std::move(results);
    done = true;
  });
  ioc.restart();
  const auto steady_deadline = SteadyDeadline(deadline);
  while (!done) {
    if (ioc.run_one_until(steady_deadline) == 0 && !done) {
      resolver.cancel();
      ioc.restart();
      while (!done && ioc.run_one() != 0) {
      }
      if (!done) ec = beast::error::timeout;
      if (!ec || ec == asio::error::operation_aborted) ec = beast::error::timeout;
      break;
    }
  }
  return ec;
}

std::string SslErrorText(const beast::error_code& ec) {
  std::string text = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    const long verify = ERR_GET_REASON(ec.value());
    if (verify == SSL_R_CERTIFICATE_VERIFY_FAILED) text = "certificate verify failed";
  }
  return text;
}

bool IsTimeout(const beast::error_code& ec) { return ec == beast::error::timeout; }

absl::Status NetworkError(const beast::error_code& ec, std::string_view what,
                          const std::string& host_port) {
  if (IsTimeout(ec)) {
    return absl::DeadlineExceededError(absl::StrCat(ToAbsl(what), " ", host_port, ": timed out"));
  }
  return absl::UnavailableError(absl::StrCat(ToAbsl(what), " ", host_port, ": ", ec.message()));
}

// An error before any byte of the answer: the request may not have reached
// the server (or reached a connection it had just closed).
bool IsStaleConnectionError(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated;
}

}  // namespace

bool IsIdempotentMethod(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
         method == "DELETE";
}

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(ToAbsl(key), ToAbsl(name))) return value;
  }
  return "";
}

void StreamCanceller::Cancel() {
  // The interrupt runs under the lock so that the stream it belongs to cannot
  // end (and free its connection) meanwhile; it only posts to the stream's
  // io_context, so it is quick and takes no other lock.
  absl::MutexLock lock(&mu_);
  if (cancelled_) return;
  cancelled_ = true;
  if (interrupt_) interrupt_();
}

bool StreamCanceller::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

bool StreamCanceller::SleepUnlessCancelled(Clock& clock, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  return clock.AwaitWithDeadline(mu_, absl::Condition(&cancelled_), deadline);
}

void StreamCanceller::SetInterrupt(std::function<void()> interrupt) {
  absl::MutexLock lock(&mu_);
  interrupt_ = std::move(interrupt);
}

struct Transport::Impl {
  TransportOptions options;
  std::string host_header;
  std::string verify_name;
  std::optional<ssl::context> tls_context;

  mutable absl::Mutex mu;
  std::deque<std::unique_ptr<Connection>> idle ABSL_GUARDED_BY(mu);
  int opened ABSL_GUARDED_BY(mu) = 0;

  absl::StatusOr<std::unique_ptr<Connection>> Connect(absl::Time request_deadline) {
    auto conn = std::make_unique<Connection>();
    const absl::Time deadline = std::min(request_deadline, absl::Now() + options.connect_timeout);
    tcp::resolver::results_type endpoints;
    beast::error_code ec;
    const asio::ip::address literal = asio::ip::make_address(options.host, ec);
    int port_number = 0;
    if (!ec && absl::SimpleAtoi(options.port, &port_number) && port_number > 0 &&
        port_number < 65536) {
      // An IP address needs no lookup; asio's resolver would also start a
      // thread per connection, which a fleet of members cannot afford.
      endpoints = tcp::resolver::results_type::create(
          tcp::endpoint(literal, static_cast<unsigned short>(port_number)), options.host,
          options.port);
    } else {
      ec = ResolveHost(conn->ioc, options.host, options.port, deadline, &endpoints);
    }
    if (ec) return NetworkError(ec, "resolve", host_header);

    conn->plain = std::make_unique<beast::tcp_stream>(conn->ioc);
    if (tls_context.has_value()) {
      conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*conn->plain),
                                                                         *tls_context);
      conn->plain.reset();
    }
    conn->SetDeadline(deadline);
    ec = RunOp(conn->ioc,
               [&](auto handler) { conn->Lowest().async_connect(endpoints, std::move(handler)); });
    if (ec) return NetworkError(ec, "connect to", host_header);
    conn->Lowest().socket().set_option(tcp::no_delay(true), ec);

    if (conn->tls) {
      SSL* ssl_handle = conn->tls->native_handle();
      if (!IsIpAddress(verify_name)) {
        SSL_set_tlsext_host_name(ssl_handle, verify_name.c_str());
      }
      if (!options.insecure_skip_tls_verify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (IsIpAddress(verify_name)) {
          X509_VERIFY_PARAM_set1_ip_asc(param, verify_name.c_str());
        } else {
          X509_VERIFY_PARAM_set1_host(param, verify_name.c_str(), 0);
        }
        conn->tls->set_verify_mode(ssl::verify_peer);
      } else {
        conn->tls->set_verify_mode(ssl::verify_none);
      }
      if (options.client_certificate_source) {
        absl::StatusOr<std::optional<ClientCertificate>> certificate =
            options.client_certificate_source();
        if (!certificate.ok()) return certificate.status();
        if (certificate->has_value()) {
          absl::Status used = UseClientCertificate(ssl_handle, **certificate);
          if (!used.ok()) return used;
        }
      }
      ec = RunOp(conn->ioc, [&](auto handler) {
        conn->tls->async_handshake(ssl::stream_base::client, std::move(handler));
      });
      if (ec) {
        if (IsTimeout(ec)) return NetworkError(ec, "TLS handshake with", host_header);
        return absl::FailedPreconditionError(absl::StrCat("TLS handshake with ", host_header,
                                                          " (server name \"", verify_name,
                                                          "\") failed: ", SslErrorText(ec)));
      }
    }
    absl::MutexLock lock(&mu);
    ++opened;
    return conn;
  }

  // A pooled connection that still looks alive, or a new one.
  absl::StatusOr<std::unique_ptr<Connection>> Acquire(absl::Time deadline) {
    const absl::Time now = absl::Now();
    while (true) {
      std::unique_ptr<Connection> conn;
      {
        absl::MutexLock lock(&mu);
        if (idle.empty()) break;
        conn = std::move(idle.back());
        idle.pop_back();
      }
      if (now - conn->idle_since < options.idle_connection_timeout && conn->LooksAlive()) {
        conn->reused = true;
        return conn;
      }
      conn->Close();
    }
    return Connect(deadline);
  }

  void Release(std::unique_ptr<Connection> conn) {
    conn->idle_since = absl::Now();
    conn->Lowest().expires_never();
    // An idle connection does not keep a large body's read buffer.
    if (conn->buffer.size() == 0 && conn->buffer.capacity() > kSmallBody) {
      conn->buffer.shrink_to_fit();
    }
    absl::MutexLock lock(&mu);
    if (static_cast<int>(idle.size()) >= options.max_idle_connections) {
      conn->Close();
      return;
    }
    idle.push_back(std::move(conn));
  }

  http::request<http::string_body> BuildRequest(const HttpRequest& request) const {
    http::request<http::string_body> req;
    req.version(11);
    const http::verb verb = http::string_to_verb(request.method);
    if (verb == http::verb::unknown) {
      req.method_string(request.method);
    } else {
      req.method(verb);
    }
    req.target(request.target);
    req.set(http::field::host, host_header);
    for (const auto& [name, value] : request.headers) req.set(name, value);
    if (!request.body.empty() || verb == http::verb::post || verb == http::verb::put ||
        verb == http::verb::patch) {
      req.body() = request.body;
      req.prepare_payload();
    }
    return req;
  }

  template <typename Fn>
  beast::error_code WithStream(Connection& conn, Fn&& fn) {
    if (conn.tls) return fn(*conn.tls);
    return fn(*conn.plain);
  }

  // Sends `request` and reads the whole answer. `got_bytes` tells whether
  // any byte of the answer arrived (for the stale-connection retry).
  beast::error_code Exchange(Connection& conn, const HttpRequest& request, HttpResponse* response,
                             bool* got_bytes, bool* keep_alive) {
    *got_bytes = false;
    http::request<http::string_body> req = BuildRequest(request);
    conn.SetDeadline(request.deadline);
    beast::error_code ec = WithStream(conn, [&](auto& stream) {
      return RunOp(conn.ioc,
                   [&](auto handler) { http::async_write(stream, req, std::move(handler)); });
    });
    if (ec) return ec;
    http::response_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(options.max_response_body_bytes);
    const size_t before = conn.buffer.size();
    ec = WithStream(conn, [&](auto& stream) {
      return RunOp(conn.ioc, [&](auto handler) {
        http::async_read_header(stream, conn.buffer, parser, std::move(handler));
      });
    });
    *got_bytes = parser.got_some() || conn.buffer.size() > before;
    if (ec) return ec;
    if (!parser.is_done()) {
      const boost::optional<std::uint64_t> length = parser.content_length();
      if (!length || *length > kSmallBody) conn.buffer.reserve(kBodyReadBuffer);
      ec = WithStream(conn, [&](auto& stream) {
        return RunOp(conn.ioc, [&](auto handler) {
          http::async_read(stream, conn.buffer, parser, std::move(handler));
        });
      });
      if (ec) return ec;
    }
    http::response<http::string_body> res = parser.release();
    response->status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      response->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response->body = std::move(res.body());
    *keep_alive = res.keep_alive();
    return ec;
  }
};

Transport::Transport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  host_port_ = impl_->host_header;
}

Transport::~Transport() {
  absl::MutexLock lock(&impl_->mu);
  for (auto& conn : impl_->idle) conn->Close();
}

absl::StatusOr<std::unique_ptr<Transport>> Transport::Create(TransportOptions options) {
  if (options.host.empty()) return absl::InvalidArgumentError("transport: no host");
  if (options.port.empty()) options.port = options.tls ? "443" : "80";
  auto impl = std::make_unique<Impl>();
  const bool ipv6 = options.host.find(':') != std::string::npos;
  const std::string host_text = ipv6 ? absl::StrCat("[", options.host, "]") : options.host;
  impl->host_header = absl::StrCat(host_text, ":", options.port);
  impl->verify_name = options.tls_server_name.empty() ? options.host : options.tls_server_name;
  if (options.tls) {
    impl->tls_context.emplace(ssl::context::tls_client);
    ssl::context& ctx = *impl->tls_context;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code ec;
    if (!options.ca_pem.empty()) {
      ctx.add_certificate_authority(asio::buffer(options.ca_pem), ec);
      if (ec) {
        return absl::InvalidArgumentError(absl::StrCat(
            "certificate authority for ", impl->host_header, " is not usable PEM: ", ec.message()));
      }
    } else {
      ctx.set_default_verify_paths(ec);
    }
    if (!options.client_cert_pem.empty() || !options.client_key_pem.empty()) {
      if (options.client_cert_pem.empty() || options.client_key_pem.empty()) {
        return absl::InvalidArgumentError(
            "a client certificate and its key must be given together");
      }
      ctx.use_certificate_chain(asio::buffer(options.client_cert_pem), ec);
      if (ec) {
        return absl::InvalidArgumentError(
            absl::StrCat("client certificate is not usable PEM: ", ec.message()));
      }
      ctx.use_private_key(asio::buffer(options.client_key_pem), ssl::context::pem, ec);
      if (ec) {
        return absl::InvalidArgumentError(
            absl::StrCat("client key is not usable PEM (or does not match): ", ec.message()));
      }
    }
  }
  impl->options = std::move(options);
  return std::unique_ptr<Transport>(new Transport(std::move(impl)));
}

absl::StatusOr<HttpResponse> Transport::RoundTrip(const HttpRequest& request) {
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<std::unique_ptr<Connection>> acquired = impl_->Acquire(request.deadline);
    if (!acquired.ok()) return acquired.status();
    std::unique_ptr<Connection> conn = *std::move(acquired);
    HttpResponse response;
    bool got_bytes = false;
    bool keep_alive = false;
    beast::error_code ec = impl_->Exchange(*conn, request, &response, &got_bytes, &keep_alive);
    if (!ec) {
      if (keep_alive) {
        impl_->Release(std::move(conn));
      } else {
        conn->Close();
      }
      return response;
    }
    const bool reused = conn->reused;
    conn->Close();
    if (reused && !got_bytes && attempt == 0 && IsStaleConnectionError(ec) &&
        IsIdempotentMethod(request.method)) {
      continue;
    }
    if (ec == http::error::body_limit) {
      return absl::ResourceExhaustedError(absl::StrCat(
          request.method, " ", host_port_, request.target, ": response body larger than ",
          impl_->options.max_response_body_bytes, " bytes"));
    }
    return NetworkError(ec, absl::StrCat(request.method, " ", request.target, " on"), host_port_);
  }
}

absl::StatusOr<HttpResponse> Transport::Stream(const HttpRequest& request,
                                               absl::Duration idle_timeout,
                                               const std::function<bool(std::string_view)>& on_data,
                                               StreamCanceller* canceller) {
  auto cancelled = [&] { return canceller != nullptr && canceller->cancelled(); };
  auto cancelled_status = [&] {
    return absl::CancelledError(absl::StrCat(request.method, " ", request.target, " cancelled"));
  };
  if (cancelled()) return cancelled_status();
  // A fresh connection: a watch lives long and is not returned to the pool.
  absl::StatusOr<std::unique_ptr<Connection>> connected = impl_->Connect(request.deadline);
  if (!connected.ok()) return connected.status();
  std::unique_ptr<Connection> conn = *std::move(connected);
  Connection* raw = conn.get();
  if (canceller != nullptr) {
    canceller->SetInterrupt([raw] {
      asio::post(raw->ioc, [raw] {
        beast::error_code ignored;
        raw->Lowest().socket().cancel(ignored);
        raw->Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      });
    });
  }
  struct ClearInterrupt {
    StreamCanceller* canceller;
    ~ClearInterrupt() {
      if (canceller != nullptr) canceller->SetInterrupt(nullptr);
    }
  } clear{canceller};
  if (cancelled()) return cancelled_status();

  const std::string what = absl::StrCat(request.method, " ", request.target, " on");
  auto next_deadline = [&] {
    absl::Time idle_deadline = idle_timeout == absl::InfiniteDuration()
                                   ? absl::InfiniteFuture()
                                   : absl::Now() + idle_timeout;
    return std::min(idle_deadline, request.deadline);
  };
  auto fail = [&](const beast::error_code& ec) -> absl::Status {
    conn->Close();
    if (cancelled()) return cancelled_status();
    return NetworkError(ec, what, host_port_);
  };

  http::request<http::string_body> req = impl_->BuildRequest(request);
  conn->SetDeadline(next_deadline());
  beast::error_code ec = impl_->WithStream(*conn, [&](auto& stream) {
    return RunOp(conn->ioc,
                 [&](auto handler) { http::async_write(stream, req, std::move(handler)); });
  });
  if (ec) return fail(ec);

  http::response_parser<http::buffer_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  // Not boost::none: Boost 1.74 compares Content-Length against the
  // optional and treats "none" as smaller than any length.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  conn->SetDeadline(next_deadline());
  conn->buffer.reserve(kStreamReadBuffer);
  ec = impl_->WithStream(*conn, [&](auto& stream) {
    return RunOp(conn->ioc, [&](auto handler) {
      http::async_read_header(stream, conn->buffer, parser, std::move(handler));
    });
  });
  if (ec) return fail(ec);

  HttpResponse response;
  response.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  const bool success = response.status >= 200 && response.status < 300;
  std::unique_ptr<char[]> piece;
  auto ready_piece = [&] {
    if (piece == nullptr) piece.reset(new char[kStreamPiece]);
    parser.get().body().data = piece.get();
    parser.get().body().size = kStreamPiece;
  };
  while (!parser.is_done()) {
    ready_piece();
    // A watch is idle most of its life (most of a large fleet's watches
    // are, all the time): when the parser cannot go on with what is
    // buffered and nothing waits on the socket, the read buffers are given
    // back (but for the few bytes of a cut chunk header) and taken again
    // once bytes arrive. Not for TLS, whose layer may hold decrypted bytes
    // the socket no longer shows.
    bool parsed = false;
    beast::error_code available_ec;
    if (conn->plain != nullptr && conn->plain->socket().available(available_ec) == 0 &&
        !available_ec) {
      if (conn->buffer.size() != 0) {
        // What read_some would do first, without reading.
        beast::error_code put_ec;
        const size_t used = parser.put(conn->buffer.data(), put_ec);
        conn->buffer.consume(used);
        if (put_ec == http::error::need_more || put_ec == http::error::need_buffer) put_ec = {};
        if (put_ec) return fail(put_ec);
        parsed = used > 0 || parser.is_done();
      }
      if (!parsed) {
        piece.reset();
        conn->buffer.shrink_to_fit();
        ec = WaitReadable(conn->ioc, conn->plain->socket(), next_deadline());
        if (ec) return fail(ec);
        ready_piece();
      }
    }
    if (!parsed) {
      conn->buffer.reserve(kStreamReadBuffer);
      conn->SetDeadline(next_deadline());
      ec = impl_->WithStream(*conn, [&](auto& stream) {
        return RunOp(conn->ioc, [&](auto handler) {
          // read_some: return as soon as some body arrived (read would wait
          // for the piece buffer to fill, stalling a slow watch).
          http::async_read_some(stream, conn->buffer, parser, std::move(handler));
        });
      });
      if (ec == http::error::need_buffer) ec = {};
      if (ec) return fail(ec);
    }
    const size_t n = kStreamPiece - parser.get().body().size;
    if (n == 0) continue;
    if (cancelled()) return fail(asio::error::operation_aborted);
    if (success) {
      if (!on_data(std::string_view(piece.get(), n))) break;
    } else {
      if (response.body.size() + n > impl_->options.max_response_body_bytes) {
        conn->Close();
        return absl::ResourceExhaustedError(
            absl::StrCat(what, " ", host_port_, ": error body too large"));
      }
      response.body.append(piece.get(), n);
    }
  }
  conn->Close();
  if (cancelled()) return cancelled_status();
  return response;
}

int Transport::IdleConnections() const {
  absl::MutexLock lock(&impl_->mu);
  return static_cast<int>(impl_->idle.size());
}

int Transport::ConnectionsOpened() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->opened;
}

}  // namespace mck8s::kubeapi
