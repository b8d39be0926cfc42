// mck8s-scheduler end to end, continued: the Scheduler gRPC API against the
// running binary, leader election, and the kill test (SIGKILL at random
// points while 200 MCDs are applied, then convergence with no duplicate and
// no orphan Deployment).
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "harness.h"
#include "mck8s/scheduler/workload.h"
#include "mck8s/v1/cluster_state.grpc.pb.h"
#include "mck8s/v1/scheduler.grpc.pb.h"

namespace mck8s::scheduler {
namespace {

using mck8s::testing::CommandResult;
using mck8s::testing::SourcePath;
using testing::Fleet;
using testing::FleetOptions;
using testing::WaitFor;

const kubeapi::GroupVersionResource kEvents{"", "v1", "events"};
const kubeapi::GroupVersionResource kLeases{"coordination.k8s.io", "v1", "leases"};

std::unique_ptr<v1::Scheduler::Stub> Stub(Fleet& fleet) {
  return v1::Scheduler::NewStub(
      grpc::CreateChannel(fleet.grpc_address(), grpc::InsecureChannelCredentials()));
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return context;
}

v1::PlaceRequest OneCpu(const std::string& name) {
  v1::PlaceRequest request;
  request.mutable_workload()->set_kind(v1::WORKLOAD_KIND_MULTI_CLUSTER_DEPLOYMENT);
  request.mutable_workload()->set_namespace_("default");
  request.mutable_workload()->set_name(name);
  request.mutable_replica()->mutable_requests()->set_cpu_millis(1000);
  request.mutable_replica()->mutable_requests()->set_memory_bytes(int64_t{1} << 30);
  return request;
}

int Sum(const std::map<std::string, int>& m) {
  int total = 0;
  for (const auto& [k, v] : m) total += v;
  return total;
}

std::map<std::string, int> ByCluster(const v1::Placement& placement) {
  std::map<std::string, int> out;
  for (const v1::ClusterAssignment& a : placement.assignments()) out[a.cluster()] += a.replicas();
  return out;
}

TEST_CASE("gRPC Place, Offload and Burst", "[scheduler][e2e]") {
  Fleet fleet;
  auto stub = Stub(fleet);
  // The scheduler serves once it holds a snapshot.
  REQUIRE(WaitFor(
      [&] {
        v1::PlaceRequest probe = OneCpu("probe");
        probe.set_replicas_per_location(1);
        probe.set_dry_run(true);
        v1::PlaceResponse r;
        return stub->Place(Context().get(), probe, &r).ok();
      },
      absl::Seconds(30)));

  SECTION("dry run: a what-if decision with its explanation") {
    v1::PlaceRequest request = OneCpu("what-if");
    request.set_replicas_per_location(12);
    request.set_policy(v1::PLACEMENT_POLICY_SPREAD);
    request.set_dry_run(true);
    request.set_explain(true);
    v1::PlaceResponse response;
    grpc::Status status = stub->Place(Context().get(), request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    CHECK(Sum(ByCluster(response.placement())) == 12);
    CHECK(response.unplaced_replicas() == 0);
    CHECK_FALSE(response.persisted());
    // Taken on a revision the feed has published: the gateway publishes
    // every collection round, so which one depends on timing.
    auto feed = v1::ClusterState::NewStub(grpc::CreateChannel(
        fleet.cluster_state_address(), grpc::InsecureChannelCredentials()));
    v1::GetSnapshotResponse newest;
    grpc::ClientContext feed_context;
    REQUIRE(feed->GetSnapshot(&feed_context, {}, &newest).ok());
    CHECK(response.snapshot_revision() >= 1);
    CHECK(response.snapshot_revision() <= newest.snapshot().revision());
    CHECK(response.snapshot_taken_at().seconds() > 0);
    CHECK_FALSE(response.explanation().summary().empty());
    CHECK(response.explanation().clusters_size() == 6);
    CHECK_FALSE(fleet.Get(kMultiClusterDeployments, "default", "what-if").has_value());
  }

  SECTION("errors name the problem") {
    v1::PlaceRequest request = OneCpu("x");
    v1::PlaceResponse response;
    grpc::Status status = stub->Place(Context().get(), request, &response);
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(status.error_message(), Catch::Contains("replica_count"));

    request.set_replicas_per_location(1);
    status = stub->Place(Context().get(), request, &response);
    CHECK(status.error_code() == grpc::StatusCode::NOT_FOUND);
    CHECK_THAT(status.error_message(), Catch::Contains("workload"));

    v1::BurstRequest burst;
    *burst.mutable_workload() = request.workload();
    burst.set_near_cluster("paris");
    burst.set_replicas(1);
    burst.set_dry_run(true);
    v1::BurstResponse burst_response;
    status = stub->Burst(Context().get(), burst, &burst_response);
    CHECK(status.error_code() == grpc::StatusCode::NOT_FOUND);
    CHECK_THAT(status.error_message(), Catch::Contains("near_cluster"));
  }

  SECTION("persisted decisions are applied by the controller") {
    CommandResult applied =
        fleet.Kubectl({"apply", "-f", SourcePath("examples/mcd-affinity.yaml")});
    REQUIRE(applied.exit_code == 0);
    REQUIRE(fleet.WaitForCondition("default", "web", "Propagated", "True"));
    REQUIRE(fleet.MemberDeployments("default", "web") ==
            std::map<std::string, int>{{"lille", 1}, {"rennes", 3}});
    std::optional<kubeapi::Object> web = fleet.Get(kMultiClusterDeployments, "default", "web");
    REQUIRE(web.has_value());

    // A stale uid is refused.
    v1::OffloadRequest offload;
    offload.mutable_workload()->set_kind(v1::WORKLOAD_KIND_MULTI_CLUSTER_DEPLOYMENT);
    offload.mutable_workload()->set_namespace_("default");
    offload.mutable_workload()->set_name("web");
    offload.mutable_workload()->set_uid("not-the-uid");
    offload.set_from_cluster("rennes");
    offload.set_replicas(1);
    offload.mutable_replica()->mutable_requests()->set_cpu_millis(250);
    offload.mutable_replica()->mutable_requests()->set_memory_bytes(128 << 20);
    (*offload.mutable_current_placement())["rennes"] = 3;
    (*offload.mutable_current_placement())["lille"] = 1;
    offload.set_allow_cloud(true);
    v1::OffloadResponse response;
    grpc::Status status = stub->Offload(Context().get(), offload, &response);
    CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK_THAT(status.error_message(), Catch::Contains("workload.uid"));

    // One replica leaves Rennes for its nearest cluster, Nantes (2.16 ms).
    offload.mutable_workload()->set_uid(std::string(web->uid()));
    offload.set_explain(true);
    status = stub->Offload(Context().get(), offload, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    const std::map<std::string, int> moved{{"lille", 1}, {"nantes", 1}, {"rennes", 2}};
    CHECK(ByCluster(response.placement()) == moved);
    CHECK(response.persisted());
    CHECK(WaitFor([&] { return fleet.MemberDeployments("default", "web") == moved; },
                  absl::Seconds(30)));
    CHECK(fleet.StatusPlacement("default", "web") == moved);
  }

  SECTION("a PlaceStream answers every request in order, errors included") {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    std::unique_ptr<grpc::ClientReaderWriter<v1::PlaceRequest, v1::PlaceStreamResponse>> stream =
        stub->PlaceStream(&context);
    // Written all at once, before any answer is read: 1 to 20 replicas, the
    // eleventh without a replica count, and one recorded decision for an
    // MCD that does not exist.
    for (int i = 1; i <= 20; ++i) {
      v1::PlaceRequest request = OneCpu("stream");
      if (i != 11) request.set_replicas_per_location(i);
      request.set_dry_run(i != 15);
      REQUIRE(stream->Write(request));
    }
    REQUIRE(stream->WritesDone());
    std::vector<v1::PlaceStreamResponse> answers;
    v1::PlaceStreamResponse answer;
    while (stream->Read(&answer)) answers.push_back(answer);
    grpc::Status status = stream->Finish();
    INFO(status.error_message());
    REQUIRE(status.ok());
    REQUIRE(answers.size() == 20);
    for (int i = 1; i <= 20; ++i) {
      const v1::PlaceStreamResponse& a = answers[i - 1];
      INFO("request " << i << ": " << a.error_message());
      if (i == 11) {
        CHECK(a.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
        CHECK_THAT(a.error_message(), Catch::Contains("replica_count"));
        CHECK_FALSE(a.has_response());
      } else if (i == 15) {
        CHECK(a.error_code() == grpc::StatusCode::NOT_FOUND);
        CHECK_THAT(a.error_message(), Catch::Contains("workload"));
      } else {
        REQUIRE(a.error_code() == 0);
        CHECK(Sum(ByCluster(a.response().placement())) + a.response().unplaced_replicas() == i);
        CHECK_FALSE(a.response().persisted());
      }
    }
  }

  SECTION("burst near a full cluster goes to its neighbours") {
    v1::BurstRequest burst;
    *burst.mutable_workload() = OneCpu("b").workload();
    burst.mutable_replica()->mutable_requests()->set_cpu_millis(1000);
    burst.mutable_replica()->mutable_requests()->set_memory_bytes(int64_t{1} << 30);
    burst.set_near_cluster("nantes");
    burst.set_replicas(25);
    burst.set_dry_run(true);
    v1::BurstResponse response;
    grpc::Status status = stub->Burst(Context().get(), burst, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    CHECK(ByCluster(response.placement()) ==
          std::map<std::string, int>{{"nantes", 10}, {"rennes", 15}});
    for (const v1::ClusterAssignment& a : response.placement().assignments()) {
      if (a.cluster() == "rennes") CHECK(a.reason() == v1::ASSIGNMENT_REASON_BURST);
    }
  }
}

TEST_CASE("without a cluster-state snapshot decisions wait", "[scheduler][e2e]") {
  FleetOptions options;
  options.no_cluster_state = true;
  Fleet fleet(options);
  auto stub = Stub(fleet);
  v1::PlaceRequest request = OneCpu("w");
  request.set_replicas_per_location(1);
  request.set_dry_run(true);
  v1::PlaceResponse response;
  grpc::Status status = stub->Place(Context().get(), request, &response);
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(status.error_message(), Catch::Contains("snapshot"));
  REQUIRE(fleet.Kubectl({"apply", "-f", SourcePath("examples/mcd-affinity.yaml")}).exit_code == 0);
  CHECK(WaitFor(
      [&] {
        std::optional<kubeapi::Object> web = fleet.Get(kMultiClusterDeployments, "default", "web");
        if (!web.has_value()) return false;
        std::optional<Condition> scheduled = FindCondition(*web, "Scheduled");
        return scheduled.has_value() && scheduled->status == "Unknown" &&
               scheduled->reason == "WaitingForClusterState";
      },
      absl::Seconds(30)));
  CHECK(fleet.AllManagedDeployments().empty());
}

TEST_CASE(
    "with --leader-elect it leads through a Lease and "
    "releases it",
    "[scheduler][e2e]") {
  FleetOptions options;
  options.scheduler_args = {"--leader-elect", "--leader-election-namespace", "default"};
  Fleet fleet(options);
  REQUIRE(WaitFor(
      [&] {
        absl::StatusOr<kubeapi::Object> lease =
            fleet.management().Get(kLeases, "default", "mck8s-scheduler");
        return lease.ok() && !lease->FindString("/spec/holderIdentity").value_or("").empty();
      },
      absl::Seconds(30)));
  REQUIRE(fleet.Kubectl({"apply", "-f", SourcePath("examples/mcd-affinity.yaml")}).exit_code == 0);
  CHECK(fleet.WaitForCondition("default", "web", "Propagated", "True"));
  REQUIRE(fleet.StopScheduler() == std::optional<int>(0));
  absl::StatusOr<kubeapi::Object> lease =
      fleet.management().Get(kLeases, "default", "mck8s-scheduler");
  REQUIRE(lease.ok());
  CHECK(lease->FindString("/spec/holderIdentity").value_or("") == "");
}

TEST_CASE("SIGKILL at random points while 200 MCDs are applied", "[scheduler][e2e][slow]") {
  Fleet fleet;
  constexpr int kMcds = 200;
  constexpr int kBatch = 20;
  REQUIRE(fleet
              .Kubectl({"apply", "-f", "-"},
                       "apiVersion: v1\nkind: Namespace\nmetadata: {name: kill}\n")
              .exit_code == 0);
  std::vector<std::string> batches;
  for (int b = 0; b < kMcds / kBatch; ++b) {
    std::string yaml;
    for (int i = b * kBatch; i < (b + 1) * kBatch; ++i) {
      absl::StrAppend(&yaml, "---\napiVersion: fogguru.eu/v1\nkind: MultiClusterDeployment\n",
                      "metadata: {name: m", i, ", namespace: kill}\nspec:\n",
                      "  placementPolicy: worst-fit\n  numberOfLocations: 2\n  replicas: "
                      "1\n",
                      "  template:\n    metadata: {labels: {app: m", i, "}}\n    spec:\n",
                      "      containers: [{name: c, image: nginx, resources: {requests: ",
                      "{cpu: 10m, memory: 16Mi}}}]\n");
    }
    batches.push_back(std::move(yaml));
  }
  auto scheduled = [&] {
    absl::StatusOr<kubeapi::ObjectList> list =
        fleet.management().List(kMultiClusterDeployments, "kill");
    int count = 0;
    if (!list.ok()) return count;
    for (const kubeapi::Object& mcd : list->items) {
      if (FindCondition(mcd, "Scheduled").has_value()) ++count;
    }
    return count;
  };

  std::random_device seed_source;
  const unsigned seed = seed_source();
  INFO("seed " << seed);
  std::mt19937 random(seed);
  // Kill points: after a random number of MCDs got a decision, spread over
  // the whole run.
  std::vector<int> kill_after;
  for (int k = 0; k < 5; ++k) {
    kill_after.push_back(std::uniform_int_distribution<int>(k * 35 + 1, k * 35 + 35)(random));
  }

  std::atomic<bool> applied{false};
  std::atomic<int> apply_failures{0};
  std::thread applier([&] {
    for (const std::string& batch : batches) {
      // kubectl retries nothing: a failure would be the sim's, not ours.
      if (fleet.Kubectl({"apply", "-f", "-"}, batch).exit_code != 0) ++apply_failures;
    }
    applied = true;
  });
  int kills = 0;
  for (int threshold : kill_after) {
    if (!WaitFor([&] { return scheduled() >= threshold || applied; }, absl::Seconds(60))) break;
    if (applied && scheduled() >= kMcds) break;
    fleet.KillScheduler();
    ++kills;
    fleet.StartScheduler();
  }
  applier.join();
  REQUIRE(apply_failures == 0);
  CHECK(kills >= 1);

  // Everything converges.
  const bool converged = WaitFor(
      [&] {
        absl::StatusOr<kubeapi::ObjectList> list =
            fleet.management().List(kMultiClusterDeployments, "kill");
        if (!list.ok() || list->items.size() != kMcds) return false;
        for (const kubeapi::Object& mcd : list->items) {
          std::optional<Condition> propagated = FindCondition(mcd, "Propagated");
          if (!propagated.has_value() || propagated->status != "True") return false;
        }
        return true;
      },
      absl::Seconds(180));
  REQUIRE(converged);

  // Each MCD placed once: two clusters, one replica each, the members
  // holding exactly that; no other managed Deployment anywhere.
  std::map<std::string, int> expected;
  for (int i = 0; i < kMcds; ++i) {
    const std::string name = absl::StrCat("m", i);
    std::map<std::string, int> placement = fleet.StatusPlacement("kill", name);
    INFO(name);
    CHECK(placement.size() == 2);
    for (const auto& [cluster, replicas] : placement) {
      CHECK(replicas == 1);
      expected[cluster + "/kill/" + name] = replicas;
    }
  }
  std::map<std::string, int> actual;
  CHECK(WaitFor(
      [&] {
        actual = fleet.AllManagedDeployments();
        return actual == expected;
      },
      absl::Seconds(60)));
  CHECK(actual.size() == expected.size());
  for (const auto& [key, replicas] : actual) {
    INFO(key);
    CHECK(expected.contains(key));
  }
  // A decision, once recorded, was never taken again differently: at most
  // one Scheduled event per MCD.
  absl::StatusOr<kubeapi::ObjectList> events = fleet.management().List(kEvents, "kill");
  REQUIRE(events.ok());
  std::map<std::string, int> scheduled_events;
  for (const kubeapi::Object& e : events->items) {
    if (e.FindString("/reason") == std::optional<std::string_view>("Scheduled")) {
      scheduled_events[std::string(e.FindString("/involvedObject/name").value_or(""))] +=
          static_cast<int>(e.FindInt("/count").value_or(1));
    }
  }
  for (const auto& [name, count] : scheduled_events) {
    INFO(name);
    CHECK(count == 1);
  }
}

}  // namespace
}  // namespace mck8s::scheduler
