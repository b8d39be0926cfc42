// Webster division speed: 1,000 replicas over 10 to 10,000 clusters.

#include <chrono>
#include <random>
#include <vector>

#include "benchmarks.h"
#include "mck8s/placement/apportion.h"

namespace mck8s::placement::bench {
namespace {

template <typename F>
double MicrosPerCall(int iterations, F&& body) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) body();
  const auto end = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(end - start).count() / iterations;
}

}  // namespace

void RunApportionBenchmarks() {
  std::mt19937 random(42);
  std::uniform_real_distribution<double> weight(1, 400);
  volatile int64_t sink = 0;
  for (int clusters : {10, 100, 1000, 10000}) {
    std::vector<double> weights(clusters);
    std::vector<int64_t> caps(clusters);
    for (int i = 0; i < clusters; ++i) {
      weights[i] = weight(random);
      caps[i] = static_cast<int64_t>(weights[i]);
    }
    const int iterations = clusters >= 10000 ? 20 : 2000;
    const double us =
        MicrosPerCall(iterations, [&] { sink = sink + WebsterApportion(1000, weights, caps)[0]; });
    Print("webster_1000_replicas_" + std::to_string(clusters) + "_clusters", us, "us");
  }
}

}  // namespace mck8s::placement::bench
