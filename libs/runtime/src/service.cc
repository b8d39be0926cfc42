#include "mck8s/runtime/service.h"

#include <cstdio>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/runtime/log.h"
#include "mck8s/runtime/process_metrics.h"
#include "mck8s/runtime/signals.h"

namespace mck8s::runtime {

void RegisterServiceFlags(const ServiceSpec& spec, FlagSet& flags,
                          ServiceOptions& options) {
  flags.AddString("kubeconfig", &options.kubeconfig,
                  "Path to the management cluster's kubeconfig. Empty: "
                  "$KUBECONFIG, then the in-cluster service account, then "
                  "$HOME/.kube/config.");
  flags.AddBool("leader-elect", &options.leader_elect,
                "Run leader election so that only one replica acts at a time "
                "(coordination.k8s.io/v1 Lease).");
  flags.AddString("leader-election-namespace", &options.leader_election_namespace,
                  "Namespace of the leader-election Lease. Empty: the pod's "
                  "namespace, or the --fleet-namespace outside a cluster.");
  options.leader_election_id = absl::StrCat("mck8s-", spec.component);
  flags.AddString("leader-election-id", &options.leader_election_id,
                  "Name of the leader-election Lease.");
  flags.AddString("metrics-bind-address", &options.metrics_bind_address,
                  "Address the /metrics endpoint binds to (host:port or :port; "
                  "\"0\" disables it).");
  flags.AddString("health-probe-bind-address", &options.health_probe_bind_address,
                  "Address the /healthz and /readyz endpoints bind to "
                  "(host:port or :port; \"0\" disables them).");
  flags.AddString("grpc-bind-address", &options.grpc_bind_address,
                  "Address the gRPC server binds to (host:port or :port; "
                  "\"0\" disables it).");
  if (spec.uses_cluster_state) {
    flags.AddString("cluster-state-address", &options.cluster_state_address,
                    "host:port of the metrics-gateway's ClusterState gRPC API.");
  }
  if (spec.uses_scheduler) {
    flags.AddString("scheduler-address", &options.scheduler_address,
                    "host:port of the scheduler's Scheduler gRPC API.");
  }
  flags.AddString("tls-cert-file", &options.tls_cert_file,
                  "PEM certificate the gRPC server presents. With "
                  "--tls-key-file, turns TLS on.");
  flags.AddString("tls-key-file", &options.tls_key_file,
                  "PEM private key of --tls-cert-file.");
  flags.AddString("tls-client-ca-file", &options.tls_client_ca_file,
                  "PEM CA bundle; when set, gRPC clients must present a "
                  "certificate it signed (mutual TLS).");
  if (spec.uses_cluster_state || spec.uses_scheduler) {
    flags.AddString("tls-ca-file", &options.tls_ca_file,
                    "PEM CA bundle that verifies the gRPC peers this service "
                    "calls. Empty: plaintext. With --tls-cert-file and "
                    "--tls-key-file, this service also presents its "
                    "certificate to them.");
  }
  flags.AddString("log-level", &options.log_level,
                  "Least severe level logged: debug, info, warn or error.");
  flags.AddString("namespace", &options.watch_namespace,
                  "Namespace whose resources this service watches. Empty: all.");
  flags.AddString("fleet-namespace", &options.fleet_namespace,
                  "Namespace holding the member clusters' kubeconfig Secrets.");
  flags.AddDuration("shutdown-grace-period", &options.shutdown_grace_period,
                    "How long in-flight gRPC calls may run after SIGTERM.");
  flags.AddDouble("kube-api-qps", &options.kube_api_qps,
                  "Requests per second this service may send to each Kubernetes API server "
                  "(the management cluster and every member); 0 or less: no limit.");
  flags.AddInt("kube-api-burst", &options.kube_api_burst,
               "Requests this service may send at once above --kube-api-qps.");
}

ServiceRuntime::ServiceRuntime(const ServiceSpec& spec, const ServiceOptions& options,
                               Registry& registry)
    : spec_(spec), options_(options), registry_(registry) {}

absl::StatusOr<std::unique_ptr<ServiceRuntime>> ServiceRuntime::Create(
    const ServiceSpec& spec, const ServiceOptions& options, Registry& registry) {
  std::unique_ptr<ServiceRuntime> runtime(new ServiceRuntime(spec, options, registry));
  // Validate every address now, so a typo fails before any work starts.
  MCK8S_ASSIGN_OR_RETURN(runtime->metrics_server_,
                         HttpServer::Create(options.metrics_bind_address));
  MCK8S_ASSIGN_OR_RETURN(runtime->probe_server_,
                         HttpServer::Create(options.health_probe_bind_address));
  if (options.grpc_bind_address != "0") {
    MCK8S_RETURN_IF_ERROR(NormalizeBindAddress(options.grpc_bind_address).status());
  }
  RegisterProcessMetrics(registry);
  RegisterBuildInfo(registry, spec.component);
  return runtime;
}

ServiceRuntime::~ServiceRuntime() { Shutdown(); }

void ServiceRuntime::AddGrpcService(grpc::Service* service, std::string full_name) {
  grpc_services_.push_back({service, std::move(full_name)});
}

void ServiceRuntime::AddShutdownHook(std::function<void()> hook) {
  shutdown_hooks_.push_back(std::move(hook));
}

absl::Status ServiceRuntime::Start() {
  InstallMetricsHandler(*metrics_server_, registry_);
  probes_.Install(*probe_server_);
  MCK8S_RETURN_IF_ERROR(metrics_server_->Start());
  MCK8S_RETURN_IF_ERROR(probe_server_->Start());
  MCK8S_ASSIGN_OR_RETURN(
      grpc_server_,
      GrpcServer::Start({.bind_address = options_.grpc_bind_address,
                         .tls_cert_file = options_.tls_cert_file,
                         .tls_key_file = options_.tls_key_file,
                         .tls_client_ca_file = options_.tls_client_ca_file},
                        grpc_services_, registry_));
  return absl::OkStatus();
}

void ServiceRuntime::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  // Load balancers and the kubelet see not-ready first, then calls drain,
  // then the service's own parts stop, then the endpoints go away.
  probes_.SetShuttingDown();
  if (grpc_server_ != nullptr) grpc_server_->Shutdown(options_.shutdown_grace_period);
  for (auto it = shutdown_hooks_.rbegin(); it != shutdown_hooks_.rend(); ++it) {
    (*it)();
  }
  if (probe_server_ != nullptr) probe_server_->Stop();
  if (metrics_server_ != nullptr) metrics_server_->Stop();
}

int ServiceRuntime::metrics_port() const {
  return metrics_server_ ? metrics_server_->port() : 0;
}
int ServiceRuntime::health_probe_port() const {
  return probe_server_ ? probe_server_->port() : 0;
}
int ServiceRuntime::grpc_port() const { return grpc_server_ ? grpc_server_->port() : 0; }

int RunServiceMain(int argc, char** argv, const ServiceSpec& spec,
                   const ServiceInit& init) {
  // Debian's Abseil checks lock order on every Mutex acquisition (it is
  // built with its deadlock detection on), a global graph update that cost
  // the scheduler's gRPC path several percent. Tests keep the check;
  // services run without it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Before any thread exists, so that only the waiter receives the signals.
  ShutdownSignal& shutdown = ShutdownSignal::Install();

  ServiceOptions options;
  FlagSet flags(spec.binary, spec.description);
  RegisterServiceFlags(spec, flags, options);
  if (spec.register_flags) spec.register_flags(flags);
  if (absl::Status parsed = flags.Parse(argc, argv); !parsed.ok()) {
    std::cerr << spec.binary << ": " << parsed.message() << "\n"
              << "Run '" << spec.binary << " --help' for usage.\n";
    return 2;
  }
  if (flags.help_requested()) {
    std::cout << flags.Usage();
    return 0;
  }
  if (!flags.positional().empty()) {
    std::cerr << spec.binary << ": unexpected argument \"" << flags.positional()[0]
              << "\"\nRun '" << spec.binary << " --help' for usage.\n";
    return 2;
  }
  absl::StatusOr<LogLevel> level = ParseLogLevel(options.log_level);
  if (!level.ok()) {
    std::cerr << spec.binary << ": invalid value for --log-level: "
              << level.status().message() << "\n";
    return 2;
  }
  log::Init(spec.component, *level);

  auto fail = [&](std::string_view what, const absl::Status& status) {
    log::Error(what, {{"error", std::string(status.message())}});
    std::cerr << spec.binary << ": " << what << ": " << status.message() << "\n";
    return 1;
  };

  absl::StatusOr<std::unique_ptr<ServiceRuntime>> runtime =
      ServiceRuntime::Create(spec, options, Registry::Default());
  if (!runtime.ok()) return fail("invalid configuration", runtime.status());
  if (absl::Status s = init(**runtime, options); !s.ok()) {
    return fail("cannot start", s);
  }
  if (absl::Status s = (*runtime)->Start(); !s.ok()) {
    (*runtime)->Shutdown();
    return fail("cannot serve", s);
  }
  log::Info("started", {{"metrics_port", (*runtime)->metrics_port()},
                        {"health_probe_port", (*runtime)->health_probe_port()},
                        {"grpc_port", (*runtime)->grpc_port()}});

  shutdown.Wait();
  log::Info("shutting down", {{"grace_period", options.shutdown_grace_period}});
  (*runtime)->Shutdown();
  log::Info("stopped");
  return 0;
}

}  // namespace mck8s::runtime
