// The parts of bench-placement, each printing `name: value unit` lines.

#ifndef MCK8S_BENCH_PLACEMENT_BENCHMARKS_H_
#define MCK8S_BENCH_PLACEMENT_BENCHMARKS_H_

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace mck8s::placement::bench {

// Webster division speed (apportion_bench.cc).
void RunApportionBenchmarks();

struct EngineOptions {
  // Fleet sizes above this are not run.
  int max_clusters = 10000;
  // When positive, only the fleet of this size is run.
  int only_clusters = 0;
  // When not empty, only latency figures whose name contains it are measured.
  std::string only;
  // When positive, the calls per latency figure (else chosen by fleet size).
  int iterations = 0;
  // Time calls by the thread's CPU time instead of the wall clock.
  bool cpu_time = false;
};

// Place/Offload/Burst latency on synthetic fleets (engine_bench.cc).
void RunEngineBenchmarks(const EngineOptions& options);

// Prints a line per decision of a fixed stream of Place requests on the
// synthetic fleets (engine_bench.cc): the same output before and after a
// change to the engine shows the change left decisions alone.
void DumpDecisions(const EngineOptions& options);

// Pending-pod share on the FogGuru testbed (quality_bench.cc).
void RunQualityBenchmarks();

// The value at quantile q (0..1) of `samples` (sorted in place).
inline double Quantile(std::vector<double>& samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const size_t index =
      std::min(samples.size() - 1, static_cast<size_t>(q * static_cast<double>(samples.size())));
  return samples[index];
}

inline void Print(const std::string& name, double value, const char* unit) {
  std::printf("%s: %.2f %s\n", name.c_str(), value, unit);
  std::fflush(stdout);
}

}  // namespace mck8s::placement::bench

#endif  // MCK8S_BENCH_PLACEMENT_BENCHMARKS_H_
