// Checks our exposition against the real Prometheus tooling: a registry
// holding every metric set mck8s exports in the Kubernetes conventions
// (controller-runtime reconcile and workqueue, client-go REST client, gRPC
// server, process and build info) must pass `promtool check metrics` with
// no parse error and no lint finding.

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mck8s/runtime/metrics.h"
#include "mck8s/runtime/process_metrics.h"

namespace mck8s::runtime {
namespace {

std::string FindPromtool() {
  if (const char* path = std::getenv("PATH")) {
    std::string_view rest(path);
    while (!rest.empty()) {
      const size_t colon = rest.find(':');
      const std::filesystem::path candidate =
          std::filesystem::path(std::string(rest.substr(0, colon))) /
          "promtool";
      if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  if (access("/usr/bin/promtool", X_OK) == 0) return "/usr/bin/promtool";
  return "";
}

struct PromtoolResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

PromtoolResult RunPromtool(const std::string& promtool,
                           const std::string& exposition) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() /
      ("mck8s-promtool-" + std::to_string(getpid()) + ".prom");
  {
    std::ofstream out(file, std::ios::binary);
    out << exposition;
    REQUIRE(out.good());
  }
  const std::string command =
      "'" + promtool + "' check metrics < '" + file.string() + "' 2>&1";
  std::FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  PromtoolResult result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    result.output.append(buffer, n);
  }
  const int status = pclose(pipe);
  std::filesystem::remove(file);
  REQUIRE(WIFEXITED(status));
  result.exit_code = WEXITSTATUS(status);
  return result;
}

void AddControllerRuntimeMetrics(Registry& registry,
                                 const std::vector<std::string>& controllers) {
  auto& total = registry.AddCounter(
      "controller_runtime_reconcile_total",
      "Total number of reconciliations per controller",
      {"controller", "result"});
  auto& errors = registry.AddCounter(
      "controller_runtime_reconcile_errors_total",
      "Total number of reconciliation errors per controller", {"controller"});
  auto& terminal = registry.AddCounter(
      "controller_runtime_terminal_reconcile_errors_total",
      "Total number of terminal reconciliation errors per controller",
      {"controller"});
  auto& panics = registry.AddCounter(
      "controller_runtime_reconcile_panics_total",
      "Total number of reconciliation panics per controller", {"controller"});
  auto& timeouts = registry.AddCounter(
      "controller_runtime_reconcile_timeouts_total",
      "Total number of reconciliation timeouts per controller",
      {"controller"});
  auto& time = registry.AddHistogram(
      "controller_runtime_reconcile_time_seconds",
      "Length of time per reconciliation per controller", {"controller"},
      {0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4,
       0.45,  0.5,  0.6,   0.7,  0.8, 0.9,  1,   1.25, 1.5, 1.75, 2,
       2.5,   3,    3.5,   4,    4.5, 5,    6,   7,    8,   9,    10,
       15,    20,   25,    30,   40,  50,   60});
  auto& max_concurrent = registry.AddGauge(
      "controller_runtime_max_concurrent_reconciles",
      "Maximum number of concurrent reconciles per controller",
      {"controller"});
  auto& active = registry.AddGauge(
      "controller_runtime_active_workers",
      "Number of currently used workers per controller", {"controller"});
  for (const std::string& controller : controllers) {
    for (const char* result : {"success", "error", "requeue", "requeue_after"}) {
      total.WithLabels({controller, result});
    }
    errors.WithLabels({controller}).Increment();
    total.WithLabels({controller, "error"}).Increment();
    terminal.WithLabels({controller});
    panics.WithLabels({controller});
    timeouts.WithLabels({controller});
    time.WithLabels({controller}).Observe(0.042);
    max_concurrent.WithLabels({controller}).Set(4);
    active.WithLabels({controller}).Set(1);
  }
}

void AddWorkqueueMetrics(Registry& registry,
                         const std::vector<std::string>& controllers) {
  const std::vector<double> buckets = ExponentialBuckets(1e-8, 10, 12);
  auto& depth = registry.AddGauge(
      "workqueue_depth",
      "Current depth of workqueue by workqueue and priority",
      {"name", "controller", "priority"});
  auto& adds = registry.AddCounter("workqueue_adds_total",
                                   "Total number of adds handled by workqueue",
                                   {"name", "controller"});
  auto& queue_duration = registry.AddHistogram(
      "workqueue_queue_duration_seconds",
      "How long in seconds an item stays in workqueue before being requested",
      {"name", "controller"}, buckets);
  auto& work_duration = registry.AddHistogram(
      "workqueue_work_duration_seconds",
      "How long in seconds processing an item from workqueue takes.",
      {"name", "controller"}, buckets);
  auto& unfinished = registry.AddGauge(
      "workqueue_unfinished_work_seconds",
      "How many seconds of work has been done that is in progress and hasn't "
      "been observed by work_duration. Large values indicate stuck threads. "
      "One can deduce the number of stuck threads by observing the rate at "
      "which this increases.",
      {"name", "controller"});
  auto& longest = registry.AddGauge(
      "workqueue_longest_running_processor_seconds",
      "How many seconds has the longest running processor for workqueue been "
      "running.",
      {"name", "controller"});
  auto& retries = registry.AddCounter(
      "workqueue_retries_total",
      "Total number of items added to the workqueue with a non-zero delay "
      "(rate-limited requeues, explicit RequeueAfter or AddAfter calls)",
      {"name", "controller"});
  for (const std::string& controller : controllers) {
    depth.WithLabels({controller, controller, ""}).Set(2);
    adds.WithLabels({controller, controller}).Increment(7);
    queue_duration.WithLabels({controller, controller}).Observe(3e-5);
    work_duration.WithLabels({controller, controller}).Observe(0.02);
    unfinished.WithLabels({controller, controller}).Set(0.5);
    longest.WithLabels({controller, controller}).Set(0.25);
    retries.WithLabels({controller, controller});
  }
}

void AddRestClientMetrics(Registry& registry) {
  const std::vector<double> latency = {0.005, 0.025, 0.1, 0.25, 0.5, 1,
                                       2,     4,     8,   15,   30,  60};
  const std::vector<double> sizes = {64,     256,     512,     1024,
                                     4096,   16384,   65536,   262144,
                                     1048576, 4194304, 16777216};
  const std::string host = "10.96.0.1:443";
  auto& requests = registry.AddCounter(
      "rest_client_requests_total",
      "Number of HTTP requests, partitioned by status code, method, and host.",
      {"code", "method", "host"});
  requests.WithLabels({"200", "GET", host}).Increment(12);
  requests.WithLabels({"<error>", "PATCH", host}).Increment();
  registry
      .AddHistogram("rest_client_request_duration_seconds",
                    "Request latency in seconds. Broken down by verb and host.",
                    {"verb", "host"}, latency)
      .WithLabels({"GET", host})
      .Observe(0.003);
  registry
      .AddHistogram("rest_client_rate_limiter_duration_seconds",
                    "Client side rate limiter latency in seconds. Broken down "
                    "by verb, and host.",
                    {"verb", "host"}, latency)
      .WithLabels({"GET", host})
      .Observe(0);
  registry
      .AddHistogram("rest_client_request_size_bytes",
                    "Request size in bytes. Broken down by verb and host.",
                    {"verb", "host"}, sizes)
      .WithLabels({"PATCH", host})
      .Observe(900);
  registry
      .AddHistogram("rest_client_response_size_bytes",
                    "Response size in bytes. Broken down by verb and host.",
                    {"verb", "host"}, sizes)
      .WithLabels({"GET", host})
      .Observe(2e6);
  registry
      .AddCounter("rest_client_request_retries_total",
                  "Number of request retries, partitioned by status code, "
                  "verb, and host.",
                  {"code", "verb", "host"})
      .WithLabels({"429", "GET", host})
      .Increment();
}

void AddGrpcServerMetrics(Registry& registry) {
  const std::vector<std::string> labels = {"grpc_type", "grpc_service",
                                           "grpc_method"};
  std::vector<std::string> handled_labels = labels;
  handled_labels.push_back("grpc_code");
  auto& started = registry.AddCounter(
      "grpc_server_started_total", "Total number of RPCs started on the server.",
      labels);
  auto& handled = registry.AddCounter(
      "grpc_server_handled_total",
      "Total number of RPCs completed on the server, regardless of success or "
      "failure.",
      handled_labels);
  auto& received = registry.AddCounter(
      "grpc_server_msg_received_total",
      "Total number of RPC stream messages received on the server.", labels);
  auto& sent = registry.AddCounter(
      "grpc_server_msg_sent_total",
      "Total number of gRPC stream messages sent by the server.", labels);
  auto& handling = registry.AddHistogram(
      "grpc_server_handling_seconds",
      "Histogram of response latency (seconds) of gRPC that had been "
      "application-level handled by the server.",
      labels, DefaultBuckets());
  const std::vector<std::vector<std::string>> methods = {
      {"unary", "mck8s.v1.Scheduler", "Place"},
      {"server_stream", "mck8s.v1.ClusterState", "Watch"}};
  for (const auto& method : methods) {
    started.WithLabels(method).Increment();
    received.WithLabels(method).Increment();
    sent.WithLabels(method).Increment(3);
    handling.WithLabels(method).Observe(0.0125);
    for (const char* code :
         {"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded",
          "NotFound", "AlreadyExists", "PermissionDenied", "Unauthenticated",
          "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange",
          "Unimplemented", "Internal", "Unavailable", "DataLoss"}) {
      std::vector<std::string> values = method;
      values.push_back(code);
      handled.WithLabels(values);
    }
  }
}

TEST_CASE("the full metric set passes promtool check metrics", "[promtool]") {
  const std::string promtool = FindPromtool();
  if (promtool.empty()) {
    FAIL("promtool not found on PATH nor at /usr/bin/promtool; install the "
         "Debian package prometheus to run this test");
  }

  Registry registry;
  AddControllerRuntimeMetrics(
      registry, {"multiclusterdeployment", "multiclusterservice",
                 "odd \"name\" with \\ and\nnewline"});
  AddWorkqueueMetrics(registry,
                      {"multiclusterdeployment", "multiclusterservice"});
  AddRestClientMetrics(registry);
  AddGrpcServerMetrics(registry);
  RegisterProcessMetrics(registry);
  RegisterBuildInfo(registry, "scheduler");
  registry
      .AddGauge("leader_election_master_status",
                "Gauge of if the reporting system is master of the relevant "
                "lease, 0 indicates backup, 1 indicates master. 'name' is the "
                "string used to identify the lease. Please make sure to group "
                "by name.",
                {"name"})
      .WithLabels({"mck8s-scheduler"})
      .Set(1);
  const std::string text = registry.Render();
  // Spot checks that the set really is in the file promtool reads.
  for (const char* expected :
       {"workqueue_queue_duration_seconds_bucket{controller=\"multicluster"
        "deployment\",name=\"multiclusterdeployment\",le="
        "\"9.999999999999999e-06\"} 0\n",
        "rest_client_response_size_bytes_bucket{host=\"10.96.0.1:443\","
        "verb=\"GET\",le=\"1.048576e+06\"} 0\n",
        "# TYPE process_cpu_seconds_total counter\n",
        "grpc_server_handled_total{grpc_code=\"DataLoss\","}) {
    INFO(expected);
    CHECK(text.find(expected) != std::string::npos);
  }

  const PromtoolResult result = RunPromtool(promtool, text);
  INFO("promtool output:\n" << result.output);
  CHECK(result.exit_code == 0);
  CHECK(result.output.empty());
}

TEST_CASE("promtool check metrics catches a lint problem", "[promtool]") {
  // The harness must be able to fail: a counter without `_total`.
  const std::string promtool = FindPromtool();
  if (promtool.empty()) FAIL("promtool not found on PATH nor /usr/bin/promtool");
  Registry registry;
  registry.AddCounter("mck8s_placements", "Placements.").WithLabels({});
  const PromtoolResult result = RunPromtool(promtool, registry.Render());
  INFO("promtool output:\n" << result.output);
  CHECK(result.exit_code != 0);
  CHECK(result.output.find("mck8s_placements") != std::string::npos);
}

}  // namespace
}  // namespace mck8s::runtime
