// The pure parts of the collector: capacity from Nodes and Pods, identity
// from a MemberCluster, metrics.k8s.io and Prometheus answers, RTT matrices,
// and the command-line split.
#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>

#include "mck8s/gateway/cluster_model.h"
#include "mck8s/gateway/prometheus.h"
#include "mck8s/gateway/rtt.h"
#include "mck8s/gateway/run.h"
#include "mck8s/runtime/service.h"

namespace mck8s::gateway {
namespace {

using kubeapi::Object;
using kubeapi::ObjectPtr;

ObjectPtr Parse(const std::string& json) {
  absl::StatusOr<Object> object = Object::Parse(json);
  REQUIRE(object.ok());
  return std::make_shared<const Object>(*std::move(object));
}

ObjectPtr Node(const std::string& name, const std::string& cpu, const std::string& memory,
               const std::string& extra_metadata = "", const std::string& extra_spec = "",
               const std::string& ready = "True") {
  return Parse(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")" + name + R"(")" +
               extra_metadata + R"(},"spec":{)" + extra_spec +
               R"(},"status":{"allocatable":{"cpu":")" + cpu + R"(","memory":")" + memory +
               R"(","pods":"110"},"conditions":[{"type":"Ready","status":")" + ready + R"("}]}})");
}

ObjectPtr Pod(const std::string& name, const std::string& node, const std::string& phase,
              const std::string& cpu, const std::string& memory, const std::string& owner = "") {
  std::string owners;
  if (!owner.empty()) {
    owners = R"(,"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":")" + owner +
             R"(","uid":"u","controller":true}])";
  }
  return Parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
               R"(","namespace":"default")" + owners + R"(},"spec":{"nodeName":")" + node +
               R"(","containers":[{"name":"c","resources":{"requests":{"cpu":")" + cpu +
               R"(","memory":")" + memory + R"("}}}]},"status":{"phase":")" + phase + R"("}})");
}

TEST_CASE("control-plane nodes are recognised by role labels and taints, not position") {
  CHECK(IsControlPlaneNode(
      *Node("z", "1", "1Gi", R"(,"labels":{"node-role.kubernetes.io/control-plane":""})")));
  CHECK(IsControlPlaneNode(
      *Node("z", "1", "1Gi", "",
            R"("taints":[{"key":"node-role.kubernetes.io/master","effect":"NoSchedule"}])")));
  CHECK_FALSE(IsControlPlaneNode(*Node("a", "1", "1Gi")));
}

TEST_CASE(
    "a pod's request is the larger of its containers' sum and its largest init container, plus "
    "overhead") {
  ObjectPtr pod = Parse(R"({"metadata":{"name":"p","namespace":"d"},"spec":{
      "containers":[{"resources":{"requests":{"cpu":"100m","memory":"64Mi"}}},
                    {"resources":{"requests":{"cpu":"200m"}}}],
      "initContainers":[{"resources":{"requests":{"cpu":"1","memory":"32Mi"}}}],
      "overhead":{"cpu":"10m","memory":"1Mi"}}})");
  Usage request = PodRequest(*pod);
  CHECK(request.cpu_millis == 1010);
  CHECK(request.memory_bytes == (64 + 1) * 1024 * 1024);
}

TEST_CASE("trimmed objects give the same status as whole ones, in a fraction of the bytes") {
  // Objects as an API server sends them, with fields the model never reads
  // and a few it does in unusual shapes.
  const std::string managed =
      R"("managedFields":[{"manager":"kubelet","operation":"Update","fieldsV1":{"f:status":{}}}],)"
      R"("annotations":{"node.alpha.kubernetes.io/ttl":"0","volumes.kubernetes.io/controller-managed-attach-detach":"true"},)"
      R"("uid":"3f6b","creationTimestamp":"2026-01-01T00:00:00Z")";
  auto node = [&](const std::string& name, const std::string& labels, const std::string& spec,
                  const std::string& ready) {
    return Parse(
        R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")" + name +
        R"(","resourceVersion":"7",)" + managed + R"(,"labels":{)" + labels +
        R"(}},"spec":{"podCIDR":"10.0.0.0/24","providerID":"sim://x")" + spec +
        R"(},"status":{"capacity":{"cpu":"8","memory":"32Gi","pods":"110"},)"
        R"("allocatable":{"cpu":"7500m","memory":"30Gi","pods":110,"ephemeral-storage":"100Gi",)"
        R"("hugepages-2Mi":"0"},"conditions":[)"
        R"({"type":"MemoryPressure","status":"False","reason":"KubeletHasSufficientMemory"},)"
        R"({"type":"Ready","status":")" +
        ready +
        R"(","reason":"KubeletReady","message":"kubelet is posting ready status",)"
        R"("lastHeartbeatTime":"2026-01-01T00:00:00Z"}],)"
        R"("addresses":[{"type":"InternalIP","address":"10.0.0.1"}],)"
        R"("nodeInfo":{"kubeletVersion":"v1.29.0","osImage":"Debian"},)"
        R"("images":[{"names":["registry.k8s.io/pause:3.9"],"sizeBytes":321}]}})");
  };
  auto pod = [&](const std::string& name, const std::string& node_name, const std::string& phase,
                 const std::string& owners, const std::string& extra_spec) {
    return Parse(
        R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
        R"(","namespace":"shop","resourceVersion":"9",)" + managed +
        R"(,"labels":{"app":"web"},"ownerReferences":[)" + owners + R"(]},"spec":{"nodeName":")" +
        node_name +
        R"(","serviceAccountName":"default","containers":[)"
        R"({"name":"a","image":"nginx","env":[{"name":"X","value":"1"}],)"
        R"("resources":{"requests":{"cpu":"250m","memory":"128Mi","ephemeral-storage":"1Gi"},)"
        R"("limits":{"cpu":"1"}}},{"name":"b","image":"side"}])" +
        extra_spec + R"(},"status":{"phase":")" + phase +
        R"(","podIP":"10.1.0.3","conditions":[{"type":"Ready","status":"True"}]}})");
  };
  const std::string rs_owner =
      R"({"apiVersion":"v1","kind":"ConfigMap","name":"x","uid":"1"},)"
      R"({"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-6d4cf","uid":"2","controller":true,"blockOwnerDeletion":true})";
  ClusterInputs whole;
  whole.nodes = {
      node("w1", R"("kubernetes.io/hostname":"w1","topology.kubernetes.io/zone":"a")", "", "True"),
      node(
          "w2", R"("kubernetes.io/hostname":"w2")",
          R"(,"unschedulable":true,"taints":[{"key":"node.kubernetes.io/unschedulable","effect":"NoSchedule","timeAdded":"2026-01-01T00:00:00Z"}])",
          "True"),
      node(
          "cp", R"("node-role.kubernetes.io/control-plane":"")",
          R"(,"taints":[{"key":"node-role.kubernetes.io/control-plane","effect":"NoSchedule"},{"key":"k","value":"v","effect":"PreferNoSchedule"}])",
          "True"),
      node("down", "", "", "Unknown"),
  };
  whole.pods = {
      pod("web-6d4cf-a", "w1", "Running", rs_owner,
          R"(,"initContainers":[{"name":"i","resources":{"requests":{"cpu":"2","memory":"1Gi"}}}],)"
          R"("overhead":{"cpu":"10m","memory":"1Mi"})"),
      pod("web-6d4cf-b", "w2", "Pending", rs_owner, ""),
      pod("api-x", "w1", "Running",
          R"({"apiVersion":"apps/v1","kind":"Deployment","name":"api","uid":"3","controller":true})",
          ""),
      pod("job", "w1", "Succeeded", "", ""),
      pod("unbound", "", "Pending", "", ""),
  };
  for (const char* name : {"web", "api"}) {
    whole.deployments.push_back(
        Parse(std::string(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")") +
              name + R"(","namespace":"shop","generation":4,)" + managed +
              R"(},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},)"
              R"("template":{"spec":{"containers":[{"name":"a","image":"nginx"}]}}},)"
              R"("status":{"readyReplicas":1,"replicas":2,"conditions":[{"type":"Available"}]}})"));
  }
  whole.deployments.push_back(Parse(R"({"metadata":{"name":"bare","namespace":"shop"}})"));
  whole.metrics = MetricsUsage{{{"w1", {100, 1 << 20}}}, {{"shop/web-6d4cf-a", {5, 6}}}};
  whole.prometheus = PrometheusFigures{1, 2, {{"shop/web-6d4cf-a", 3}}, {{"shop/api-x", 0.5}}};

  ClusterInputs trimmed = whole;
  size_t whole_bytes = 0, trimmed_bytes = 0;
  auto trim = [&](std::vector<ObjectPtr>& objects, Object (*function)(Object)) {
    for (ObjectPtr& object : objects) {
      whole_bytes += object->PoolBytes();
      object = std::make_shared<const Object>(function(*object));
      trimmed_bytes += object->PoolBytes();
    }
  };
  trim(trimmed.nodes, &TrimNode);
  trim(trimmed.pods, &TrimPod);
  trim(trimmed.deployments, &TrimDeployment);

  v1::ClusterStatus from_whole, from_trimmed;
  FillCapacity(whole, &from_whole);
  FillCapacity(trimmed, &from_trimmed);
  INFO(from_whole.DebugString());
  INFO(from_trimmed.DebugString());
  CHECK(google::protobuf::util::MessageDifferencer::Equals(from_whole, from_trimmed));
  // The fixtures exercise what matters: not every node counts, requests,
  // init containers, overhead, workloads through both kinds of owner.
  CHECK(from_whole.allocatable().cpu_millis() == 7500);
  CHECK(from_whole.requested().cpu_millis() == 2010 + 250);
  CHECK(from_whole.nodes_size() == 4);
  CHECK(from_whole.workloads_size() == 3);
  CHECK(from_whole.nodes(0).taints_size() == 2);
  CHECK(trimmed_bytes * 3 < whole_bytes);

  // Identity and what the informer needs are kept.
  const Object& trimmed_node = *trimmed.nodes[0];
  CHECK(trimmed_node.name() == "w1");
  CHECK(trimmed_node.resource_version() == "7");
  CHECK(trimmed_node.Get("/status/capacity") == nullptr);
  CHECK(trimmed_node.Get("/metadata/managedFields") == nullptr);
  CHECK(trimmed.pods[0]->namespace_name() == "shop");
  CHECK(trimmed.pods[0]->resource_version() == "9");
  CHECK(trimmed.deployments[2]->ToJson() == R"({"metadata":{"name":"bare","namespace":"shop"}})");
}

TEST_CASE("capacity counts schedulable workers, and free room is per node, floored at zero") {
  ClusterInputs inputs;
  inputs.nodes = {
      Node("cp", "4", "16Gi", R"(,"labels":{"node-role.kubernetes.io/control-plane":""})",
           R"("taints":[{"key":"node-role.kubernetes.io/control-plane","effect":"NoSchedule"}])"),
      Node("w2", "2", "4Gi"),
      Node("w1", "2", "4Gi"),
      Node("cordoned", "2", "4Gi", "", R"("unschedulable":true)"),
      Node("notready", "2", "4Gi", "", "", "False"),
  };
  inputs.pods = {
      Pod("a", "w1", "Running", "500m", "1Gi", "web-5d8f7"),
      Pod("b", "w1", "Running", "3", "1Gi", "web-5d8f7"),
      Pod("done", "w1", "Succeeded", "1", "1Gi"),
      Pod("pending", "", "Pending", "1", "1Gi"),
      Pod("c", "cp", "Running", "100m", "100Mi"),
  };
  inputs.deployments = {Parse(
      R"({"metadata":{"name":"web","namespace":"default"},"spec":{"replicas":3},"status":{"readyReplicas":2}})")};
  v1::ClusterStatus status;
  FillCapacity(inputs, &status);

  // Only w1 and w2 count.
  CHECK(status.allocatable().cpu_millis() == 4000);
  CHECK(status.allocatable().memory_bytes() == 8LL << 30);
  CHECK(status.requested().cpu_millis() == 3500);
  CHECK(status.requested().memory_bytes() == 2LL << 30);
  CHECK_FALSE(status.has_used());
  CHECK_FALSE(status.has_traffic());
  CHECK(status.pods().allocatable() == 220);
  CHECK(status.pods().running() == 3);
  CHECK(status.pods().pending() == 1);

  REQUIRE(status.nodes_size() == 5);
  CHECK(status.nodes(0).name() == "cordoned");
  CHECK_FALSE(status.nodes(0).schedulable());
  CHECK(status.nodes(1).name() == "cp");
  CHECK(status.nodes(1).control_plane());
  CHECK(status.nodes(1).schedulable());
  CHECK(status.nodes(1).free().cpu_millis() == 3900);
  CHECK(status.nodes(1).taints_size() == 1);
  CHECK(status.nodes(2).name() == "notready");
  CHECK_FALSE(status.nodes(2).schedulable());
  const v1::NodeStatus& w1 = status.nodes(3);
  CHECK(w1.name() == "w1");
  CHECK(w1.free().cpu_millis() == 0);  // 2000 - 3500, floored
  CHECK(w1.free().memory_bytes() == 2LL << 30);
  CHECK(w1.allocatable_pods() == 110);
  CHECK(w1.free_pods() == 108);
  CHECK(status.nodes(4).free().cpu_millis() == 2000);

  REQUIRE(status.workloads_size() == 1);
  CHECK(status.workloads(0).name() == "web");
  CHECK(status.workloads(0).kind() == v1::WORKLOAD_KIND_MULTI_CLUSTER_DEPLOYMENT);
  CHECK(status.workloads(0).ready_replicas() == 2);
  CHECK(status.workloads(0).desired_replicas() == 3);
  CHECK_FALSE(status.workloads(0).has_usage());
  CHECK_FALSE(status.workloads(0).has_network_receive_bytes_per_second());
}

TEST_CASE("usage comes from metrics.k8s.io, traffic and workload receive rates from Prometheus") {
  ClusterInputs inputs;
  inputs.nodes = {Node("w1", "2", "4Gi"), Node("w2", "2", "4Gi")};
  inputs.pods = {Pod("web-a", "w1", "Running", "1", "1Gi", "web-5d8f7"),
                 Pod("web-b", "w2", "Running", "1", "1Gi", "web-5d8f7")};
  inputs.deployments = {Parse(R"({"metadata":{"name":"web","namespace":"default"}})")};
  absl::StatusOr<std::map<std::string, Usage>> nodes =
      ParseNodeMetrics(R"({"kind":"NodeMetricsList",
      "items":[{"metadata":{"name":"w1"},"usage":{"cpu":"250000000n","memory":"1024Ki"}},
               {"metadata":{"name":"w2"},"usage":{"cpu":"1","memory":"1Mi"}}]})");
  REQUIRE(nodes.ok());
  absl::StatusOr<std::map<PodKey, Usage>> pods = ParsePodMetrics(R"({"items":[
      {"metadata":{"name":"web-a","namespace":"default"},
       "containers":[{"name":"a","usage":{"cpu":"100m","memory":"10Mi"}},
                     {"name":"b","usage":{"cpu":"50m","memory":"5Mi"}}]},
      {"metadata":{"name":"web-b","namespace":"default"},
       "containers":[{"name":"a","usage":{"cpu":"10m","memory":"1Mi"}}]}]})");
  REQUIRE(pods.ok());
  inputs.metrics = MetricsUsage{*nodes, *pods};
  PrometheusFigures figures;
  figures.receive_bytes_per_second = 1000;
  figures.transmit_bytes_per_second = 500;
  figures.pod_receive_bytes_per_second = {
      {"default/web-a", 10}, {"default/web-b", 5}, {"default/other", 7}};
  inputs.prometheus = figures;
  v1::ClusterStatus status;
  FillCapacity(inputs, &status);
  CHECK(status.used().cpu_millis() == 1250);
  CHECK(status.used().memory_bytes() == 2 * 1024 * 1024);
  CHECK(status.traffic().receive_bytes_per_second() == 1000);
  CHECK(status.traffic().transmit_bytes_per_second() == 500);
  REQUIRE(status.workloads_size() == 1);
  CHECK(status.workloads(0).usage().cpu_millis() == 160);
  CHECK(status.workloads(0).usage().memory_bytes() == 16 * 1024 * 1024);
  CHECK(status.workloads(0).network_receive_bytes_per_second() == 15);
  CHECK(status.workloads(0).desired_replicas() == 1);
}

TEST_CASE("malformed metrics.k8s.io answers are errors") {
  CHECK_FALSE(ParseNodeMetrics("{").ok());
  CHECK_FALSE(ParsePodMetrics(R"({"kind":"PodMetricsList"})").ok());
}

TEST_CASE("the identity comes from the MemberCluster's spec and labels") {
  ObjectPtr member = Parse(R"({"apiVersion":"fogguru.eu/v1","kind":"MemberCluster",
      "metadata":{"name":"nancy","labels":{"fogguru.eu/tier":"cloud"}},
      "spec":{"region":"grand-est","zone":"nancy","provider":"openstack","cloud":true,
              "taints":[{"key":"fogguru.eu/cloud","value":"true","effect":"PreferNoSchedule"}]}})");
  v1::ClusterIdentity identity = IdentityFromMemberCluster(*member);
  CHECK(identity.name() == "nancy");
  CHECK(identity.region() == "grand-est");
  CHECK(identity.zone() == "nancy");
  CHECK(identity.provider() == "openstack");
  CHECK(identity.kind() == v1::CLUSTER_KIND_CLOUD);
  CHECK(identity.labels().at("fogguru.eu/tier") == "cloud");
  REQUIRE(identity.taints_size() == 1);
  CHECK(identity.taints(0).effect() == v1::TAINT_EFFECT_PREFER_NO_SCHEDULE);
  CHECK(IdentityFromMemberCluster(*Parse(R"({"metadata":{"name":"x"}})")).kind() ==
        v1::CLUSTER_KIND_FOG);
}

TEST_CASE("Prometheus answers: vectors, scalars and errors") {
  absl::StatusOr<std::vector<PrometheusSample>> vector = ParseQueryResponse(R"({"status":"success",
      "data":{"resultType":"vector","result":[
        {"metric":{"namespace":"default","pod":"web-a"},"value":[1700000000.1,"12.5"]},
        {"metric":{},"value":[1700000000.1,"NaN"]}]}})");
  REQUIRE(vector.ok());
  REQUIRE(vector->size() == 2);
  CHECK((*vector)[0].labels.at("pod") == "web-a");
  CHECK((*vector)[0].value == 12.5);
  absl::StatusOr<std::vector<PrometheusSample>> scalar = ParseQueryResponse(
      R"({"status":"success","data":{"resultType":"scalar","result":[1700000000,"3"]}})");
  REQUIRE(scalar.ok());
  CHECK((*scalar)[0].value == 3);
  absl::Status error =
      ParseQueryResponse(
          R"({"status":"error","errorType":"bad_data","error":"parse error at char 4"})")
          .status();
  CHECK(error.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(error.message()).find("parse error at char 4") != std::string::npos);
  CHECK_FALSE(
      ParseQueryResponse(R"({"status":"success","data":{"resultType":"matrix","result":[]}})")
          .ok());
  CHECK(ExpandQuery(R"(sum(x{cluster="{{cluster}}"}))", "lille") == R"(sum(x{cluster="lille"}))");
}

TEST_CASE("static RTT matrices are symmetric, in milliseconds, and validated") {
  absl::StatusOr<RttTable> table = ParseRttYaml(R"(
rtt:
  rennes: {nantes: 2.16, lille: 23.26}
  nantes: {lille: 22.21, rennes: 2.16}
)");
  REQUIRE(table.ok());
  CHECK(table->size() == 6);
  const v1::RttEntry& entry = table->at({"lille", "rennes"});
  CHECK(entry.rtt_ms() == 23.26);
  CHECK(entry.source() == v1::RTT_SOURCE_STATIC);
  REQUIRE(ParseRttYaml("a: {b: 1}").ok());  // the section alone
  CHECK(ParseRttYaml("a: {b: 1}")->size() == 2);
  CHECK(ParseRttYaml("")->empty());

  auto message = [](std::string_view yaml) {
    return std::string(ParseRttYaml(yaml).status().message());
  };
  CHECK(message("rtt: {a: {b: -1}}").rfind("rtt.a.b:", 0) == 0);
  CHECK(message("rtt: {a: {a: 1}}").rfind("rtt.a.a:", 0) == 0);
  CHECK(message("rtt: {a: {b: fast}}").rfind("rtt.a.b:", 0) == 0);
  CHECK(message("rtt: {a: {b: 1}, b: {a: 2}}").rfind("rtt.b.a:", 0) == 0);
  CHECK(message("rtt: {a: 3}").rfind("rtt.a:", 0) == 0);
}

TEST_CASE("RTT layers replace pair by pair") {
  RttTable measured = *ParseRttYaml("a: {b: 1, c: 1}");
  RttTable file = *ParseRttYaml("a: {b: 2}");
  RttTable configmap = *ParseRttYaml("b: {c: 3}");
  for (auto& [key, entry] : measured) entry.set_source(v1::RTT_SOURCE_SERF);
  RttTable combined = CombineRtt({&measured, &file, &configmap});
  CHECK(combined.at({"a", "b"}).rtt_ms() == 2);
  CHECK(combined.at({"a", "c"}).rtt_ms() == 1);
  CHECK(combined.at({"a", "c"}).source() == v1::RTT_SOURCE_SERF);
  CHECK(combined.at({"c", "b"}).rtt_ms() == 3);
}

TEST_CASE("the gateway's flags parse in one pass with the shared ones") {
  const char* argv[] = {"gw",         "--kubeconfig", "/k",     "--collection-interval=2s",
                        "--rtt-file", "/r.yaml",      "--help", "--unreachable-after",
                        "9s"};
  runtime::ServiceOptions shared;
  GatewayOptions options;
  SerfRttOptions serf;
  runtime::ServiceSpec spec;
  spec.component = "metrics-gateway";
  runtime::FlagSet flags("gw", "");
  runtime::RegisterServiceFlags(spec, flags, shared);
  RegisterGatewayFlags(flags, options, serf);
  REQUIRE(flags.Parse(9, argv).ok());
  CHECK(shared.kubeconfig == "/k");
  CHECK(flags.help_requested());
  CHECK(options.collection_interval == absl::Seconds(2));
  CHECK(options.unreachable_after == absl::Seconds(9));
  CHECK(options.rtt_file == "/r.yaml");
}

}  // namespace
}  // namespace mck8s::gateway
