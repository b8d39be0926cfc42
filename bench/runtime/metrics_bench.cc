// Throughput of the metrics registry: how fast a /metrics page of 1,000
// series renders, and how fast two threads can increment one counter.
//
// Usage: bench-runtime [renders] [increments_per_thread]
// Prints one figure per line as `name: value unit`.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "mck8s/runtime/metrics.h"

namespace {

using mck8s::runtime::Counter;
using mck8s::runtime::ExponentialBuckets;
using mck8s::runtime::Registry;
using Clock = std::chrono::steady_clock;

constexpr int kSeries = 1000;

// 1,000 series in the shape of a busy controller: 600 counter series, 300
// gauge series and 100 histogram series of 12 buckets.
void Populate(Registry& registry) {
  auto& reconciles = registry.AddCounter(
      "controller_runtime_reconcile_total",
      "Total number of reconciliations per controller",
      {"controller", "result"});
  auto& requests = registry.AddCounter(
      "rest_client_requests_total",
      "Number of HTTP requests, partitioned by status code, method, and host.",
      {"code", "method", "host"});
  auto& depth = registry.AddGauge("cluster_ready_state",
                                  "Whether the member cluster is ready.",
                                  {"member_cluster"});
  auto& work = registry.AddHistogram(
      "workqueue_work_duration_seconds",
      "How long in seconds processing an item from workqueue takes.",
      {"name", "controller"}, ExponentialBuckets(1e-8, 10, 12));
  int series = 0;
  for (int c = 0; c < 100; ++c) {
    const std::string controller = "controller-" + std::to_string(c);
    for (const char* result : {"success", "error", "requeue", "requeue_after"}) {
      reconciles.WithLabels({controller, result}).Increment(c);
      ++series;
    }
    work.WithLabels({controller, controller}).Observe(c * 1e-4);
    ++series;
  }
  for (int h = 0; h < 200; ++h) {
    requests
        .WithLabels({h % 2 == 0 ? "200" : "404", "GET",
                     "10.0.0." + std::to_string(h) + ":6443"})
        .Increment(h);
    ++series;
  }
  for (int m = 0; m < 300; ++m) {
    depth.WithLabels({"fog-" + std::to_string(m)}).Set(m % 2);
    ++series;
  }
  if (series != kSeries) std::abort();
}

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int renders = argc > 1 ? std::atoi(argv[1]) : 500;
  const long increments = argc > 2 ? std::atol(argv[2]) : 5'000'000;
  if (renders <= 0 || increments <= 0) {
    std::fprintf(stderr, "usage: %s [renders > 0] [increments_per_thread > 0]\n",
                 argv[0]);
    return 2;
  }

  Registry registry;
  Populate(registry);
  size_t bytes = 0;
  const Clock::time_point render_start = Clock::now();
  for (int i = 0; i < renders; ++i) bytes += registry.Render().size();
  const double render_seconds = Seconds(Clock::now() - render_start);

  Counter& shared =
      registry.AddCounter("bench_increments_total", "Increments.")
          .WithLabels({});
  const Clock::time_point increment_start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      for (long i = 0; i < increments; ++i) shared.Increment();
    });
  }
  for (auto& thread : threads) thread.join();
  const double increment_seconds = Seconds(Clock::now() - increment_start);
  if (shared.Value() != 2.0 * static_cast<double>(increments)) {
    std::fprintf(stderr, "lost increments: %.0f\n", shared.Value());
    return 1;
  }

  std::printf("metrics_render_rate: %.1f renders/s\n", renders / render_seconds);
  std::printf("metrics_render_series_rate: %.0f series/s\n",
              renders * static_cast<double>(kSeries) / render_seconds);
  std::printf("metrics_render_page_size: %.0f bytes\n",
              static_cast<double>(bytes) / renders);
  std::printf("counter_increment_rate: %.0f ops/s\n",
              2.0 * static_cast<double>(increments) / increment_seconds);
  return 0;
}
