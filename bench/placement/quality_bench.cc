// Placement quality on the FogGuru testbed: the share of requested pods
// left pending when a stream of workloads asks for close to the fleet's
// capacity, with each mck8s policy versus an even split of every workload
// across the clusters (what KubeFed does with equal weights; the original
// paper measured 6% pending with mck8s against 65% with KubeFed).
//
// Each workload is an MCD of numberOfLocations 2 with a replica shape drawn
// from a mix (CPU-heavy, memory-heavy, small, large). Placing it:
//  - mck8s: Engine::Place on a snapshot that shows every earlier workload;
//    replicas it cannot place count as pending;
//  - even split: the replicas divided as evenly as possible over the fog
//    clusters, the remainder going to a different cluster each time (kinder
//    than a fixed order).
// Then every member binds its replicas the way kube-scheduler spreads pods
// (one at a time on the node with the most room left); a replica no node can
// take stays pending. Fog only by default: the cloud cluster would hide the
// difference; the `_with_cloud` lines add it (to every split).

#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmarks.h"
#include "mck8s/placement/engine.h"

namespace mck8s::placement::bench {
namespace {

constexpr int64_t kGi = int64_t{1} << 30;
constexpr int64_t kMi = int64_t{1} << 20;

// The testbed of the talk (as in tests/placement/testing.cc).
std::vector<Cluster> FogGuru() {
  std::vector<Cluster> clusters;
  const auto site = [&](const std::string& name, int workers, int64_t cpu, int64_t memory,
                        ClusterKind kind, std::optional<double> traffic) {
    Cluster cluster;
    cluster.name = name;
    cluster.kind = kind;
    cluster.receive_bytes_per_second = traffic;
    Node control_plane;
    control_plane.name = name + "-cp";
    control_plane.allocatable = {.cpu_millis = 2000, .memory_bytes = 4 * kGi, .pods = 110};
    control_plane.free = control_plane.allocatable;
    control_plane.control_plane = true;
    control_plane.taints = {
        {"node-role.kubernetes.io/control-plane", "", TaintEffect::kNoSchedule}};
    cluster.nodes.push_back(control_plane);
    for (int w = 1; w <= workers; ++w) {
      Node node;
      node.name = absl::StrCat(name, "-w", w);
      node.allocatable = {.cpu_millis = cpu, .memory_bytes = memory, .pods = 110};
      node.free = node.allocatable;
      cluster.nodes.push_back(node);
    }
    clusters.push_back(std::move(cluster));
  };
  site("rennes", 5, 4000, 16 * kGi, ClusterKind::kFog, 1.0e6);
  site("nantes", 5, 2000, 4 * kGi, ClusterKind::kFog, 5.0e6);
  site("lille", 5, 2000, 4 * kGi, ClusterKind::kFog, 2.0e6);
  site("grenoble", 5, 2000, 4 * kGi, ClusterKind::kFog, std::nullopt);
  site("luxembourg", 5, 4000, 16 * kGi, ClusterKind::kFog, 3.0e6);
  site("nancy", 3, 8000, 32 * kGi, ClusterKind::kCloud, std::nullopt);
  return clusters;
}

std::vector<RttEntry> FogGuruRtt() {
  const std::vector<std::tuple<std::string, std::string, double>> pairs = {
      {"rennes", "nantes", 2.16},      {"rennes", "lille", 23.26},
      {"rennes", "luxembourg", 27.41}, {"rennes", "nancy", 25.18},
      {"rennes", "grenoble", 17.45},   {"nantes", "lille", 22.21},
      {"nantes", "luxembourg", 26.29}, {"nantes", "nancy", 24.16},
      {"nantes", "grenoble", 16.38},   {"lille", "luxembourg", 11.88},
      {"lille", "nancy", 9.70},        {"lille", "grenoble", 12.06},
      {"luxembourg", "nancy", 2.90},   {"luxembourg", "grenoble", 15.33},
      {"nancy", "grenoble", 13.14}};
  std::vector<RttEntry> rtt;
  for (const auto& [a, b, ms] : pairs) {
    rtt.push_back({a, b, ms});
    rtt.push_back({b, a, ms});
  }
  return rtt;
}

struct Workload {
  Resources per_replica;
  int32_t per_location;
};

// Workloads of numberOfLocations 2 until their CPU reaches `cpu_share` of
// the fog's.
std::vector<Workload> Demand(double cpu_share, int64_t fog_cpu_millis) {
  const Resources shapes[] = {
      {.cpu_millis = 1000, .memory_bytes = 1 * kGi}, {.cpu_millis = 500, .memory_bytes = 512 * kMi},
      {.cpu_millis = 2000, .memory_bytes = 2 * kGi}, {.cpu_millis = 250, .memory_bytes = 3 * kGi},
      {.cpu_millis = 1500, .memory_bytes = 1 * kGi}, {.cpu_millis = 750, .memory_bytes = 2 * kGi},
  };
  std::mt19937 random(2021);
  std::vector<Workload> workloads;
  int64_t cpu = 0;
  const int64_t target = static_cast<int64_t>(cpu_share * static_cast<double>(fog_cpu_millis));
  while (true) {
    Workload workload{shapes[random() % 6], static_cast<int32_t>(1 + random() % 4)};
    const int64_t need = workload.per_replica.cpu_millis * workload.per_location * 2;
    if (cpu + need > target) {
      // Top up with the smallest shape to land on the target.
      const int64_t rest = (target - cpu) / (2 * 250);
      if (rest > 0) workloads.push_back({shapes[3], static_cast<int32_t>(rest)});
      break;
    }
    cpu += need;
    workloads.push_back(workload);
  }
  return workloads;
}

// Binds `replicas` pods on `cluster` like kube-scheduler's spreading; returns
// those no node could take.
int64_t Bind(Cluster& cluster, const Resources& per_replica, int64_t replicas) {
  Resources pod = per_replica;
  pod.pods = 1;
  int64_t pending = 0;
  for (int64_t i = 0; i < replicas; ++i) {
    Node* roomiest = nullptr;
    int64_t best = 0;
    for (Node& node : cluster.nodes) {
      if (!node.taints.empty()) continue;
      const int64_t fit = k8stypes::ReplicasThatFit(node.free, per_replica);
      if (fit > best) {
        best = fit;
        roomiest = &node;
      }
    }
    if (roomiest == nullptr) {
      ++pending;
    } else {
      roomiest->free -= pod;
    }
  }
  return pending;
}

Cluster* Named(std::vector<Cluster>& clusters, const std::string& name) {
  for (Cluster& cluster : clusters) {
    if (cluster.name == name) return &cluster;
  }
  return nullptr;
}

// Pending share (percent) with an mck8s policy.
double WithPolicy(const Engine& engine, Policy policy, const std::vector<Workload>& workloads,
                  bool with_cloud) {
  std::vector<Cluster> fleet = FogGuru();
  const std::vector<RttEntry> rtt = FogGuruRtt();
  int64_t requested = 0;
  int64_t pending = 0;
  for (size_t w = 0; w < workloads.size(); ++w) {
    absl::StatusOr<std::shared_ptr<const ClusterModel>> model =
        ClusterModel::Create(w + 1, fleet, rtt);
    if (!model.ok()) std::abort();
    PlaceRequest request;
    request.workload = {WorkloadKind::kMultiClusterDeployment, "bench", absl::StrCat("app-", w)};
    request.replica.requests = workloads[w].per_replica;
    request.replica_count = ReplicasPerLocation{workloads[w].per_location};
    request.number_of_locations = 2;
    request.policy = policy;
    request.allow_cloud = with_cloud;
    absl::StatusOr<Decision> decision = engine.Place(**model, request);
    if (!decision.ok()) std::abort();
    requested += decision->requested_replicas;
    pending += decision->unplaced_replicas;
    for (const auto& [cluster, replicas] : decision->ByCluster()) {
      pending += Bind(*Named(fleet, cluster), workloads[w].per_replica, replicas);
    }
  }
  return 100.0 * static_cast<double>(pending) / static_cast<double>(requested);
}

// Pending share (percent) with an even split over the fog clusters (and the
// cloud one when `with_cloud`).
double EvenSplit(const std::vector<Workload>& workloads, bool with_cloud) {
  std::vector<Cluster> fleet = FogGuru();
  std::vector<Cluster*> members;
  for (Cluster& cluster : fleet) {
    if (with_cloud || cluster.kind == ClusterKind::kFog) members.push_back(&cluster);
  }
  int64_t requested = 0;
  int64_t pending = 0;
  for (size_t w = 0; w < workloads.size(); ++w) {
    const int64_t total = int64_t{workloads[w].per_location} * 2;
    requested += total;
    const int64_t share = total / static_cast<int64_t>(members.size());
    int64_t remainder = total % static_cast<int64_t>(members.size());
    for (size_t m = 0; m < members.size(); ++m) {
      Cluster* member = members[(m + w) % members.size()];
      const int64_t replicas = share + (remainder > 0 ? 1 : 0);
      if (remainder > 0) --remainder;
      pending += Bind(*member, workloads[w].per_replica, replicas);
    }
  }
  return 100.0 * static_cast<double>(pending) / static_cast<double>(requested);
}

}  // namespace

void RunQualityBenchmarks() {
  const Engine engine = Engine::CreateDefault();
  const int64_t fog_cpu = 2 * 5 * 4000 + 3 * 5 * 2000;  // workers of the five fog sites
  struct Level {
    double share;
    std::string suffix;
  };
  for (const Level& level : {Level{0.95, ""}, Level{0.80, "_at_80pct"}}) {
    const std::vector<Workload> workloads = Demand(level.share, fog_cpu);
    int64_t cpu = 0;
    int64_t replicas = 0;
    for (const Workload& workload : workloads) {
      cpu += workload.per_replica.cpu_millis * workload.per_location * 2;
      replicas += workload.per_location * 2;
    }
    Print("quality_demand_cpu_share_of_fog" + level.suffix,
          100.0 * static_cast<double>(cpu) / static_cast<double>(fog_cpu), "%");
    Print("quality_demand_workloads" + level.suffix, static_cast<double>(workloads.size()), "mcds");
    Print("quality_demand_replicas" + level.suffix, static_cast<double>(replicas), "pods");
    Print("pending_share_even_split" + level.suffix, EvenSplit(workloads, false), "%");
    struct Named {
      const char* name;
      Policy policy;
    };
    for (const Named& named :
         {Named{"worst_fit", Policy::kWorstFit}, Named{"best_fit", Policy::kBestFit},
          Named{"traffic_aware", Policy::kTrafficAware}, Named{"spread", Policy::kSpread}}) {
      Print(absl::StrCat("pending_share_", named.name, level.suffix),
            WithPolicy(engine, named.policy, workloads, false), "%");
    }
    Print("pending_share_even_split_with_cloud" + level.suffix, EvenSplit(workloads, true), "%");
    Print("pending_share_worst_fit_with_cloud" + level.suffix,
          WithPolicy(engine, Policy::kWorstFit, workloads, true), "%");
  }
}

}  // namespace mck8s::placement::bench
