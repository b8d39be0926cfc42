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

struct Testbed {
  std::string management;  // the management cluster's name
  std::vector<TestbedCluster> clusters;
  // Round-trip times in milliseconds, keyed by (a, b) with a < b.
  std::map<std::pair<std::string, std::string>, double> rtt_ms;

  const TestbedCluster* Find(absl::string_view name) const;
  // The RTT between two clusters, if the testbed gives it.
  std::optional<double> Rtt(absl::string_view a, absl::string_view b) const;
};

// Parses a testbed. InvalidArgument naming the field for malformed input:
// missing names, duplicate clusters, an unknown management cluster, bad
// quantities, counts or taint effects, RTTs naming unknown clusters.
absl::StatusOr<Testbed> ParseTestbed(absl::string_view yaml);
absl::StatusOr<Testbed> LoadTestbed(const std::string& path);

// A large synthetic fleet: a management cluster plus `members` member
// clusters ("member-0001", ...) of `nodes_per_cluster` workers of 4 CPU /
// 16Gi each, spread over 10 regions, with RTTs growing with region distance.
Testbed GenerateTestbed(int members, int nodes_per_cluster);

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_TESTBED_H_
