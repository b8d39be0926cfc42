// End-to-end checks of the five service binaries as an operator meets
// them: --help, bad flags, no configuration, and a running process's
// /healthz, /readyz, /metrics (checked by the real promtool), gRPC health,
// and graceful exit on SIGTERM.

#include <signal.h>

#include <catch2/catch.hpp>

#include <grpcpp/grpcpp.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "http_client.h"
#include "process.h"
#include "rapidjson/document.h"

namespace mck8s {
namespace {

using testing::BinaryPath;
using testing::FindTool;
using testing::Process;
using testing::RunCommand;
using testing::TempDir;

struct ServiceCase {
  std::string binary;
  std::vector<std::string> peer_flags;     // flags it must take
  std::vector<std::string> foreign_flags;  // flags it must refuse
  // Ready only after a first full sync with the fleet (the gateway, whose
  // feed must not be served half-built); otherwise ready once started.
  bool ready_after_sync = false;
};

const std::vector<ServiceCase>& Services() {
  static const auto* cases = new std::vector<ServiceCase>{
      {"mck8s-scheduler", {"--cluster-state-address"}, {"--scheduler-address"}},
      {"mck8s-metrics-gateway",
       {},
       {"--scheduler-address", "--cluster-state-address"},
       /*ready_after_sync=*/true},
      {"mck8s-mchpa", {"--cluster-state-address", "--scheduler-address"}, {}},
      {"mck8s-descheduler", {"--cluster-state-address", "--scheduler-address"}, {}},
      {"mck8s-provisioner", {"--cluster-state-address", "--scheduler-address"}, {}},
  };
  return *cases;
}

// An environment with no way to find a cluster: no $KUBECONFIG, a $HOME
// without .kube, not in a pod.
std::map<std::string, std::string> IsolatedEnv(const TempDir& home) {
  return {{"HOME", home.path()}};
}
const std::vector<std::string> kUnset = {"KUBECONFIG", "KUBERNETES_SERVICE_HOST",
                                         "KUBERNETES_SERVICE_PORT"};

TEST_CASE("services: --help documents every shared flag", "[services][e2e]") {
  for (const ServiceCase& service : Services()) {
    INFO(service.binary);
    testing::CommandResult r = RunCommand({BinaryPath(service.binary), "--help"});
    REQUIRE(r.exit_code == 0);
    for (const char* flag :
         {"--kubeconfig", "--leader-elect", "--metrics-bind-address",
          "--health-probe-bind-address", "--grpc-bind-address", "--tls-cert-file",
          "--tls-key-file", "--tls-client-ca-file", "--log-level"}) {
      CHECK_THAT(r.out, Catch::Contains(flag));
    }
    for (const std::string& flag : service.peer_flags) {
      CHECK_THAT(r.out, Catch::Contains(flag));
    }
    for (const std::string& flag : service.foreign_flags) {
      CHECK_THAT(r.out, !Catch::Contains(flag));
    }
  }
}

TEST_CASE("services: unknown flags and bad values are errors", "[services][e2e]") {
  for (const ServiceCase& service : Services()) {
    INFO(service.binary);
    testing::CommandResult unknown = RunCommand({BinaryPath(service.binary), "--bogus"});
    CHECK(unknown.exit_code == 2);
    CHECK_THAT(unknown.err, Catch::Contains("unknown flag: --bogus"));
    testing::CommandResult level =
        RunCommand({BinaryPath(service.binary), "--log-level=loud"});
    CHECK(level.exit_code == 2);
    CHECK_THAT(level.err, Catch::Contains("--log-level"));
    for (const std::string& flag : service.foreign_flags) {
      testing::CommandResult foreign =
          RunCommand({BinaryPath(service.binary), flag + "=127.0.0.1:1"});
      CHECK(foreign.exit_code == 2);
    }
  }
}

TEST_CASE("services: without a kubeconfig outside a cluster they say so and exit 1",
          "[services][e2e]") {
  TempDir home;
  for (const ServiceCase& service : Services()) {
    INFO(service.binary);
    Process p = Process::Start({BinaryPath(service.binary)}, IsolatedEnv(home), kUnset);
    std::optional<int> code = p.Wait(absl::Seconds(30));
    REQUIRE(code.has_value());
    CHECK(*code == 1);
    const std::string err = p.Stderr();
    CHECK_THAT(err, Catch::Contains("unable to load the management cluster's Kubernetes "
                                    "configuration"));
    CHECK_THAT(err, Catch::Contains("$HOME/.kube/config does not exist"));
  }
}

// The ports a started service logged in its "started" line.
struct Ports {
  int metrics = 0;
  int probes = 0;
  int grpc = 0;
};

Ports ParseStarted(const std::string& line) {
  rapidjson::Document doc;
  doc.Parse(line.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return {doc["metrics_port"].GetInt(), doc["health_probe_port"].GetInt(),
          doc["grpc_port"].GetInt()};
}

TEST_CASE("services: a running service serves probes, metrics and gRPC health",
          "[services][e2e]") {
  const std::string promtool = FindTool("promtool", "MCK8S_PROMTOOL");
  INFO("promtool is installed by scripts/setup.sh (Debian package prometheus)");
  REQUIRE_FALSE(promtool.empty());
  TempDir dir;
  // A management cluster that does not answer yet: the services only need
  // to find their configuration to start.
  testing::WriteFile(dir.File("kubeconfig"), R"(apiVersion: v1
kind: Config
current-context: management
clusters: [{name: management, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: admin, user: {token: t}}]
contexts: [{name: management, context: {cluster: management, user: admin}}]
)");
  for (const ServiceCase& service : Services()) {
    INFO(service.binary);
    Process p = Process::Start(
        {BinaryPath(service.binary), "--kubeconfig", dir.File("kubeconfig"),
         "--metrics-bind-address=127.0.0.1:0", "--health-probe-bind-address=127.0.0.1:0",
         "--grpc-bind-address=127.0.0.1:0"},
        IsolatedEnv(dir), kUnset);
    std::optional<std::string> started = p.WaitForStderrLine(
        [](std::string_view l) { return l.find("\"msg\":\"started\"") != l.npos; },
        absl::Seconds(30));
    INFO(p.Stderr());
    REQUIRE(started.has_value());
    const Ports ports = ParseStarted(*started);

    testing::HttpResult healthz = testing::HttpGet("127.0.0.1", ports.probes, "/healthz");
    CHECK(healthz.status == 200);
    CHECK(healthz.body == "ok");
    testing::HttpResult readyz = testing::HttpGet("127.0.0.1", ports.probes, "/readyz?verbose");
    if (service.ready_after_sync) {
      // The management cluster never answers here: not ready, and why.
      CHECK(readyz.status == 500);
      CHECK_THAT(readyz.body, Catch::Contains("[-]first-snapshot failed"));
    } else {
      CHECK(readyz.status == 200);
    }

    testing::HttpResult metrics = testing::HttpGet("127.0.0.1", ports.metrics, "/metrics");
    REQUIRE(metrics.status == 200);
    CHECK(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8");
    CHECK_THAT(metrics.body, Catch::Contains("process_resident_memory_bytes"));
    CHECK_THAT(metrics.body, Catch::Contains("mck8s_build_info{"));
    testing::CommandResult lint = RunCommand({promtool, "check", "metrics"}, metrics.body);
    INFO(lint.out << lint.err);
    CHECK(lint.exit_code == 0);

    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(ports.grpc),
                                       grpc::InsecureChannelCredentials());
    auto stub = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::health::v1::HealthCheckResponse health;
    REQUIRE(stub->Check(&context, {}, &health).ok());
    CHECK(health.status() == grpc::health::v1::HealthCheckResponse::SERVING);

    p.Signal(SIGTERM);
    std::optional<int> code = p.Wait(absl::Seconds(30));
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK_THAT(p.Stderr(), Catch::Contains("\"msg\":\"stopped\""));
  }
}

}  // namespace
}  // namespace mck8s
