// Peer test: the real Prometheus (Debian's /usr/bin/prometheus) scrapes the
// real mck8s-sim serving the FogGuru testbed, one static job per cluster
// with a `cluster` target label, as a real multi-cluster setup would. The
// allocatable CPU per cluster must be the testbed's, and the rate of the
// cAdvisor CPU counter of a loaded workload must be the load model's.

#include <sys/socket.h>

#include <cmath>
#include <csignal>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "http_client.h"
#include "mck8s/k8stypes/quantity.h"
#include "mck8s/sim/json.h"
#include "mck8s/sim/testbed.h"
#include "process.h"

namespace mck8s::sim {
namespace {

using ::mck8s::testing::BinaryPath;
using ::mck8s::testing::FindTool;
using ::mck8s::testing::HttpGet;
using ::mck8s::testing::HttpRequest;
using ::mck8s::testing::HttpResult;
using ::mck8s::testing::Process;
using ::mck8s::testing::FreeLoopbackPort;
using ::mck8s::testing::SourcePath;
using ::mck8s::testing::TempDir;
using ::mck8s::testing::WriteFile;

constexpr absl::Duration kDeadline = absl::Seconds(60);

std::string UrlEncode(absl::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

// Allocatable CPU (cores) per cluster, from the testbed file.
std::map<std::string, double> ExpectedCpu(const Testbed& testbed) {
  std::map<std::string, double> out;
  auto cores = [](const std::string& q) {
    absl::StatusOr<k8stypes::Quantity> parsed = k8stypes::Quantity::Parse(q);
    REQUIRE(parsed.ok());
    return static_cast<double>(parsed->MilliValue()) / 1000.0;
  };
  for (const TestbedCluster& c : testbed.clusters) {
    double total = 0;
    if (c.control_plane.has_value()) total += cores(c.control_plane->cpu);
    for (const NodeGroup& g : c.node_groups) total += g.count * cores(g.cpu);
    out[c.name] = total;
  }
  return out;
}

// A PromQL instant query: value per `label`, or nullopt when Prometheus is
// not answering yet.
std::optional<std::map<std::string, double>> Query(int port, const std::string& promql,
                                                   const std::string& label) {
  HttpResult r =
      HttpGet("127.0.0.1", port, absl::StrCat("/api/v1/query?query=", UrlEncode(promql)));
  if (r.status != 200) return std::nullopt;
  absl::StatusOr<rapidjson::Document> doc = ParseJson(r.body);
  if (!doc.ok() || GetString(*doc, {"status"}) != "success") return std::nullopt;
  std::map<std::string, double> out;
  const rapidjson::Value* result = Find(*doc, {"data", "result"});
  if (result == nullptr || !result->IsArray()) return std::nullopt;
  for (const rapidjson::Value& sample : result->GetArray()) {
    double v = 0;
    if (!absl::SimpleAtod(GetString(sample["value"][1], {}), &v)) return std::nullopt;
    out[std::string(GetString(sample, {"metric", label}))] = v;
  }
  return out;
}

TEST_CASE("a real Prometheus scrapes the simulated fleet", "[sim][peer]") {
  const std::string prometheus = FindTool("prometheus", "PROMETHEUS");
  REQUIRE_FALSE(prometheus.empty());
  absl::StatusOr<Testbed> testbed = LoadTestbed(SourcePath("sim/testbeds/fogguru.yaml"));
  REQUIRE(testbed.ok());
  // The load model of the shipped testbed for nantes' default/web.
  const WorkloadLoad* web = nullptr;
  for (const WorkloadLoad& w : testbed->load.workloads) {
    if (w.cluster == "nantes" && w.deployment == "web") web = &w;
  }
  REQUIRE(web != nullptr);
  const double offered = static_cast<double>(web->cpu_millis) / 1000.0;

  TempDir dir;
  Process sim =
      Process::Start({BinaryPath("mck8s-sim"), "--testbed", SourcePath("sim/testbeds/fogguru.yaml"),
                      "--listen", "127.0.0.1:0", "--kubeconfig-out", dir.File("kubeconfig"),
                      "--crds", SourcePath("deploy/helm/mck8s/crds"), "--log-level", "warn"});
  std::optional<std::string> line = sim.WaitForStdoutLine(
      [](std::string_view l) { return l.find("listening on 127.0.0.1:") == 0; }, kDeadline);
  INFO(sim.Stderr());
  REQUIRE(line.has_value());
  int sim_port = 0;
  REQUIRE(absl::SimpleAtoi(line->substr(line->rfind(':') + 1), &sim_port));

  // Three web pods in nantes (within its CPU limits, so the offered load is
  // served in full).
  HttpResult created = HttpRequest(
      "127.0.0.1", sim_port, "POST", "/clusters/nantes/apis/apps/v1/namespaces/default/deployments",
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":3,
          "selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
          "spec":{"containers":[{"name":"web","image":"nginx","resources":{"requests":{"cpu":"100m"}}}]}}}})",
      {{"Content-Type", "application/json"}});
  INFO(created.body);
  REQUIRE(created.status == 201);
  // All of them running before the first scrape, so every series starts
  // with the same history.
  auto running = [&] {
    HttpResult pods = HttpGet("127.0.0.1", sim_port,
                              "/clusters/nantes/api/v1/namespaces/default/"
                              "pods?labelSelector=app%3Dweb"
                              "&fieldSelector=status.phase%3DRunning");
    absl::StatusOr<rapidjson::Document> doc = ParseJson(pods.body);
    return pods.status == 200 && doc.ok() && (*doc)["items"].Size() == 3;
  };
  absl::Time started = absl::Now();
  while (!running() && absl::Now() < started + kDeadline) absl::SleepFor(absl::Milliseconds(50));
  REQUIRE(running());

  // Prometheus takes no port 0.
  const int prometheus_port = FreeLoopbackPort(SOCK_STREAM);
  REQUIRE(prometheus_port > 0);
  std::string config =
      "global: {scrape_interval: 1s, evaluation_interval: "
      "1s}\nscrape_configs:\n";
  for (const TestbedCluster& c : testbed->clusters) {
    absl::StrAppend(&config, "  - job_name: sim-", c.name, "\n    metrics_path: /clusters/", c.name,
                    "/metrics\n    static_configs:\n      - targets: ['127.0.0.1:", sim_port,
                    "']\n        labels: {cluster: ", c.name, "}\n");
  }
  WriteFile(dir.File("prometheus.yml"), config);
  Process prom = Process::Start(
      {prometheus, absl::StrCat("--config.file=", dir.File("prometheus.yml")),
       absl::StrCat("--storage.tsdb.path=", dir.File("tsdb")),
       absl::StrCat("--web.listen-address=127.0.0.1:", prometheus_port), "--log.level=warn"});

  const std::map<std::string, double> expected = ExpectedCpu(*testbed);
  std::optional<std::map<std::string, double>> allocatable;
  const absl::Time deadline = absl::Now() + kDeadline;
  while (absl::Now() < deadline) {
    allocatable =
        Query(prometheus_port, R"(sum by (cluster) (kube_node_status_allocatable{resource="cpu"}))",
              "cluster");
    if (allocatable.has_value() && allocatable->size() == expected.size()) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  INFO(prom.Stderr());
  REQUIRE(allocatable.has_value());
  CHECK(*allocatable == expected);
  CHECK(expected.at("nantes") == 12);  // a master and 5 workers of 2 CPU

  // rate() of the cAdvisor counter of nantes' web pods, once each series is
  // older than the rate window (rate() underestimates series younger than
  // its window, whose start it does not extrapolate to): the offered load.
  std::optional<std::map<std::string, double>> samples;
  while (absl::Now() < deadline) {
    samples = Query(
        prometheus_port,
        R"(min by (cluster) (count_over_time(container_cpu_usage_seconds_total{namespace="default",pod=~"web-.*"}[10s])))",
        "cluster");
    if (samples.has_value() && samples->count("nantes") > 0 && samples->at("nantes") >= 8) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  REQUIRE(samples.has_value());
  REQUIRE(samples->count("nantes") == 1);
  REQUIRE(samples->at("nantes") >= 8);
  const std::string rate =
      R"(sum by (cluster) (rate(container_cpu_usage_seconds_total{namespace="default",pod=~"web-.*"}[5s])))";
  std::optional<std::map<std::string, double>> used;
  while (absl::Now() < deadline) {
    used = Query(prometheus_port, rate, "cluster");
    if (used.has_value() && used->count("nantes") > 0) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  REQUIRE(used.has_value());
  REQUIRE(used->count("nantes") == 1);
  CHECK(used->at("nantes") == Approx(offered).epsilon(0.05));
  CHECK(used->size() == 1);  // no other cluster runs web pods

  prom.Signal(SIGTERM);
  CHECK(prom.Wait(absl::Seconds(20)).has_value());
  sim.Signal(SIGTERM);
  CHECK(sim.Wait(absl::Seconds(10)) == 0);
}

}  // namespace
}  // namespace mck8s::sim
