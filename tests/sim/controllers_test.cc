// The cluster behaviour of the FogGuru fleet, in process: Deployments make
// pods, the binder places what fits and leaves the rest Pending with the
// reason, Jobs run to completion. Waits are on watch events, with deadlines.

#include "mck8s/sim/controllers.h"

#include <functional>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mck8s/apischema/yaml_json.h"
#include "mck8s/sim/fleet.h"
#include "mck8s/sim/json.h"
#include "mck8s/sim/testbed.h"
#include "process.h"

namespace mck8s::sim {
namespace {

constexpr absl::Duration kDeadline = absl::Seconds(20);

class Running {
 public:
  explicit Running(ClusterControllers::Options options = {}) : controllers_(options) {
    absl::StatusOr<Testbed> testbed =
        LoadTestbed(testing::SourcePath("sim/testbeds/fogguru.yaml"));
    REQUIRE(testbed.ok());
    absl::StatusOr<std::unique_ptr<Fleet>> fleet = Fleet::Create(*testbed, {});
    REQUIRE(fleet.ok());
    fleet_ = std::move(*fleet);
    for (const std::string& name : fleet_->ClusterNames()) controllers_.Add(fleet_->cluster(name));
    REQUIRE(controllers_.Start().ok());
  }
  ~Running() { controllers_.Stop(); }

  Cluster& cluster(absl::string_view name) { return *fleet_->cluster(name); }

  void Apply(absl::string_view cluster_name, const ResourceType& type, absl::string_view yaml) {
    absl::StatusOr<rapidjson::Document> doc =
        apischema::ParseYamlDocument(std::string_view(yaml.data(), yaml.size()));
    REQUIRE(doc.ok());
    auto created = cluster(cluster_name).Create(type, "default", std::move(*doc), {});
    INFO(created.status().ToString());
    REQUIRE(created.ok());
  }

  // Waits until `done` holds for the store of `cluster_name`, re-checking on
  // every change of `resource_id`.
  bool WaitFor(absl::string_view cluster_name, const std::string& resource_id,
               const std::function<bool(ObjectStore&)>& done) {
    ObjectStore& store = cluster(cluster_name).store();
    auto watch = store.StartWatch(resource_id, {.from_resource_version = store.CurrentResourceVersion()});
    REQUIRE(watch.ok());
    absl::Time deadline = absl::Now() + kDeadline;
    bool ok = done(store);
    while (!ok && absl::Now() < deadline) {
      (*watch)->WaitForEvents(deadline - absl::Now());
      (*watch)->TakeEvents();
      ok = done(store);
    }
    (*watch)->Stop();
    return ok;
  }

 private:
  std::unique_ptr<Fleet> fleet_;
  ClusterControllers controllers_;
};

const ResourceType& Type(Cluster& cluster, absl::string_view group, absl::string_view plural) {
  static std::vector<std::shared_ptr<const ResourceCatalog>> keep;
  keep.push_back(cluster.catalog());
  const ResourceType* type = keep.back()->Find(group, group.empty() ? "v1" : "v1", plural);
  REQUIRE(type != nullptr);
  return *type;
}

struct PodCount {
  int running = 0;
  int pending = 0;
  int succeeded = 0;
  int unschedulable = 0;
  std::map<std::string, int> per_node;
};

PodCount CountPods(ObjectStore& store) {
  PodCount count;
  auto pods = store.List("pods", {});
  for (const ObjectRef& pod : pods->items) {
    absl::string_view phase = pod->Field("status.phase");
    if (phase == "Running") ++count.running;
    if (phase == "Pending") ++count.pending;
    if (phase == "Succeeded") ++count.succeeded;
    if (!pod->Field("spec.nodeName").empty()) ++count.per_node[std::string(pod->Field("spec.nodeName"))];
    if (absl::StrContains(pod->json, R"("reason":"Unschedulable")")) ++count.unschedulable;
  }
  return count;
}

constexpr char kThirtyCpus[] = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: crunch}
spec:
  replicas: 30
  selector: {matchLabels: {app: crunch}}
  template:
    metadata: {labels: {app: crunch}}
    spec:
      containers:
      - name: crunch
        image: busybox
        resources: {requests: {cpu: "1", memory: 256Mi}}
)";

TEST_CASE("30 pods of 1 CPU in nantes: what fits runs, the rest is Pending",
          "[sim][controllers]") {
  Running fleet;
  const ResourceType& deployments = Type(fleet.cluster("nantes"), "apps", "deployments");
  fleet.Apply("nantes", deployments, kThirtyCpus);
  // Five 2-CPU workers hold two pods each; the control plane is tainted.
  REQUIRE(fleet.WaitFor("nantes", "pods", [](ObjectStore& store) {
    PodCount c = CountPods(store);
    return c.running == 10 && c.pending == 20 && c.unschedulable == 20;
  }));
  PodCount c = CountPods(fleet.cluster("nantes").store());
  CHECK(c.per_node.size() == 5);
  CHECK(c.per_node.count("nantes-control-plane") == 0);
  for (const auto& [node, n] : c.per_node) CHECK(n == 2);
  auto pods = fleet.cluster("nantes").store().List("pods", {});
  for (const ObjectRef& pod : pods->items) {
    if (pod->Field("status.phase") != "Pending") continue;
    CHECK_THAT(pod->json, Catch::Contains(
                              "0/6 nodes are available: 5 Insufficient cpu, 1 node(s) had "
                              "untolerated taint {node-role.kubernetes.io/control-plane: }."));
    break;
  }
  REQUIRE(fleet.WaitFor("nantes", "deployments.apps", [](ObjectStore& store) {
    auto d = store.Get("deployments.apps", "default", "crunch");
    rapidjson::Document doc = (*d)->Parse();
    return GetInt(doc, {"status", "replicas"}) == 30 &&
           GetInt(doc, {"status", "readyReplicas"}) == 10 &&
           GetInt(doc, {"status", "unavailableReplicas"}) == 20 &&
           GetInt(doc, {"status", "observedGeneration"}) == 1;
  }));

  // Scaling down frees room: Pending pods go first, the running stay.
  REQUIRE(fleet.cluster("nantes")
              .Patch(deployments, "default", "crunch", "scale", PatchType::kMerge,
                     R"({"spec":{"replicas":8}})", {})
              .ok());
  REQUIRE(fleet.WaitFor("nantes", "pods", [](ObjectStore& store) {
    PodCount c = CountPods(store);
    return c.running == 8 && c.pending == 0;
  }));

  // Deleting the Deployment takes its pods with it.
  REQUIRE(fleet.cluster("nantes").Delete(deployments, "default", "crunch", {}, {}).ok());
  CHECK(fleet.cluster("nantes").store().Count("pods") == 0);
}

TEST_CASE("pending pods are placed once room appears", "[sim][controllers]") {
  Running fleet;
  const ResourceType& deployments = Type(fleet.cluster("lille"), "apps", "deployments");
  std::string big = kThirtyCpus;
  big.replace(big.find("replicas: 30"), 12, "replicas: 12");
  fleet.Apply("lille", deployments, big);
  REQUIRE(fleet.WaitFor("lille", "pods", [](ObjectStore& store) {
    PodCount c = CountPods(store);
    return c.running == 10 && c.pending == 2;
  }));
  // Another deployment goes away... here: a node is added.
  const ResourceType& nodes = Type(fleet.cluster("lille"), "", "nodes");
  auto worker = fleet.cluster("lille").store().Get("nodes", "", "lille-worker-1");
  rapidjson::Document node = (*worker)->Parse();
  node["metadata"]["name"].SetString("lille-worker-6");
  RemoveMember(node["metadata"], "uid");
  RemoveMember(node["metadata"], "resourceVersion");
  REQUIRE(fleet.cluster("lille").Create(nodes, "", std::move(node), {}).ok());
  REQUIRE(fleet.WaitFor("lille", "pods", [](ObjectStore& store) {
    PodCount c = CountPods(store);
    return c.running == 12 && c.pending == 0 && c.per_node["lille-worker-6"] == 2;
  }));
}

TEST_CASE("the binder honours nodeSelector and tolerations", "[sim][controllers]") {
  Running fleet;
  const ResourceType& pods = Type(fleet.cluster("rennes"), "", "pods");
  fleet.Apply("rennes", pods, R"(
apiVersion: v1
kind: Pod
metadata: {name: on-master}
spec:
  nodeSelector: {node-role.kubernetes.io/control-plane: ""}
  tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]
  containers: [{name: c, image: busybox}]
)");
  fleet.Apply("rennes", pods, R"(
apiVersion: v1
kind: Pod
metadata: {name: nowhere}
spec:
  nodeSelector: {disk: ssd}
  containers: [{name: c, image: busybox}]
)");
  REQUIRE(fleet.WaitFor("rennes", "pods", [](ObjectStore& store) {
    auto master = store.Get("pods", "default", "on-master");
    auto nowhere = store.Get("pods", "default", "nowhere");
    return (*master)->Field("spec.nodeName") == "rennes-control-plane" &&
           (*master)->Field("status.phase") == "Running" &&
           absl::StrContains((*nowhere)->json,
                             "5 node(s) didn't match Pod's node affinity/selector");
  }));
}

TEST_CASE("a Job runs its pods to completion", "[sim][controllers]") {
  Running fleet({.job_run_duration = absl::ZeroDuration()});
  const ResourceType& jobs = Type(fleet.cluster("grenoble"), "batch", "jobs");
  fleet.Apply("grenoble", jobs, R"(
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: perl, resources: {requests: {cpu: 100m}}}]
)");
  REQUIRE(fleet.WaitFor("grenoble", "jobs.batch", [](ObjectStore& store) {
    auto job = store.Get("jobs.batch", "default", "pi");
    return absl::StrContains((*job)->json, R"("type":"Complete","status":"True")") &&
           GetInt((*job)->Parse(), {"status", "succeeded"}) == 3;
  }));
  PodCount c = CountPods(fleet.cluster("grenoble").store());
  CHECK(c.succeeded == 3);
  auto job = fleet.cluster("grenoble").store().Get("jobs.batch", "default", "pi");
  CHECK_FALSE(GetString((*job)->Parse(), {"status", "completionTime"}).empty());
}

}  // namespace
}  // namespace mck8s::sim
