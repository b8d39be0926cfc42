// Builders shared by the placement tests: nodes, clusters, models, requests,
// and the FogGuru testbed of the original mck8s talk.

#ifndef MCK8S_TESTS_PLACEMENT_TESTING_H_
#define MCK8S_TESTS_PLACEMENT_TESTING_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mck8s/placement/cluster_model.h"
#include "mck8s/placement/framework.h"
#include "mck8s/placement/request.h"

namespace mck8s::placement::testing {

inline constexpr int64_t kGi = int64_t{1} << 30;

// A schedulable worker with `cpu_millis` and `memory_bytes` free (and
// allocatable) and 110 pod slots.
Node Worker(std::string name, int64_t cpu_millis, int64_t memory_bytes, int64_t pods = 110);

// A control-plane node: tainted node-role.kubernetes.io/control-plane
// NoSchedule, as kubeadm leaves it.
Node ControlPlane(std::string name, int64_t cpu_millis, int64_t memory_bytes);

// A fog cluster of `workers` identical workers (named <name>-w1...).
Cluster FogCluster(std::string name, int workers, int64_t cpu_millis, int64_t memory_bytes);

std::shared_ptr<const ClusterModel> MustModel(std::vector<Cluster> clusters,
                                              std::vector<RttEntry> rtt = {},
                                              uint64_t revision = 1);

// Both directions of a symmetric RTT.
void AddSymmetricRtt(std::vector<RttEntry>& rtt, const std::string& a, const std::string& b,
                     double rtt_ms);

// The FogGuru testbed: fog members rennes, nantes, lille, grenoble and
// luxembourg, each one tainted control-plane node and five workers (rennes
// and luxembourg 4 CPU / 16 GiB per worker, the others 2 CPU / 4 GiB), the
// cloud cluster nancy with three workers of 8 CPU / 32 GiB, and the talk's
// RTT table. With 1 CPU / 1 GiB replicas: rennes and luxembourg hold 20,
// nantes, lille and grenoble 10, nancy 24.
std::vector<Cluster> FogGuruClusters();
std::vector<RttEntry> FogGuruRtt();
std::shared_ptr<const ClusterModel> FogGuru(uint64_t revision = 1);

// 1 CPU / 1 GiB: the talk's hello MCD replica.
ReplicaRequirements OneCpuOneGi();

// A PlaceRequest for mcd default/hello with `requirements`.
PlaceRequest HelloRequest(ReplicaRequirements requirements = OneCpuOneGi());

// The FogGuru clusters with `placement` (cluster -> replicas of `per_replica`
// each) taken off their workers' free room the way Kubernetes would spread
// them (one at a time on the roomiest worker) and reported ready, as the feed
// shows once the replicas run.
std::shared_ptr<const ClusterModel> WithRunning(std::vector<Cluster> clusters,
                                                const std::vector<RttEntry>& rtt,
                                                const WorkloadKey& workload,
                                                const CurrentPlacement& placement,
                                                const Resources& per_replica, uint64_t revision);

// A CycleState over `model` for `request`, running `filters`.
class StateFor {
 public:
  StateFor(const ClusterModel& model, const PlaceRequest& request,
           std::vector<const FilterPlugin*> filters = {},
           std::optional<ClusterIndex> origin = std::nullopt);
  const CycleState& operator*() const { return *state_; }
  const CycleState* operator->() const { return state_.get(); }

 private:
  std::vector<const FilterPlugin*> filters_;
  std::unique_ptr<CycleState> state_;
};

// The index of `name` in `model`; fails the test when absent.
ClusterIndex IndexOf(const ClusterModel& model, const std::string& name);

}  // namespace mck8s::placement::testing

#endif  // MCK8S_TESTS_PLACEMENT_TESTING_H_
