#include "mck8s/placement/request.h"

#include <catch2/catch.hpp>
#include <functional>

#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"
#include "testing.h"

namespace mck8s::placement {
namespace {

TEST_CASE("request: ParsePolicy accepts every spelling", "[placement][request]") {
  struct Case {
    std::string text;
    Policy want;
  };
  const std::vector<Case> cases = {
      {"cluster-affinity", Policy::kClusterAffinity},
      {"cluster_affinity", Policy::kClusterAffinity},
      {"worst-fit", Policy::kWorstFit},
      {"worst_fit", Policy::kWorstFit},
      {"Worst-Fit", Policy::kWorstFit},
      {"best-fit", Policy::kBestFit},
      {"best_fit", Policy::kBestFit},
      {"traffic-aware", Policy::kTrafficAware},
      {"most-traffic", Policy::kTrafficAware},
      {"most_traffic", Policy::kTrafficAware},
      {"traffic_aware", Policy::kTrafficAware},
      {"spread", Policy::kSpread},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    absl::StatusOr<Policy> policy = ParsePolicy(c.text);
    REQUIRE(policy.ok());
    CHECK(*policy == c.want);
  }
  for (std::string_view bad : {"", "first-fit", "worst fit", "mostTraffic"}) {
    INFO(bad);
    absl::StatusOr<Policy> policy = ParsePolicy(bad);
    REQUIRE_FALSE(policy.ok());
    CHECK(policy.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(policy.status().message()),
               Catch::StartsWith(absl::StrCat("unknown placement policy \"", ToAbsl(bad), "\"")));
  }
  CHECK(PolicyName(Policy::kTrafficAware) == "traffic-aware");
  CHECK(PolicyLabel(Policy::kWorstFit) == "WORST_FIT");
}

TEST_CASE("request: invalid Place requests name the field", "[placement][request]") {
  struct Case {
    std::string name;
    std::function<void(PlaceRequest&)> spoil;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"no namespace", [](PlaceRequest& r) { r.workload.ns = ""; },
       "workload.namespace: must not be empty"},
      {"bad namespace", [](PlaceRequest& r) { r.workload.ns = "Default"; }, "workload.namespace: "},
      {"no name", [](PlaceRequest& r) { r.workload.name = ""; },
       "workload.name: must not be empty"},
      {"bad name", [](PlaceRequest& r) { r.workload.name = "hello_world"; }, "workload.name: "},
      {"negative cpu", [](PlaceRequest& r) { r.replica.requests.cpu_millis = -1; },
       "replica.requests.cpu_millis: must not be negative, got -1"},
      {"negative memory", [](PlaceRequest& r) { r.replica.requests.memory_bytes = -5; },
       "replica.requests.memory_bytes: must not be negative"},
      {"negative extended", [](PlaceRequest& r) { r.replica.requests.extended["gpu"] = -1; },
       "replica.requests[gpu]: must not be negative"},
      {"bad node selector", [](PlaceRequest& r) { r.replica.node_selector["bad key!"] = "x"; },
       "replica.node_selector[bad key!]: "},
      {"bad node toleration",
       [](PlaceRequest& r) { r.replica.node_tolerations.push_back({.value = "x"}); },
       "replica.node_tolerations[0].key: must not be empty"},
      {"no replica count", [](PlaceRequest& r) { r.replica_count = std::monostate{}; },
       "replica_count: must be set"},
      {"negative replicas", [](PlaceRequest& r) { r.replica_count = ReplicasPerLocation{-2}; },
       "replicas_per_location: must not be negative, got -2"},
      {"negative locations", [](PlaceRequest& r) { r.number_of_locations = -1; },
       "number_of_locations: must not be negative, got -1"},
      {"too many replicas",
       [](PlaceRequest& r) {
         r.replica_count = ReplicasPerLocation{2'000'000'000};
         r.number_of_locations = 2;
       },
       "replicas_per_location: a total of 4000000000 replicas"},
      {"affinity without locations", [](PlaceRequest& r) { r.policy = Policy::kClusterAffinity; },
       "policy: PLACEMENT_POLICY_CLUSTER_AFFINITY needs locations"},
      {"locations with another policy",
       [](PlaceRequest& r) {
         r.replica_count = Locations{{{"nantes", 2}}};
         r.policy = Policy::kBestFit;
       },
       "locations: only valid with the cluster-affinity policy, got best-fit"},
      {"empty locations", [](PlaceRequest& r) { r.replica_count = Locations{}; },
       "locations.clusters: must not be empty"},
      {"empty location",
       [](PlaceRequest& r) {
         r.replica_count = Locations{{{"", 2}}};
       },
       "locations.clusters[0].cluster: must not be empty"},
      {"repeated location",
       [](PlaceRequest& r) {
         r.replica_count = Locations{{{"rennes", 1}, {"nantes", 1}, {"rennes", 1}}};
       },
       "locations.clusters[2].cluster: repeated cluster \"rennes\""},
      {"negative location",
       [](PlaceRequest& r) {
         r.replica_count = Locations{{{"rennes", 1}, {"nantes", -1}}};
       },
       "locations.clusters[1].replicas: must not be negative, got -1"},
      {"empty allowed name",
       [](PlaceRequest& r) {
         r.constraints.allowed = ClusterSelector{.names = {"a", ""}};
       },
       "constraints.allowed.names[1]: must not be empty"},
      {"empty excluded", [](PlaceRequest& r) { r.constraints.excluded = {""}; },
       "constraints.excluded[0]: must not be empty"},
      {"bad cluster toleration",
       [](PlaceRequest& r) {
         r.constraints.tolerations.push_back(
             {.key = "a", .op = TolerationOperator::kExists, .value = "x"});
       },
       "constraints.tolerations[0].value: must be empty"},
      {"repeated preferred",
       [](PlaceRequest& r) {
         r.preferred_clusters = {"a", "b", "a"};
       },
       "preferred_clusters[2]: repeated cluster \"a\""},
      {"empty preferred", [](PlaceRequest& r) { r.preferred_clusters = {""}; },
       "preferred_clusters[0]: must not be empty"},
      {"negative current", [](PlaceRequest& r) { r.current_placement["lille"] = -3; },
       "current_placement[lille]: must not be negative, got -3"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    PlaceRequest request = testing::HelloRequest();
    request.replica_count = ReplicasPerLocation{2};
    REQUIRE(ValidatePlaceRequest(request).ok());
    c.spoil(request);
    const absl::Status status = ValidatePlaceRequest(request);
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(status.message()), Catch::StartsWith(c.message));
  }
}

TEST_CASE("request: policies resolve and totals follow the original", "[placement][request]") {
  PlaceRequest request = testing::HelloRequest();
  request.replica_count = ReplicasPerLocation{2};
  CHECK(EffectivePolicy(request) == Policy::kWorstFit);
  CHECK(TotalReplicas(request) == 2);  // numberOfLocations 0 reads as 1
  request.number_of_locations = 3;
  CHECK(TotalReplicas(request) == 6);  // spec.replicas is per location
  request.replica_count = Locations{{{"rennes", 2}, {"lille", 5}}};
  CHECK(EffectivePolicy(request) == Policy::kClusterAffinity);
  CHECK(TotalReplicas(request) == 7);
}

TEST_CASE("request: invalid Offload and Burst requests name the field", "[placement][request]") {
  OffloadRequest offload;
  offload.workload = {WorkloadKind::kMultiClusterDeployment, "default", "hello"};
  offload.from_cluster = "rennes";
  offload.replicas = 2;
  offload.current_placement = {{"rennes", 3}};
  REQUIRE(ValidateOffloadRequest(offload).ok());
  offload.replicas = 4;
  CHECK(ValidateOffloadRequest(offload).message() ==
        "replicas: 4 exceeds the 3 replicas current_placement holds on \"rennes\"");
  offload.replicas = 0;
  CHECK(ValidateOffloadRequest(offload).message() == "replicas: must be at least 1, got 0");
  offload.from_cluster = "";
  CHECK(ValidateOffloadRequest(offload).message() == "from_cluster: must not be empty");

  BurstRequest burst;
  burst.workload = offload.workload;
  burst.near_cluster = "luxembourg";
  burst.replicas = 1;
  REQUIRE(ValidateBurstRequest(burst).ok());
  burst.replicas = 0;
  CHECK(ValidateBurstRequest(burst).message() == "replicas: must be at least 1, got 0");
  burst.replicas = 1;
  burst.near_cluster = "";
  CHECK(ValidateBurstRequest(burst).message() == "near_cluster: must not be empty");
  burst.near_cluster = "x";
  burst.workload.ns = "";
  CHECK(ValidateBurstRequest(burst).message() == "workload.namespace: must not be empty");
}

}  // namespace
}  // namespace mck8s::placement
