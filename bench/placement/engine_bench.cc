// Place, Offload and Burst latency on synthetic fleets of 10 to 10,000
// clusters with 50 nodes each.
//
// The fleet: clusters scattered over a 1,000 km square (RTT 0.5 ms + 2 ms
// per 100 km, known to each cluster's 32 nearest neighbours), 5% of them
// cloud clusters, 2% unreachable, 20% with a tainted control-plane node,
// nodes of 4 to 32 CPUs (4 GiB per CPU) used from 0 to 95%, traffic figures
// on 90%. Requests rotate through replica shapes from 100m/128Mi to
// 4 CPU/8Gi and through clusters, so no two consecutive calls are alike.

#include <chrono>
#include <cmath>
#include <ctime>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmarks.h"
#include "mck8s/placement/engine.h"

namespace mck8s::placement::bench {
namespace {

constexpr int kNodesPerCluster = 50;
constexpr int64_t kMi = int64_t{1} << 20;

struct Fleet {
  std::shared_ptr<const ClusterModel> model;
  double build_ms = 0;
};

Fleet MakeFleet(int count, std::mt19937_64& random) {
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<Cluster> clusters(count);
  std::vector<std::pair<double, double>> position(count);
  const int64_t sizes[] = {4000, 8000, 16000, 32000};
  for (int c = 0; c < count; ++c) {
    Cluster& cluster = clusters[c];
    cluster.name = absl::StrCat("site-", 100000 + c);
    cluster.region = absl::StrCat("region-", c % 20);
    cluster.labels["tier"] = c % 3 == 0 ? "gold" : "silver";
    cluster.kind = unit(random) < 0.05 ? ClusterKind::kCloud : ClusterKind::kFog;
    if (unit(random) < 0.02) cluster.health = Health::kUnreachable;
    if (unit(random) < 0.9) cluster.receive_bytes_per_second = unit(random) * 1e8;
    position[c] = {unit(random) * 1000, unit(random) * 1000};
    const int64_t size = sizes[static_cast<int>(unit(random) * 4)];
    for (int n = 0; n < kNodesPerCluster; ++n) {
      Node node;
      node.name = absl::StrCat("node-", 1000 + n);
      node.allocatable = {.cpu_millis = size, .memory_bytes = size * 4 * kMi, .pods = 110};
      const double cpu_used = unit(random) * 0.95;
      const double memory_used = std::min(0.95, cpu_used + (unit(random) - 0.5) * 0.3);
      node.free = {
          .cpu_millis = static_cast<int64_t>(size * (1 - cpu_used)),
          .memory_bytes = static_cast<int64_t>(size * 4 * kMi * (1 - std::max(0.0, memory_used))),
          .pods = 110 - static_cast<int64_t>(cpu_used * 60)};
      if (n == 0 && c % 5 == 0) {
        node.control_plane = true;
        node.taints.push_back(
            {"node-role.kubernetes.io/control-plane", "", TaintEffect::kNoSchedule});
      }
      cluster.nodes.push_back(std::move(node));
    }
  }
  // RTT to the 32 nearest clusters, both ways.
  std::vector<RttEntry> rtt;
  const int neighbours = std::min(32, count - 1);
  std::vector<std::pair<double, int>> distances(count);
  for (int c = 0; c < count; ++c) {
    for (int o = 0; o < count; ++o) {
      const double dx = position[c].first - position[o].first;
      const double dy = position[c].second - position[o].second;
      distances[o] = {o == c ? 1e18 : std::sqrt(dx * dx + dy * dy), o};
    }
    std::nth_element(distances.begin(), distances.begin() + neighbours, distances.end());
    for (int k = 0; k < neighbours; ++k) {
      const auto [distance, other] = distances[k];
      rtt.push_back({clusters[c].name, clusters[other].name, 0.5 + distance * 0.02});
    }
  }
  // Symmetric, one entry per direction (a pair may be nearest both ways).
  std::vector<RttEntry> symmetric = rtt;
  for (const RttEntry& entry : rtt) {
    symmetric.push_back({entry.to_cluster, entry.from_cluster, entry.rtt_ms});
  }
  std::sort(symmetric.begin(), symmetric.end(), [](const RttEntry& a, const RttEntry& b) {
    return std::tie(a.from_cluster, a.to_cluster) < std::tie(b.from_cluster, b.to_cluster);
  });
  symmetric.erase(std::unique(symmetric.begin(), symmetric.end(),
                              [](const RttEntry& a, const RttEntry& b) {
                                return a.from_cluster == b.from_cluster &&
                                       a.to_cluster == b.to_cluster;
                              }),
                  symmetric.end());

  Fleet fleet;
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::shared_ptr<const ClusterModel>> model =
      ClusterModel::Create(1, std::move(clusters), symmetric);
  fleet.build_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!model.ok()) {
    std::fprintf(stderr, "fleet: %s\n", std::string(model.status().message()).c_str());
    std::abort();
  }
  fleet.model = *std::move(model);
  return fleet;
}

ReplicaRequirements Shape(int i) {
  static const std::pair<int64_t, int64_t> kShapes[] = {
      {250, 512 * kMi}, {500, 1024 * kMi},  {1000, 2048 * kMi}, {2000, 4096 * kMi},
      {100, 128 * kMi}, {4000, 8192 * kMi}, {750, 768 * kMi},   {1500, 3072 * kMi}};
  ReplicaRequirements replica;
  replica.requests.cpu_millis = kShapes[i % 8].first;
  replica.requests.memory_bytes = kShapes[i % 8].second;
  return replica;
}

struct Latency {
  double p50 = 0;
  double p99 = 0;
  double mean = 0;
};

// Wall-clock time, or with `cpu_time` the calling thread's CPU time, which
// leaves out the time other processes on a shared machine take (for
// comparing two builds; the figures the targets speak of are wall-clock).
bool measure_cpu_time = false;

double NowMicros() {
  if (measure_cpu_time) {
    timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) * 1e-3;
  }
  return std::chrono::duration<double, std::micro>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

template <typename Call>
Latency Measure(int iterations, Call&& call) {
  for (int i = 0; i < std::min(iterations / 10 + 1, 200); ++i) call(i);  // warm up
  std::vector<double> samples;
  samples.reserve(iterations);
  double total = 0;
  for (int i = 0; i < iterations; ++i) {
    const double start = NowMicros();
    call(i);
    const double us = NowMicros() - start;
    samples.push_back(us);
    total += us;
  }
  Latency latency;
  latency.mean = total / iterations;
  latency.p50 = Quantile(samples, 0.50);
  latency.p99 = Quantile(samples, 0.99);
  return latency;
}

// Prints `<call>_p50_<what>_<n>_clusters` and the p99 alike.
void Report(const std::string& call, const std::string& what, int clusters,
            const Latency& latency) {
  const std::string suffix =
      absl::StrCat(what.empty() ? "" : "_", what, "_", clusters, "_clusters");
  Print(call + "_p50" + suffix, latency.p50, "us");
  Print(call + "_p99" + suffix, latency.p99, "us");
}

void Check(const absl::StatusOr<Decision>& decision) {
  if (!decision.ok()) {
    std::fprintf(stderr, "decision failed: %s\n", std::string(decision.status().message()).c_str());
    std::abort();
  }
}

}  // namespace

void RunEngineBenchmarks(const EngineOptions& options) {
  const Engine engine = Engine::CreateDefault();
  std::mt19937_64 random(1234);
  volatile int64_t sink = 0;
  measure_cpu_time = options.cpu_time;
  // `stem` as in Report: "place_spread_1000_clusters".
  const auto wanted = [&](std::string_view stem) {
    return options.only.empty() || stem.find(options.only) != std::string_view::npos;
  };
  for (int clusters : {10, 100, 1000, 10000}) {
    if (clusters > options.max_clusters) break;
    // Fleets come from one random stream: a skipped size is still built, so
    // that every size sees the same fleet whatever is skipped.
    const Fleet fleet = MakeFleet(clusters, random);
    if (options.only_clusters > 0 && clusters != options.only_clusters) continue;
    const ClusterModel& model = *fleet.model;
    Print(absl::StrCat("model_build_", clusters, "_clusters"), fleet.build_ms, "ms");
    const auto stem = [&](std::string_view call, std::string_view what) {
      std::string name(call);
      if (!what.empty()) name.append("_").append(what);
      return absl::StrCat(name, "_", clusters, "_clusters");
    };
    const int iterations = options.iterations > 0 ? options.iterations
                           : clusters <= 100      ? 20000
                           : clusters <= 1000     ? 5000
                                                  : 1000;
    const auto name_of = [&](int i) -> const std::string& {
      return model.cluster(static_cast<ClusterIndex>((i * 7919) % clusters)).name;
    };

    struct Ranked {
      const char* name;
      Policy policy;
    };
    for (const Ranked& ranked :
         {Ranked{"worst_fit", Policy::kWorstFit}, Ranked{"best_fit", Policy::kBestFit},
          Ranked{"traffic_aware", Policy::kTrafficAware}}) {
      if (!wanted(stem("place", ranked.name))) continue;
      const Latency latency = Measure(iterations, [&](int i) {
        PlaceRequest request;
        request.workload = {WorkloadKind::kMultiClusterDeployment, "bench", "app"};
        request.replica = Shape(i);
        request.policy = ranked.policy;
        request.replica_count = ReplicasPerLocation{3};
        request.number_of_locations = 2;
        absl::StatusOr<Decision> decision = engine.Place(model, request);
        Check(decision);
        sink = sink + decision->PlacedReplicas();
      });
      Report("place", ranked.name, clusters, latency);
    }
    if (wanted(stem("place", "spread"))) {
      const Latency latency = Measure(iterations, [&](int i) {
        PlaceRequest request;
        request.workload = {WorkloadKind::kMultiClusterDeployment, "bench", "app"};
        request.replica = Shape(i);
        request.policy = Policy::kSpread;
        request.replica_count = ReplicasPerLocation{10};
        absl::StatusOr<Decision> decision = engine.Place(model, request);
        Check(decision);
        sink = sink + decision->PlacedReplicas();
      });
      Report("place", "spread", clusters, latency);
    }
    if (wanted(stem("place", "cluster_affinity"))) {
      const Latency latency = Measure(iterations, [&](int i) {
        PlaceRequest request;
        request.workload = {WorkloadKind::kMultiClusterDeployment, "bench", "app"};
        request.replica = Shape(i);
        Locations locations;
        locations.clusters.push_back({name_of(i), 5});
        if (clusters > 1 && name_of(i + 1) != name_of(i)) {
          locations.clusters.push_back({name_of(i + 1), 5});
        }
        request.replica_count = std::move(locations);
        absl::StatusOr<Decision> decision = engine.Place(model, request);
        Check(decision);
        sink = sink + decision->PlacedReplicas();
      });
      Report("place", "cluster_affinity", clusters, latency);
    }
    if (wanted(stem("offload", ""))) {
      const Latency latency = Measure(iterations, [&](int i) {
        OffloadRequest request;
        request.workload = {WorkloadKind::kMultiClusterDeployment, "bench", "app"};
        request.replica = Shape(i);
        request.from_cluster = name_of(i);
        request.replicas = 8;
        request.current_placement = {{name_of(i), 8}};
        absl::StatusOr<Decision> decision = engine.Offload(model, request);
        Check(decision);
        sink = sink + decision->PlacedReplicas();
      });
      Report("offload", "", clusters, latency);
    }
    if (wanted(stem("burst", ""))) {
      const Latency latency = Measure(iterations, [&](int i) {
        BurstRequest request;
        request.workload = {WorkloadKind::kMultiClusterDeployment, "bench", "app"};
        request.replica = Shape(i);
        request.near_cluster = name_of(i);
        request.replicas = 20;
        absl::StatusOr<Decision> decision = engine.Burst(model, request);
        Check(decision);
        sink = sink + decision->PlacedReplicas();
      });
      Report("burst", "", clusters, latency);
    }
    if (clusters == 1000 &&
        (wanted(stem("place", "worst_fit_steady_scale_up")) || wanted(stem("reservations", "")) ||
         wanted(stem("place", "worst_fit_with_500_reservations")) ||
         wanted(stem("place", "worst_fit_explained")))) {
      // A steady re-placement (current placement given), a placement under
      // 500 outstanding reservations, and a fully explained one.
      PlaceRequest base;
      base.workload = {WorkloadKind::kMultiClusterDeployment, "bench", "app"};
      base.replica = Shape(1);
      base.replica_count = ReplicasPerLocation{3};
      base.number_of_locations = 2;
      absl::StatusOr<Decision> first = engine.Place(model, base);
      Check(first);
      PlaceRequest steady = base;
      steady.replica_count = ReplicasPerLocation{4};
      steady.current_placement = first->ByCluster();
      Report("place", "worst_fit_steady_scale_up", clusters, Measure(iterations, [&](int) {
               absl::StatusOr<Decision> decision = engine.Place(model, steady);
               Check(decision);
               sink = sink + decision->PlacedReplicas();
             }));

      // 500 workloads placed back to back, each seeing the others'
      // reservations; then decisions on that ledger.
      Reservations reservations;
      reservations.Reconcile(fleet.model, 0);
      std::vector<double> record_us;
      for (int w = 0; w < 500; ++w) {
        PlaceRequest request = base;
        request.workload.name = absl::StrCat("reserved-", w);
        request.replica = Shape(w);
        absl::StatusOr<Decision> decision =
            engine.Place(model, request, &reservations.deductions());
        Check(decision);
        const auto start = std::chrono::steady_clock::now();
        reservations.Record(*decision, 1);
        record_us.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                .count());
      }
      Print("reservations_record_p50_1000_clusters", Quantile(record_us, 0.5), "us");
      Print("reservations_reconcile_500_workloads_1000_clusters",
            Measure(50, [&](int) { reservations.Reconcile(fleet.model, 0); }).p50, "us");
      Report("place", "worst_fit_with_500_reservations", clusters, Measure(iterations, [&](int i) {
               PlaceRequest request = base;
               request.replica = Shape(i);
               absl::StatusOr<Decision> decision =
                   engine.Place(model, request, &reservations.deductions());
               Check(decision);
               sink = sink + decision->PlacedReplicas();
             }));

      PlaceRequest explained = base;
      explained.explain = true;
      Report("place", "worst_fit_explained", clusters, Measure(500, [&](int i) {
               explained.replica = Shape(i);
               absl::StatusOr<Decision> decision = engine.Place(model, explained);
               Check(decision);
               sink = sink + decision->explanation.clusters.size();
             }));
    }
  }
}

}  // namespace mck8s::placement::bench

namespace mck8s::placement::bench {
namespace {

std::string DecisionLine(const Decision& decision) {
  std::string line = absl::StrCat("requested=", decision.requested_replicas,
                                  " unplaced=", decision.unplaced_replicas, " |");
  for (const Assignment& a : decision.assignments) {
    absl::StrAppend(&line, " ", a.cluster, ":", a.replicas, ":", static_cast<int>(a.reason));
  }
  absl::StrAppend(&line, " | claims");
  for (const NodeClaim& c : decision.claims) {
    absl::StrAppend(&line, " ", c.cluster, "/", c.node, ":", c.replicas);
  }
  absl::StrAppend(&line, " | ", decision.explanation.summary, " | unknown");
  for (const std::string& name : decision.explanation.unknown_clusters) {
    absl::StrAppend(&line, " ", name);
  }
  for (const ClusterExplanation& e : decision.explanation.clusters) {
    absl::StrAppend(&line, "\n    ", e.cluster, " total=", e.total,
                    " max=", e.max_replicas.has_value() ? absl::StrCat(*e.max_replicas) : "-");
    for (const ScorerResult& s : e.scores) absl::StrAppend(&line, " ", s.scorer, "=", s.score);
    if (e.filtered.has_value()) {
      absl::StrAppend(&line, " filtered=", e.filtered->filter, ":", e.filtered->reason, ":",
                      e.filtered->keeps_existing);
    }
    if (e.rtt.has_value())
      absl::StrAppend(&line, " rtt=", e.rtt->origin_cluster, ":", e.rtt->rtt_ms);
  }
  return line;
}

}  // namespace

void DumpDecisions(const EngineOptions& options) {
  const Engine engine = Engine::CreateDefault();
  std::mt19937_64 random(1234);
  for (int clusters : {10, 100, 1000, 10000}) {
    if (clusters > options.max_clusters) break;
    const Fleet fleet = MakeFleet(clusters, random);
    if (options.only_clusters > 0 && clusters != options.only_clusters) continue;
    const ClusterModel& model = *fleet.model;
    std::mt19937_64 requests(99);
    const auto pick = [&](int64_t low, int64_t high) {
      return std::uniform_int_distribution<int64_t>(low, high)(requests);
    };
    const auto any_cluster = [&]() -> const std::string& {
      return model.cluster(static_cast<ClusterIndex>(pick(0, clusters - 1))).name;
    };
    Reservations reservations;
    reservations.Reconcile(fleet.model, 0);
    const int count = clusters >= 10000 ? 60 : 400;
    for (int i = 0; i < count; ++i) {
      for (Policy policy :
           {Policy::kWorstFit, Policy::kBestFit, Policy::kTrafficAware, Policy::kSpread}) {
        PlaceRequest request;
        request.workload = {WorkloadKind::kMultiClusterDeployment, "dump", absl::StrCat("w", i)};
        request.replica = Shape(static_cast<int>(pick(0, 7)));
        if (pick(0, 9) == 0) request.replica.requests.pods = pick(2, 3);
        if (pick(0, 9) == 0) request.replica.requests.cpu_millis = 0;
        if (pick(0, 19) == 0) {
          request.replica.node_tolerations.push_back({"node-role.kubernetes.io/control-plane",
                                                      TolerationOperator::kExists, "", std::nullopt,
                                                      std::nullopt});
        }
        request.policy = policy;
        const int64_t per = pick(0, 4) == 0 ? pick(50, 3000) : pick(1, 12);
        request.replica_count = ReplicasPerLocation{static_cast<int32_t>(per)};
        request.number_of_locations = static_cast<int32_t>(pick(0, 4));
        if (pick(0, 3) == 0) {
          for (int p = 0; p < pick(1, 3); ++p) request.preferred_clusters.push_back(any_cluster());
        }
        if (pick(0, 3) == 0) {
          for (int c = 0; c < pick(1, 4); ++c)
            request.current_placement[any_cluster()] = pick(1, 9);
        }
        if (pick(0, 9) == 0) request.allow_cloud = false;
        if (pick(0, 9) == 0) request.constraints.excluded.push_back(any_cluster());
        request.explain = clusters <= 100 && pick(0, 3) == 0;
        const bool reserved = pick(0, 2) == 0;
        absl::StatusOr<Decision> decision =
            engine.Place(model, request, reserved ? &reservations.deductions() : nullptr);
        std::printf("%d %s %d%s: ", clusters, std::string(PolicyName(policy)).c_str(), i,
                    reserved ? " reserved" : "");
        if (!decision.ok()) {
          std::printf("error %s\n", std::string(decision.status().message()).c_str());
          continue;
        }
        std::printf("%s\n", DecisionLine(*decision).c_str());
        if (pick(0, 3) == 0) reservations.Record(*decision, 1);
      }
    }
  }
}

}  // namespace mck8s::placement::bench
