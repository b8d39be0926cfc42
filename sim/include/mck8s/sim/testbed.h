// -----------------------------------------------------------------------------
// File: mck8s/sim/testbed.h
// -----------------------------------------------------------------------------
//
// A testbed describes the fleet the simulator serves: the management cluster
// and the member clusters, each with its place (region, zone, provider),
// whether it is a cloud or a fog cluster, its labels and taints (those of the
// MemberCluster that registers it), and its nodes (a control-plane node plus
// node groups of identical workers); and the round-trip times between them.
//
//   management: management
//   clusters:
//     - name: rennes
//       region: bretagne
//       zone: rennes
//       provider: grid5000
//       cloud: false
//       labels: {fogguru.eu/site: rennes}
//       taints: [{key: k, value: v, effect: PreferNoSchedule}]
//       controlPlane: {cpu: "4", memory: 16Gi}     # optional; enabled: false drops it
//       nodeGroups:
//         - {name: worker, count: 5, cpu: "4", memory: 16Gi, pods: 110,
//            labels: {}, taints: []}
//   rtt:                                          # milliseconds, symmetric
//     rennes: {nantes: 2.16, lille: 23.26}
//   load:                                         # the load model (usage.h)
//     idle: {cpu: 1m, memory: 16Mi, networkReceive: 64}   # per pod without load
//     system: {cpu: 50m, memory: 256Mi}           # per node, beside its pods
//     workloads:
//       - cluster: nantes
//         namespace: default
//         deployment: web                         # or selector: "app=web" / {app: web}
//         cpu: "1.5"                              # cores offered to the workload
//         networkReceive: 125000                  # bytes/s offered to the workload
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(Testbed testbed, LoadTestbed("sim/testbeds/fogguru.yaml"));
//   Testbed big = GenerateTestbed(1000, 50);
//
// Pure (LoadTestbed reads one file); thread-compatible values.

#ifndef MCK8S_SIM_TESTBED_H_
#define MCK8S_SIM_TESTBED_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace mck8s::sim {

struct TestbedTaint {
  std::string key;
  std::string value;
  std::string effect;  // NoSchedule, PreferNoSchedule or NoExecute
};

struct NodeGroup {
  std::string name = "worker";
  int count = 1;
  std::string cpu = "2";       // a Kubernetes quantity
  std::string memory = "4Gi";  // a Kubernetes quantity
  int64_t pods = 110;
  std::map<std::string, std::string> labels;
  std::vector<TestbedTaint> taints;
};

struct TestbedCluster {
  std::string name;
  std::string region;
  std::string zone;
  std::string provider;
  bool cloud = false;
  std::map<std::string, std::string> labels;
  std::vector<TestbedTaint> taints;
  // The control-plane node (tainted NoSchedule); absent when disabled.
  std::optional<NodeGroup> control_plane;
  std::vector<NodeGroup> node_groups;
};

// Offered load of one workload: the pods of `deployment` (its spec.selector)
// or those matching `selector` (a label selector string), in `ns` of
// `cluster`.
struct WorkloadLoad {
  std::string cluster;
  std::string ns = "default";
  std::string deployment;  // exactly one of deployment and selector is set
  std::string selector;
  int64_t cpu_millis = 0;             // offered CPU, millicores
  int64_t network_rx_per_second = 0;  // offered network receive, bytes/s

  // "deployment/<name>" or "selector/<selector>": what identifies the
  // workload within its cluster and namespace.
  std::string Key() const;
};

struct LoadModel {
  // Usage of a running pod no workload load applies to.
  int64_t idle_cpu_millis = 1;
  int64_t idle_memory_bytes = 16 * 1024 * 1024;
  int64_t idle_network_rx_per_second = 64;
  // Usage of a node beside its pods (system daemons, kubelet).
  int64_t system_cpu_millis = 50;
  int64_t system_memory_bytes = 256 * 1024 * 1024;
  std::vector<WorkloadLoad> workloads;
};

// Parses one workload entry (the testbed's load.workloads[i], or the control
// endpoint's body); `field` prefixes error messages. The cluster is not
// checked against a testbed here.
absl::StatusOr<WorkloadLoad> ParseWorkloadLoad(const rapidjson::Value& value,
                                               absl::string_view field);

struct Testbed {
  std::string management;  // the management cluster's name
  std::vector<TestbedCluster> clusters;
  // Round-trip times in milliseconds, keyed by (a, b) with a < b.
  std::map<std::pair<std::string, std::string>, double> rtt_ms;
  LoadModel load;

  const TestbedCluster* Find(absl::string_view name) const;
  // The RTT between two clusters, if the testbed gives it.
  std::optional<double> Rtt(absl::string_view a, absl::string_view b) const;
};

// Parses a testbed. InvalidArgument naming the field for malformed input:
// missing names, duplicate clusters, an unknown management cluster, bad
// quantities, counts or taint effects, RTTs or loads naming unknown clusters.
absl::StatusOr<Testbed> ParseTestbed(absl::string_view yaml);
absl::StatusOr<Testbed> LoadTestbed(const std::string& path);

// A large synthetic fleet: a management cluster plus `members` member
// clusters ("member-0001", ...) of `nodes_per_cluster` workers of 4 CPU /
// 16Gi each, spread over 10 regions, with RTTs growing with region distance.
Testbed GenerateTestbed(int members, int nodes_per_cluster);

// The testbed's RTT matrix in the shape of its `rtt:` section (YAML, one
// line per cluster, milliseconds), sorted by cluster name.
std::string RttYaml(const Testbed& testbed);

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_TESTBED_H_
