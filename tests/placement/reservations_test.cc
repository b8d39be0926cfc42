// Assume and deduct: decisions taken back to back on the same snapshot never
// overcommit, and reservations fade as the feed shows the replicas.

#include "mck8s/placement/reservations.h"

#include <catch2/catch.hpp>

#include "engine_testing.h"
#include "mck8s/placement/engine.h"
#include "testing.h"

namespace mck8s::placement {
namespace {

using testing::FogGuru;
using testing::HelloRequest;
using testing::Lines;
using testing::MustPlace;

using Want = std::vector<std::string>;

PlaceRequest Named(std::string name, ReplicaCount count) {
  PlaceRequest request = HelloRequest();
  request.workload.name = std::move(name);
  request.replica_count = std::move(count);
  return request;
}

TEST_CASE("reservations: back-to-back decisions do not overcommit",
          "[placement][engine][reservations]") {
  const Engine engine = Engine::CreateDefault();
  const auto model = FogGuru();
  const PlaceRequest first = Named("first", Locations{{{"nantes", 8}}});
  const PlaceRequest second = Named("second", Locations{{{"nantes", 8}}});

  // Without the ledger both see nantes empty.
  CHECK(Lines(MustPlace(engine, *model, first)) == Want{"nantes 8 Preferred"});
  CHECK(Lines(MustPlace(engine, *model, second)) == Want{"nantes 8 Preferred"});

  Reservations reservations;
  reservations.Reconcile(model, /*now=*/0);
  const Decision a = MustPlace(engine, *model, first, &reservations.deductions());
  reservations.Record(a, /*expires_at=*/100);
  const Decision b = MustPlace(engine, *model, second, &reservations.deductions());
  CHECK(Lines(a) == Want{"nantes 8 Preferred"});
  CHECK(Lines(b) == Want{"nantes 2 Preferred", "rennes 6 Offloaded"});
  CHECK(reservations.Outstanding(*model, a.workload, "nantes") == 8);
}

TEST_CASE("reservations: a burst of decisions fills the fleet exactly",
          "[placement][engine][reservations]") {
  const Engine engine = Engine::CreateDefault();
  const auto model = FogGuru();  // room for 94 replicas of 1 CPU / 1 GiB
  Reservations reservations;
  reservations.Reconcile(model, 0);
  int64_t placed = 0;
  int64_t unplaced = 0;
  std::map<std::string, int64_t> per_cluster;
  for (int i = 0; i < 30; ++i) {
    PlaceRequest request = Named("app-" + std::to_string(i), ReplicasPerLocation{2});
    request.number_of_locations = 2;
    request.policy = i % 2 == 0 ? Policy::kWorstFit : Policy::kBestFit;
    const Decision decision = MustPlace(engine, *model, request, &reservations.deductions());
    reservations.Record(decision, 100);
    placed += decision.PlacedReplicas();
    unplaced += decision.unplaced_replicas;
    for (const auto& [cluster, replicas] : decision.ByCluster()) per_cluster[cluster] += replicas;
  }
  CHECK(placed == 94);
  CHECK(unplaced == 120 - 94);
  CHECK(per_cluster == std::map<std::string, int64_t>{{"grenoble", 10},
                                                      {"lille", 10},
                                                      {"luxembourg", 20},
                                                      {"nancy", 24},
                                                      {"nantes", 10},
                                                      {"rennes", 20}});
}

TEST_CASE("reservations: fade as the feed shows ready replicas, and expire",
          "[placement][engine][reservations]") {
  const Engine engine = Engine::CreateDefault();
  const auto model = FogGuru(1);
  const PlaceRequest request = Named("web", Locations{{{"nantes", 6}}});
  const Decision decision = MustPlace(engine, *model, request);
  Reservations reservations;
  reservations.Record(decision, /*expires_at=*/1000);
  CHECK(reservations.size() == 1);

  const auto snapshot_with = [&](int32_t ready) {
    std::vector<Cluster> clusters = testing::FogGuruClusters();
    for (Cluster& cluster : clusters) {
      if (cluster.name == "nantes") {
        cluster.workloads.push_back({decision.workload, 6, ready, std::nullopt, std::nullopt});
      }
    }
    return testing::MustModel(clusters, testing::FogGuruRtt(), 2);
  };
  const auto partly = snapshot_with(4);
  CHECK(reservations.Outstanding(*partly, decision.workload, "nantes") == 2);
  Deductions deductions = reservations.DeductionsFor(*partly);
  REQUIRE(deductions.Clusters().size() == 1);
  int64_t cpu = 0;
  for (const NodeDeduction& node : deductions.For(deductions.Clusters()[0])) {
    cpu += node.amount.cpu_millis;
  }
  CHECK(cpu == 2000);

  reservations.Reconcile(partly, /*now=*/10);
  CHECK(reservations.size() == 1);
  reservations.Reconcile(snapshot_with(6), 10);
  CHECK(reservations.empty());

  reservations.Record(decision, 50);
  reservations.Reconcile(model, 49);
  CHECK(reservations.size() == 1);
  reservations.Reconcile(model, 50);
  CHECK(reservations.empty());

  reservations.Record(decision, 50);
  reservations.Forget(decision.workload);
  CHECK(reservations.empty());
}

TEST_CASE("reservations: a new decision replaces the workload's entries",
          "[placement][engine][reservations]") {
  const Engine engine = Engine::CreateDefault();
  const auto model = FogGuru();
  Reservations reservations;
  reservations.Reconcile(model, 0);
  PlaceRequest request = Named("web", Locations{{{"nantes", 4}}});
  Decision decision = MustPlace(engine, *model, request, &reservations.deductions());
  reservations.Record(decision, 100);
  // Scaled up before the feed caught up: the earlier 4 are still reserved,
  // with the 2 new ones.
  request.replica_count = Locations{{{"nantes", 6}}};
  request.current_placement = decision.ByCluster();
  decision = MustPlace(engine, *model, request, &reservations.deductions());
  CHECK(Lines(decision) == Want{"nantes 6 Preferred"});
  reservations.Record(decision, 100);
  CHECK(reservations.Outstanding(*model, decision.workload, "nantes") == 6);
  // Moved away entirely: nothing stays reserved on nantes.
  request.replica_count = Locations{{{"lille", 6}}};
  request.current_placement = decision.ByCluster();
  decision = MustPlace(engine, *model, request, &reservations.deductions());
  reservations.Record(decision, 100);
  CHECK(reservations.Outstanding(*model, decision.workload, "nantes") == 0);
  CHECK(reservations.Outstanding(*model, decision.workload, "lille") == 6);
}

TEST_CASE("reservations: deductions belong to one snapshot", "[placement][engine][reservations]") {
  const Engine engine = Engine::CreateDefault();
  const auto one = FogGuru(1);
  const auto two = FogGuru(2);
  Reservations reservations;
  reservations.Record(MustPlace(engine, *one, Named("web", ReplicasPerLocation{1})), 100);
  const Deductions deductions = reservations.DeductionsFor(*one);
  absl::StatusOr<Decision> decision =
      engine.Place(*two, Named("other", ReplicasPerLocation{1}), &deductions);
  CHECK(decision.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(decision.status().message() ==
        "reservations were resolved against another snapshot (revision 1), not revision 2");
  const Deductions none;
  CHECK(engine.Place(*two, Named("other", ReplicasPerLocation{1}), &none).ok());
}

TEST_CASE("reservations: the kept deductions match a fresh computation",
          "[placement][engine][reservations]") {
  const Engine engine = Engine::CreateDefault();
  const auto model = FogGuru();
  Reservations reservations;
  reservations.Reconcile(model, 0);
  const auto same = [&](const Deductions& a, const Deductions& b) {
    if (a.Clusters() != b.Clusters()) return false;
    for (ClusterIndex cluster : a.Clusters()) {
      const auto x = a.For(cluster);
      const auto y = b.For(cluster);
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (x[i].node != y[i].node || !(x[i].amount == y[i].amount)) return false;
      }
    }
    return true;
  };
  for (int i = 0; i < 12; ++i) {
    PlaceRequest request = Named("app-" + std::to_string(i % 5), ReplicasPerLocation{1 + i % 3});
    request.number_of_locations = 2;
    request.policy = i % 2 == 0 ? Policy::kSpread : Policy::kBestFit;
    reservations.Record(MustPlace(engine, *model, request, &reservations.deductions()), 100);
    CHECK(same(reservations.deductions(), reservations.DeductionsFor(*model)));
  }
  reservations.Forget(Named("app-1", ReplicasPerLocation{1}).workload);
  CHECK(same(reservations.deductions(), reservations.DeductionsFor(*model)));
  reservations.Reconcile(model, 100);  // everything expires
  CHECK(reservations.deductions().empty());
  CHECK(reservations.empty());
}

}  // namespace
}  // namespace mck8s::placement
