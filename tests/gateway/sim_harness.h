// The simulator and an in-process gateway for the gateway's integration
// and peer tests.
#ifndef MCK8S_TESTS_GATEWAY_SIM_HARNESS_H_
#define MCK8S_TESTS_GATEWAY_SIM_HARNESS_H_

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "mck8s/gateway/feed.h"
#include "mck8s/gateway/gateway.h"
#include "mck8s/gateway/service.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/config.h"
#include "mck8s/runtime/metrics.h"
#include "process.h"

namespace mck8s::gateway::testing {

using kubeapi::Client;
using kubeapi::Object;
using mck8s::testing::BinaryPath;
using mck8s::testing::Process;
using mck8s::testing::SourcePath;
using mck8s::testing::TempDir;

// A running simulator with the FogGuru testbed.
class Sim {
 public:
  Sim() {
    process_.emplace(Process::Start(
        {BinaryPath("mck8s-sim"), "--testbed", SourcePath("sim/testbeds/fogguru.yaml"), "--listen",
         "127.0.0.1:0", "--kubeconfig-out", kubeconfig(), "--pod-start-delay", "100ms",
         "--bookmark-interval", "500ms"}));
    std::optional<std::string> line = process_->WaitForStdoutLine(
        [](std::string_view l) { return l.find("listening on") != std::string_view::npos; },
        absl::Seconds(60));
    REQUIRE(line.has_value());
    address_ = line->substr(line->rfind(' ') + 1);
    while (!address_.empty() && (address_.back() == '\n' || address_.back() == '\r')) {
      address_.pop_back();
    }
    port_ = std::stoi(address_.substr(address_.rfind(':') + 1));
  }
  ~Sim() {
    process_->Signal(SIGTERM);
    process_->Wait(absl::Seconds(10));
  }
  std::string kubeconfig() const { return dir_.File("kubeconfig"); }
  const std::string& address() const { return address_; }
  int port() const { return port_; }
  std::unique_ptr<Client> Connect(const std::string& context = "management") {
    absl::StatusOr<kubeapi::RestConfig> config =
        kubeapi::LoadKubeconfigFiles({kubeconfig()}, context);
    REQUIRE(config.ok());
    kubeapi::ClientOptions options;
    options.qps = 0;
    options.metrics = &registry_;
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(*config, options);
    REQUIRE(client.ok());
    return *std::move(client);
  }

 private:
  TempDir dir_;
  runtime::Registry registry_;
  std::optional<Process> process_;
  std::string address_;
  int port_ = 0;
};

// The gateway in process, serving ClusterState on a loopback port.
class Harness {
 public:
  explicit Harness(Sim& sim, GatewayOptions options = FastOptions())
      : management_(sim.Connect()), feed_(NewIncarnation()) {
    options.metrics = &registry_;
    options.member_client_options.metrics = &registry_;
    gateway_ = std::make_unique<Gateway>(*management_, feed_, options);
    service_ = std::make_unique<ClusterStateService>(
        feed_, [] { return false; }, absl::Milliseconds(20));
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    REQUIRE(server_ != nullptr);
    grpc::ChannelArguments arguments;
    arguments.SetMaxReceiveMessageSize(-1);
    stub_ = v1::ClusterState::NewStub(grpc::CreateCustomChannel(
        "127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials(), arguments));
    REQUIRE(gateway_->Start().ok());
  }
  ~Harness() {
    feed_.CloseAll();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    gateway_->Stop();
  }

  static GatewayOptions FastOptions() {
    GatewayOptions options;
    options.collection_interval = absl::Milliseconds(300);
    options.unreachable_after = absl::Seconds(2);
    options.request_timeout = absl::Seconds(1);
    options.informer_max_backoff = absl::Milliseconds(500);
    options.batch_window = absl::Milliseconds(20);
    options.watch_idle_timeout = absl::Seconds(2);
    return options;
  }

  // Waits for the first snapshot.
  FleetStatePtr WaitReady() {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (!gateway_->Ready() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    REQUIRE(gateway_->Ready());
    return feed_.Current();
  }

  // Polls the newest state until `predicate` holds or the deadline passes.
  FleetStatePtr WaitFor(const std::function<bool(const FleetState&)>& predicate,
                        absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      FleetStatePtr state = feed_.Current();
      if (state != nullptr && predicate(*state)) return state;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return nullptr;
  }

  Gateway& gateway() { return *gateway_; }
  Feed& feed() { return feed_; }
  v1::ClusterState::Stub& stub() { return *stub_; }
  runtime::Registry& registry() { return registry_; }

 private:
  runtime::Registry registry_;
  std::unique_ptr<Client> management_;
  Feed feed_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<ClusterStateService> service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::ClusterState::Stub> stub_;
};

inline const v1::ClusterStatus* Find(const FleetState& state, const std::string& name) {
  auto it = state.clusters.find(name);
  return it == state.clusters.end() ? nullptr : it->second.get();
}

inline Object Deployment(const std::string& name, int replicas) {
  Object deployment("apps/v1", "Deployment");
  deployment.SetName(name);
  deployment.SetNamespace("default");
  REQUIRE(deployment.SetInt("/spec/replicas", replicas).ok());
  REQUIRE(deployment.SetString("/spec/selector/matchLabels/app", name).ok());
  REQUIRE(deployment.SetString("/spec/template/metadata/labels/app", name).ok());
  Object container;
  REQUIRE(container.SetString("/name", "main").ok());
  REQUIRE(container.SetString("/image", "nginx").ok());
  REQUIRE(container.SetString("/resources/requests/cpu", "250m").ok());
  REQUIRE(container.SetString("/resources/requests/memory", "128Mi").ok());
  REQUIRE(deployment.SetValue("/spec/template/spec/containers/-", container.json()).ok());
  return deployment;
}

}  // namespace mck8s::gateway::testing

#endif  // MCK8S_TESTS_GATEWAY_SIM_HARNESS_H_
