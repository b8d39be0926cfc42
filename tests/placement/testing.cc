#include "testing.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "absl/strings/str_cat.h"

namespace mck8s::placement::testing {

Node Worker(std::string name, int64_t cpu_millis, int64_t memory_bytes, int64_t pods) {
  Node node;
  node.name = std::move(name);
  node.allocatable = {.cpu_millis = cpu_millis, .memory_bytes = memory_bytes, .pods = pods};
  node.free = node.allocatable;
  return node;
}

Node ControlPlane(std::string name, int64_t cpu_millis, int64_t memory_bytes) {
  Node node = Worker(std::move(name), cpu_millis, memory_bytes);
  node.control_plane = true;
  node.labels["node-role.kubernetes.io/control-plane"] = "";
  node.taints.push_back({"node-role.kubernetes.io/control-plane", "", TaintEffect::kNoSchedule});
  return node;
}

Cluster FogCluster(std::string name, int workers, int64_t cpu_millis, int64_t memory_bytes) {
  Cluster cluster;
  cluster.name = std::move(name);
  cluster.zone = cluster.name;
  cluster.region = "eu-west";
  cluster.provider = "on-premises";
  cluster.labels["fogguru.eu/site"] = cluster.name;
  for (int i = 1; i <= workers; ++i) {
    cluster.nodes.push_back(Worker(absl::StrCat(cluster.name, "-w", i), cpu_millis, memory_bytes));
  }
  return cluster;
}

std::shared_ptr<const ClusterModel> MustModel(std::vector<Cluster> clusters,
                                              std::vector<RttEntry> rtt, uint64_t revision) {
  absl::StatusOr<std::shared_ptr<const ClusterModel>> model =
      ClusterModel::Create(revision, std::move(clusters), rtt);
  if (!model.ok()) throw std::runtime_error(std::string(model.status().message()));
  return *std::move(model);
}

void AddSymmetricRtt(std::vector<RttEntry>& rtt, const std::string& a, const std::string& b,
                     double rtt_ms) {
  rtt.push_back({a, b, rtt_ms});
  rtt.push_back({b, a, rtt_ms});
}

std::vector<Cluster> FogGuruClusters() {
  std::vector<Cluster> clusters;
  const auto site = [&](const std::string& name, int64_t cpu, int64_t memory) {
    Cluster cluster = FogCluster(name, 5, cpu, memory);
    cluster.nodes.insert(cluster.nodes.begin(), ControlPlane(name + "-cp", 2000, 4 * kGi));
    clusters.push_back(std::move(cluster));
  };
  site("rennes", 4000, 16 * kGi);
  site("nantes", 2000, 4 * kGi);
  site("lille", 2000, 4 * kGi);
  site("grenoble", 2000, 4 * kGi);
  site("luxembourg", 4000, 16 * kGi);
  Cluster nancy = FogCluster("nancy", 3, 8000, 32 * kGi);
  nancy.kind = ClusterKind::kCloud;
  nancy.provider = "openstack";
  nancy.nodes.insert(nancy.nodes.begin(), ControlPlane("nancy-cp", 2000, 4 * kGi));
  clusters.push_back(std::move(nancy));
  return clusters;
}

std::vector<RttEntry> FogGuruRtt() {
  std::vector<RttEntry> rtt;
  AddSymmetricRtt(rtt, "rennes", "nantes", 2.16);
  AddSymmetricRtt(rtt, "rennes", "lille", 23.26);
  AddSymmetricRtt(rtt, "rennes", "luxembourg", 27.41);
  AddSymmetricRtt(rtt, "rennes", "nancy", 25.18);
  AddSymmetricRtt(rtt, "rennes", "grenoble", 17.45);
  AddSymmetricRtt(rtt, "nantes", "lille", 22.21);
  AddSymmetricRtt(rtt, "nantes", "luxembourg", 26.29);
  AddSymmetricRtt(rtt, "nantes", "nancy", 24.16);
  AddSymmetricRtt(rtt, "nantes", "grenoble", 16.38);
  AddSymmetricRtt(rtt, "lille", "luxembourg", 11.88);
  AddSymmetricRtt(rtt, "lille", "nancy", 9.70);
  AddSymmetricRtt(rtt, "lille", "grenoble", 12.06);
  AddSymmetricRtt(rtt, "luxembourg", "nancy", 2.90);
  AddSymmetricRtt(rtt, "luxembourg", "grenoble", 15.33);
  AddSymmetricRtt(rtt, "nancy", "grenoble", 13.14);
  return rtt;
}

std::shared_ptr<const ClusterModel> FogGuru(uint64_t revision) {
  return MustModel(FogGuruClusters(), FogGuruRtt(), revision);
}

ReplicaRequirements OneCpuOneGi() {
  ReplicaRequirements requirements;
  requirements.requests = {.cpu_millis = 1000, .memory_bytes = kGi};
  return requirements;
}

PlaceRequest HelloRequest(ReplicaRequirements requirements) {
  PlaceRequest request;
  request.workload = {WorkloadKind::kMultiClusterDeployment, "default", "hello"};
  request.replica = std::move(requirements);
  return request;
}

std::shared_ptr<const ClusterModel> WithRunning(std::vector<Cluster> clusters,
                                                const std::vector<RttEntry>& rtt,
                                                const WorkloadKey& workload,
                                                const CurrentPlacement& placement,
                                                const Resources& per_replica, uint64_t revision) {
  for (Cluster& cluster : clusters) {
    auto it = placement.find(cluster.name);
    if (it == placement.end() || it->second == 0) continue;
    Resources pod = per_replica;
    pod.pods = std::max<int64_t>(pod.pods, 1);
    for (int32_t i = 0; i < it->second; ++i) {
      Node* roomiest = nullptr;
      for (Node& node : cluster.nodes) {
        if (!node.taints.empty() || !node.schedulable) continue;
        if (k8stypes::ReplicasThatFit(node.free, per_replica) == 0) continue;
        if (roomiest == nullptr || k8stypes::ReplicasThatFit(node.free, per_replica) >
                                       k8stypes::ReplicasThatFit(roomiest->free, per_replica)) {
          roomiest = &node;
        }
      }
      if (roomiest == nullptr) throw std::runtime_error("WithRunning: no room on " + cluster.name);
      roomiest->free -= pod;
    }
    cluster.workloads.push_back({workload, it->second, it->second, std::nullopt, std::nullopt});
  }
  return MustModel(std::move(clusters), rtt, revision);
}

StateFor::StateFor(const ClusterModel& model, const PlaceRequest& request,
                   std::vector<const FilterPlugin*> filters, std::optional<ClusterIndex> origin)
    : filters_(std::move(filters)) {
  CycleInput input;
  input.workload = &request.workload;
  input.replica = &request.replica;
  input.constraints = &request.constraints;
  input.current = &request.current_placement;
  input.preferred = request.preferred_clusters;
  input.allow_cloud = request.allow_cloud;
  input.origin = origin;
  state_ = std::make_unique<CycleState>(model, input, filters_, nullptr);
}

ClusterIndex IndexOf(const ClusterModel& model, const std::string& name) {
  std::optional<ClusterIndex> index = model.Find(name);
  if (!index.has_value()) throw std::runtime_error("no cluster " + name);
  return *index;
}

}  // namespace mck8s::placement::testing
