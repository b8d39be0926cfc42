// -----------------------------------------------------------------------------
// File: mck8s/runtime/grpc_server.h
// -----------------------------------------------------------------------------
//
// The gRPC server every mck8s service runs: the standard health service
// (grpc.health.v1.Health), server reflection (so `buf curl` and grpcurl work
// without .proto files), optional TLS and mutual TLS, and server metrics in
// the go-grpc-prometheus convention operators already chart:
// grpc_server_started_total, grpc_server_handled_total (every code
// pre-created at 0), grpc_server_msg_received_total,
// grpc_server_msg_sent_total and grpc_server_handling_seconds.
//
// Usage:
//
//   SchedulerServiceImpl scheduler(...);
//   MCK8S_ASSIGN_OR_RETURN(
//       std::unique_ptr<GrpcServer> server,
//       GrpcServer::Start({.bind_address = ":9090"},
//                         {{&scheduler, mck8s::v1::Scheduler::service_full_name()}},
//                         Registry::Default()));
//   ...
//   server->Shutdown(absl::Seconds(10));  // drains in-flight calls
//
// Also here: the mapping between absl::Status and grpc::Status (their codes
// are the same canonical codes) and TLS credentials for clients of peers.

#ifndef MCK8S_RUNTIME_GRPC_SERVER_H_
#define MCK8S_RUNTIME_GRPC_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mck8s/runtime/metrics.h"

namespace mck8s::runtime {

struct GrpcServerOptions {
  // "host:port", ":port" (all interfaces) or "0" (no server). Port 0 picks a
  // free port; see GrpcServer::port().
  std::string bind_address = ":9090";
  // PEM files. Cert and key together turn TLS on; a client CA on top
  // requires and verifies client certificates (mutual TLS).
  std::string tls_cert_file = "";
  std::string tls_key_file = "";
  std::string tls_client_ca_file = "";
};

struct GrpcServiceRegistration {
  grpc::Service* service;  // not owned; must outlive the server
  std::string full_name;   // e.g. "mck8s.v1.Scheduler", for health and metrics
};

class GrpcServer {
 public:
  // Builds and starts the server. Errors: InvalidArgument naming a malformed
  // address or an unreadable TLS file, Unavailable when the port cannot be
  // bound. With bind_address "0" returns a server that serves nothing.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const GrpcServerOptions& options, const std::vector<GrpcServiceRegistration>& services,
      Registry& registry);

  ~GrpcServer();

  // The bound port (0 when disabled).
  int port() const { return port_; }

  // Health status of the whole server and of each registered service.
  void SetServing(bool serving);

  // Health goes NOT_SERVING, no new calls are accepted, in-flight calls get
  // until `grace` to finish and are cancelled after it. Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  GrpcServer() = default;

  // The server's metric families (owned here, so that they outlive the
  // interceptors the gRPC server runs; declared before server_ so they are
  // destroyed after it). Defined in grpc_server.cc.
 public:
  struct Metrics;

 private:
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::string> service_names_;
  int port_ = 0;
  bool shut_down_ = false;
};

// "host:port" or ":port" as gRPC wants it ("0.0.0.0:port" for ":port").
// InvalidArgument when there is no port or it is not a number in [0,65535].
absl::StatusOr<std::string> NormalizeBindAddress(std::string_view address);

// Client credentials for reaching a peer service: insecure when ca_file is
// empty, TLS verifying the peer with ca_file otherwise, and a client
// certificate when cert_file and key_file are given (mutual TLS).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> PeerChannelCredentials(
    const std::string& ca_file, const std::string& cert_file, const std::string& key_file);

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// Reads a whole file; NotFound / PermissionDenied naming the path.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace mck8s::runtime

#endif  // MCK8S_RUNTIME_GRPC_SERVER_H_
