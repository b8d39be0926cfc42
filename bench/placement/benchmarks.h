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

// Place/Offload/Burst latency on synthetic fleets (engine_bench.cc).
// `max_clusters` bounds the fleet sizes run.
void RunEngineBenchmarks(int max_clusters);

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
