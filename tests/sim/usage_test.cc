// The load model and what is derived from it: exact usage figures per pod and
// node, counters integrated over a simulated clock, metrics.k8s.io bodies and
// discovery, the Prometheus exposition; the testbed's `load:` and RTT
// round trip; deterministic fault rates.

#include "mck8s/sim/usage.h"

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "mck8s/apischema/yaml_json.h"
#include "mck8s/sim/control.h"
#include "mck8s/sim/fleet.h"
#include "mck8s/sim/http_server.h"
#include "mck8s/sim/json.h"
#include "mck8s/sim/metrics.h"
#include "mck8s/sim/testbed.h"

namespace mck8s::sim {
namespace {

constexpr char kTestbed[] = R"(
management: m
clusters:
  - name: m
    nodeGroups: [{name: worker, count: 1, cpu: "2", memory: 4Gi}]
  - name: edge
    controlPlane: {enabled: false}
    nodeGroups: [{name: worker, count: 2, cpu: "2", memory: 4Gi}]
rtt:
  m: {edge: 4.5}
load:
  idle: {cpu: 2m, memory: 10Mi, networkReceive: 100}
  system: {cpu: 100m, memory: 200Mi}
  workloads:
    - {cluster: edge, namespace: default, deployment: web, cpu: "1.5", networkReceive: 3000}
    - {cluster: edge, namespace: default, selector: "tier=batch", cpu: "10"}
)";

constexpr char kDeployment[] = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
)";

rapidjson::Document Yaml(absl::string_view text) {
  absl::StatusOr<rapidjson::Document> doc =
      apischema::ParseYamlDocument(std::string_view(text.data(), text.size()));
  INFO(doc.status().ToString());
  REQUIRE(doc.ok());
  return std::move(*doc);
}

rapidjson::Document Json(const std::string& text) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(text);
  INFO(text);
  REQUIRE(doc.ok());
  return std::move(*doc);
}

// A pod as the kubelet would report it. `containers` is a YAML flow list.
void AddPod(Cluster& cluster, const std::string& name, const std::string& labels,
            const std::string& node, const std::string& phase, const std::string& containers) {
  std::string yaml = absl::StrCat(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: ", name, ", labels: ", labels,
      "}\nspec: {nodeName: ", node, ", containers: ", containers, "}\nstatus: {phase: ", phase,
      ", conditions: [{type: Ready, status: \"", phase == "Running" ? "True" : "False", "\"}]}\n");
  absl::StatusOr<ObjectRef> created = cluster.store().Create("pods", "default", Yaml(yaml), {});
  INFO(created.status().ToString());
  REQUIRE(created.ok());
}

class Edge {
 public:
  Edge() {
    absl::StatusOr<Testbed> testbed = ParseTestbed(kTestbed);
    INFO(testbed.status().ToString());
    REQUIRE(testbed.ok());
    Fleet::Options options;
    options.clock = [this] {
      absl::MutexLock lock(&mu_);
      return now_;
    };
    absl::StatusOr<std::unique_ptr<Fleet>> fleet = Fleet::Create(*testbed, options);
    INFO(fleet.status().ToString());
    REQUIRE(fleet.ok());
    fleet_ = std::move(*fleet);
    Cluster& edge = *fleet_->cluster("edge");
    auto created = edge.Create(*edge.catalog()->Find("apps", "v1", "deployments"), "default",
                               Yaml(kDeployment), {});
    REQUIRE(created.ok());
    const std::string web = "[{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]";
    AddPod(edge, "web-a", "{app: web}", "edge-worker-1", "Running", web);
    AddPod(edge, "web-b", "{app: web}", "edge-worker-1", "Running", web);
    AddPod(edge, "web-c", "{app: web}", "edge-worker-2", "Running", web);
    AddPod(edge, "web-pending", "{app: web}", "\"\"", "Pending", web);
    AddPod(edge, "batch-1", "{tier: batch}", "edge-worker-1", "Running",
           "[{name: a, resources: {limits: {cpu: 500m}}}, "
           "{name: b, resources: {limits: {cpu: 500m}}}]");
    AddPod(edge, "batch-2", "{tier: batch}", "edge-worker-2", "Running", "[{name: main}]");
    AddPod(edge, "idle-1", "{}", "edge-worker-2", "Running", "[{name: main}]");
  }

  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  Fleet& fleet() { return *fleet_; }
  UsageModel& usage() { return *fleet_->usage("edge"); }
  ApiResponse Get(const std::string& path, const std::string& query = "",
                  const std::string& accept = "application/json") {
    ApiRequest request;
    request.method = "GET";
    request.path = path;
    request.query = query;
    request.accept = accept;
    return fleet_->Api("edge")->Handle(request);
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ = absl::FromUnixSeconds(1800000000);
  std::unique_ptr<Fleet> fleet_;
};

const PodUsage& PodOf(const UsageSnapshot& s, const std::string& name) {
  for (const PodUsage& p : s.pods) {
    if (p.name == name) return p;
  }
  FAIL("no usage for pod " << name);
  return s.pods.front();
}

const NodeUsage& NodeOf(const UsageSnapshot& s, const std::string& name) {
  for (const NodeUsage& n : s.nodes) {
    if (n.name == name) return n;
  }
  FAIL("no usage for node " << name);
  return s.nodes.front();
}

TEST_CASE("the testbed's load section", "[sim][usage]") {
  absl::StatusOr<Testbed> testbed = ParseTestbed(kTestbed);
  REQUIRE(testbed.ok());
  const LoadModel& load = testbed->load;
  CHECK(load.idle_cpu_millis == 2);
  CHECK(load.idle_memory_bytes == 10 * 1024 * 1024);
  CHECK(load.idle_network_rx_per_second == 100);
  CHECK(load.system_cpu_millis == 100);
  CHECK(load.system_memory_bytes == 200 * 1024 * 1024);
  REQUIRE(load.workloads.size() == 2);
  CHECK(load.workloads[0].cluster == "edge");
  CHECK(load.workloads[0].deployment == "web");
  CHECK(load.workloads[0].cpu_millis == 1500);
  CHECK(load.workloads[0].network_rx_per_second == 3000);
  CHECK(load.workloads[1].selector == "tier=batch");
  CHECK(load.workloads[1].cpu_millis == 10000);

  struct Bad {
    const char* load;
    const char* message;
  };
  const std::vector<Bad> cases = {
      {"{workloads: [{cluster: nowhere, deployment: web}]}",
       "load.workloads[0].cluster: \"nowhere\" names no cluster"},
      {"{workloads: [{cluster: m, deployment: web, selector: a=b}]}",
       "exactly one of deployment and selector"},
      {"{workloads: [{cluster: m}]}", "exactly one of deployment and selector"},
      {"{workloads: [{cluster: m, deployment: web, cpu: lots}]}", "load.workloads[0].cpu"},
      {"{workloads: [{cluster: m, selector: \"a in (\"}]}", "load.workloads[0].selector"},
      {"{idle: {cpu: -1}}", "load.idle.cpu"},
      {"{workloads: [{cluster: m, deployment: w}, {cluster: m, deployment: "
       "w}]}",
       "duplicate workload"},
  };
  for (const Bad& bad : cases) {
    absl::StatusOr<Testbed> parsed =
        ParseTestbed(absl::StrCat("management: m\nclusters: [{name: m}]\nload: ", bad.load, "\n"));
    INFO(bad.load);
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(std::string(parsed.status().message()), Catch::Contains(bad.message));
  }
}

TEST_CASE("usage is spread over ready pods, capped, idle otherwise", "[sim][usage]") {
  Edge edge;
  UsageSnapshot s = edge.usage().Observe();
  // Running pods only: the pending one has no usage.
  CHECK(s.pods.size() == 6);
  // 1.5 cores and 3000 B/s over the three ready web pods.
  for (const char* web : {"web-a", "web-b", "web-c"}) {
    const PodUsage& p = PodOf(s, web);
    CHECK(CpuNanocores(p.cpu_cores()) == "500000000n");
    CHECK(p.network_rx_per_second == 1000);
    CHECK(p.memory_bytes() == 64 * 1024 * 1024);  // its request
  }
  // 10 cores over two batch pods: 5 each, capped by limits (1 core, half per
  // container) or by the node's allocatable (2 cores).
  const PodUsage& batch1 = PodOf(s, "batch-1");
  REQUIRE(batch1.containers.size() == 2);
  CHECK(CpuNanocores(batch1.containers[0].cpu_cores) == "500000000n");
  CHECK(CpuNanocores(batch1.containers[1].cpu_cores) == "500000000n");
  CHECK(batch1.network_rx_per_second == 0);
  CHECK(batch1.memory_bytes() == 10 * 1024 * 1024);  // idle memory, no request
  CHECK(CpuNanocores(PodOf(s, "batch-2").cpu_cores()) == "2000000000n");
  // No workload: the idle figures.
  const PodUsage& idle = PodOf(s, "idle-1");
  CHECK(CpuNanocores(idle.cpu_cores()) == "2000000n");
  CHECK(idle.network_rx_per_second == 100);
  // Nodes: their pods plus the system figures.
  const NodeUsage& w1 = NodeOf(s, "edge-worker-1");
  CHECK(CpuNanocores(w1.cpu_cores) == "2100000000n");
  CHECK(MemoryQuantity(w1.memory_bytes) == "346112Ki");  // 2 x 64Mi + 10Mi + 200Mi
  CHECK(w1.network_rx_per_second == 2000);
  const NodeUsage& w2 = NodeOf(s, "edge-worker-2");
  CHECK(CpuNanocores(w2.cpu_cores) == "2602000000n");
  CHECK(MemoryQuantity(w2.memory_bytes) == "290816Ki");  // 64Mi + 2 x 10Mi + 200Mi
  CHECK(w2.network_rx_per_second == 1100);
  // The same state gives the same figures.
  UsageSnapshot again = edge.usage().Observe();
  CHECK(CpuNanocores(NodeOf(again, "edge-worker-2").cpu_cores) == "2602000000n");
}

TEST_CASE("counters integrate the load over simulated time", "[sim][usage]") {
  Edge edge;
  UsageSnapshot start = edge.usage().Observe();
  CHECK(PodOf(start, "web-a").containers[0].cpu_seconds_total == 0);
  edge.Advance(absl::Seconds(10));
  UsageSnapshot later = edge.usage().Observe();
  CHECK(PodOf(later, "web-a").containers[0].cpu_seconds_total == Approx(5.0));
  CHECK(PodOf(later, "web-a").network_rx_bytes_total == Approx(10000.0));
  CHECK(NodeOf(later, "edge-worker-1").network_rx_bytes_total == Approx(20000.0));
  CHECK(NodeOf(later, "edge-worker-1").cpu_seconds_total == Approx(21.0));

  // A new load counts from the moment it is set.
  WorkloadLoad more;
  more.cluster = "edge";
  more.deployment = "web";
  more.cpu_millis = 3000;
  edge.usage().SetWorkload(more);
  edge.Advance(absl::Seconds(10));
  UsageSnapshot last = edge.usage().Observe();
  CHECK(CpuNanocores(PodOf(last, "web-a").cpu_cores()) == "1000000000n");
  CHECK(PodOf(last, "web-a").containers[0].cpu_seconds_total == Approx(15.0));
  CHECK(PodOf(last, "web-a").network_rx_bytes_total == Approx(10000.0));
  REQUIRE(edge.usage().workloads().size() == 2);

  // Zero cpu and network removes the workload: its pods fall back to idle.
  more.cpu_millis = 0;
  edge.usage().SetWorkload(more);
  CHECK(CpuNanocores(PodOf(edge.usage().Observe(), "web-a").cpu_cores()) == "2000000n");
  CHECK(edge.usage().workloads().size() == 1);
}

TEST_CASE("metrics.k8s.io answers as metrics-server does", "[sim][usage]") {
  Edge edge;
  // Discovery, legacy and aggregated.
  ApiResponse groups = edge.Get("/apis");
  CHECK(absl::StrContains(groups.body, R"("name":"metrics.k8s.io")"));
  ApiResponse aggregated =
      edge.Get("/apis", "", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  CHECK(absl::StrContains(aggregated.body, R"("kind":"NodeMetrics")"));
  CHECK(absl::StrContains(aggregated.body, R"("kind":"PodMetrics")"));
  ApiResponse resources = edge.Get("/apis/metrics.k8s.io/v1beta1");
  REQUIRE(resources.status == 200);
  rapidjson::Document list = Json(resources.body);
  REQUIRE(list["resources"].Size() == 2);
  for (const rapidjson::Value& r : list["resources"].GetArray()) {
    CHECK(ToJson(r["verbs"]) == R"(["get","list"])");
  }

  ApiResponse node = edge.Get("/apis/metrics.k8s.io/v1beta1/nodes/edge-worker-1");
  REQUIRE(node.status == 200);
  rapidjson::Document n = Json(node.body);
  CHECK(GetString(n, {"kind"}) == "NodeMetrics");
  CHECK(GetString(n, {"window"}) == "10s");
  CHECK(GetString(n, {"timestamp"}) == "2027-01-15T08:00:00Z");
  CHECK(GetString(n, {"usage", "cpu"}) == "2100000000n");
  CHECK(GetString(n, {"usage", "memory"}) == "346112Ki");

  ApiResponse pods =
      edge.Get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods", "labelSelector=app%3Dweb");
  REQUIRE(pods.status == 200);
  rapidjson::Document p = Json(pods.body);
  CHECK(GetString(p, {"kind"}) == "PodMetricsList");
  REQUIRE(p["items"].Size() == 3);
  CHECK(GetString(p["items"][0], {"metadata", "name"}) == "web-a");
  CHECK(GetString(p["items"][0]["containers"][0], {"usage", "cpu"}) == "500000000n");
  CHECK(GetString(p["items"][0]["containers"][0], {"usage", "memory"}) == "65536Ki");

  CHECK(Json(edge.Get("/apis/metrics.k8s.io/v1beta1/pods").body)["items"].Size() == 6);
  CHECK(Json(edge.Get("/apis/metrics.k8s.io/v1beta1/namespaces/other/pods").body)["items"].Size() ==
        0);
  CHECK(edge.Get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/"
                 "web-pending")
            .status == 404);
  CHECK(edge.Get("/apis/metrics.k8s.io/v1beta1/nodes", "labelSelector=%3D%3D").status == 400);
  ApiRequest post;
  post.method = "POST";
  post.path = "/apis/metrics.k8s.io/v1beta1/nodes";
  post.body = "{}";
  CHECK(edge.fleet().Api("edge")->Handle(post).status == 405);
}

TEST_CASE("the exposition carries the exporters' names and no cluster label", "[sim][usage]") {
  Edge edge;
  edge.usage().Observe();
  edge.Advance(absl::Seconds(4));
  ApiResponse metrics = edge.Get("/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.content_type == "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = metrics.body;
  for (const char* line : {
           "# TYPE kube_node_status_allocatable gauge\n",
           "kube_node_status_allocatable{node=\"edge-worker-1\",resource="
           "\"cpu\",unit=\"core\"} 2\n",
           "kube_node_status_capacity{node=\"edge-worker-2\",resource="
           "\"memory\",unit=\"byte\"} "
           "4294967296\n",
           "kube_pod_status_phase{namespace=\"default\",pod=\"web-pending\",",
           "phase=\"Pending\"} 1\n",
           "kube_deployment_status_replicas_ready{namespace=\"default\","
           "deployment=\"web\"} 0\n",
           "kube_deployment_spec_replicas{namespace=\"default\",deployment="
           "\"web\"} 4\n",
           "# TYPE container_cpu_usage_seconds_total counter\n",
           "container_cpu_usage_seconds_total{namespace=\"default\",pod=\"web-"
           "a\",container="
           "\"web\"} 2\n",
           "container_network_receive_bytes_total{namespace=\"default\",pod="
           "\"web-a\",interface="
           "\"eth0\"} 4000\n",
           "node_network_receive_bytes_total{device=\"eth0\",instance=\"edge-"
           "worker-2\"} 4400\n",
           "node_cpu_seconds_total{cpu=\"1\",instance=\"edge-worker-1\",mode="
           "\"user\"} 4.2\n",
       }) {
    CHECK_THAT(text, Catch::Contains(line));
  }
  CHECK_THAT(text, Catch::Contains("kube_pod_container_resource_requests{namespace=\"default\","
                                   "pod=\"web-a\","));
  CHECK_THAT(text, Catch::Contains("container=\"web\",node=\"edge-worker-1\",resource=\"cpu\","
                                   "unit=\"core\"} 0.1\n"));
  CHECK_FALSE(absl::StrContains(text, "cluster="));
}

TEST_CASE("the RTT matrix round-trips through rtt.yaml", "[sim][usage]") {
  absl::StatusOr<Testbed> testbed = ParseTestbed(kTestbed);
  REQUIRE(testbed.ok());
  CHECK(RttYaml(*testbed) == "edge: {m: 4.5}\n");
  Edge edge;
  Cluster& management = *edge.fleet().cluster("m");
  absl::StatusOr<ObjectRef> map = management.store().Get("configmaps", "mck8s-system", "mck8s-rtt");
  REQUIRE(map.ok());
  rapidjson::Document doc = (*map)->Parse();
  const std::string rtt(GetString(doc, {"data", "rtt.yaml"}));
  CHECK(rtt == "edge: {m: 4.5}\n");
  // The data is a valid `rtt:` section of the same matrix.
  absl::StatusOr<Testbed> again =
      ParseTestbed(absl::StrCat("management: m\nclusters: [{name: m}, {name: edge}]\nrtt:\n  ",
                                absl::StrReplaceAll(rtt, {{"\n", "\n  "}})));
  REQUIRE(again.ok());
  CHECK(again->Rtt("m", "edge") == 4.5);
}

TEST_CASE("fault rates are deterministic", "[sim][control]") {
  FaultInjector faults;
  ClusterFaults f;
  f.error_rate = 0.5;
  f.error_code = 500;
  f.throttle_rate = 1;
  f.retry_after_seconds = 7;
  faults.SetFaults("a", f);
  std::vector<int> codes;
  for (int i = 0; i < 4; ++i) {
    FaultInjector::Decision d = faults.Decide("a");
    REQUIRE(d.response.has_value());
    codes.push_back(d.response->status);
  }
  // Every second request errs; the others are throttled (rate 1).
  CHECK(codes == std::vector<int>{429, 500, 429, 500});
  FaultInjector::Decision throttled = faults.Decide("a");
  REQUIRE(throttled.response.has_value());
  CHECK(throttled.response->headers ==
        std::vector<std::pair<std::string, std::string>>{{"Retry-After", "7"}});
  CHECK_FALSE(faults.Decide("b").response.has_value());

  ClusterFaults drops;
  drops.watch_drop_rate = 0.25;
  drops.watch_drop_after = absl::Seconds(2);
  faults.SetFaults("a", drops);
  int dropped = 0;
  for (int i = 0; i < 8; ++i) {
    if (std::optional<absl::Duration> after = faults.DropWatch("a")) {
      ++dropped;
      CHECK(*after == absl::Seconds(2));
    }
  }
  CHECK(dropped == 2);

  std::vector<std::string> cut;
  faults.SetUnreachableListener([&cut](const std::string& c) { cut.push_back(c); });
  faults.SetReachable("a", false);
  faults.SetReachable("a", false);
  CHECK(faults.Decide("a").hang);
  CHECK(cut == std::vector<std::string>{"a"});
  faults.SetReachable("a", true);
  CHECK_FALSE(faults.Decide("a").hang);
}

TEST_CASE("only loopback peers reach the control endpoint", "[sim][control]") {
  CHECK(IsLoopbackAddress("127.0.0.1"));
  CHECK(IsLoopbackAddress("127.3.2.1"));
  CHECK(IsLoopbackAddress("::1"));
  CHECK(IsLoopbackAddress("::ffff:127.0.0.1"));
  CHECK_FALSE(IsLoopbackAddress("10.0.0.1"));
  CHECK_FALSE(IsLoopbackAddress("::ffff:10.0.0.1"));
  CHECK_FALSE(IsLoopbackAddress("192.168.1.1"));
  CHECK_FALSE(IsLoopbackAddress("2001:db8::1"));
  CHECK_FALSE(IsLoopbackAddress("not an address"));
}

}  // namespace
}  // namespace mck8s::sim
