// bench-placement: speed and quality of the placement engine.
//
// Prints one figure per line (`name: value unit`):
//   webster_*                 Webster division of 1,000 replicas
//   model_build_*             building a ClusterModel snapshot (once per feed revision)
//   place_p50_* / place_p99_* Place latency per policy and fleet size (50 nodes per cluster)
//   offload_*, burst_*        Offload and Burst latency
//   pending_share_*           pods left pending on the FogGuru testbed, per policy
//
// Usage: bench-placement [--max-clusters=N] [--clusters=N] [--only=NAME] [--iterations=N]
//                       [--cpu-time] [--engine-only] [--dump-decisions]
//   --max-clusters=N  largest fleet size run (default 10000)
//   --clusters=N      only the fleet of N clusters (10, 100, 1000 or 10000)
//   --only=NAME       only the latency figures whose name contains NAME
//                     (e.g. best_fit, spread, offload)
//   --iterations=N    calls per latency figure (default: by fleet size)
//   --cpu-time        time calls by thread CPU time, not wall-clock (leaves
//                     out other processes' time on a shared machine)
//   --engine-only     skip the Webster and quality parts (for profiling)
//   --dump-decisions  print every decision of a fixed request stream instead
//                     of figures (diff two builds' output to check that a
//                     speed change changed no decision)

#include <cstdlib>
#include <cstring>

#include "benchmarks.h"

int main(int argc, char** argv) {
  mck8s::placement::bench::EngineOptions options;
  bool engine_only = false;
  bool dump = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--max-clusters=", 15) == 0) {
      options.max_clusters = std::atoi(argv[i] + 15);
    } else if (std::strncmp(argv[i], "--clusters=", 11) == 0) {
      options.only_clusters = std::atoi(argv[i] + 11);
    } else if (std::strncmp(argv[i], "--only=", 7) == 0) {
      options.only = argv[i] + 7;
    } else if (std::strncmp(argv[i], "--iterations=", 13) == 0) {
      options.iterations = std::atoi(argv[i] + 13);
    } else if (std::strcmp(argv[i], "--cpu-time") == 0) {
      options.cpu_time = true;
    } else if (std::strcmp(argv[i], "--engine-only") == 0) {
      engine_only = true;
    } else if (std::strcmp(argv[i], "--dump-decisions") == 0) {
      dump = true;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--max-clusters=N] [--clusters=N] [--only=NAME] [--iterations=N] "
                   "[--cpu-time] [--engine-only] [--dump-decisions]\n",
                   argv[0]);
      return 2;
    }
  }
  if (dump) {
    mck8s::placement::bench::DumpDecisions(options);
    return 0;
  }
  if (!engine_only) {
    mck8s::placement::bench::RunApportionBenchmarks();
    mck8s::placement::bench::RunQualityBenchmarks();
  }
  mck8s::placement::bench::RunEngineBenchmarks(options);
  return 0;
}
