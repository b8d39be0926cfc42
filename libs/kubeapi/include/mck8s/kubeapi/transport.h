// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/transport.h
// -----------------------------------------------------------------------------
//
// HTTP/1.1 to one API server (Boost.Beast over TCP or OpenSSL TLS) with a
// keep-alive connection pool. This is the wire layer only: no auth headers,
// no retries, no rate limiting (RestClient adds those). One Transport serves
// one scheme://host:port; a process talking to a fleet has one per cluster.
//
// Behaviour:
//   * Calls block the calling thread; each runs its exchange on a connection
//     of its own, so concurrent callers never wait for each other beyond
//     taking a connection from the pool.
//   * Idle connections are kept (up to max_idle_connections) and reused;
//     before reuse a connection is checked with a non-blocking peek, so one
//     the server has closed is dropped instead of failing the request. If a
//     reused connection still fails before any byte of the answer arrives,
//     an idempotent request (GET, HEAD, OPTIONS, PUT, DELETE) is sent once
//     more on a new connection.
//   * TLS: the CA bundle given (or the system roots), the server certificate
//     checked against tls_server_name (or the host; an IP address is matched
//     against the certificate's IP SANs), SNI for DNS names, an optional
//     client certificate, or no verification with insecure_skip_tls_verify.
//   * Timeouts: connect_timeout for resolve+connect+handshake, the request's
//     deadline for the whole exchange, and for streams an idle timeout
//     between two pieces of body.
//
// Errors (absl::Status):
//   UNAVAILABLE        connection refused/reset/closed, DNS failure
//   DEADLINE_EXCEEDED  a timeout
//   FAILED_PRECONDITION TLS handshake failed (unknown CA, wrong name, ...)
//   INVALID_ARGUMENT   at Create(): unusable TLS material or options
//   RESOURCE_EXHAUSTED a response body larger than max_response_body_bytes
//   CANCELLED          Stream() ended by StreamCanceller::Cancel()
// An HTTP error status (404, 500, ...) is not an error here: it is returned
// in HttpResponse for the caller to decode.
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(auto transport, Transport::Create(options));
//   HttpRequest request{"GET", "/version"};
//   MCK8S_ASSIGN_OR_RETURN(HttpResponse response, transport->RoundTrip(request));
//
// Thread safety: all methods are thread-safe.

#ifndef MCK8S_KUBEAPI_TRANSPORT_H_
#define MCK8S_KUBEAPI_TRANSPORT_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/kubeapi/clock.h"

namespace mck8s::kubeapi {

// A client certificate (PEM, leaf first, then any intermediates) and its
// private key (PEM).
struct ClientCertificate {
  std::string cert_pem;
  std::string key_pem;
};

struct TransportOptions {
  bool tls = true;          // https (true) or http (false)
  std::string host;         // DNS name or IP address, without brackets
  std::string port;         // e.g. "6443"
  std::string tls_server_name;  // overrides `host` for SNI and verification
  bool insecure_skip_tls_verify = false;
  std::string ca_pem;           // empty: the system's roots
  std::string client_cert_pem;  // with client_key_pem: mutual TLS
  std::string client_key_pem;
  // When set, asked before every new TLS handshake for the client
  // certificate to present, overriding client_cert_pem/client_key_pem
  // (credentials that rotate, e.g. from an exec plugin). nullopt: present
  // none. An error fails the connection attempt with that error. Called
  // from the thread that opens the connection.
  std::function<absl::StatusOr<std::optional<ClientCertificate>>()> client_certificate_source;
  absl::Duration connect_timeout = absl::Seconds(10);
  int max_idle_connections = 32;
  // Idle connections older than this are closed instead of reused.
  absl::Duration idle_connection_timeout = absl::Seconds(90);
  size_t max_response_body_bytes = size_t{1} << 31;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // origin form: "/api/v1/pods?limit=10"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The whole exchange must end by then (InfiniteFuture: no limit).
  absl::Time deadline = absl::InfiniteFuture();
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header named `name` (case-insensitive), or "".
  std::string Header(std::string_view name) const;
};

// Ends a Stream() call from another thread.
class StreamCanceller {
 public:
  StreamCanceller() = default;
  StreamCanceller(const StreamCanceller&) = delete;
  StreamCanceller& operator=(const StreamCanceller&) = delete;

  // Makes the Stream() using this canceller (now or later) return CANCELLED
  // promptly. Idempotent; thread-safe.
  void Cancel();
  bool cancelled() const;

  // Waits until `deadline` on `clock` or until Cancel(), whichever comes
  // first; returns cancelled(). For retry backoff that shutdown must cut.
  bool SleepUnlessCancelled(Clock& clock, absl::Time deadline);

 private:
  friend class Transport;
  // Installed by Transport while a stream runs; closes its socket.
  void SetInterrupt(std::function<void()> interrupt);

  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> interrupt_ ABSL_GUARDED_BY(mu_);
};

class Transport {
 public:
  // Builds the TLS context (parsing the PEM material) but opens nothing.
  static absl::StatusOr<std::unique_ptr<Transport>> Create(TransportOptions options);
  ~Transport();

  // One request, the whole answer in memory.
  absl::StatusOr<HttpResponse> RoundTrip(const HttpRequest& request);

  // A request whose answer is consumed as it arrives (watch). For a 2xx
  // answer `on_data` is called with each piece of body (chunk boundaries are
  // arbitrary); returning false from it stops the stream (OK is returned).
  // Other answers are read whole into HttpResponse::body and on_data is not
  // called. Returns after the body ends (OK), on an error, when no byte
  // arrived for `idle_timeout` (DEADLINE_EXCEEDED), or on cancellation
  // (CANCELLED). `canceller` may be null. Stream connections are not pooled.
  absl::StatusOr<HttpResponse> Stream(const HttpRequest& request, absl::Duration idle_timeout,
                                      const std::function<bool(std::string_view)>& on_data,
                                      StreamCanceller* canceller);

  // "host:port" as used in the Host header and in metric labels.
  const std::string& host_port() const { return host_port_; }
  // Connections idle in the pool right now (for tests).
  int IdleConnections() const;
  // Connections opened since creation (for tests of reuse).
  int ConnectionsOpened() const;

 private:
  struct Impl;
  explicit Transport(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  std::string host_port_;
};

// True for the verbs RFC 9110 calls idempotent (GET, HEAD, OPTIONS, PUT,
// DELETE): they may be sent again after a failure without changing the
// outcome.
bool IsIdempotentMethod(std::string_view method);

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_TRANSPORT_H_
