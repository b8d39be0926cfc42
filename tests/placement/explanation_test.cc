// Every decision explains itself: per cluster, the filter that rejected it
// and why, or its scores, its room and its distance from the origin.

#include <catch2/catch.hpp>

#include "engine_testing.h"
#include "mck8s/placement/engine.h"
#include "testing.h"

namespace mck8s::placement {
namespace {

using testing::FogGuruClusters;
using testing::FogGuruRtt;
using testing::HelloRequest;
using testing::MustModel;
using testing::MustPlace;

TEST_CASE("explanation: ranked clusters, scores, filters", "[placement][engine][explain]") {
  std::vector<Cluster> clusters = FogGuruClusters();
  for (Cluster& cluster : clusters) {
    if (cluster.name == "lille") {
      cluster.health = Health::kUnreachable;
      cluster.health_reason = "no answer for 60s";
    }
  }
  const auto model = MustModel(clusters, FogGuruRtt());
  const Engine engine = Engine::CreateDefault();
  PlaceRequest request = HelloRequest();
  request.replica_count = ReplicasPerLocation{2};
  request.number_of_locations = 2;
  request.constraints.excluded = {"nantes"};
  request.explain = true;
  const Decision decision = MustPlace(engine, *model, request);
  const Explanation& explanation = decision.explanation;
  CHECK(explanation.summary ==
        "4 of 4 replicas placed on 2 clusters by WORST_FIT; 2 clusters filtered out");

  struct Row {
    std::string cluster;
    std::string filter;  // empty: ranked
    double most_room;
    double total;
    bool keeps_existing;
  };
  const std::vector<Row> want = {
      {"luxembourg", "", 20, 4, false},
      {"rennes", "", 20, 3, false},
      {"grenoble", "", 10, 2, false},
      {"nancy", "", 24, 1, false},  // cloud ranks after every fog cluster
      {"lille", "ClusterHealth", 0, 0, true},
      {"nantes", "Excluded", 0, 0, false},
  };
  REQUIRE(explanation.clusters.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const ClusterExplanation& entry = explanation.clusters[i];
    INFO(entry.cluster);
    CHECK(entry.cluster == want[i].cluster);
    CHECK(entry.total == want[i].total);
    CHECK_FALSE(entry.rtt.has_value());  // ranking policies ignore RTT
    if (want[i].filter.empty()) {
      CHECK_FALSE(entry.filtered.has_value());
      REQUIRE(entry.scores.size() == 4);
      CHECK(entry.scores[0].scorer == "Preferred");
      CHECK(entry.scores[1].scorer == "TaintPreference");
      CHECK(entry.scores[2].scorer == "Steady");
      CHECK(entry.scores[3].scorer == "MostRoom");
      CHECK(entry.scores[3].score == want[i].most_room);
      CHECK(entry.max_replicas == static_cast<int64_t>(want[i].most_room));
    } else {
      REQUIRE(entry.filtered.has_value());
      CHECK(entry.filtered->filter == want[i].filter);
      CHECK(entry.filtered->keeps_existing == want[i].keeps_existing);
      CHECK(entry.scores.empty());
      CHECK_FALSE(entry.max_replicas.has_value());
    }
  }
  CHECK(explanation.clusters[4].filtered->reason == "cluster is Unreachable: no answer for 60s");
  CHECK(explanation.clusters[5].filtered->reason == "listed in constraints.excluded");
}

TEST_CASE("explanation: NodeFit gives the figures", "[placement][engine][explain]") {
  const Engine engine = Engine::CreateDefault();
  PlaceRequest request = HelloRequest();
  request.replica.requests.cpu_millis = 3000;  // only rennes, luxembourg, nancy have 3 CPUs
  request.replica_count = ReplicasPerLocation{1};
  request.explain = true;
  const Decision decision = MustPlace(engine, *testing::FogGuru(), request);
  const ClusterExplanation* grenoble = nullptr;
  for (const ClusterExplanation& entry : decision.explanation.clusters) {
    if (entry.cluster == "grenoble") grenoble = &entry;
  }
  REQUIRE(grenoble != nullptr);
  REQUIRE(grenoble->filtered.has_value());
  CHECK(grenoble->filtered->filter == "NodeFit");
  CHECK(grenoble->filtered->keeps_existing);
  CHECK(grenoble->filtered->reason ==
        "no schedulable node can host one replica (cpu=3 memory=1Gi); roomiest of 5 usable "
        "nodes: grenoble-w1 with cpu=2 memory=4Gi pods=110 free");
  CHECK(grenoble->max_replicas == 0);
}

TEST_CASE("explanation: offloaded replicas carry their RTT from the listed cluster",
          "[placement][engine][explain]") {
  const Engine engine = Engine::CreateDefault();
  PlaceRequest request = HelloRequest();
  request.replica_count = Locations{{{"nantes", 14}}};
  request.explain = true;
  const Decision decision = MustPlace(engine, *testing::FogGuru(), request);
  const std::vector<ClusterExplanation>& clusters = decision.explanation.clusters;
  REQUIRE(clusters.size() == 6);
  // The listed cluster first, then by proximity to it, the cloud last.
  std::vector<std::string> order;
  for (const ClusterExplanation& entry : clusters) order.push_back(entry.cluster);
  CHECK(order ==
        std::vector<std::string>{"nantes", "rennes", "grenoble", "lille", "luxembourg", "nancy"});
  REQUIRE(clusters[1].rtt.has_value());
  CHECK(clusters[1].rtt->origin_cluster == "nantes");
  CHECK(clusters[1].rtt->rtt_ms == 2.16);
  CHECK(clusters[1].scores[0].scorer == "Proximity");
  CHECK(clusters[1].scores[0].score == -2.16);
  CHECK_FALSE(clusters[0].rtt.has_value());
  CHECK(decision.explanation.summary ==
        "14 of 14 replicas placed on 2 clusters by CLUSTER_AFFINITY; 0 clusters filtered out");
}

TEST_CASE("explanation: without explain, only the summary", "[placement][engine][explain]") {
  const Engine engine = Engine::CreateDefault();
  PlaceRequest request = HelloRequest();
  request.replica_count = ReplicasPerLocation{1};
  request.preferred_clusters = {"lyon"};
  const Decision decision = MustPlace(engine, *testing::FogGuru(), request);
  CHECK(decision.explanation.clusters.empty());
  CHECK(decision.explanation.summary ==
        "1 of 1 replica placed on 1 cluster by WORST_FIT; not in the snapshot: lyon");
}

}  // namespace
}  // namespace mck8s::placement
