// Specification of the metrics registry and its text exposition: the exact
// bytes client_golang would write for the same metrics.

#include "mck8s/runtime/metrics.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "mck8s/runtime/process_metrics.h"

namespace mck8s::runtime {
namespace {

struct ChildResult {
  bool aborted = false;
  std::string stderr_text;
};

// Runs `fn` in a forked child and reports whether it aborted, with what it
// wrote to stderr: the contract for programming errors is "abort with a
// message naming the metric".
ChildResult RunInChild(const std::function<void()>& fn) {
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  std::fflush(nullptr);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    fn();
    _exit(0);
  }
  close(pipe_fds[1]);
  ChildResult result;
  char buffer[1024];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0) {
    result.stderr_text.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  result.aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
  return result;
}

TEST_CASE("FormatFloat writes Go's shortest %g form", "[metrics]") {
  struct Row {
    double value;
    const char* want;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Row> table = {
      {1, "1"},
      {0, "0"},
      {-0.0, "-0"},
      {0.005, "0.005"},
      {0.1, "0.1"},
      {100, "100"},
      {123456, "123456"},
      {123456.7, "123456.7"},
      {999999, "999999"},
      {1e6, "1e+06"},
      {1048576, "1.048576e+06"},
      {12345678, "1.2345678e+07"},
      {1e21, "1e+21"},
      {1.5e300, "1.5e+300"},
      {0.0001, "0.0001"},
      {0.000123, "0.000123"},
      {0.00001, "1e-05"},
      {1e-08, "1e-08"},
      {9.999999999999999e-06, "9.999999999999999e-06"},
      {5e-324, "5e-324"},
      {0.1 + 0.2, "0.30000000000000004"},
      {-2.5, "-2.5"},
      {-1234567, "-1.234567e+06"},
      {std::nan(""), "NaN"},
      {inf, "+Inf"},
      {-inf, "-Inf"},
  };
  for (const Row& row : table) {
    INFO("want " << row.want);
    CHECK(FormatFloat(row.value) == row.want);
  }
}

TEST_CASE("ExponentialBuckets matches Go's le strings", "[metrics]") {
  std::vector<std::string> got;
  for (double bound : ExponentialBuckets(1e-8, 10, 12)) {
    got.push_back(FormatFloat(bound));
  }
  const std::vector<std::string> want = {
      "1e-08",  "1e-07", "1e-06", "9.999999999999999e-06",
      "9.999999999999999e-05", "0.001", "0.01", "0.1",
      "1",      "10",    "100",   "1000"};
  CHECK(got == want);

  std::vector<std::string> sizes;
  for (double bound : ExponentialBuckets(0.001, 2, 4)) {
    sizes.push_back(FormatFloat(bound));
  }
  CHECK(sizes == std::vector<std::string>{"0.001", "0.002", "0.004", "0.008"});
  CHECK(LinearBuckets(1, 0.5, 3) == std::vector<double>{1, 1.5, 2});
}

TEST_CASE("DefaultBuckets are client_golang's DefBuckets", "[metrics]") {
  std::vector<std::string> got;
  for (double bound : DefaultBuckets()) got.push_back(FormatFloat(bound));
  CHECK(got == std::vector<std::string>{"0.005", "0.01", "0.025", "0.05",
                                        "0.1", "0.25", "0.5", "1", "2.5", "5",
                                        "10"});
}

TEST_CASE("counters render sorted, escaped and with labels ordered by name",
          "[metrics]") {
  Registry registry;
  auto& requests = registry.AddCounter(
      "requests_total", "Requests by \"path\".\nSecond line: a \\ backslash.",
      {"path", "code"});
  requests.WithLabels({"/b", "200"}).Increment(2);
  requests.WithLabels({"/a\"q\"", "500"}).Increment();
  requests.WithLabels({"line\nbreak\\", "200"});

  CHECK(registry.Render() ==
        "# HELP requests_total Requests by \"path\".\\nSecond line: a \\\\ "
        "backslash.\n"
        "# TYPE requests_total counter\n"
        "requests_total{code=\"200\",path=\"/b\"} 2\n"
        "requests_total{code=\"200\",path=\"line\\nbreak\\\\\"} 0\n"
        "requests_total{code=\"500\",path=\"/a\\\"q\\\"\"} 1\n");
}

TEST_CASE("families render sorted by name and empty ones are omitted",
          "[metrics]") {
  Registry registry;
  registry.AddGauge("zeta_temperature_celsius", "Zeta.").WithLabels({}).Set(
      -1.5);
  registry.AddCounter("unused_total", "No series yet.", {"reason"});
  auto& alpha = registry.AddGauge("alpha_bytes", "Alpha.", {"member_cluster"});
  alpha.WithLabels({"fog-2"}).Set(1048576);
  alpha.WithLabels({"fog-10"}).Set(0.005);
  registry.AddCounter("beta_total", "Beta, never incremented.");

  CHECK(registry.Render() ==
        "# HELP alpha_bytes Alpha.\n"
        "# TYPE alpha_bytes gauge\n"
        "alpha_bytes{member_cluster=\"fog-10\"} 0.005\n"
        "alpha_bytes{member_cluster=\"fog-2\"} 1.048576e+06\n"
        "# HELP beta_total Beta, never incremented.\n"
        "# TYPE beta_total counter\n"
        "beta_total 0\n"
        "# HELP zeta_temperature_celsius Zeta.\n"
        "# TYPE zeta_temperature_celsius gauge\n"
        "zeta_temperature_celsius -1.5\n");
}

TEST_CASE("histograms render cumulative buckets with le last", "[metrics]") {
  Registry registry;
  auto& latency = registry.AddHistogram("op_duration_seconds", "Op latency.",
                                        {"op"}, {0.25, 0.5, 1});
  Histogram& get = latency.WithLabels({"get"});
  for (double v : {0.125, 0.25, 0.75, 3.0}) get.Observe(v);
  latency.WithLabels({"delete"});
  auto& plain = registry.AddHistogram("plain_seconds", "No labels.", {},
                                      {1, std::numeric_limits<double>::infinity()});
  plain.WithLabels({}).Observe(1e6);

  CHECK(get.Count() == 4);
  CHECK(get.Sum() == 4.125);
  CHECK(get.CumulativeCounts() == std::vector<uint64_t>{2, 2, 3, 4});
  CHECK(registry.Render() ==
        "# HELP op_duration_seconds Op latency.\n"
        "# TYPE op_duration_seconds histogram\n"
        "op_duration_seconds_bucket{op=\"delete\",le=\"0.25\"} 0\n"
        "op_duration_seconds_bucket{op=\"delete\",le=\"0.5\"} 0\n"
        "op_duration_seconds_bucket{op=\"delete\",le=\"1\"} 0\n"
        "op_duration_seconds_bucket{op=\"delete\",le=\"+Inf\"} 0\n"
        "op_duration_seconds_sum{op=\"delete\"} 0\n"
        "op_duration_seconds_count{op=\"delete\"} 0\n"
        "op_duration_seconds_bucket{op=\"get\",le=\"0.25\"} 2\n"
        "op_duration_seconds_bucket{op=\"get\",le=\"0.5\"} 2\n"
        "op_duration_seconds_bucket{op=\"get\",le=\"1\"} 3\n"
        "op_duration_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
        "op_duration_seconds_sum{op=\"get\"} 4.125\n"
        "op_duration_seconds_count{op=\"get\"} 4\n"
        "# HELP plain_seconds No labels.\n"
        "# TYPE plain_seconds histogram\n"
        "plain_seconds_bucket{le=\"1\"} 0\n"
        "plain_seconds_bucket{le=\"+Inf\"} 1\n"
        "plain_seconds_sum 1e+06\n"
        "plain_seconds_count 1\n");
}

TEST_CASE("histogram edge values land where client_golang puts them",
          "[metrics]") {
  Histogram histogram({1, 2});
  histogram.Observe(-std::numeric_limits<double>::infinity());
  histogram.Observe(1);  // bounds are inclusive
  histogram.Observe(std::numeric_limits<double>::infinity());
  histogram.Observe(std::nan(""));
  CHECK(histogram.CumulativeCounts() == std::vector<uint64_t>{2, 2, 4});
  CHECK(std::isnan(histogram.Sum()));
  CHECK(Histogram({}).UpperBounds() == DefaultBuckets());
}

TEST_CASE("gauges go up, down, and to the current time", "[metrics]") {
  Gauge gauge;
  gauge.Set(10);
  gauge.Increment();
  gauge.Decrement(3.5);
  CHECK(gauge.Value() == 7.5);
  const double before = std::chrono::duration<double>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  gauge.SetToCurrentTime();
  CHECK(gauge.Value() >= before);
  CHECK(gauge.Value() < before + 60);
}

TEST_CASE("counters ignore negative and NaN deltas", "[metrics]") {
  Counter counter;
  counter.Increment(2.5);
  counter.Increment(-1);
  counter.Increment(std::nan(""));
  CHECK(counter.Value() == 2.5);
}

TEST_CASE("concurrent updates from 8 threads give exact totals",
          "[metrics]") {
  Registry registry;
  auto& counters = registry.AddCounter("events_total", "Events.", {"kind"});
  auto& histograms =
      registry.AddHistogram("work_seconds", "Work.", {"kind"}, {0.25, 1});
  auto& gauges = registry.AddGauge("in_flight", "In flight.", {"kind"});
  constexpr int kThreads = 8;
  constexpr int kIterations = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        // Looked up every time on purpose: creation races with lookups.
        counters.WithLabels({"shared"}).Increment();
        counters.WithLabels({t % 2 == 0 ? "even" : "odd"}).Increment(0.5);
        histograms.WithLabels({"shared"}).Observe(i % 2 == 0 ? 0.5 : 2);
        gauges.WithLabels({"shared"}).Increment();
        gauges.WithLabels({"shared"}).Decrement();
      }
    });
  }
  for (auto& thread : threads) thread.join();

  CHECK(counters.WithLabels({"shared"}).Value() == kThreads * kIterations);
  CHECK(counters.WithLabels({"even"}).Value() == kThreads * kIterations / 4);
  CHECK(counters.WithLabels({"odd"}).Value() == kThreads * kIterations / 4);
  Histogram& histogram = histograms.WithLabels({"shared"});
  CHECK(histogram.Count() == kThreads * kIterations);
  CHECK(histogram.Sum() == kThreads * kIterations / 2 * 2.5);
  CHECK(histogram.CumulativeCounts() ==
        std::vector<uint64_t>{0, kThreads * kIterations / 2,
                              kThreads * kIterations});
  CHECK(gauges.WithLabels({"shared"}).Value() == 0);
}

TEST_CASE("families are shared by name and series survive Remove",
          "[metrics]") {
  Registry registry;
  auto& first = registry.AddCounter("jobs_total", "Jobs.", {"queue"});
  auto& second = registry.AddCounter("jobs_total", "Jobs.", {"queue"});
  CHECK(&first == &second);
  auto& a = registry.AddHistogram("h_seconds", "H.", {}, ExponentialBuckets(1, 2, 3));
  auto& b = registry.AddHistogram("h_seconds", "H.", {}, {1, 2, 4});
  CHECK(&a == &b);

  Counter& fast = first.WithLabels({"fast"});
  fast.Increment(3);
  CHECK(&first.WithLabels(std::vector<std::string>{"fast"}) == &fast);
  first.Remove({"fast"});
  first.Remove({"never-created"});
  fast.Increment();  // still valid, no longer exported
  CHECK(fast.Value() == 4);
  CHECK(registry.Render().find("jobs_total") == std::string::npos);
  CHECK(first.WithLabels({"fast"}).Value() == 0);
  CHECK(registry.Render().find("jobs_total{queue=\"fast\"} 0\n") !=
        std::string::npos);
}

TEST_CASE("label values with invalid UTF-8 are rendered as U+FFFD",
          "[metrics]") {
  Registry registry;
  registry.AddGauge("names_info", "Names.", {"name"})
      .WithLabels({"caf\xC3\xA9"})
      .Set(1);
  registry.AddGauge("names_info", "Names.", {"name"})
      .WithLabels({"bad\xFF\xC3"})
      .Set(1);
  const std::string text = registry.Render();
  CHECK(text.find("names_info{name=\"bad\xEF\xBF\xBD\xEF\xBF\xBD\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("names_info{name=\"caf\xC3\xA9\"} 1\n") != std::string::npos);
}

TEST_CASE("collect callbacks run before every render", "[metrics]") {
  Registry registry;
  Gauge& depth = registry.AddGauge("queue_depth", "Depth.").WithLabels({});
  int runs = 0;
  registry.AddCollectCallback([&] { depth.Set(++runs * 10); });
  CHECK(registry.Render().find("queue_depth 10\n") != std::string::npos);
  CHECK(registry.Render().find("queue_depth 20\n") != std::string::npos);
}

TEST_CASE("programming errors abort with a message naming the metric",
          "[metrics]") {
  struct Row {
    const char* what;
    std::function<void()> fn;
    const char* message;
  };
  const std::vector<Row> table = {
      {"wrong arity",
       [] {
         Registry registry;
         registry.AddCounter("arity_total", "A.", {"a", "b"})
             .WithLabels({"only-one"});
       },
       "arity_total has 2 label(s)"},
      {"invalid metric name",
       [] { Registry().AddGauge("bad-name", "B."); },
       "invalid metric name \"bad-name\""},
      {"reserved metric name",
       [] { Registry().AddGauge("__reserved", "B."); },
       "\"__reserved\""},
      {"invalid label name",
       [] { Registry().AddGauge("ok_gauge", "B.", {"9lives"}); },
       "invalid label name \"9lives\""},
      {"duplicate label name",
       [] { Registry().AddGauge("ok_gauge", "B.", {"a", "a"}); },
       "label name \"a\" appears twice"},
      {"le on a histogram",
       [] { Registry().AddHistogram("h_seconds", "H.", {"le"}, {1}); },
       "h_seconds: label name \"le\" is reserved"},
      {"unsorted buckets",
       [] { Registry().AddHistogram("h_seconds", "H.", {}, {1, 0.5}); },
       "strictly increasing"},
      {"conflicting type",
       [] {
         Registry registry;
         registry.AddCounter("twice_total", "T.");
         registry.AddGauge("twice_total", "T.");
       },
       "twice_total is already registered"},
      {"conflicting labels",
       [] {
         Registry registry;
         registry.AddCounter("twice_total", "T.", {"a"});
         registry.AddCounter("twice_total", "T.", {"b"});
       },
       "twice_total is already registered"},
      {"bad exponential buckets", [] { ExponentialBuckets(0, 2, 3); },
       "ExponentialBuckets"},
  };
  for (const Row& row : table) {
    INFO(row.what);
    const ChildResult result = RunInChild(row.fn);
    CHECK(result.aborted);
    CHECK(result.stderr_text.find(row.message) != std::string::npos);
  }
  // And the harness can tell success apart.
  CHECK_FALSE(RunInChild([] { Registry().AddGauge("fine", "F."); }).aborted);
}

TEST_CASE("process metrics are read from procfs", "[metrics]") {
  const ProcessStats stats = ReadProcessStats();
  REQUIRE(stats.cpu_seconds.has_value());
  REQUIRE(stats.resident_memory_bytes.has_value());
  REQUIRE(stats.virtual_memory_bytes.has_value());
  REQUIRE(stats.open_fds.has_value());
  REQUIRE(stats.max_fds.has_value());
  REQUIRE(stats.threads.has_value());
  REQUIRE(stats.start_time_seconds.has_value());
  CHECK(*stats.resident_memory_bytes > 1024 * 1024);
  CHECK(*stats.virtual_memory_bytes >= *stats.resident_memory_bytes);
  CHECK(*stats.open_fds >= 3);
  CHECK(*stats.max_fds >= *stats.open_fds);
  CHECK(*stats.threads >= 1);
  const double now = std::chrono::duration<double>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  CHECK(*stats.start_time_seconds > now - 24 * 3600);
  CHECK(*stats.start_time_seconds <= now + 1);

  Registry registry;
  RegisterProcessMetrics(registry);
  const std::string text = registry.Render();
  for (const char* line :
       {"# TYPE process_cpu_seconds_total counter\n",
        "# TYPE process_open_fds gauge\n", "# TYPE process_max_fds gauge\n",
        "# TYPE process_virtual_memory_bytes gauge\n",
        "# TYPE process_virtual_memory_max_bytes gauge\n",
        "# TYPE process_resident_memory_bytes gauge\n",
        "# TYPE process_start_time_seconds gauge\n",
        "# TYPE process_threads gauge\n"}) {
    INFO(line);
    CHECK(text.find(line) != std::string::npos);
  }
  // The thread count follows the process.
  std::thread sleeper;
  const double threads_before = *ReadProcessStats().threads;
  std::atomic<bool> release{false};
  sleeper = std::thread([&] {
    while (!release.load()) std::this_thread::yield();
  });
  CHECK(*ReadProcessStats().threads == threads_before + 1);
  release = true;
  sleeper.join();
}

TEST_CASE("build info names the component, version and platform",
          "[metrics]") {
  Registry registry;
  RegisterBuildInfo(registry, "scheduler");
  const std::string text = registry.Render();
  CHECK(text.find("# TYPE mck8s_build_info gauge\n") != std::string::npos);
  CHECK(text.find("mck8s_build_info{compiler=\"") != std::string::npos);
  CHECK(text.find("\",component=\"scheduler\",git_commit=\"") !=
        std::string::npos);
  CHECK(text.find("\",platform=\"linux/") != std::string::npos);
  CHECK(text.find("\",version=\"") != std::string::npos);
  CHECK(text.find("version=\"unknown\"") == std::string::npos);
  CHECK(text.find("\"} 1\n") != std::string::npos);
}

}  // namespace
}  // namespace mck8s::runtime
