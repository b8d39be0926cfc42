// -----------------------------------------------------------------------------
// File: mck8s/runtime/service.h
// -----------------------------------------------------------------------------
//
// The skeleton every mck8s service runs, so that the five controllers share
// one set of flags, one start-up order and one shutdown order:
//
//   1. parse flags (`--help` prints usage and exits 0; a bad flag prints the
//      error and exits 2);
//   2. JSON logs at --log-level;
//   3. the service's `init` builds its parts: it loads its configuration,
//      registers gRPC services, readiness checks and shutdown hooks; an
//      error here is printed and the process exits 1 before binding ports;
//   4. /metrics (--metrics-bind-address), /healthz and /readyz
//      (--health-probe-bind-address), and gRPC with health and reflection
//      (--grpc-bind-address) start;
//   5. on SIGTERM or SIGINT: /readyz and gRPC health go NOT_SERVING,
//      in-flight gRPC calls drain for up to --shutdown-grace-period, the
//      shutdown hooks run in reverse order, and the process exits 0.
//
// Usage (a service's whole main):
//
//   int main(int argc, char** argv) {
//     ServiceSpec spec{.component = "descheduler", ...};
//     return RunServiceMain(argc, argv, spec,
//         [](ServiceRuntime& runtime, const ServiceOptions& options) {
//           ... build parts, runtime.AddGrpcService(...), ...
//           return absl::OkStatus();
//         });
//   }

#ifndef MCK8S_RUNTIME_SERVICE_H_
#define MCK8S_RUNTIME_SERVICE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mck8s/runtime/flags.h"
#include "mck8s/runtime/grpc_server.h"
#include "mck8s/runtime/http_server.h"
#include "mck8s/runtime/metrics.h"
#include "mck8s/runtime/probes.h"

namespace mck8s::runtime {

// What a service is, for its flags, logs and metrics.
struct ServiceSpec {
  std::string component;         // "scheduler": logger name, build-info label
  std::string binary;            // "mck8s-scheduler": usage text
  std::string description = "";  // first paragraph of --help
  // Which peers the service reaches, and so which address flags it takes.
  bool uses_cluster_state = false;  // --cluster-state-address
  bool uses_scheduler = false;      // --scheduler-address
  // Registers the service's own flags beside the shared ones, so one parse
  // and one --help cover both; null when it has none.
  std::function<void(FlagSet&)> register_flags = nullptr;
};

// The flags every service shares (controller-runtime's names where it has
// them). Defaults are those of a pod in a cluster.
struct ServiceOptions {
  std::string kubeconfig;
  bool leader_elect = false;
  std::string leader_election_namespace;
  std::string leader_election_id;
  std::string metrics_bind_address = ":8080";
  std::string health_probe_bind_address = ":8081";
  std::string grpc_bind_address = ":9090";
  std::string cluster_state_address;
  std::string scheduler_address;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  std::string tls_ca_file;
  std::string log_level = "info";
  std::string watch_namespace;
  std::string fleet_namespace = "mck8s-system";
  absl::Duration shutdown_grace_period = absl::Seconds(10);
  // Client-side rate limit of the requests to each Kubernetes API server
  // (requests per second and burst); qps <= 0 disables it. A backstop
  // against a runaway loop, not the API server's protection (its priority
  // and fairness does that, answering 429 with Retry-After, which the
  // client honours). Recording a workload takes about four writes to the
  // management cluster (finalizer, decision, Propagated, an event), so 500
  // lets one scheduler place over a hundred workloads a second.
  double kube_api_qps = 500;
  int64_t kube_api_burst = 1000;
};

// Registers the shared flags on `flags`, writing into `options`.
void RegisterServiceFlags(const ServiceSpec& spec, FlagSet& flags, ServiceOptions& options);

// The running parts every service has. Built by RunServiceMain; `init`
// adds to it before Start().
class ServiceRuntime {
 public:
  static absl::StatusOr<std::unique_ptr<ServiceRuntime>> Create(const ServiceSpec& spec,
                                                                const ServiceOptions& options,
                                                                Registry& registry);
  ~ServiceRuntime();

  Registry& registry() { return registry_; }
  Probes& probes() { return probes_; }
  const ServiceOptions& options() const { return options_; }

  // Registers a gRPC service to serve once started; `service` must outlive
  // the runtime. Only before Start().
  void AddGrpcService(grpc::Service* service, std::string full_name);

  // Runs at shutdown, after gRPC drained, in reverse order of adding.
  void AddShutdownHook(std::function<void()> hook);

  // Binds and starts the metrics, probe and gRPC servers. Errors name the
  // address that could not be served.
  absl::Status Start();

  // The shutdown sequence described in the file comment. Idempotent.
  void Shutdown();

  int metrics_port() const;
  int health_probe_port() const;
  int grpc_port() const;

 private:
  ServiceRuntime(const ServiceSpec& spec, const ServiceOptions& options, Registry& registry);

  ServiceSpec spec_;
  ServiceOptions options_;
  Registry& registry_;
  Probes probes_;
  std::unique_ptr<HttpServer> metrics_server_;
  std::unique_ptr<HttpServer> probe_server_;
  std::unique_ptr<GrpcServer> grpc_server_;
  std::vector<GrpcServiceRegistration> grpc_services_;
  std::vector<std::function<void()>> shutdown_hooks_;
  bool shut_down_ = false;
};

using ServiceInit =
    std::function<absl::Status(ServiceRuntime& runtime, const ServiceOptions& options)>;

// The whole life of a service process; returns its exit status.
int RunServiceMain(int argc, char** argv, const ServiceSpec& spec, const ServiceInit& init);

}  // namespace mck8s::runtime

#endif  // MCK8S_RUNTIME_SERVICE_H_
