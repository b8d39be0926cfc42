#include "mck8s/runtime/grpc_server.h"

#include <catch2/catch.hpp>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/synchronization/notification.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "mck8s/v1/scheduler.grpc.pb.h"
#include "process.h"

namespace mck8s::runtime {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using testing::RunCommand;
using testing::TempDir;

grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& service, HealthCheckResponse* response) {
  auto stub = Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  HealthCheckRequest request;
  request.set_service(service);
  return stub->Check(&context, request, response);
}

std::shared_ptr<grpc::Channel> Insecure(int port) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                             grpc::InsecureChannelCredentials());
}

// A Scheduler whose Place blocks until released, to observe draining.
class BlockingScheduler final : public mck8s::v1::Scheduler::Service {
 public:
  grpc::Status Place(grpc::ServerContext*, const mck8s::v1::PlaceRequest*,
                     mck8s::v1::PlaceResponse*) override {
    entered.Notify();
    release.WaitForNotification();
    return grpc::Status::OK;
  }
  absl::Notification entered;
  absl::Notification release;
};

TEST_CASE("grpc: bind addresses are normalised or rejected by name", "[runtime][grpc]") {
  CHECK(*NormalizeBindAddress(":9090") == "0.0.0.0:9090");
  CHECK(*NormalizeBindAddress("127.0.0.1:0") == "127.0.0.1:0");
  CHECK(*NormalizeBindAddress("[::1]:9090") == "[::1]:9090");
  for (const char* bad : {"9090", "host:", "host:http", ":70000", ":-1", ""}) {
    INFO(bad);
    absl::StatusOr<std::string> r = NormalizeBindAddress(bad);
    CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("grpc: health and metrics of a running server", "[runtime][grpc]") {
  Registry registry;
  mck8s::v1::Scheduler::Service scheduler;  // every method UNIMPLEMENTED
  auto server = GrpcServer::Start({.bind_address = "127.0.0.1:0"},
                                  {{&scheduler, "mck8s.v1.Scheduler"}}, registry);
  REQUIRE(server.ok());
  REQUIRE((*server)->port() > 0);
  auto channel = Insecure((*server)->port());

  HealthCheckResponse response;
  REQUIRE(CheckHealth(channel, "", &response).ok());
  CHECK(response.status() == HealthCheckResponse::SERVING);
  REQUIRE(CheckHealth(channel, "mck8s.v1.Scheduler", &response).ok());
  CHECK(response.status() == HealthCheckResponse::SERVING);
  CHECK(CheckHealth(channel, "no.such.Service", &response).error_code() ==
        grpc::StatusCode::NOT_FOUND);

  auto stub = mck8s::v1::Scheduler::NewStub(channel);
  grpc::ClientContext context;
  mck8s::v1::PlaceResponse place;
  CHECK(stub->Place(&context, {}, &place).error_code() == grpc::StatusCode::UNIMPLEMENTED);

  (*server)->SetServing(false);
  REQUIRE(CheckHealth(channel, "", &response).ok());
  CHECK(response.status() == HealthCheckResponse::NOT_SERVING);

  const std::string text = registry.Render();
  // Every method of a registered service exists at 0 before any call.
  CHECK_THAT(text, Catch::Contains(
      "grpc_server_started_total{grpc_method=\"Burst\",grpc_service=\"mck8s.v1.Scheduler\","
      "grpc_type=\"unary\"} 0"));
  CHECK_THAT(text, Catch::Contains(
      "grpc_server_handled_total{grpc_code=\"DataLoss\",grpc_method=\"Offload\","
      "grpc_service=\"mck8s.v1.Scheduler\",grpc_type=\"unary\"} 0"));
  CHECK_THAT(text, Catch::Contains(
      "grpc_server_handled_total{grpc_code=\"Unimplemented\",grpc_method=\"Place\","
      "grpc_service=\"mck8s.v1.Scheduler\",grpc_type=\"unary\"} 1"));
  CHECK_THAT(text, Catch::Contains(
      "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Check\","
      "grpc_service=\"grpc.health.v1.Health\",grpc_type=\"unary\"} 3"));
  CHECK_THAT(text, Catch::Contains(
      "grpc_server_handling_seconds_count{grpc_method=\"Place\","
      "grpc_service=\"mck8s.v1.Scheduler\",grpc_type=\"unary\"} 1"));
}

TEST_CASE("grpc: shutdown drains a call in flight", "[runtime][grpc]") {
  Registry registry;
  BlockingScheduler scheduler;
  auto server = GrpcServer::Start({.bind_address = "127.0.0.1:0"},
                                  {{&scheduler, "mck8s.v1.Scheduler"}}, registry);
  REQUIRE(server.ok());
  auto stub = mck8s::v1::Scheduler::NewStub(Insecure((*server)->port()));
  grpc::Status call_status;
  std::thread caller([&] {
    grpc::ClientContext context;
    mck8s::v1::PlaceResponse response;
    call_status = stub->Place(&context, {}, &response);
  });
  scheduler.entered.WaitForNotification();
  std::thread stopper([&] { (*server)->Shutdown(absl::Seconds(30)); });
  scheduler.release.Notify();
  caller.join();
  stopper.join();
  CHECK(call_status.ok());
}

TEST_CASE("grpc: a port in use is Unavailable", "[runtime][grpc]") {
  Registry registry;
  auto first = GrpcServer::Start({.bind_address = "127.0.0.1:0"}, {}, registry);
  REQUIRE(first.ok());
  auto second = GrpcServer::Start(
      {.bind_address = "127.0.0.1:" + std::to_string((*first)->port())}, {}, registry);
  CHECK(second.status().code() == absl::StatusCode::kUnavailable);
}

// A CA, a server certificate for 127.0.0.1 and a client certificate, made
// with the openssl command line for each run.
struct Pki {
  explicit Pki(const TempDir& dir) : dir_(dir) {
    Run({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=mck8s-test-ca", "-keyout", dir.File("ca.key"), "-out", dir.File("ca.crt")});
    Issue("server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    Issue("client", "/CN=mck8s-client", "extendedKeyUsage=clientAuth");
  }
  void Issue(const std::string& name, const std::string& subject, const std::string& ext) {
    Run({"req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout",
         dir_.File(name + ".key"), "-out", dir_.File(name + ".csr")});
    testing::WriteFile(dir_.File(name + ".ext"), ext + "\n");
    Run({"x509", "-req", "-in", dir_.File(name + ".csr"), "-CA", dir_.File("ca.crt"),
         "-CAkey", dir_.File("ca.key"), "-CAcreateserial", "-days", "1", "-extfile",
         dir_.File(name + ".ext"), "-out", dir_.File(name + ".crt")});
  }
  void Run(std::vector<std::string> args) {
    args.insert(args.begin(), testing::FindTool("openssl"));
    testing::CommandResult r = RunCommand(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  const TempDir& dir_;
};

std::shared_ptr<grpc::Channel> Secure(int port, const TempDir& dir, bool with_cert) {
  auto credentials = PeerChannelCredentials(
      dir.File("ca.crt"), with_cert ? dir.File("client.crt") : "",
      with_cert ? dir.File("client.key") : "");
  REQUIRE(credentials.ok());
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port), *credentials);
}

TEST_CASE("grpc: TLS and mutual TLS", "[runtime][grpc][tls]") {
  TempDir dir;
  Pki pki(dir);
  Registry registry;
  HealthCheckResponse response;

  SECTION("TLS: verified clients connect, plaintext clients do not") {
    auto server = GrpcServer::Start({.bind_address = "127.0.0.1:0",
                                     .tls_cert_file = dir.File("server.crt"),
                                     .tls_key_file = dir.File("server.key")},
                                    {}, registry);
    REQUIRE(server.ok());
    CHECK(CheckHealth(Secure((*server)->port(), dir, false), "", &response).ok());
    CHECK_FALSE(CheckHealth(Insecure((*server)->port()), "", &response).ok());
  }
  SECTION("mutual TLS: a client certificate is required") {
    auto server = GrpcServer::Start({.bind_address = "127.0.0.1:0",
                                     .tls_cert_file = dir.File("server.crt"),
                                     .tls_key_file = dir.File("server.key"),
                                     .tls_client_ca_file = dir.File("ca.crt")},
                                    {}, registry);
    REQUIRE(server.ok());
    CHECK(CheckHealth(Secure((*server)->port(), dir, true), "", &response).ok());
    CHECK_FALSE(CheckHealth(Secure((*server)->port(), dir, false), "", &response).ok());
  }
  SECTION("bad TLS settings are named") {
    auto half = GrpcServer::Start(
        {.bind_address = "127.0.0.1:0", .tls_cert_file = dir.File("server.crt")}, {},
        registry);
    CHECK(half.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(half.status().message()), Catch::Contains("--tls-key-file"));
    auto missing = GrpcServer::Start({.bind_address = "127.0.0.1:0",
                                      .tls_cert_file = dir.File("nope.crt"),
                                      .tls_key_file = dir.File("server.key")},
                                     {}, registry);
    CHECK(missing.status().code() == absl::StatusCode::kNotFound);
    CHECK_THAT(std::string(missing.status().message()), Catch::Contains("nope.crt"));
  }
}

TEST_CASE("grpc: status codes map one to one", "[runtime][grpc]") {
  for (int code = 0; code <= 16; ++code) {
    absl::Status s(static_cast<absl::StatusCode>(code), code == 0 ? "" : "why");
    absl::Status back = FromGrpcStatus(ToGrpcStatus(s));
    CHECK(back == s);
  }
}

}  // namespace
}  // namespace mck8s::runtime
