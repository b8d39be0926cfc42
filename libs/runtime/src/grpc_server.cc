#include "mck8s/runtime/grpc_server.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include <google/protobuf/descriptor.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/server_interceptor.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/base/strings.h"

namespace mck8s::runtime {
namespace {

// The CamelCase code names go-grpc-prometheus writes in `grpc_code`.
constexpr const char* kCodeNames[] = {
    "OK",           "Canceled",          "Unknown",
    "InvalidArgument", "DeadlineExceeded", "NotFound",
    "AlreadyExists", "PermissionDenied",  "ResourceExhausted",
    "FailedPrecondition", "Aborted",      "OutOfRange",
    "Unimplemented", "Internal",          "Unavailable",
    "DataLoss",     "Unauthenticated"};

const char* CodeName(grpc::StatusCode code) {
  int index = static_cast<int>(code);
  if (index < 0 || index >= static_cast<int>(std::size(kCodeNames))) {
    return "Unknown";
  }
  return kCodeNames[index];
}

const char* TypeName(bool client_streaming, bool server_streaming) {
  if (client_streaming && server_streaming) return "bidi_stream";
  if (client_streaming) return "client_stream";
  if (server_streaming) return "server_stream";
  return "unary";
}

const char* TypeName(grpc::experimental::ServerRpcInfo::Type type) {
  using Type = grpc::experimental::ServerRpcInfo::Type;
  switch (type) {
    case Type::CLIENT_STREAMING: return "client_stream";
    case Type::SERVER_STREAMING: return "server_stream";
    case Type::BIDI_STREAMING: return "bidi_stream";
    default: return "unary";
  }
}

// Splits "/pkg.Service/Method" into its service and method.
std::pair<std::string, std::string> SplitMethod(std::string_view full) {
  if (!full.empty() && full.front() == '/') full.remove_prefix(1);
  size_t slash = full.find('/');
  if (slash == std::string_view::npos) return {std::string(full), ""};
  return {std::string(full.substr(0, slash)), std::string(full.substr(slash + 1))};
}

}  // namespace

struct GrpcServer::Metrics {
  explicit Metrics(Registry& registry)
      : started(registry.AddCounter(
            "grpc_server_started_total",
            "Total number of RPCs started on the server.",
            {"grpc_type", "grpc_service", "grpc_method"})),
        handled(registry.AddCounter(
            "grpc_server_handled_total",
            "Total number of RPCs completed on the server, regardless of "
            "success or failure.",
            {"grpc_type", "grpc_service", "grpc_method", "grpc_code"})),
        received(registry.AddCounter(
            "grpc_server_msg_received_total",
            "Total number of RPC stream messages received on the server.",
            {"grpc_type", "grpc_service", "grpc_method"})),
        sent(registry.AddCounter(
            "grpc_server_msg_sent_total",
            "Total number of gRPC stream messages sent by the server.",
            {"grpc_type", "grpc_service", "grpc_method"})),
        handling(registry.AddHistogram(
            "grpc_server_handling_seconds",
            "Histogram of response latency (seconds) of gRPC that had been "
            "application-level handled by the server.",
            {"grpc_type", "grpc_service", "grpc_method"}, DefaultBuckets())) {}

  // Creates every series of one method at 0, as go-grpc-prometheus does
  // when a service registers, so rates and ratios exist before traffic.
  void Initialize(const std::string& type, const std::string& service,
                  const std::string& method) {
    started.WithLabels({type, service, method});
    received.WithLabels({type, service, method});
    sent.WithLabels({type, service, method});
    handling.WithLabels({type, service, method});
    for (const char* code : kCodeNames) {
      handled.WithLabels({type, service, method, code});
    }
  }

  CounterFamily& started;
  CounterFamily& handled;
  CounterFamily& received;
  CounterFamily& sent;
  HistogramFamily& handling;
};

namespace {

using ServerMetrics = GrpcServer::Metrics;

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(ServerMetrics& metrics,
                     grpc::experimental::ServerRpcInfo* info)
      : metrics_(metrics), start_(absl::Now()) {
    auto [service, method] = SplitMethod(info->method());
    labels_ = {TypeName(info->type()), std::move(service), std::move(method)};
    metrics_.started.WithLabels(labels_).Increment();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using Hook = grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(Hook::POST_RECV_MESSAGE)) {
      metrics_.received.WithLabels(labels_).Increment();
    }
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_MESSAGE)) {
      metrics_.sent.WithLabels(labels_).Increment();
    }
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      metrics_.handled
          .WithLabels({labels_[0], labels_[1], labels_[2],
                       CodeName(status.error_code())})
          .Increment();
      metrics_.handling.WithLabels(labels_).Observe(
          absl::ToDoubleSeconds(absl::Now() - start_));
    }
    methods->Proceed();
  }

 private:
  ServerMetrics& metrics_;
  absl::Time start_;
  std::vector<std::string> labels_;
};

class MetricsInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(ServerMetrics& metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info);
  }

 private:
  ServerMetrics& metrics_;
};

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const GrpcServerOptions& options) {
  const bool has_cert = !options.tls_cert_file.empty();
  const bool has_key = !options.tls_key_file.empty();
  if (has_cert != has_key) {
    return absl::InvalidArgumentError(
        "--tls-cert-file and --tls-key-file must be given together");
  }
  if (!has_cert) {
    if (!options.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--tls-client-ca-file needs --tls-cert-file and --tls-key-file");
    }
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  MCK8S_ASSIGN_OR_RETURN(pair.cert_chain, ReadFileToString(options.tls_cert_file));
  MCK8S_ASSIGN_OR_RETURN(pair.private_key, ReadFileToString(options.tls_key_file));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!options.tls_client_ca_file.empty()) {
    MCK8S_ASSIGN_OR_RETURN(ssl.pem_root_certs,
                           ReadFileToString(options.tls_client_ca_file));
    ssl.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string message = absl::StrCat("cannot read ", path, ": ", std::strerror(err));
    if (err == EACCES) return absl::PermissionDeniedError(message);
    return absl::NotFoundError(message);
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

absl::StatusOr<std::string> NormalizeBindAddress(std::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid bind address \"", ToAbsl(address), "\": expected host:port or :port"));
  }
  std::string_view host = address.substr(0, colon);
  std::string_view port_text = address.substr(colon + 1);
  int port = 0;
  if (!absl::SimpleAtoi(ToAbsl(port_text), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid bind address \"", ToAbsl(address), "\": port must be 0-65535"));
  }
  if (host.empty()) host = "0.0.0.0";
  return absl::StrCat(ToAbsl(host), ":", port);
}

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const GrpcServerOptions& options,
    const std::vector<GrpcServiceRegistration>& services, Registry& registry) {
  std::unique_ptr<GrpcServer> result(new GrpcServer());
  MCK8S_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                         ServerCredentials(options));
  if (options.bind_address == "0") return result;
  MCK8S_ASSIGN_OR_RETURN(std::string address,
                         NormalizeBindAddress(options.bind_address));

  // Families are per registry and shared by every server using it (the
  // registry returns the existing family on a repeated Add).
  result->metrics_ = std::make_unique<ServerMetrics>(registry);
  ServerMetrics& metrics = *result->metrics_;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const GrpcServiceRegistration& registration : services) {
    result->service_names_.push_back(registration.full_name);
    if (const auto* descriptor = pool->FindServiceByName(registration.full_name)) {
      for (int i = 0; i < descriptor->method_count(); ++i) {
        const auto* method = descriptor->method(i);
        metrics.Initialize(
            TypeName(method->client_streaming(), method->server_streaming()),
            registration.full_name, method->name());
      }
    }
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Without this gRPC binds with SO_REUSEPORT, and a second process on the
  // same port would silently take half the calls instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int selected_port = 0;
  builder.AddListeningPort(address, credentials, &selected_port);
  for (const GrpcServiceRegistration& registration : services) {
    builder.RegisterService(registration.service);
  }
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<MetricsInterceptorFactory>(metrics));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  result->server_ = builder.BuildAndStart();
  if (result->server_ == nullptr || selected_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve gRPC on ", address,
                     ": the address is in use or not local"));
  }
  result->port_ = selected_port;
  result->SetServing(true);
  return result;
}

GrpcServer::~GrpcServer() { Shutdown(absl::ZeroDuration()); }

void GrpcServer::SetServing(bool serving) {
  if (server_ == nullptr) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);
  for (const std::string& name : service_names_) {
    health->SetServingStatus(name, serving);
  }
}

void GrpcServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr || shut_down_) return;
  shut_down_ = true;
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    // Also ends the health service's own Watch streams, which would
    // otherwise hold the drain open until the deadline.
    health->Shutdown();
  }
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> PeerChannelCredentials(
    const std::string& ca_file, const std::string& cert_file,
    const std::string& key_file) {
  if (ca_file.empty()) {
    if (!cert_file.empty() || !key_file.empty()) {
      return absl::InvalidArgumentError(
          "a client certificate needs --tls-ca-file to verify the peer");
    }
    return grpc::InsecureChannelCredentials();
  }
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError(
        "the client certificate and key must be given together");
  }
  grpc::SslCredentialsOptions ssl;
  MCK8S_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFileToString(ca_file));
  if (!cert_file.empty()) {
    MCK8S_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadFileToString(cert_file));
    MCK8S_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadFileToString(key_file));
  }
  return grpc::SslCredentials(ssl);
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

}  // namespace mck8s::runtime
