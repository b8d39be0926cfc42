// bench-placement: speed and quality of the placement engine.
//
// Prints one figure per line (`name: value unit`):
//   webster_*                 Webster division of 1,000 replicas
//   model_build_*             building a ClusterModel snapshot (once per feed revision)
//   place_p50_* / place_p99_* Place latency per policy and fleet size (50 nodes per cluster)
//   offload_*, burst_*        Offload and Burst latency
//   pending_share_*           pods left pending on the FogGuru testbed, per policy
//
// Usage: bench-placement [--max-clusters=N]   (default 10000)

#include <cstdlib>
#include <cstring>

#include "benchmarks.h"

int main(int argc, char** argv) {
  int max_clusters = 10000;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--max-clusters=", 15) == 0) {
      max_clusters = std::atoi(argv[i] + 15);
    } else {
      std::fprintf(stderr, "usage: %s [--max-clusters=N]\n", argv[0]);
      return 2;
    }
  }
  mck8s::placement::bench::RunApportionBenchmarks();
  mck8s::placement::bench::RunQualityBenchmarks();
  mck8s::placement::bench::RunEngineBenchmarks(max_clusters);
  return 0;
}
