// The control endpoint and fault injection over real HTTP, in process, with
// the controllers running: loads reflected in metrics.k8s.io, nodes added
// and removed (evicted pods recreated, Pending when nothing fits),
// unreachable clusters, injected 5xx / 429 / latency / dropped watches; and
// the exposition checked by the real promtool.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "http_client.h"
#include "mck8s/sim/control.h"
#include "mck8s/sim/controllers.h"
#include "mck8s/sim/fleet.h"
#include "mck8s/sim/http_server.h"
#include "mck8s/sim/json.h"
#include "mck8s/sim/testbed.h"
#include "process.h"

namespace mck8s::sim {
namespace {

using ::mck8s::testing::CommandResult;
using ::mck8s::testing::FindTool;
using ::mck8s::testing::HttpRequest;
using ::mck8s::testing::HttpResult;
using ::mck8s::testing::RunCommand;
using ::mck8s::testing::SourcePath;

constexpr absl::Duration kDeadline = absl::Seconds(20);

// The FogGuru fleet with its controllers, control endpoint and faults.
class Served {
 public:
  Served() : controllers_({}) {
    absl::StatusOr<Testbed> testbed = LoadTestbed(SourcePath("sim/testbeds/fogguru.yaml"));
    REQUIRE(testbed.ok());
    Fleet::Options options;
    options.crds_dir = SourcePath("deploy/helm/mck8s/crds");
    absl::StatusOr<std::unique_ptr<Fleet>> fleet = Fleet::Create(*testbed, options);
    INFO(fleet.status().ToString());
    REQUIRE(fleet.ok());
    fleet_ = std::move(*fleet);
    for (const std::string& name : fleet_->ClusterNames()) controllers_.Add(fleet_->cluster(name));
    REQUIRE(controllers_.Start().ok());
    control_ = std::make_unique<ControlApi>(*fleet_, faults_);
    HttpServer::Options server_options;
    server_options.faults = &faults_;
    server_options.control = [this](const ApiRequest& r) { return control_->Handle(r); };
    Fleet* raw = fleet_.get();
    server_ = std::make_unique<HttpServer>(server_options,
                                           [raw](absl::string_view n) { return raw->Api(n); });
    REQUIRE(server_->Start().ok());
    faults_.SetUnreachableListener(
        [this](const std::string& cluster) { server_->AbortWatches(cluster); });
    REQUIRE(fleet_->Register(absl::StrCat("http://127.0.0.1:", server_->port())).ok());
  }
  ~Served() {
    server_->Stop();
    controllers_.Stop();
  }

  HttpResult Call(const std::string& method, const std::string& target,
                  const std::string& body = "") {
    std::map<std::string, std::string> headers;
    if (!body.empty()) headers["Content-Type"] = "application/json";
    return HttpRequest("127.0.0.1", server_->port(), method, target, body, headers);
  }
  HttpResult Get(const std::string& target) { return Call("GET", target); }
  int port() const { return server_->port(); }
  Fleet& fleet() { return *fleet_; }

  // Polls `done` until it holds or the deadline passes.
  static bool Eventually(const std::function<bool()>& done) {
    const absl::Time deadline = absl::Now() + kDeadline;
    while (absl::Now() < deadline) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return done();
  }

 private:
  std::unique_ptr<Fleet> fleet_;
  ClusterControllers controllers_;
  FaultInjector faults_;
  std::unique_ptr<ControlApi> control_;
  std::unique_ptr<HttpServer> server_;
};

rapidjson::Document Json(const std::string& text) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(text);
  INFO(text);
  REQUIRE(doc.ok());
  return std::move(*doc);
}

std::string DeploymentJson(const std::string& name, int replicas, const std::string& cpu) {
  return absl::StrCat(
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")", name,
      R"("},"spec":{"replicas":)", replicas, R"(,"selector":{"matchLabels":{"app":")", name,
      R"("}},"template":{"metadata":{"labels":{"app":")", name,
      R"("}},"spec":{"containers":[{"name":"main","image":"busybox","resources":{"requests":{"cpu":")",
      cpu, R"("}}}]}}}})");
}

// Pods of `cluster` in `phase` (and, for Running, Ready) with label app=`app`.
int CountPods(Served& served, const std::string& cluster, const std::string& app,
              const std::string& phase) {
  HttpResult r = served.Get(absl::StrCat("/clusters/", cluster,
                                         "/api/v1/namespaces/default/pods?labelSelector=app%3D",
                                         app, "&fieldSelector=status.phase%3D", phase));
  if (r.status != 200) return -1;
  return static_cast<int>(Json(r.body)["items"].Size());
}

// A raw TCP connection to the server, to see exactly what (if anything)
// comes back and when the server closes it.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  ~RawConnection() { ::close(fd_); }

  void Send(const std::string& text) {
    REQUIRE(::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(text.size()));
  }

  // Reads until `done(received)`, the peer closes, or `wait` passes.
  // Returns whether `done` held.
  bool ReadUntil(const std::function<bool(const std::string&)>& done, absl::Duration wait) {
    const absl::Time deadline = absl::Now() + wait;
    while (!done(received_) && !closed_) {
      const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char buffer[4096];
      ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        closed_ = true;
      } else {
        received_.append(buffer, static_cast<size_t>(n));
      }
    }
    return done(received_);
  }
  bool WaitClosed(absl::Duration wait) {
    ReadUntil([](const std::string&) { return false; }, wait);
    return closed_;
  }
  const std::string& received() const { return received_; }
  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  std::string received_;
  bool closed_ = false;
};

std::string RawGet(const std::string& target) {
  return absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
}

TEST_CASE("the control endpoint sets a workload's load and metrics.k8s.io follows",
          "[sim][control]") {
  Served served;
  // The shipped testbed offers 1.5 cores to nantes' default/web.
  REQUIRE(served
              .Call("POST", "/clusters/nantes/apis/apps/v1/namespaces/default/deployments",
                    DeploymentJson("web", 3, "100m"))
              .status == 201);
  const std::string pods_path =
      "/clusters/nantes/apis/metrics.k8s.io/v1beta1/namespaces/default/"
      "pods?labelSelector=app%3Dweb";
  REQUIRE(
      Served::Eventually([&] { return Json(served.Get(pods_path).body)["items"].Size() == 3; }));
  rapidjson::Document before = Json(served.Get(pods_path).body);
  for (const rapidjson::Value& pod : before["items"].GetArray()) {
    CHECK(GetString(pod["containers"][0], {"usage", "cpu"}) == "500000000n");
  }

  HttpResult set = served.Call("PUT", "/sim/v1/clusters/nantes/load",
                               R"({"namespace":"default","deployment":"web","cpu":"900m",
                                   "networkReceive":3000})");
  INFO(set.body);
  REQUIRE(set.status == 200);
  CHECK(set.body ==
        R"([{"namespace":"default","deployment":"web","cpu":"900m","networkReceive":3000}])");
  rapidjson::Document after = Json(served.Get(pods_path).body);
  for (const rapidjson::Value& pod : after["items"].GetArray()) {
    CHECK(GetString(pod["containers"][0], {"usage", "cpu"}) == "300000000n");
  }
  HttpResult state = served.Get("/sim/v1/clusters/nantes");
  REQUIRE(state.status == 200);
  rapidjson::Document s = Json(state.body);
  CHECK(s["reachable"].GetBool());
  CHECK(s["load"].Size() == 1);

  CHECK(served.Call("PUT", "/sim/v1/clusters/nantes/load", R"({"cpu":"1"})").status == 400);
  CHECK(served.Call("PUT", "/sim/v1/clusters/nantes/load", "{not json").status == 400);
  CHECK(served.Call("PUT", "/sim/v1/clusters/atlantis/load", R"({"deployment":"w"})").status ==
        404);
  CHECK(served.Call("DELETE", "/sim/v1/clusters/nantes/load").status == 405);
}

TEST_CASE("removing a node evicts its pods, Pending until a node is added", "[sim][control]") {
  Served served;
  // nantes: 5 workers of 2 CPU; 10 pods of 1 CPU fill them exactly.
  REQUIRE(served
              .Call("POST", "/clusters/nantes/apis/apps/v1/namespaces/default/deployments",
                    DeploymentJson("fill", 10, "1"))
              .status == 201);
  REQUIRE(Served::Eventually([&] { return CountPods(served, "nantes", "fill", "Running") == 10; }));

  HttpResult removed = served.Call("DELETE", "/sim/v1/clusters/nantes/nodes/nantes-worker-3");
  INFO(removed.body);
  REQUIRE(removed.status == 200);
  CHECK(served.Get("/clusters/nantes/api/v1/nodes/nantes-worker-3").status == 404);
  // The Deployment controller recreates the two evicted pods; nothing fits.
  REQUIRE(Served::Eventually([&] {
    return CountPods(served, "nantes", "fill", "Pending") == 2 &&
           CountPods(served, "nantes", "fill", "Running") == 8;
  }));
  CHECK(served.Call("DELETE", "/sim/v1/clusters/nantes/nodes/nantes-worker-3").status == 404);

  HttpResult added =
      served.Call("POST", "/sim/v1/clusters/nantes/nodes", R"({"group":"worker","count":1})");
  INFO(added.body);
  REQUIRE(added.status == 201);
  CHECK(added.body == R"({"added":["nantes-worker-3"]})");
  rapidjson::Document node = Json(served.Get("/clusters/nantes/api/v1/nodes/nantes-worker-3").body);
  CHECK(GetString(node, {"status", "allocatable", "cpu"}) == "2");
  REQUIRE(Served::Eventually([&] { return CountPods(served, "nantes", "fill", "Running") == 10; }));
  CHECK(CountPods(served, "nantes", "fill", "Pending") == 0);

  HttpResult more =
      served.Call("POST", "/sim/v1/clusters/nantes/nodes", R"({"group":"worker","count":2})");
  CHECK(more.body == R"({"added":["nantes-worker-6","nantes-worker-7"]})");
  CHECK(served.Call("POST", "/sim/v1/clusters/nantes/nodes", R"({"group":"gpu"})").status == 404);
  CHECK(served.Call("POST", "/sim/v1/clusters/nantes/nodes", R"({"count":0})").status == 400);
}

TEST_CASE("an unreachable cluster never answers and cuts its watches", "[sim][control]") {
  Served served;
  RawConnection watch(served.port());
  watch.Send(RawGet("/clusters/lille/api/v1/namespaces/default/configmaps?watch=true"));
  REQUIRE(watch.ReadUntil([](const std::string& r) { return absl::StrContains(r, "\r\n\r\n"); },
                          kDeadline));
  CHECK(absl::StartsWith(watch.received(), "HTTP/1.1 200 OK"));

  HttpResult cut =
      served.Call("PUT", "/sim/v1/clusters/lille/reachability", R"({"reachable":false})");
  REQUIRE(cut.status == 200);
  CHECK_FALSE(Json(cut.body)["reachable"].GetBool());
  // The watch ends without the terminating chunk: a broken connection.
  REQUIRE(watch.WaitClosed(kDeadline));
  CHECK_FALSE(absl::EndsWith(watch.received(), "0\r\n\r\n"));

  // Requests hang: nothing comes back while the client waits.
  RawConnection request(served.port());
  request.Send(RawGet("/clusters/lille/version"));
  CHECK_FALSE(
      request.ReadUntil([](const std::string& r) { return !r.empty(); }, absl::Milliseconds(800)));
  CHECK_FALSE(request.closed());
  // Other clusters and the control endpoint still answer.
  CHECK(served.Get("/clusters/nantes/version").status == 200);
  CHECK(served.Get("/sim/v1/clusters").status == 200);

  REQUIRE(
      served.Call("PUT", "/sim/v1/clusters/lille/reachability", R"({"reachable":true})").status ==
      200);
  CHECK(served.Get("/clusters/lille/version").status == 200);
  CHECK(served.Call("PUT", "/sim/v1/clusters/lille/reachability", R"({"reachable":"no"})").status ==
        400);
}

TEST_CASE("injected 5xx, 429 with Retry-After, latency and dropped watches", "[sim][control]") {
  Served served;
  HttpResult set = served.Call("PUT", "/sim/v1/clusters/grenoble/faults",
                               R"({"errorRate":0.5,"errorCode":503})");
  INFO(set.body);
  REQUIRE(set.status == 200);
  std::vector<int> codes;
  for (int i = 0; i < 4; ++i) codes.push_back(served.Get("/clusters/grenoble/api/v1/nodes").status);
  CHECK(codes == std::vector<int>{200, 503, 200, 503});
  HttpResult failed = served.Get("/clusters/grenoble/api/v1/nodes");
  failed = failed.status == 503 ? failed : served.Get("/clusters/grenoble/api/v1/nodes");
  REQUIRE(failed.status == 503);
  rapidjson::Document status = Json(failed.body);
  CHECK(GetString(status, {"kind"}) == "Status");
  CHECK(GetString(status, {"reason"}) == "ServiceUnavailable");
  CHECK(served.Get("/clusters/lille/api/v1/nodes").status == 200);  // other clusters unaffected

  REQUIRE(served
              .Call("PUT", "/sim/v1/clusters/grenoble/faults",
                    R"({"throttleRate":1,"retryAfterSeconds":3})")
              .status == 200);
  HttpResult throttled = served.Get("/clusters/grenoble/api/v1/pods");
  CHECK(throttled.status == 429);
  CHECK(throttled.headers["retry-after"] == "3");
  rapidjson::Document t = Json(throttled.body);
  CHECK(GetString(t, {"reason"}) == "TooManyRequests");
  CHECK(t["details"]["retryAfterSeconds"].GetInt() == 3);

  REQUIRE(
      served
          .Call("PUT", "/sim/v1/clusters/grenoble/faults", R"({"latencyRate":1,"latency":"300ms"})")
          .status == 200);
  absl::Time start = absl::Now();
  CHECK(served.Get("/clusters/grenoble/version").status == 200);
  CHECK(absl::Now() - start >= absl::Milliseconds(300));

  REQUIRE(served
              .Call("PUT", "/sim/v1/clusters/grenoble/faults",
                    R"({"watchDropRate":1,"watchDropAfter":"200ms"})")
              .status == 200);
  RawConnection watch(served.port());
  watch.Send(RawGet("/clusters/grenoble/api/v1/namespaces/default/configmaps?watch=true"));
  REQUIRE(watch.WaitClosed(kDeadline));
  CHECK(absl::StartsWith(watch.received(), "HTTP/1.1 200 OK"));
  CHECK_FALSE(absl::EndsWith(watch.received(), "0\r\n\r\n"));

  HttpResult cleared = served.Call("DELETE", "/sim/v1/clusters/grenoble/faults");
  REQUIRE(cleared.status == 200);
  CHECK(Json(cleared.body)["watchDropRate"].GetDouble() == 0);
  RawConnection kept(served.port());
  kept.Send(RawGet("/clusters/grenoble/api/v1/namespaces/default/configmaps?watch=true"));
  CHECK_FALSE(kept.WaitClosed(absl::Milliseconds(600)));

  CHECK(served.Call("PUT", "/sim/v1/clusters/grenoble/faults", R"({"errorRate":2})").status == 400);
  CHECK(served.Call("PUT", "/sim/v1/clusters/grenoble/faults", R"({"latency":"soon"})").status ==
        400);
}

TEST_CASE("the exposition passes promtool and the RTT ConfigMap is served", "[sim][control]") {
  Served served;
  REQUIRE(served
              .Call("POST", "/clusters/nantes/apis/apps/v1/namespaces/default/deployments",
                    DeploymentJson("web", 2, "100m"))
              .status == 201);
  REQUIRE(Served::Eventually([&] { return CountPods(served, "nantes", "web", "Running") == 2; }));
  const std::string promtool = FindTool("promtool", "PROMTOOL");
  REQUIRE_FALSE(promtool.empty());
  for (const std::string& cluster : served.fleet().ClusterNames()) {
    HttpResult metrics = served.Get(absl::StrCat("/clusters/", cluster, "/metrics"));
    REQUIRE(metrics.status == 200);
    CHECK(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8");
    CommandResult check = RunCommand({promtool, "check", "metrics"}, metrics.body);
    INFO(cluster << ": " << check.out << check.err);
    CHECK(check.exit_code == 0);
    CHECK(check.out + check.err == "");
  }

  HttpResult rtt = served.Get(
      "/clusters/management/api/v1/namespaces/"
      "mck8s-system/configmaps/mck8s-rtt");
  REQUIRE(rtt.status == 200);
  const std::string yaml(GetString(Json(rtt.body), {"data", "rtt.yaml"}));
  absl::StatusOr<Testbed> testbed = LoadTestbed(SourcePath("sim/testbeds/fogguru.yaml"));
  REQUIRE(testbed.ok());
  CHECK(yaml == RttYaml(*testbed));
  CHECK_THAT(yaml, Catch::Contains("nantes: {rennes: 2.16}\n"));
  CHECK_THAT(yaml, Catch::Contains("luxembourg: {management: 27.41, nancy: 2.9, nantes: 26.29, "
                                   "rennes: 27.41}\n"));
}

}  // namespace
}  // namespace mck8s::sim
