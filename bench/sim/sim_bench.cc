// bench-sim: the simulator's figures (sim/README.md states the targets).
//
//   bench-sim [clusters] [nodes-per-cluster] [seconds]   (default 1000 50 3)
//
// 1. start-up: build a generated fleet of `clusters` members x `nodes`
//    workers, in process; time and resident memory afterwards;
// 2. GETs/s: keep-alive HTTP clients (one per core) fetching one Node, for
//    `seconds`;
// 3. watch delivery: one HTTP watch on ConfigMaps while ConfigMaps are
//    created one after the other; latency from the start of the create to
//    the event read by the client (p50, p99), and events/s of a burst;
// 4. /metrics: the Prometheus exposition of one member cluster with 10
//    running pods per node, fetched over HTTP by one client: renders/s,
//    mean time per render and its size.
//
// Prints one figure per line, "name: value unit".

#include <algorithm>
#include <utility>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "mck8s/sim/fleet.h"
#include "mck8s/sim/http_server.h"
#include "mck8s/sim/json.h"
#include "mck8s/sim/testbed.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

double ResidentMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      int64_t kib = 0;
      absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(6, line.size() - 9)), &kib);
      return kib / 1024.0;
    }
  }
  return 0;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int64_t GetLoad(uint16_t port, const std::string& target, double seconds, int clients) {
  std::atomic<int64_t> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      net::io_context ioc;
      beast::tcp_stream stream(ioc);
      stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
      beast::flat_buffer buffer;
      http::request<http::empty_body> request(http::verb::get, target, 11);
      request.set(http::field::host, "127.0.0.1");
      request.set(http::field::accept, "application/json");
      int64_t mine = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        http::write(stream, request);
        http::response<http::string_body> response;
        http::read(stream, buffer, response);
        if (response.result_int() != 200) {
          std::fprintf(stderr, "GET %s: %d\n", target.c_str(), response.result_int());
          break;
        }
        ++mine;
      }
      done += mine;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (std::thread& t : threads) t.join();
  return done.load();
}

}  // namespace

int main(int argc, char** argv) {
  int clusters = 1000, nodes = 50;
  double seconds = 3;
  if (argc > 1) absl::SimpleAtoi(argv[1], &clusters);
  if (argc > 2) absl::SimpleAtoi(argv[2], &nodes);
  if (argc > 3) absl::SimpleAtod(argv[3], &seconds);

  // 1. Start-up.
  double rss_before = ResidentMiB();
  Clock::time_point start = Clock::now();
  mck8s::sim::Testbed testbed = mck8s::sim::GenerateTestbed(clusters, nodes);
  absl::StatusOr<std::unique_ptr<mck8s::sim::Fleet>> fleet =
      mck8s::sim::Fleet::Create(testbed, {});
  if (!fleet.ok()) {
    std::fprintf(stderr, "fleet: %s\n", fleet.status().ToString().c_str());
    return 1;
  }
  double startup = Seconds(Clock::now() - start);
  std::printf("fleet_clusters: %d clusters\n", clusters + 1);
  std::printf("fleet_nodes: %d nodes\n", clusters * (nodes + 1) + 4);
  std::printf("startup_time: %.2f s\n", startup);
  std::printf("startup_rss: %.0f MiB\n", ResidentMiB());
  std::printf("startup_rss_growth: %.0f MiB\n", ResidentMiB() - rss_before);

  mck8s::sim::Fleet* raw = fleet->get();
  mck8s::sim::HttpServer server({}, [raw](absl::string_view n) { return raw->Api(n); });
  if (absl::Status s = server.Start(); !s.ok()) {
    std::fprintf(stderr, "server: %s\n", s.ToString().c_str());
    return 1;
  }
  const std::string member = raw->ClusterNames().back();

  // 2. GETs per second.
  int cores = std::max(1u, std::thread::hardware_concurrency());
  std::string target = absl::StrCat("/clusters/", member, "/api/v1/nodes/", member, "-worker-1");
  int64_t gets = GetLoad(server.port(), target, seconds, cores);
  std::printf("get_node_throughput: %.0f requests/s\n", gets / seconds);
  std::string list_target = absl::StrCat("/clusters/", member, "/api/v1/nodes");
  int64_t lists = GetLoad(server.port(), list_target, seconds, cores);
  std::printf("list_nodes_throughput: %.0f requests/s\n", lists / seconds);

  // 3. Watch delivery.
  mck8s::sim::Cluster* cluster = raw->cluster(member);
  const mck8s::sim::ResourceType* configmaps = cluster->catalog()->Find("", "v1", "configmaps");
  constexpr int kEvents = 2000;
  std::vector<Clock::time_point> sent(kEvents), received(kEvents);
  std::atomic<int> seen{0};
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server.port()));
  std::string request = absl::StrCat(
      "GET /clusters/", member,
      "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=",
      cluster->store().CurrentResourceVersion(),
      " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n");
  net::write(socket, net::buffer(request));
  std::thread reader([&] {
    std::string pending;
    char buffer[65536];
    while (seen.load() < kEvents) {
      beast::error_code ec;
      size_t n = socket.read_some(net::buffer(buffer), ec);
      if (ec) break;
      Clock::time_point now = Clock::now();
      pending.append(buffer, n);
      size_t line_end;
      while ((line_end = pending.find('\n')) != std::string::npos) {
        std::string line = pending.substr(0, line_end);
        pending.erase(0, line_end + 1);
        size_t at = line.find("\"name\":\"bench-");
        if (line.empty() || line[0] != '{' || at == std::string::npos) continue;
        int index = 0;
        absl::SimpleAtoi(line.substr(at + 14, line.find('"', at + 14) - at - 14), &index);
        if (index >= 0 && index < kEvents) received[index] = now;
        ++seen;
      }
    }
  });
  Clock::time_point burst_start = Clock::now();
  for (int i = 0; i < kEvents; ++i) {
    absl::StatusOr<rapidjson::Document> doc = mck8s::sim::ParseJson(absl::StrCat(
        R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bench-)", i,
        R"("},"data":{"i":")", i, R"("}})"));
    sent[i] = Clock::now();
    if (!cluster->Create(*configmaps, "default", std::move(*doc), {}).ok()) return 1;
    if (i % 10 == 9) {
      // Paced creates measure delivery, not queueing behind a burst.
      while (seen.load() < i + 1 && Clock::now() - sent[i] < std::chrono::seconds(1)) {
        std::this_thread::yield();
      }
    }
  }
  reader.join();
  double burst = Seconds(Clock::now() - burst_start);
  std::vector<double> latency;
  for (int i = 0; i < kEvents; ++i) {
    latency.push_back(std::chrono::duration<double, std::milli>(received[i] - sent[i]).count());
  }
  std::sort(latency.begin(), latency.end());
  std::printf("watch_events: %d events\n", seen.load());
  std::printf("watch_delivery_p50: %.3f ms\n", latency[latency.size() / 2]);
  std::printf("watch_delivery_p99: %.3f ms\n", latency[latency.size() * 99 / 100]);
  std::printf("watch_throughput: %.0f events/s\n", kEvents / burst);

  // 4. /metrics of a member cluster with 10 running pods per node.
  constexpr int kPodsPerNode = 10;
  for (int n = 1; n <= nodes; ++n) {
    for (int p = 0; p < kPodsPerNode; ++p) {
      absl::StatusOr<rapidjson::Document> pod = mck8s::sim::ParseJson(absl::StrCat(
          R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"load-)", n, "-", p,
          R"(","labels":{"app":"load"}},"spec":{"nodeName":")", member, "-worker-", n,
          R"(","containers":[{"name":"main","resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}]},)",
          R"("status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}})"));
      if (!pod.ok() || !cluster->store().Create("pods", "default", std::move(*pod), {}).ok()) {
        return 1;
      }
    }
  }
  const std::string metrics_target = absl::StrCat("/clusters/", member, "/metrics");
  int64_t renders = GetLoad(server.port(), metrics_target, seconds, 1);
  std::printf("metrics_pods: %d pods\n", nodes * kPodsPerNode);
  std::printf("metrics_throughput: %.1f renders/s\n", renders / seconds);
  std::printf("metrics_render_mean: %.2f ms\n", renders > 0 ? seconds * 1000.0 / renders : 0.0);
  mck8s::sim::ApiRequest metrics_request;
  metrics_request.method = "GET";
  metrics_request.path = "/metrics";
  std::printf("metrics_size: %.0f KiB\n",
              raw->Api(member)->Handle(metrics_request).body.size() / 1024.0);
  server.Stop();
  return 0;
}
