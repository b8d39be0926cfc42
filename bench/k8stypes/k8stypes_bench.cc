// bench-k8stypes: throughput of the Kubernetes value types on the hot paths
// of the placement engine and the simulator (parsing every pod's requests,
// selecting pods by label).
//
//   bench-k8stypes [iterations]     (default 2000000)
//
// Prints one figure per line, "name: value unit".

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "mck8s/k8stypes/label_selector.h"
#include "mck8s/k8stypes/quantity.h"

namespace {

using mck8s::k8stypes::LabelSelector;
using mck8s::k8stypes::Quantity;
using Clock = std::chrono::steady_clock;

// A realistic mix: what pod specs and node capacities are made of.
constexpr std::string_view kQuantities[] = {
    "100m", "250m", "500m", "1",    "2",     "1.5",   "0.5",   "128Mi",
    "256Mi", "512Mi", "1Gi", "2Gi", "1.5Gi", "4G",    "1e3",   "110",
    "16",   "64Gi",  "3800m", "1000M", "7.5Gi", "10Ki", "0.1m", "100n",
};

constexpr std::string_view kSelectors[] = {
    "app=web",
    "app=web,tier in (frontend,backend)",
    "environment notin (dev,test),!canary",
    "app.kubernetes.io/name=shop,app.kubernetes.io/component in (api,worker),release",
};

// Results land here so that the measured work cannot be optimised away.
volatile int64_t sink = 0;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void Report(std::string_view name, double ops, double seconds, std::string_view unit) {
  std::printf("%.*s: %.0f %.*s\n", static_cast<int>(name.size()), name.data(),
              seconds > 0 ? ops / seconds : 0.0, static_cast<int>(unit.size()), unit.data());
}

}  // namespace

int main(int argc, char** argv) {
  int64_t iterations = 2000000;
  if (argc > 1 && (!absl::SimpleAtoi(argv[1], &iterations) || iterations <= 0)) {
    std::fprintf(stderr, "usage: %s [iterations > 0]\n", argv[0]);
    return 2;
  }

  // Quantity::Parse.
  int64_t checksum = 0;
  constexpr size_t kQuantityCount = std::size(kQuantities);
  Clock::time_point start = Clock::now();
  for (int64_t i = 0; i < iterations; ++i) {
    const absl::StatusOr<Quantity> q = Quantity::Parse(kQuantities[i % kQuantityCount]);
    if (!q.ok()) return 1;
    checksum += q->MilliValue() & 1;
  }
  Report("quantity_parse_rate", static_cast<double>(iterations), Seconds(start), "ops/s");

  // Quantity::String.
  std::vector<Quantity> parsed;
  for (std::string_view text : kQuantities) parsed.push_back(*Quantity::Parse(text));
  size_t length = 0;
  start = Clock::now();
  for (int64_t i = 0; i < iterations; ++i) {
    length += parsed[i % parsed.size()].String().size();
  }
  Report("quantity_format_rate", static_cast<double>(iterations), Seconds(start), "ops/s");

  // LabelSelector::Parse.
  constexpr size_t kSelectorCount = std::size(kSelectors);
  const int64_t selector_iterations = iterations / 4;
  start = Clock::now();
  for (int64_t i = 0; i < selector_iterations; ++i) {
    const absl::StatusOr<LabelSelector> s = LabelSelector::Parse(kSelectors[i % kSelectorCount]);
    if (!s.ok()) return 1;
    checksum += static_cast<int64_t>(s->requirements().size());
  }
  Report("label_selector_parse_rate", static_cast<double>(selector_iterations), Seconds(start),
         "ops/s");

  // LabelSelector::Matches against pod-like label sets.
  std::vector<LabelSelector> selectors;
  for (std::string_view text : kSelectors) selectors.push_back(*LabelSelector::Parse(text));
  const std::vector<absl::flat_hash_map<std::string, std::string>> pods = {
      {{"app", "web"}, {"tier", "frontend"}, {"environment", "prod"}},
      {{"app", "web"}, {"tier", "db"}, {"canary", "true"}},
      {{"app.kubernetes.io/name", "shop"}, {"app.kubernetes.io/component", "api"},
       {"release", "v2"}, {"environment", "prod"}},
      {{"app", "batch"}, {"environment", "dev"}},
  };
  int64_t matched = 0;
  start = Clock::now();
  for (int64_t i = 0; i < iterations; ++i) {
    matched += selectors[i % selectors.size()].Matches(pods[(i / 4) % pods.size()]) ? 1 : 0;
  }
  Report("label_selector_match_rate", static_cast<double>(iterations), Seconds(start), "ops/s");

  sink = checksum + static_cast<int64_t>(length) + matched;
  return 0;
}
