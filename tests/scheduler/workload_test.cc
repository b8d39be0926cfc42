// The scheduler's pure parts: MCD/MCJ specs to placement requests (the
// examples and a table of invalid specs), member objects, status records
// and conditions, the ClusterState conversions, and the gRPC request
// conversions.
#include "mck8s/scheduler/workload.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/match.h"
#include "fake_cluster_state.h"
#include "invalid_cases.h"
#include "mck8s/apischema/yaml_json.h"
#include "mck8s/placement/engine.h"
#include "mck8s/scheduler/cluster_state.h"
#include "mck8s/scheduler/scheduler_service.h"

namespace mck8s::scheduler {
namespace {

using kubeapi::Object;
using placement::WorkloadKind;

Object FromYaml(const std::string& yaml) {
  absl::StatusOr<rapidjson::Document> doc = apischema::ParseYamlDocument(yaml);
  REQUIRE(doc.ok());
  absl::StatusOr<Object> object = Object::FromJson(*doc);
  REQUIRE(object.ok());
  if (object->namespace_name().empty()) object->SetNamespace("default");
  return *std::move(object);
}

Object Example(const std::string& file) {
  std::ifstream in(std::string(MCK8S_SOURCE_DIR) + "/examples/" + file);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return FromYaml(text.str());
}

TEST_CASE("workload: the examples become placement requests", "[scheduler][unit]") {
  {
    absl::StatusOr<WorkloadSpec> spec =
        ParseWorkloadSpec(Example("mcd-hello.yaml"), WorkloadKind::kMultiClusterDeployment);
    REQUIRE(spec.ok());
    CHECK(spec->request.policy == placement::Policy::kTrafficAware);
    CHECK(spec->request.number_of_locations == 2);
    CHECK(std::get<placement::ReplicasPerLocation>(spec->request.replica_count).replicas == 2);
    CHECK(spec->request.replica.requests.cpu_millis == 1000);
    CHECK(spec->request.replica.requests.memory_bytes == int64_t{1} << 30);
    CHECK(spec->selector_string == "app=hello,tier=backend,track=stable");
    CHECK(placement::TotalReplicas(spec->request) == 4);
  }
  {
    absl::StatusOr<WorkloadSpec> spec =
        ParseWorkloadSpec(Example("mcd-affinity.yaml"), WorkloadKind::kMultiClusterDeployment);
    REQUIRE(spec.ok());
    CHECK(spec->request.policy == placement::Policy::kClusterAffinity);
    const auto& locations = std::get<placement::Locations>(spec->request.replica_count);
    REQUIRE(locations.clusters.size() == 2);
    CHECK(locations.clusters[0] == placement::ClusterReplicas{"rennes", 3});
    CHECK(locations.clusters[1] == placement::ClusterReplicas{"lille", 1});
    CHECK(spec->request.replica.requests.cpu_millis == 250);
  }
  {
    absl::StatusOr<WorkloadSpec> spec = ParseWorkloadSpec(Example("mcd-affinity-overflow.yaml"),
                                                          WorkloadKind::kMultiClusterDeployment);
    REQUIRE(spec.ok());
    CHECK(placement::TotalReplicas(spec->request) == 24);
    CHECK(EffectivePolicy(spec->request) == placement::Policy::kClusterAffinity);
  }
  {
    absl::StatusOr<WorkloadSpec> spec =
        ParseWorkloadSpec(Example("mcd-worst-fit.yaml"), WorkloadKind::kMultiClusterDeployment);
    REQUIRE(spec.ok());
    REQUIRE(spec->request.constraints.allowed.has_value());
    CHECK(spec->request.constraints.allowed->regions.size() == 4);
    CHECK(placement::TotalReplicas(spec->request) == 6);
  }
  {
    absl::StatusOr<WorkloadSpec> spec =
        ParseWorkloadSpec(Example("mcd-best-fit.yaml"), WorkloadKind::kMultiClusterDeployment);
    REQUIRE(spec.ok());
    CHECK(spec->request.policy == placement::Policy::kBestFit);
    REQUIRE(spec->request.constraints.tolerations.size() == 1);
    CHECK(spec->request.constraints.tolerations[0].op == placement::TolerationOperator::kExists);
  }
  {
    absl::StatusOr<WorkloadSpec> spec =
        ParseWorkloadSpec(Example("mcj-pi.yaml"), WorkloadKind::kMultiClusterJob);
    REQUIRE(spec.ok());
    CHECK(placement::TotalReplicas(spec->request) == 2);
    CHECK(spec->job_fields.FindInt("/completions") == 3);
    CHECK(spec->job_fields.FindInt("/backoffLimit") == 4);
  }
}

TEST_CASE("workload: quantities in every spelling", "[scheduler][unit]") {
  const std::string yaml = R"(apiVersion: fogguru.eu/v1
kind: MultiClusterDeployment
metadata: {name: q}
spec:
  template:
    metadata: {labels: {app: q}}
    spec:
      initContainers:
        - {name: init, image: busybox, resources: {requests: {cpu: "3", memory: 1G}}}
      containers:
        - {name: a, image: nginx, resources: {requests: {cpu: 1, memory: 1.5Gi}}}
        - {name: b, image: nginx, resources: {requests: {cpu: 500m, memory: 512Mi}}}
)";
  absl::StatusOr<WorkloadSpec> spec =
      ParseWorkloadSpec(FromYaml(yaml), WorkloadKind::kMultiClusterDeployment);
  REQUIRE(spec.ok());
  // Containers sum to 1500m / 2Gi; the init container needs 3 CPUs alone.
  CHECK(spec->request.replica.requests.cpu_millis == 3000);
  CHECK(spec->request.replica.requests.memory_bytes == int64_t{2} << 30);
  CHECK(spec->request.policy == std::nullopt);
  CHECK(EffectivePolicy(spec->request) == placement::Policy::kWorstFit);
}

TEST_CASE("workload: invalid specs name the field", "[scheduler][unit]") {
  for (const testing::InvalidCase& c : testing::InvalidCases()) {
    if (c.needs_fleet) continue;
    INFO(c.name);
    absl::StatusOr<WorkloadSpec> spec = ParseWorkloadSpec(
        FromYaml(testing::InvalidManifest(c, "default")), WorkloadKind::kMultiClusterDeployment);
    REQUIRE_FALSE(spec.ok());
    INFO(spec.status().message());
    CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StartsWith(spec.status().message(), c.field));
  }
  CHECK(testing::InvalidCases().size() >= 15);
}

TEST_CASE("workload: member Deployment and Job", "[scheduler][unit]") {
  Object mcd = Example("mcd-hello.yaml");
  absl::StatusOr<WorkloadSpec> spec = ParseWorkloadSpec(mcd, WorkloadKind::kMultiClusterDeployment);
  REQUIRE(spec.ok());
  Object deployment = BuildMemberObject(mcd, *spec, WorkloadKind::kMultiClusterDeployment, 3);
  CHECK(deployment.kind() == "Deployment");
  CHECK(deployment.name() == "hello");
  CHECK(deployment.namespace_name() == "default");
  CHECK(deployment.FindInt("/spec/replicas") == 3);
  CHECK(deployment.label(kDeploymentLabel) == std::optional<std::string_view>("default.hello"));
  CHECK(deployment.FindString("/spec/selector/matchLabels/app") ==
        std::optional<std::string_view>("hello"));
  CHECK(deployment.FindString("/spec/template/spec/containers/0/image") ==
        std::optional<std::string_view>("gcr.io/google-samples/hello-go-gke:1.0"));

  Object mcj = Example("mcj-pi.yaml");
  absl::StatusOr<WorkloadSpec> job_spec = ParseWorkloadSpec(mcj, WorkloadKind::kMultiClusterJob);
  REQUIRE(job_spec.ok());
  Object job = BuildMemberObject(mcj, *job_spec, WorkloadKind::kMultiClusterJob, 1);
  CHECK(job.kind() == "Job");
  CHECK(job.FindInt("/spec/completions") == 3);
  CHECK(job.FindString("/spec/template/spec/restartPolicy") ==
        std::optional<std::string_view>("Never"));
  CHECK(job.label(kJobLabel) == std::optional<std::string_view>("default.pi"));

  const std::string long_name(80, 'a');
  const std::string value =
      WorkloadLabelValue(WorkloadKind::kMultiClusterDeployment, "default", long_name);
  CHECK(value.size() <= 63);
  CHECK(value !=
        WorkloadLabelValue(WorkloadKind::kMultiClusterDeployment, "default", long_name + "b"));
}

TEST_CASE("workload: decisions and conditions in status", "[scheduler][unit]") {
  Object mcd = Example("mcd-hello.yaml");
  placement::Decision decision;
  decision.workload = {WorkloadKind::kMultiClusterDeployment, "default", "hello"};
  decision.assignments = {{"lille", 1, placement::AssignmentReason::kOffloaded},
                          {"rennes", 2, placement::AssignmentReason::kPreferred},
                          {"rennes", 1, placement::AssignmentReason::kOffloaded}};
  decision.unplaced_replicas = 1;
  decision.explanation.summary = "4 of 5 replicas placed";
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  std::vector<ClusterPlacement> placed =
      SetDecisionStatus(mcd, WorkloadKind::kMultiClusterDeployment, decision, 5, "app=hello", t0);
  REQUIRE(placed.size() == 2);
  CHECK(placed[0] == ClusterPlacement{"lille", 1, 0, "Offloaded"});
  CHECK(placed[1] == ClusterPlacement{"rennes", 3, 0, "Preferred"});
  CHECK(PlacementFromStatus(mcd) == placed);
  CHECK(ToCurrentPlacement(placed) == placement::CurrentPlacement{{"lille", 1}, {"rennes", 3}});
  CHECK(mcd.FindInt("/status/unplacedReplicas") == 1);
  CHECK(mcd.FindInt("/status/replicas") == 5);
  std::optional<Condition> scheduled = FindCondition(mcd, "Scheduled");
  REQUIRE(scheduled.has_value());
  CHECK(scheduled->reason == "PartiallyScheduled");
  CHECK(mcd.FindString("/status/conditions/0/lastTransitionTime") ==
        std::optional<std::string_view>("1970-01-01T00:16:40Z"));
  // The same status later keeps its transition time; a new status moves it.
  SetCondition(mcd, {"Scheduled", "True", "Scheduled", "again"}, t0 + absl::Hours(1));
  CHECK(mcd.FindString("/status/conditions/0/lastTransitionTime") ==
        std::optional<std::string_view>("1970-01-01T00:16:40Z"));
  SetCondition(mcd, {"Scheduled", "False", "Invalid", "x"}, t0 + absl::Hours(1));
  CHECK(mcd.FindString("/status/conditions/0/lastTransitionTime") ==
        std::optional<std::string_view>("1970-01-01T01:16:40Z"));
  CHECK(FindCondition(mcd, "Ready") == std::nullopt);
}

TEST_CASE("cluster state: the testbed snapshot becomes a model", "[scheduler][unit]") {
  v1::Snapshot snapshot = testing::SnapshotFromTestbed(testing::FogGuruTestbed(), "one");
  absl::StatusOr<std::shared_ptr<const placement::ClusterModel>> model = SnapshotToModel(snapshot);
  REQUIRE(model.ok());
  CHECK((*model)->size() == 6);
  const placement::ClusterIndex nancy = *(*model)->Find("nancy");
  CHECK((*model)->kind(nancy) == placement::ClusterKind::kCloud);
  CHECK((*model)->cluster(nancy).taints.size() == 1);
  const placement::ClusterIndex nantes = *(*model)->Find("nantes");
  std::span<const placement::Neighbour> near = (*model)->NeighboursByRtt(nantes);
  REQUIRE_FALSE(near.empty());
  CHECK((*model)->cluster(near[0].cluster).name == "rennes");
  CHECK(near[0].rtt_ms == Approx(2.16));

  v1::Snapshot bad = snapshot;
  // clusters(1) is nantes, which has no taint of its own.
  bad.mutable_clusters(1)->mutable_identity()->add_taints()->set_key("k");
  absl::StatusOr<std::shared_ptr<const placement::ClusterModel>> rejected = SnapshotToModel(bad);
  REQUIRE_FALSE(rejected.ok());
  CHECK(absl::StartsWith(rejected.status().message(), "clusters[1].identity.taints[0].effect"));
}

TEST_CASE("cluster state: deltas change, remove and add clusters and RTTs", "[scheduler][unit]") {
  v1::Snapshot snapshot = testing::SnapshotFromTestbed(testing::FogGuruTestbed(), "one");
  v1::SnapshotDelta delta;
  delta.set_base_revision(1);
  delta.add_removed_clusters("lille");
  v1::ClusterStatus changed = snapshot.clusters(0);
  changed.mutable_health()->set_state(v1::HEALTH_STATE_UNREACHABLE);
  *delta.add_changed_clusters() = changed;
  v1::RttEntry* rtt = delta.add_changed_rtt();
  rtt->set_from_cluster("nantes");
  rtt->set_to_cluster("rennes");
  rtt->set_rtt_ms(50);
  v1::ClusterPair* gone = delta.add_removed_rtt();
  gone->set_from_cluster("rennes");
  gone->set_to_cluster("nantes");
  REQUIRE(ApplySnapshotDelta(2, delta, snapshot).ok());
  CHECK(snapshot.revision() == 2);
  CHECK(snapshot.clusters_size() == 5);
  for (const v1::RttEntry& e : snapshot.rtt()) {
    CHECK(e.from_cluster() != "lille");
    CHECK(e.to_cluster() != "lille");
    CHECK_FALSE((e.from_cluster() == "rennes" && e.to_cluster() == "nantes"));
    if (e.from_cluster() == "nantes" && e.to_cluster() == "rennes") CHECK(e.rtt_ms() == 50);
  }
  absl::StatusOr<std::shared_ptr<const placement::ClusterModel>> model = SnapshotToModel(snapshot);
  REQUIRE(model.ok());
  CHECK((*model)->health(*(*model)->Find(changed.identity().name())) ==
        placement::Health::kUnreachable);
  // A delta for another base is refused.
  delta.set_base_revision(7);
  CHECK(ApplySnapshotDelta(8, delta, snapshot).code() == absl::StatusCode::kFailedPrecondition);
}

// The figures a decision reads, for comparing two models of one snapshot.
std::string Describe(const placement::ClusterModel& model) {
  std::ostringstream out;
  out << "revision " << model.revision() << "\n";
  for (placement::ClusterIndex i = 0; i < model.size(); ++i) {
    const placement::Cluster& c = model.cluster(i);
    out << c.name << " " << placement::HealthName(model.health(i)) << " "
        << (model.kind(i) == placement::ClusterKind::kCloud ? "cloud" : "fog") << " "
        << model.receive_rate(i) << " taints " << c.taints.size() << "\n";
    for (const placement::Node& n : c.nodes) {
      out << "  " << n.name << " " << n.free.cpu_millis << " " << n.free.memory_bytes << " "
          << n.free.pods << " " << n.schedulable << " labels " << n.labels.size() << "\n";
    }
    for (const placement::WorkloadStats& w : c.workloads) {
      out << "  " << w.workload.String() << " " << w.ready_replicas << "\n";
    }
    const placement::ClusterFitIndex& fit = model.fit_index(i);
    out << "  fit " << fit.plain_cpu_millis << " " << fit.plain_memory_bytes << " "
        << fit.plain_pods << " " << fit.plain_nodes << "\n";
    for (const placement::Neighbour& n : model.NeighboursByRtt(i)) {
      out << "  -> " << model.cluster(n.cluster).name << " " << n.rtt_ms << "\n";
    }
  }
  return out.str();
}

TEST_CASE("cluster state: a followed feed gives the model of its snapshot", "[scheduler][unit]") {
  v1::Snapshot snapshot = testing::SnapshotFromTestbed(testing::FogGuruTestbed(), "one");
  snapshot.set_revision(1);
  const v1::Snapshot initial = snapshot;
  ModelFollower follower;
  absl::StatusOr<std::shared_ptr<const placement::ClusterModel>> model = follower.Reset(snapshot);
  REQUIRE(model.ok());
  CHECK(Describe(**model) == Describe(**SnapshotToModel(snapshot)));

  // Random deltas: change a cluster's free room and health, remove one,
  // bring one back, change and remove RTTs. After every event the model
  // equals the one converted from scratch.
  std::mt19937 random(20261125);
  uint64_t revision = 1;
  for (int step = 0; step < 200; ++step) {
    v1::SnapshotDelta delta;
    delta.set_base_revision(revision);
    const v1::Snapshot& held = follower.snapshot();
    const int pick = static_cast<int>(random() % held.clusters_size());
    switch (random() % 4) {
      case 0: {
        v1::ClusterStatus changed = held.clusters(pick);
        for (v1::NodeStatus& node : *changed.mutable_nodes()) {
          node.mutable_free()->set_cpu_millis(random() % 4000);
          node.set_free_pods(random() % 20);
        }
        changed.mutable_health()->set_state(random() % 2 ? v1::HEALTH_STATE_READY
                                                         : v1::HEALTH_STATE_DEGRADED);
        *delta.add_changed_clusters() = changed;
        break;
      }
      case 1:
        if (held.clusters_size() > 2) {
          delta.add_removed_clusters(held.clusters(pick).identity().name());
        }
        break;
      case 2:
        // Back from the initial snapshot (a no-op change when present).
        *delta.add_changed_clusters() = initial.clusters(random() % initial.clusters_size());
        for (const v1::RttEntry& e : initial.rtt()) *delta.add_changed_rtt() = e;
        break;
      case 3:
        if (held.rtt_size() > 0) {
          const v1::RttEntry& e = held.rtt(random() % held.rtt_size());
          if (random() % 2) {
            v1::ClusterPair* gone = delta.add_removed_rtt();
            gone->set_from_cluster(e.from_cluster());
            gone->set_to_cluster(e.to_cluster());
          } else {
            v1::RttEntry* changed = delta.add_changed_rtt();
            *changed = e;
            changed->set_rtt_ms(1 + random() % 100);
          }
        }
        break;
    }
    ++revision;
    model = follower.Apply(revision, delta);
    INFO("step " << step);
    REQUIRE(model.ok());
    CHECK((*model)->revision() == revision);
    absl::StatusOr<std::shared_ptr<const placement::ClusterModel>> fresh =
        SnapshotToModel(follower.snapshot());
    REQUIRE(fresh.ok());
    REQUIRE(Describe(**model) == Describe(**fresh));
  }

  // A rejected cluster stops models until an event replaces it.
  v1::SnapshotDelta bad;
  bad.set_base_revision(revision);
  v1::ClusterStatus broken = initial.clusters(1);
  broken.mutable_identity()->add_taints()->set_key("k");
  *bad.add_changed_clusters() = broken;
  model = follower.Apply(++revision, bad);
  REQUIRE_FALSE(model.ok());
  CHECK(absl::StrContains(model.status().message(), ".identity.taints[0].effect"));
  v1::SnapshotDelta unrelated;
  unrelated.set_base_revision(revision);
  *unrelated.add_changed_clusters() = initial.clusters(0);
  model = follower.Apply(++revision, unrelated);
  CHECK_FALSE(model.ok());
  v1::SnapshotDelta repaired;
  repaired.set_base_revision(revision);
  *repaired.add_changed_clusters() = initial.clusters(1);
  model = follower.Apply(++revision, repaired);
  REQUIRE(model.ok());
  CHECK(Describe(**model) == Describe(**SnapshotToModel(follower.snapshot())));

  // Out of step: refused, and nothing changes.
  v1::SnapshotDelta stale;
  stale.set_base_revision(revision - 1);
  CHECK(follower.Apply(revision + 1, stale).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(follower.snapshot().revision() == revision);
}

TEST_CASE("cluster state: the workloads a new model changes", "[scheduler][unit]") {
  v1::Snapshot snapshot = testing::SnapshotFromTestbed(testing::FogGuruTestbed(), "one");
  snapshot.set_revision(1);
  auto add = [](v1::ClusterStatus& status, const std::string& name, int desired, int ready) {
    v1::WorkloadStats* stats = status.add_workloads();
    stats->set_kind(v1::WORKLOAD_KIND_MULTI_CLUSTER_DEPLOYMENT);
    stats->set_namespace_("default");
    stats->set_name(name);
    stats->set_desired_replicas(desired);
    stats->set_ready_replicas(ready);
  };
  add(*snapshot.mutable_clusters(0), "web", 2, 1);
  add(*snapshot.mutable_clusters(1), "web", 1, 1);
  add(*snapshot.mutable_clusters(1), "api", 3, 3);
  ModelFollower follower;
  std::shared_ptr<const placement::ClusterModel> first = *follower.Reset(snapshot);
  auto names = [](const std::vector<placement::WorkloadKey>& keys) {
    std::vector<std::string> out;
    for (const placement::WorkloadKey& key : keys) out.push_back(key.String());
    return out;
  };
  // Everything is new against nothing.
  CHECK(names(ChangedWorkloads(nullptr, *first)) ==
        std::vector<std::string>{"mcd default/api", "mcd default/web"});
  CHECK(ChangedWorkloads(first.get(), *first).empty());

  // web becomes ready on clusters(0); api is untouched on clusters(1),
  // which the delta repeats unchanged.
  v1::SnapshotDelta ready;
  ready.set_base_revision(1);
  v1::ClusterStatus c0 = snapshot.clusters(0);
  c0.mutable_workloads(0)->set_ready_replicas(2);
  *ready.add_changed_clusters() = c0;
  *ready.add_changed_clusters() = snapshot.clusters(1);
  std::shared_ptr<const placement::ClusterModel> second = *follower.Apply(2, ready);
  CHECK(names(ChangedWorkloads(first.get(), *second)) ==
        std::vector<std::string>{"mcd default/web"});

  // A cluster leaves: what ran there changed.
  v1::SnapshotDelta gone;
  gone.set_base_revision(2);
  gone.add_removed_clusters(snapshot.clusters(1).identity().name());
  std::shared_ptr<const placement::ClusterModel> third = *follower.Apply(3, gone);
  CHECK(names(ChangedWorkloads(second.get(), *third)) ==
        std::vector<std::string>{"mcd default/api", "mcd default/web"});
}

TEST_CASE("grpc conversions: requests and errors naming the field", "[scheduler][unit]") {
  v1::PlaceRequest request;
  request.mutable_workload()->set_kind(v1::WORKLOAD_KIND_MULTI_CLUSTER_DEPLOYMENT);
  request.mutable_workload()->set_namespace_("default");
  request.mutable_workload()->set_name("web");
  request.mutable_replica()->mutable_requests()->set_cpu_millis(250);
  request.set_replicas_per_location(2);
  request.set_number_of_locations(3);
  request.set_policy(v1::PLACEMENT_POLICY_BEST_FIT);
  v1::LabelSelectorRequirement* r = request.mutable_constraints()
                                        ->mutable_allowed()
                                        ->mutable_label_selector()
                                        ->add_match_expressions();
  r->set_key("fogguru.eu/tier");
  r->set_operator_(v1::LABEL_SELECTOR_OPERATOR_IN);
  r->add_values("fog");
  absl::StatusOr<placement::PlaceRequest> converted = FromProto(request);
  REQUIRE(converted.ok());
  CHECK(converted->policy == placement::Policy::kBestFit);
  CHECK(placement::TotalReplicas(*converted) == 6);
  REQUIRE(converted->constraints.allowed->label_selector.has_value());
  CHECK(converted->constraints.allowed->label_selector->String() == "fogguru.eu/tier in (fog)");

  struct Case {
    std::function<void(v1::PlaceRequest&)> mutate;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](v1::PlaceRequest& p) { p.mutable_workload()->set_kind(v1::WORKLOAD_KIND_UNSPECIFIED); },
       "workload.kind"},
      {[](v1::PlaceRequest& p) { p.clear_replica_count(); }, "replica_count"},
      {[](v1::PlaceRequest& p) { p.set_policy(static_cast<v1::PlacementPolicy>(42)); }, "policy"},
      {[](v1::PlaceRequest& p) { p.mutable_replica()->mutable_requests()->set_cpu_millis(-1); },
       "replica.requests.cpu_millis"},
      {[](v1::PlaceRequest& p) { p.set_replicas_per_location(-3); }, "replicas_per_location"},
      {[](v1::PlaceRequest& p) {
         p.mutable_constraints()
             ->mutable_allowed()
             ->mutable_label_selector()
             ->mutable_match_expressions(0)
             ->set_operator_(v1::LABEL_SELECTOR_OPERATOR_UNSPECIFIED);
       },
       "constraints.allowed.label_selector.match_expressions[0].operator"},
      {[](v1::PlaceRequest& p) { p.set_policy(v1::PLACEMENT_POLICY_CLUSTER_AFFINITY); },
       "locations"},
  };
  for (const Case& c : cases) {
    v1::PlaceRequest bad = request;
    c.mutate(bad);
    absl::StatusOr<placement::PlaceRequest> result = FromProto(bad);
    INFO(c.field);
    REQUIRE_FALSE(result.ok());
    INFO(result.status().message());
    CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StrContains(result.status().message(), c.field));
  }

  v1::BurstRequest burst;
  *burst.mutable_workload() = request.workload();
  burst.set_near_cluster("");
  burst.set_replicas(1);
  absl::StatusOr<placement::BurstRequest> no_near = FromProto(burst);
  REQUIRE_FALSE(no_near.ok());
  CHECK(absl::StrContains(no_near.status().message(), "near_cluster"));
}

}  // namespace
}  // namespace mck8s::scheduler
