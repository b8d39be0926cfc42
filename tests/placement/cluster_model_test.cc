#include "mck8s/placement/cluster_model.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "testing.h"

namespace mck8s::placement {
namespace {

using testing::FogCluster;
using testing::kGi;
using testing::Worker;

TEST_CASE("cluster model: sorted, indexed, RTT by distance", "[placement][model]") {
  const auto model = testing::FogGuru(7);
  CHECK(model->revision() == 7);
  REQUIRE(model->size() == 6);
  std::vector<std::string> names;
  for (ClusterIndex i = 0; i < model->size(); ++i) names.push_back(model->cluster(i).name);
  CHECK(names ==
        std::vector<std::string>{"grenoble", "lille", "luxembourg", "nancy", "nantes", "rennes"});
  const ClusterIndex rennes = *model->Find("rennes");
  CHECK(model->cluster(rennes).nodes.front().name == "rennes-cp");
  CHECK_FALSE(model->Find("paris").has_value());

  std::vector<std::pair<std::string, double>> neighbours;
  for (const Neighbour& n : model->NeighboursByRtt(rennes)) {
    neighbours.emplace_back(model->cluster(n.cluster).name, n.rtt_ms);
  }
  CHECK(neighbours == std::vector<std::pair<std::string, double>>{{"nantes", 2.16},
                                                                  {"grenoble", 17.45},
                                                                  {"lille", 23.26},
                                                                  {"nancy", 25.18},
                                                                  {"luxembourg", 27.41}});
  CHECK(model->Rtt(rennes, *model->Find("lille")) == 23.26);
  CHECK_FALSE(model->Rtt(rennes, rennes).has_value());  // unknown, never zero
  CHECK(model->any_cloud());
  CHECK_FALSE(model->any_cluster_taints());
}

Cluster WithNodes(std::string name, std::vector<Node> nodes) {
  Cluster cluster;
  cluster.name = std::move(name);
  cluster.nodes = std::move(nodes);
  return cluster;
}

TEST_CASE("cluster model: prepared clusters are shared between models", "[placement][model]") {
  absl::StatusOr<PreparedCluster> b = PreparedCluster::Prepare(
      WithNodes("b", {Worker("b-2", 4000, 8 * kGi), Worker("b-1", 2000, 4 * kGi)}), 0);
  absl::StatusOr<PreparedCluster> a =
      PreparedCluster::Prepare(WithNodes("a", {Worker("a-1", 1000, 2 * kGi)}), 1);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(b->get().nodes.front().name == "b-1");  // sorted once, when prepared
  const std::vector<RttEntry> rtt = {{"a", "b", 3.0}, {"b", "a", 3.5}};
  auto first = ClusterModel::CreateFromPrepared(1, {*b, *a}, rtt);
  auto second = ClusterModel::CreateFromPrepared(2, {*a, *b}, rtt);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  // Indexed by name whatever the order given, and the same cluster object.
  CHECK((*first)->cluster(0).name == "a");
  CHECK(&(*first)->cluster(1) == &(*second)->cluster(1));
  CHECK((*second)->Rtt(1, 0) == 3.5);
  CHECK((*first)->fit_index(1).plain_nodes == 2);

  absl::StatusOr<std::shared_ptr<const ClusterModel>> repeated =
      ClusterModel::CreateFromPrepared(3, {*a, *b, *a}, rtt);
  REQUIRE_FALSE(repeated.ok());
  CHECK(repeated.status().message() == "clusters[2].name: repeated cluster \"a\"");
  absl::StatusOr<PreparedCluster> invalid =
      PreparedCluster::Prepare(WithNodes("c", {Worker("", 1000, kGi)}), 4);
  REQUIRE_FALSE(invalid.ok());
  CHECK(invalid.status().message() == "clusters[4].nodes[0].name: must not be empty");
}

TEST_CASE("cluster model: fit index over plain nodes", "[placement][model]") {
  const auto model = testing::FogGuru();
  const ClusterIndex rennes = *model->Find("rennes");
  const ClusterFitIndex& index = model->fit_index(rennes);
  const ClusterNodeRanges& ranges = model->node_ranges(rennes);
  // Five workers are plain; the tainted control plane is not.
  CHECK(ranges.plain_end - ranges.plain_begin == 5);
  CHECK(index.plain_nodes == 5);
  CHECK(index.plain_cpu_millis == 5 * 4000);
  CHECK(index.max_memory_bytes == 16 * kGi);
  CHECK(index.min_pods == 110);
  CHECK(ranges.schedulable_cpu_millis == 5 * 4000 + 2000);
  CHECK(index.has_tainted_nodes);
  // Identical workers leave one point on the Pareto front.
  CHECK(ranges.front_end - ranges.front_begin == 1);
  // 4 CPUs per 16 GiB: 250 millicores per GiB, bucket 1 + floor(4 log2 250).
  CHECK(model->bucket_sum(32, rennes).cpu_millis == 0);
  CHECK(model->bucket_sum(33, rennes).cpu_millis == 5 * 4000);
  CHECK(model->bucket_sum(kRatioBuckets, rennes).memory_bytes == 5 * 16 * kGi);
}

TEST_CASE("cluster model: invalid snapshots are named", "[placement][model]") {
  struct Case {
    std::string name;
    std::vector<Cluster> clusters;
    std::vector<RttEntry> rtt;
    std::string message;
  };
  Cluster negative = FogCluster("a", 1, 1000, kGi);
  negative.nodes[0].free.cpu_millis = -1;
  Cluster unnamed_node = FogCluster("a", 1, 1000, kGi);
  unnamed_node.nodes[0].name = "";
  Cluster repeated_node = FogCluster("a", 2, 1000, kGi);
  repeated_node.nodes[1].name = repeated_node.nodes[0].name;
  Cluster bad_taint = FogCluster("a", 1, 1000, kGi);
  bad_taint.taints = {{"", "", TaintEffect::kNoSchedule}};
  Cluster bad_traffic = FogCluster("a", 1, 1000, kGi);
  bad_traffic.receive_bytes_per_second = std::nan("");
  const Cluster a = FogCluster("a", 1, 1000, kGi);
  const Cluster b = FogCluster("b", 1, 1000, kGi);
  const std::vector<Case> cases = {
      {"empty name", {Cluster{}}, {}, "clusters[0].name: must not be empty"},
      {"repeated name", {a, b, a}, {}, "clusters[2].name: repeated cluster \"a\""},
      {"negative free",
       {negative},
       {},
       "clusters[0].nodes[0].free.cpu_millis: must not be negative, got -1"},
      {"unnamed node", {unnamed_node}, {}, "clusters[0].nodes[0].name: must not be empty"},
      {"repeated node", {repeated_node}, {}, "clusters[0].nodes: repeated node \"a-w1\""},
      {"bad taint", {bad_taint}, {}, "clusters[0].taints[0].key: must not be empty"},
      {"bad traffic", {bad_traffic}, {}, "clusters[0].receive_bytes_per_second: must be"},
      {"negative rtt", {a, b}, {{"a", "b", -1}}, "rtt[0].rtt_ms: must be a finite"},
      {"infinite rtt",
       {a, b},
       {{"a", "b", std::numeric_limits<double>::infinity()}},
       "rtt[0].rtt_ms: must be a finite"},
      {"self rtt", {a, b}, {{"a", "a", 1}}, "rtt[0]: from_cluster and to_cluster are both \"a\""},
      {"repeated rtt",
       {a, b},
       {{"a", "b", 1}, {"b", "a", 1}, {"a", "b", 2}},
       "rtt[2]: repeated pair \"a\" -> \"b\""},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    auto model = ClusterModel::Create(1, c.clusters, c.rtt);
    REQUIRE_FALSE(model.ok());
    CHECK(model.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(model.status().message()), Catch::StartsWith(c.message));
  }
}

TEST_CASE("cluster model: RTT to unknown clusters is dropped, lookups work", "[placement][model]") {
  Cluster a = FogCluster("a", 1, 1000, kGi);
  a.workloads.push_back({{WorkloadKind::kMultiClusterDeployment, "ns", "web"}, 3, 2});
  const auto model = testing::MustModel({a, FogCluster("b", 1, 1000, kGi)},
                                        {{"a", "b", 5}, {"a", "zz", 1}, {"zz", "b", 1}});
  CHECK(model->NeighboursByRtt(0).size() == 1);
  CHECK(model->NeighboursByRtt(1).empty());
  const WorkloadStats* stats =
      model->FindWorkload(0, {WorkloadKind::kMultiClusterDeployment, "ns", "web"});
  REQUIRE(stats != nullptr);
  CHECK(stats->ready_replicas == 2);
  CHECK(model->FindWorkload(0, {WorkloadKind::kMultiClusterJob, "ns", "web"}) == nullptr);
  CHECK(model->FindNode(0, "a-w1") == 0);
  CHECK_FALSE(model->FindNode(0, "nope").has_value());
}

}  // namespace
}  // namespace mck8s::placement
