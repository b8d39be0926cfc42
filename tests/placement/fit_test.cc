#include "mck8s/placement/fit.h"

#include <catch2/catch.hpp>
#include <random>

#include "mck8s/placement/framework.h"
#include "testing.h"

namespace mck8s::placement {
namespace {

using testing::kGi;

// The rule itself, node by node, straight from k8stypes.
int64_t BruteForce(const Cluster& cluster, const ReplicaRequirements& replica) {
  int64_t total = 0;
  for (const Node& node : cluster.nodes) {
    if (!NodeAccepts(node, replica)) continue;
    total += k8stypes::ReplicasThatFit(node.free, replica.requests);
  }
  return total;
}

TEST_CASE("fit: the plain path is exact, bounds hold", "[placement][fit]") {
  std::mt19937_64 random(20240601);
  const auto pick = [&](int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(random);
  };
  for (int round = 0; round < 300; ++round) {
    // Requests, sometimes exact divisors of node sizes (the case floating
    // point division gets wrong), sometimes zero in a dimension.
    ReplicaRequirements replica;
    replica.requests.cpu_millis = pick(0, 3) == 0 ? 0 : pick(1, 4000);
    replica.requests.memory_bytes = pick(0, 3) == 0 ? 0 : pick(1, 8 * kGi);
    replica.requests.pods = pick(0, 4) == 0 ? 2 : 0;
    std::vector<Cluster> clusters;
    for (int c = 0; c < 4; ++c) {
      Cluster cluster;
      cluster.name = "c" + std::to_string(c);
      const int nodes = static_cast<int>(pick(0, 40));
      for (int n = 0; n < nodes; ++n) {
        int64_t cpu = pick(0, 64000);
        int64_t memory = pick(0, 1024 * kGi);
        if (pick(0, 2) == 0 && replica.requests.cpu_millis > 0) {
          cpu = replica.requests.cpu_millis * pick(0, 16);
        }
        if (pick(0, 2) == 0 && replica.requests.memory_bytes > 0) {
          memory = replica.requests.memory_bytes * pick(0, 16);
        }
        Node node = testing::Worker("n" + std::to_string(n), cpu, memory, pick(0, 110));
        if (pick(0, 6) == 0) node.schedulable = false;
        if (pick(0, 6) == 0) node.taints.push_back({"t", "", TaintEffect::kNoSchedule});
        if (pick(0, 6) == 0) node.taints.push_back({"p", "", TaintEffect::kPreferNoSchedule});
        cluster.nodes.push_back(std::move(node));
      }
      clusters.push_back(std::move(cluster));
    }
    const auto model = testing::MustModel(clusters);
    PlaceRequest request = testing::HelloRequest(replica);
    testing::StateFor state(*model, request);
    for (ClusterIndex c = 0; c < model->size(); ++c) {
      INFO("round " << round << " cluster " << c << " request " << replica.requests);
      const int64_t want = BruteForce(model->cluster(c), replica);
      const int64_t upper = state->NewFitUpperBound(c);
      const int64_t lower = state->NewFitLowerBound(c);
      const int64_t exact = state->NewFit(c);
      CHECK(exact == want);
      CHECK(NodePathFit(*model, c, replica, {}) == want);
      CHECK(lower <= want);
      CHECK(upper >= want);
      const FitQuery query = FitQuery::Prepare(replica);
      if (query.pods_per_replica == 1) CHECK(PlainFitsOne(*model, c, query) == (want > 0));
      // With a limit: exact up to it, a lower bound above it.
      for (int64_t limit : {int64_t{0}, want / 2, want, want + 1}) {
        const int64_t capped = PlainFit(*model, c, query, limit);
        if (want <= limit) {
          CHECK(capped == want);
        } else {
          CHECK(capped > limit);
          CHECK(capped <= want);
        }
      }
      // Reservations on some nodes: the plain path agrees with the node path.
      std::vector<NodeDeduction> deductions;
      for (int32_t n = 0; n < static_cast<int32_t>(model->cluster(c).nodes.size()); ++n) {
        if (pick(0, 2) != 0) continue;
        deductions.push_back({n,
                              {.cpu_millis = pick(0, 8000),
                               .memory_bytes = pick(0, 16 * kGi),
                               .pods = pick(0, 20)}});
      }
      if (query.CanUsePlainPath(model->fit_index(c))) {
        CHECK(PlainFitWithDeductions(*model, c, query, deductions) ==
              NodePathFit(*model, c, replica, deductions));
      }
      std::vector<std::pair<int32_t, int64_t>> per_node;
      PlainFitPerNode(*model, c, query, per_node);
      int64_t summed = 0;
      for (const auto& [node, replicas] : per_node) summed += replicas;
      CHECK(summed == want);
    }
  }
}

TEST_CASE("fit: node rules for selectors, tolerations and deductions", "[placement][fit]") {
  Cluster cluster;
  cluster.name = "site";
  cluster.nodes.push_back(testing::ControlPlane("cp", 4000, 4 * kGi));
  Node ssd = testing::Worker("ssd", 2000, 4 * kGi);
  ssd.labels["disk"] = "ssd";
  cluster.nodes.push_back(ssd);
  cluster.nodes.push_back(testing::Worker("w", 3000, 4 * kGi));
  const auto model = testing::MustModel({cluster});

  struct Case {
    std::string name;
    ReplicaRequirements replica;
    std::vector<NodeDeduction> deductions;
    int64_t want;
  };
  ReplicaRequirements plain = testing::OneCpuOneGi();
  ReplicaRequirements on_ssd = plain;
  on_ssd.node_selector = {{"disk", "ssd"}};
  ReplicaRequirements tolerant = plain;
  tolerant.node_tolerations = {{.op = TolerationOperator::kExists}};
  ReplicaRequirements gpu = plain;
  gpu.requests.extended["nvidia.com/gpu"] = 1;
  const std::vector<Case> cases = {
      {"plain", plain, {}, 5},  // ssd 2 + w 3; the control plane is tainted
      {"selector", on_ssd, {}, 2},
      {"toleration", tolerant, {}, 9},
      {"extended resources nobody has", gpu, {}, 0},
      {"deduction on w", plain, {{2, {.cpu_millis = 2000, .memory_bytes = kGi}}}, 3},
      {"deduction beyond the free room", plain, {{1, {.cpu_millis = 5000}}}, 3},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(NodePathFit(*model, 0, c.replica, c.deductions) == c.want);
  }
}

}  // namespace
}  // namespace mck8s::placement
