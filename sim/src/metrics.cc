#include "mck8s/sim/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mck8s/base/strings.h"
#include "mck8s/k8stypes/quantity.h"
#include "mck8s/sim/json.h"

namespace mck8s::sim {
namespace {

constexpr char kWindow[] = "10s";

// ---------------------------------------------------------------------------
// metrics.k8s.io

void AppendMeta(const StoredObject& object, absl::string_view timestamp, std::string& out) {
  out += "\"metadata\":{\"name\":";
  AppendJsonString(object.name, out);
  if (!object.ns.empty()) {
    out += ",\"namespace\":";
    AppendJsonString(object.ns, out);
  }
  out += ",\"creationTimestamp\":";
  AppendJsonString(timestamp, out);
  if (!object.labels.empty()) {
    out += ",\"labels\":{";
    bool first = true;
    for (const auto& [k, v] : object.labels) {
      if (!first) out += ',';
      first = false;
      AppendJsonString(k, out);
      out += ':';
      AppendJsonString(v, out);
    }
    out += '}';
  }
  out += '}';
}

void AppendUsage(double cores, int64_t memory, std::string& out) {
  absl::StrAppend(&out, "\"usage\":{\"cpu\":\"", CpuNanocores(cores), "\",\"memory\":\"",
                  MemoryQuantity(memory), "\"}");
}

void AppendNode(const NodeUsage& node, absl::string_view timestamp, std::string& out) {
  out += R"({"kind":"NodeMetrics","apiVersion":"metrics.k8s.io/v1beta1",)";
  AppendMeta(*node.node, timestamp, out);
  absl::StrAppend(&out, ",\"timestamp\":\"", timestamp, "\",\"window\":\"", kWindow, "\",");
  AppendUsage(node.cpu_cores, node.memory_bytes, out);
  out += '}';
}

void AppendPod(const PodUsage& pod, absl::string_view timestamp, std::string& out) {
  out += R"({"kind":"PodMetrics","apiVersion":"metrics.k8s.io/v1beta1",)";
  AppendMeta(*pod.pod, timestamp, out);
  absl::StrAppend(&out, ",\"timestamp\":\"", timestamp, "\",\"window\":\"", kWindow,
                  "\",\"containers\":[");
  bool first = true;
  for (const ContainerUsage& c : pod.containers) {
    if (!first) out += ',';
    first = false;
    out += "{\"name\":";
    AppendJsonString(c.name, out);
    out += ',';
    AppendUsage(c.cpu_cores, c.memory_bytes, out);
    out += '}';
  }
  out += "]}";
}

std::string Timestamp(const UsageSnapshot& snapshot) { return FormatTimestamp(snapshot.time); }

// ---------------------------------------------------------------------------
// Exposition

std::string Escape(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Number(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return absl::StrFormat("%.15g", value);
}

using Labels = std::vector<std::pair<absl::string_view, std::string>>;

class Family {
 public:
  Family(std::string& out, absl::string_view name, absl::string_view type, absl::string_view help)
      : out_(out), name_(name) {
    absl::StrAppend(&out_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
  }
  void Sample(const Labels& labels, double value) {
    out_.append(name_.data(), name_.size());
    if (!labels.empty()) {
      out_ += '{';
      bool first = true;
      for (const auto& [k, v] : labels) {
        if (!first) out_ += ',';
        first = false;
        absl::StrAppend(&out_, k, "=\"", Escape(v), "\"");
      }
      out_ += '}';
    }
    absl::StrAppend(&out_, " ", Number(value), "\n");
  }

 private:
  std::string& out_;
  absl::string_view name_;
};

struct NodeFacts {
  const NodeUsage* usage;
  rapidjson::Document doc;
};

// kube-state-metrics' resource label: "ephemeral-storage" ->
// "ephemeral_storage".
std::string ResourceLabel(absl::string_view resource) {
  std::string out(resource);
  for (char& c : out) {
    if (c == '-' || c == '.' || c == '/') c = '_';
  }
  return out;
}

std::string UnitOf(absl::string_view resource) {
  if (resource == "cpu") return "core";
  if (resource == "pods") return "integer";
  return "byte";
}

// The value of a resource quantity in kube-state-metrics' unit (cores for
// cpu, bytes or a count otherwise).
std::optional<double> ResourceValue(absl::string_view resource, const rapidjson::Value& v) {
  if (!v.IsString()) return std::nullopt;
  absl::StatusOr<k8stypes::Quantity> q =
      k8stypes::Quantity::Parse(ToStd(absl::string_view(v.GetString(), v.GetStringLength())));
  if (!q.ok()) return std::nullopt;
  if (resource == "cpu") return static_cast<double>(q->MilliValue()) / 1000.0;
  return static_cast<double>(q->Value());
}

void ResourceSamples(Family& family, const NodeFacts& node, const char* list) {
  const rapidjson::Value* resources = Find(node.doc, {"status", list});
  if (resources == nullptr || !resources->IsObject()) return;
  std::map<std::string, const rapidjson::Value*> sorted;
  for (auto it = resources->MemberBegin(); it != resources->MemberEnd(); ++it) {
    sorted[it->name.GetString()] = &it->value;
  }
  for (const auto& [resource, value] : sorted) {
    std::optional<double> v = ResourceValue(resource, *value);
    if (!v.has_value()) continue;
    family.Sample({{"node", node.usage->name},
                   {"resource", ResourceLabel(resource)},
                   {"unit", UnitOf(resource)}},
                  *v);
  }
}

}  // namespace

std::string CpuNanocores(double cores) {
  return absl::StrCat(static_cast<int64_t>(std::llround(std::max(0.0, cores) * 1e9)), "n");
}

std::string MemoryQuantity(int64_t bytes) {
  if (bytes % 1024 == 0) return absl::StrCat(bytes / 1024, "Ki");
  return absl::StrCat(bytes);
}

std::string RenderNodeMetricsList(const UsageSnapshot& snapshot, const ObjectPredicate& select) {
  const std::string timestamp = Timestamp(snapshot);
  std::string out =
      R"({"kind":"NodeMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[)";
  bool first = true;
  for (const NodeUsage& node : snapshot.nodes) {
    if (select && !select(*node.node)) continue;
    if (!first) out += ',';
    first = false;
    AppendNode(node, timestamp, out);
  }
  out += "]}";
  return out;
}

std::string RenderPodMetricsList(const UsageSnapshot& snapshot, absl::string_view ns,
                                 const ObjectPredicate& select) {
  const std::string timestamp = Timestamp(snapshot);
  std::string out =
      R"({"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[)";
  bool first = true;
  for (const PodUsage& pod : snapshot.pods) {
    if (!ns.empty() && pod.ns != ns) continue;
    if (select && !select(*pod.pod)) continue;
    if (!first) out += ',';
    first = false;
    AppendPod(pod, timestamp, out);
  }
  out += "]}";
  return out;
}

std::optional<std::string> RenderNodeMetrics(const UsageSnapshot& snapshot,
                                             absl::string_view name) {
  for (const NodeUsage& node : snapshot.nodes) {
    if (node.name != name) continue;
    std::string out;
    AppendNode(node, Timestamp(snapshot), out);
    return out;
  }
  return std::nullopt;
}

std::optional<std::string> RenderPodMetrics(const UsageSnapshot& snapshot, absl::string_view ns,
                                            absl::string_view name) {
  for (const PodUsage& pod : snapshot.pods) {
    if (pod.ns != ns || pod.name != name) continue;
    std::string out;
    AppendPod(pod, Timestamp(snapshot), out);
    return out;
  }
  return std::nullopt;
}

std::string RenderExposition(const UsageSnapshot& snapshot) {
  std::string out;
  out.reserve(256 * (snapshot.nodes.size() * 8 + snapshot.all_pods.size() * 12) + 4096);
  std::vector<NodeFacts> nodes;
  nodes.reserve(snapshot.nodes.size());
  for (const NodeUsage& n : snapshot.nodes) nodes.push_back({&n, n.node->Parse()});
  std::vector<rapidjson::Document> pods;
  pods.reserve(snapshot.all_pods.size());
  for (const ObjectRef& p : snapshot.all_pods) pods.push_back(p->Parse());

  // ---- kube-state-metrics: nodes
  {
    Family f(out, "kube_node_info", "gauge", "Information about a cluster node.");
    for (const NodeFacts& n : nodes) {
      const rapidjson::Value* info = Find(n.doc, {"status", "nodeInfo"});
      std::string internal_ip;
      if (const rapidjson::Value* addresses = Find(n.doc, {"status", "addresses"});
          addresses != nullptr && addresses->IsArray()) {
        for (const rapidjson::Value& a : addresses->GetArray()) {
          if (GetString(a, {"type"}) == "InternalIP") {
            internal_ip = std::string(GetString(a, {"address"}));
          }
        }
      }
      auto field = [&](const char* key) {
        return info == nullptr ? std::string() : std::string(GetString(*info, {key}));
      };
      f.Sample({{"node", n.usage->name},
                {"kernel_version", field("kernelVersion")},
                {"os_image", field("osImage")},
                {"container_runtime_version", field("containerRuntimeVersion")},
                {"kubelet_version", field("kubeletVersion")},
                {"kubeproxy_version", field("kubeProxyVersion")},
                {"provider_id", std::string(GetString(n.doc, {"spec", "providerID"}))},
                {"pod_cidr", std::string(GetString(n.doc, {"spec", "podCIDR"}))},
                {"internal_ip", internal_ip},
                {"system_uuid", field("systemUUID")}},
               1);
    }
  }
  {
    Family f(out, "kube_node_status_capacity", "gauge",
             "The capacity for different resources of a node.");
    for (const NodeFacts& n : nodes) ResourceSamples(f, n, "capacity");
  }
  {
    Family f(out, "kube_node_status_allocatable", "gauge",
             "The allocatable for different resources of a node that are "
             "available for scheduling.");
    for (const NodeFacts& n : nodes) ResourceSamples(f, n, "allocatable");
  }

  // ---- kube-state-metrics: pods
  {
    Family f(out, "kube_pod_info", "gauge", "Information about pod.");
    for (size_t i = 0; i < pods.size(); ++i) {
      const StoredObject& p = *snapshot.all_pods[i];
      std::string created_by_kind = "<none>", created_by_name = "<none>";
      if (const rapidjson::Value* owners = Find(pods[i], {"metadata", "ownerReferences"});
          owners != nullptr && owners->IsArray() && !owners->Empty()) {
        created_by_kind = std::string(GetString((*owners)[0], {"kind"}));
        created_by_name = std::string(GetString((*owners)[0], {"name"}));
      }
      f.Sample({{"namespace", p.ns},
                {"pod", p.name},
                {"uid", p.uid},
                {"host_ip", std::string(GetString(pods[i], {"status", "hostIP"}))},
                {"pod_ip", std::string(GetString(pods[i], {"status", "podIP"}))},
                {"node", std::string(GetString(pods[i], {"spec", "nodeName"}))},
                {"created_by_kind", created_by_kind},
                {"created_by_name", created_by_name}},
               1);
    }
  }
  {
    Family f(out, "kube_pod_status_phase", "gauge", "The pods current phase.");
    for (const ObjectRef& p : snapshot.all_pods) {
      absl::string_view phase = p->Field("status.phase");
      for (const char* candidate : {"Pending", "Succeeded", "Failed", "Unknown", "Running"}) {
        f.Sample({{"namespace", p->ns}, {"pod", p->name}, {"uid", p->uid}, {"phase", candidate}},
                 phase == candidate ? 1 : 0);
      }
    }
  }
  {
    Family f(out, "kube_pod_container_resource_requests", "gauge",
             "The number of requested request resource by a container.");
    for (size_t i = 0; i < pods.size(); ++i) {
      const StoredObject& p = *snapshot.all_pods[i];
      const std::string node(GetString(pods[i], {"spec", "nodeName"}));
      const rapidjson::Value* containers = Find(pods[i], {"spec", "containers"});
      if (containers == nullptr || !containers->IsArray()) continue;
      for (const rapidjson::Value& c : containers->GetArray()) {
        const rapidjson::Value* requests = Find(c, {"resources", "requests"});
        if (requests == nullptr || !requests->IsObject()) continue;
        std::map<std::string, const rapidjson::Value*> sorted;
        for (auto it = requests->MemberBegin(); it != requests->MemberEnd(); ++it) {
          sorted[it->name.GetString()] = &it->value;
        }
        for (const auto& [resource, value] : sorted) {
          std::optional<double> v = ResourceValue(resource, *value);
          if (!v.has_value()) continue;
          f.Sample({{"namespace", p.ns},
                    {"pod", p.name},
                    {"uid", p.uid},
                    {"container", std::string(GetString(c, {"name"}))},
                    {"node", node},
                    {"resource", ResourceLabel(resource)},
                    {"unit", UnitOf(resource)}},
                   *v);
        }
      }
    }
  }

  // ---- kube-state-metrics: deployments
  std::vector<rapidjson::Document> deployments;
  for (const ObjectRef& d : snapshot.deployments) deployments.push_back(d->Parse());
  auto deployment_family = [&](absl::string_view name, absl::string_view help,
                               std::initializer_list<absl::string_view> path) {
    Family f(out, name, "gauge", help);
    for (size_t i = 0; i < deployments.size(); ++i) {
      std::optional<int64_t> v = GetInt(deployments[i], path);
      f.Sample({{"namespace", snapshot.deployments[i]->ns},
                {"deployment", snapshot.deployments[i]->name}},
               static_cast<double>(v.value_or(0)));
    }
  };
  deployment_family("kube_deployment_spec_replicas", "Number of desired pods for a deployment.",
                    {"spec", "replicas"});
  deployment_family("kube_deployment_status_replicas", "The number of replicas per deployment.",
                    {"status", "replicas"});
  deployment_family("kube_deployment_status_replicas_ready",
                    "The number of ready replicas per deployment.", {"status", "readyReplicas"});
  deployment_family("kube_deployment_status_replicas_available",
                    "The number of available replicas per deployment.",
                    {"status", "availableReplicas"});

  // ---- cAdvisor
  {
    Family f(out, "container_cpu_usage_seconds_total", "counter",
             "Cumulative cpu time consumed in seconds.");
    for (const PodUsage& p : snapshot.pods) {
      for (const ContainerUsage& c : p.containers) {
        f.Sample({{"namespace", p.ns}, {"pod", p.name}, {"container", c.name}},
                 c.cpu_seconds_total);
      }
    }
  }
  {
    Family f(out, "container_memory_working_set_bytes", "gauge", "Current working set in bytes.");
    for (const PodUsage& p : snapshot.pods) {
      for (const ContainerUsage& c : p.containers) {
        f.Sample({{"namespace", p.ns}, {"pod", p.name}, {"container", c.name}},
                 static_cast<double>(c.memory_bytes));
      }
    }
  }
  {
    Family f(out, "container_network_receive_bytes_total", "counter",
             "Cumulative count of bytes received.");
    for (const PodUsage& p : snapshot.pods) {
      f.Sample({{"namespace", p.ns}, {"pod", p.name}, {"interface", "eth0"}},
               p.network_rx_bytes_total);
    }
  }

  // ---- node-exporter
  {
    Family f(out, "node_network_receive_bytes_total", "counter",
             "Network device statistic receive_bytes.");
    for (const NodeUsage& n : snapshot.nodes) {
      f.Sample({{"device", "eth0"}, {"instance", n.name}}, n.network_rx_bytes_total);
    }
  }
  {
    Family f(out, "node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.");
    for (const NodeUsage& n : snapshot.nodes) {
      const int64_t cpus = std::max<int64_t>(1, (n.allocatable_cpu_millis + 999) / 1000);
      const double user = n.cpu_seconds_total / static_cast<double>(cpus);
      const double idle = n.cpu_idle_seconds_total / static_cast<double>(cpus);
      for (int64_t cpu = 0; cpu < cpus; ++cpu) {
        const std::string index = absl::StrCat(cpu);
        f.Sample({{"cpu", index}, {"instance", n.name}, {"mode", "idle"}}, idle);
        f.Sample({{"cpu", index}, {"instance", n.name}, {"mode", "user"}}, user);
      }
    }
  }
  return out;
}

}  // namespace mck8s::sim
