// mck8sctl: the command-line client of mck8s's gRPC APIs.
//
//   mck8sctl health [--tls-ca-file F] [--service NAME] ADDRESS
//       Asks a service's gRPC health endpoint; exit 0 when SERVING.
//   mck8sctl version
//
// Placement tables and explanations come with the Scheduler's
// implementation.

#include <iostream>
#include <string>

#include <grpcpp/grpcpp.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "mck8s/runtime/flags.h"
#include "mck8s/runtime/grpc_server.h"

namespace {

constexpr char kUsage[] =
    "mck8sctl: the command-line client of mck8s.\n\n"
    "Usage:\n"
    "  mck8sctl health [flags] ADDRESS   ask a service's gRPC health (exit 0 when serving)\n"
    "  mck8sctl version                  print the client version\n\n"
    "Run 'mck8sctl COMMAND --help' for a command's flags.\n";

int Health(int argc, char** argv) {
  using grpc::health::v1::HealthCheckResponse;
  std::string service, ca_file, cert_file, key_file;
  int64_t timeout_seconds = 10;
  mck8s::runtime::FlagSet flags("mck8sctl health",
                                "Asks the gRPC health service at ADDRESS (host:port).");
  flags.AddString("service", &service, "Service to ask about (empty: the whole server).");
  flags.AddString("tls-ca-file", &ca_file, "CA that verifies the server (empty: plaintext).");
  flags.AddString("tls-cert-file", &cert_file, "Client certificate for mutual TLS.");
  flags.AddString("tls-key-file", &key_file, "Key of --tls-cert-file.");
  flags.AddInt("timeout-seconds", &timeout_seconds, "Deadline of the call.");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) {
    std::cerr << "mck8sctl health: " << s.message() << "\n";
    return 2;
  }
  if (flags.help_requested()) {
    std::cout << flags.Usage();
    return 0;
  }
  if (flags.positional().size() != 1) {
    std::cerr << "mck8sctl health: expected one ADDRESS (host:port)\n";
    return 2;
  }
  auto credentials = mck8s::runtime::PeerChannelCredentials(ca_file, cert_file, key_file);
  if (!credentials.ok()) {
    std::cerr << "mck8sctl health: " << credentials.status().message() << "\n";
    return 2;
  }
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(flags.positional()[0], *credentials));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(timeout_seconds));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    std::cerr << "mck8sctl health: " << flags.positional()[0] << ": "
              << status.error_message() << " (code " << status.error_code() << ")\n";
    return 1;
  }
  std::cout << HealthCheckResponse::ServingStatus_Name(response.status()) << "\n";
  return response.status() == HealthCheckResponse::SERVING ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "help") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  if (command == "health") return Health(argc - 1, argv + 1);
  if (command == "version") {
    std::cout << "mck8sctl " << MCK8S_VERSION_STRING << "\n";
    return 0;
  }
  std::cerr << "mck8sctl: unknown command \"" << command << "\"\n\n" << kUsage;
  return 2;
}
