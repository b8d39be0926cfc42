#include "mck8s/placement/plugins/node_fit.h"

#include <catch2/catch.hpp>

#include "../testing.h"

namespace mck8s::placement {
namespace {

using testing::ControlPlane;
using testing::HelloRequest;
using testing::kGi;
using testing::MustModel;
using testing::StateFor;
using testing::Worker;

TEST_CASE("NodeFit needs one node with room for a whole replica", "[placement][plugins]") {
  struct Case {
    std::string name;
    std::vector<Node> nodes;
    ReplicaRequirements replica;
    int32_t current = 0;
    FilterOutcome want;
    std::string reason;  // substring of the explanation when rejected
  };
  const ReplicaRequirements plain = testing::OneCpuOneGi();
  ReplicaRequirements tolerant = testing::OneCpuOneGi();
  tolerant.node_tolerations = {
      {.key = "node-role.kubernetes.io/control-plane", .op = TolerationOperator::kExists}};
  ReplicaRequirements on_ssd = testing::OneCpuOneGi();
  on_ssd.node_selector = {{"disk", "ssd"}};
  Node cordoned = Worker("w1", 4000, 4 * kGi);
  cordoned.schedulable = false;
  Node ssd = Worker("w2", 4000, 4 * kGi);
  ssd.labels["disk"] = "ssd";

  const std::vector<Case> cases = {
      {"a node with room", {Worker("w1", 1000, kGi)}, plain, 0, FilterOutcome::kPass, ""},
      {"room in total but on no single node",
       {Worker("w1", 600, 4 * kGi), Worker("w2", 600, 4 * kGi)},
       plain,
       0,
       FilterOutcome::kNoNew,
       "no schedulable node can host one replica (cpu=1 memory=1Gi); roomiest of 2 usable "
       "nodes: w1 with cpu=600m memory=4Gi pods=110 free"},
      {"cpu on one node, memory on another",
       {Worker("w1", 4000, kGi / 2), Worker("w2", 500, 8 * kGi)},
       plain,
       0,
       FilterOutcome::kNoNew,
       "roomiest of 2 usable nodes: w1"},
      {"no pod slot left", {Worker("w1", 4000, 4 * kGi, 0)}, plain, 0, FilterOutcome::kNoNew, ""},
      {"only the tainted control plane has room",
       {ControlPlane("cp", 4000, 4 * kGi), Worker("w1", 500, kGi)},
       plain,
       0,
       FilterOutcome::kNoNew,
       "roomiest of 1 usable nodes: w1"},
      {"tolerating the control-plane taint",
       {ControlPlane("cp", 4000, 4 * kGi)},
       tolerant,
       0,
       FilterOutcome::kPass,
       ""},
      {"cordoned nodes do not count",
       {cordoned},
       plain,
       0,
       FilterOutcome::kNoNew,
       "no schedulable node accepts the replica"},
      {"node selector matches",
       {Worker("w1", 4000, 4 * kGi), ssd},
       on_ssd,
       0,
       FilterOutcome::kPass,
       ""},
      {"node selector matches nothing",
       {Worker("w1", 4000, 4 * kGi)},
       on_ssd,
       0,
       FilterOutcome::kNoNew,
       "no schedulable node accepts the replica"},
      {"full, but the workload already runs here",
       {Worker("w1", 0, 0)},
       plain,
       3,
       FilterOutcome::kPass,
       ""},
  };
  const NodeFitFilter filter;
  CHECK(filter.Name() == "NodeFit");
  CHECK(filter.NeedsFit());
  for (const Case& c : cases) {
    INFO(c.name);
    Cluster cluster;
    cluster.name = "site";
    cluster.nodes = c.nodes;
    const auto model = MustModel({cluster});
    PlaceRequest request = HelloRequest(c.replica);
    if (c.current > 0) request.current_placement["site"] = c.current;
    StateFor state(*model, request);
    CHECK(filter.Filter(*state, 0) == c.want);
    if (c.want != FilterOutcome::kPass) {
      CHECK_THAT(filter.Reason(*state, 0), Catch::Contains(c.reason));
    }
  }
}

}  // namespace
}  // namespace mck8s::placement
