// -----------------------------------------------------------------------------
// File: mck8s/runtime/http_server.h
// -----------------------------------------------------------------------------
//
// A small HTTP/1.1 server for the operational endpoints of every mck8s
// service: /metrics for Prometheus, /healthz, /livez and /readyz for the
// kubelet. It is not an application server: handlers are synchronous, quick
// and run one at a time on the server's single thread.
//
// Behaviour:
//   * One io_context and one background thread; connections are accepted
//     asynchronously and kept alive between requests (Prometheus reuses its
//     connection from one scrape to the next).
//   * Limits: request headers up to 16 KiB (431 beyond), bodies up to 1 MiB
//     (413), 2 minutes to receive a request on an idle or slow connection,
//     30 seconds to send a response, at most 256 open connections (new ones
//     beyond that are closed at once).
//   * Routing is by exact path (the target without its query string); a
//     prefix route (HandlePrefix) serves a whole subtree; exact routes win,
//     then the longest prefix. Unknown paths answer 404.
//   * Handlers registered with Handle() are GET-only: GET and HEAD are
//     served (HEAD without the body), any other method answers 405 with
//     `Allow: GET, HEAD`. HandleAllMethods() passes every method through.
//   * Stop() stops accepting, closes idle connections, lets responses being
//     written finish (for at most 5 seconds), and joins the thread.
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(std::unique_ptr<HttpServer> server,
//                          HttpServer::Create(flags.metrics_bind_address));
//   InstallMetricsHandler(*server, Registry::Default());
//   probes.Install(*server);
//   MCK8S_RETURN_IF_ERROR(server->Start());
//   ...
//   server->Stop();
//
// Thread safety: register handlers before Start(); Start(), port() and
// Stop() may be called from any thread, but never from inside a handler.

#ifndef MCK8S_RUNTIME_HTTP_SERVER_H_
#define MCK8S_RUNTIME_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mck8s::runtime {

class Registry;

struct HttpRequest {
  std::string method;  // as sent, e.g. "GET"
  std::string target;  // the request target, e.g. "/readyz?verbose"
  std::string path;    // the target before '?', e.g. "/readyz"
  std::string query;   // the target after '?', e.g. "verbose" (may be empty)
  // Header names in lower case; repeated headers joined with ", ".
  absl::flat_hash_map<std::string, std::string> headers;
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Extra headers; Content-Type, Content-Length and Connection are set by
  // the server.
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  // Parses `bind_address`: "host:port", ":port" (every interface, IPv6 and
  // IPv4 where available), "[v6-address]:port", or "0", which disables the
  // server (Start() then does nothing and port() stays 0, as for
  // controller-runtime's metrics server). Port 0 picks a free port at
  // Start(). Does no I/O; the host is resolved at Start().
  // Errors: InvalidArgument naming the address when it is malformed.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Create(
      std::string_view bind_address);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Stops the server (see Stop()).
  ~HttpServer();

  // Serves GET and HEAD requests whose path is exactly `path` (see the file
  // comment). A later registration of the same path replaces the earlier.
  // Must be called before Start().
  void Handle(std::string path, HttpHandler handler);
  // Like Handle() but every method reaches `handler`, which answers 405
  // itself where it should.
  void HandleAllMethods(std::string path, HttpHandler handler);
  // GET/HEAD requests whose path starts with `prefix` (e.g. "/readyz/"),
  // when no exact route matches. Must be called before Start().
  void HandlePrefix(std::string prefix, HttpHandler handler);

  // Resolves the host, binds, listens and starts serving on a background
  // thread. Returns once the socket listens, so port() is then valid.
  // Errors: Unavailable naming the address when it cannot be resolved or
  // bound (e.g. "address already in use"); FailedPrecondition when called
  // twice or after Stop(). A disabled server returns OK and does nothing.
  absl::Status Start();

  // The port actually bound after Start() (useful with port 0); 0 before
  // Start() and for a disabled server.
  int port() const;

  // The address as given to Create().
  const std::string& bind_address() const;

  // Stops accepting, closes idle keep-alive connections, lets in-flight
  // responses finish (bounded by a grace period), and joins the thread.
  // Idempotent; also called by the destructor. Blocks until done.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Serves `registry.Render()` at GET /metrics with kTextContentType, the
// endpoint Prometheus (and a ServiceMonitor's default path) scrapes.
// `registry` must outlive the server.
void InstallMetricsHandler(HttpServer& server, Registry& registry);

}  // namespace mck8s::runtime

#endif  // MCK8S_RUNTIME_HTTP_SERVER_H_
