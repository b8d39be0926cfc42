// -----------------------------------------------------------------------------
// File: mck8s/sim/http_server.h
// -----------------------------------------------------------------------------
//
// The simulator's HTTP/1.1 front end (Boost.Beast, asynchronous): one
// listening socket for the whole fleet, a path prefix per cluster.
//
//   http://127.0.0.1:PORT/clusters/<cluster>/<kubernetes API path>
//
// kubectl and client-go accept a server URL with a path, so each cluster's
// kubeconfig entry simply names its prefix. Connections are kept alive;
// watches are streamed as chunked, newline-delimited JSON events (with
// BOOKMARK events every bookmark_interval when the client allows them) until
// their timeoutSeconds, the client goes away, or the server stops. Requests
// run on a fixed pool of threads (one per core by default); each connection
// is served on its own strand.
//
// Optional bearer-token authentication: with a token set, every request but
// /version and the health checks must carry `Authorization: Bearer <token>`
// (else 401 Unauthorized as a Kubernetes Status).
//
// Optional control endpoint (control.h): requests under /sim/ go to the
// `control` handler when the peer is a loopback address, and get 403
// Forbidden otherwise. Optional fault injection: with `faults` set, every
// request under /clusters/<name>/ first asks it whether to hang (the cluster
// is unreachable), answer an injected error, wait, or cut a watch.
//
// Usage:
//
//   HttpServer server({.port = 0}, [&](absl::string_view name) {
//     return fleet.Api(name);  // nullptr: unknown cluster (404)
//   });
//   MCK8S_RETURN_IF_ERROR(server.Start());
//   std::cout << "listening on 127.0.0.1:" << server.port() << "\n";
//   ...
//   server.Stop();
//
// Thread-safe: Start, port and Stop may be called from any thread (not from
// inside a request). The resolver and the ClusterApi objects it returns must
// outlive the server.

#ifndef MCK8S_SIM_HTTP_SERVER_H_
#define MCK8S_SIM_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mck8s/sim/cluster_api.h"
#include "mck8s/sim/control.h"

namespace mck8s::sim {

class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 0;  // 0: any free port
    int threads = 0;    // 0: one per core
    std::string bearer_token;
    absl::Duration bookmark_interval = absl::Seconds(15);
    absl::Duration idle_timeout = absl::Minutes(5);
    // PEM files; both set: serve HTTPS only.
    std::string tls_cert_file;
    std::string tls_key_file;
    // Handler of /sim/... (loopback peers only); null: 404.
    std::function<ApiResponse(const ApiRequest&)> control;
    // Faults and reachability per cluster; null: none. Must outlive the server.
    FaultInjector* faults = nullptr;
  };
  using Resolver = std::function<ClusterApi*(absl::string_view cluster)>;

  HttpServer(Options options, Resolver resolver);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. Errors: the address cannot be bound
  // (Unavailable), TLS files unreadable (InvalidArgument).
  absl::Status Start();
  // The bound port (after Start).
  uint16_t port() const;
  // Stops accepting, ends every watch and connection, joins the threads.
  // Idempotent.
  void Stop();
  // Cuts every watch open on `cluster` (connection closed without the
  // terminating chunk).
  void AbortWatches(absl::string_view cluster);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Whether `ip` (text form) is a loopback address, IPv4-mapped IPv6 included:
// the peers the control endpoint answers.
bool IsLoopbackAddress(absl::string_view ip);

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_HTTP_SERVER_H_
