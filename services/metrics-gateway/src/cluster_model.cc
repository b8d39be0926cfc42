#include "mck8s/gateway/cluster_model.h"

#include <algorithm>
#include <initializer_list>

#include "mck8s/k8stypes/quantity.h"

namespace mck8s::gateway {

namespace {

using kubeapi::Object;
using kubeapi::ObjectPtr;

constexpr std::string_view kControlPlaneRoles[] = {"node-role.kubernetes.io/control-plane",
                                                   "node-role.kubernetes.io/master"};

std::string_view StringMember(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return {};
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

// A quantity as a string or a JSON number (both are valid in resource lists).
std::optional<std::string> QuantityText(const rapidjson::Value& value) {
  if (value.IsString()) return std::string(value.GetString(), value.GetStringLength());
  if (value.IsInt64()) return std::to_string(value.GetInt64());
  if (value.IsNumber()) return std::to_string(value.GetDouble());
  return std::nullopt;
}

int64_t Cpu(const rapidjson::Value* list) {
  if (list == nullptr || !list->IsObject()) return 0;
  auto it = list->FindMember("cpu");
  if (it == list->MemberEnd()) return 0;
  std::optional<std::string> text = QuantityText(it->value);
  if (!text) return 0;
  absl::StatusOr<int64_t> millis = k8stypes::ParseCpuMillis(*text);
  return millis.ok() ? *millis : 0;
}

int64_t Bytes(const rapidjson::Value* list, const char* name) {
  if (list == nullptr || !list->IsObject()) return 0;
  auto it = list->FindMember(name);
  if (it == list->MemberEnd()) return 0;
  std::optional<std::string> text = QuantityText(it->value);
  if (!text) return 0;
  absl::StatusOr<int64_t> bytes = k8stypes::ParseMemoryBytes(*text);
  return bytes.ok() ? *bytes : 0;
}

const rapidjson::Value* Member(const rapidjson::Value* object, const char* key) {
  if (object == nullptr || !object->IsObject()) return nullptr;
  auto it = object->FindMember(key);
  return it == object->MemberEnd() ? nullptr : &it->value;
}

Usage ContainerSum(const rapidjson::Value* containers) {
  Usage sum;
  if (containers == nullptr || !containers->IsArray()) return sum;
  for (const rapidjson::Value& container : containers->GetArray()) {
    const rapidjson::Value* requests = Member(Member(&container, "resources"), "requests");
    sum.cpu_millis += Cpu(requests);
    sum.memory_bytes += Bytes(requests, "memory");
  }
  return sum;
}

v1::TaintEffect EffectFromString(std::string_view effect) {
  if (effect == "NoSchedule") return v1::TAINT_EFFECT_NO_SCHEDULE;
  if (effect == "PreferNoSchedule") return v1::TAINT_EFFECT_PREFER_NO_SCHEDULE;
  if (effect == "NoExecute") return v1::TAINT_EFFECT_NO_EXECUTE;
  return v1::TAINT_EFFECT_UNSPECIFIED;
}

void SetResources(const Usage& usage, v1::Resources* resources) {
  resources->set_cpu_millis(std::max<int64_t>(0, usage.cpu_millis));
  resources->set_memory_bytes(std::max<int64_t>(0, usage.memory_bytes));
}

std::string KeyOf(const Object& pod) {
  return std::string(pod.namespace_name()) + "/" + std::string(pod.name());
}

}  // namespace

std::vector<v1::Taint> ParseTaints(const rapidjson::Value* taints) {
  std::vector<v1::Taint> out;
  if (taints == nullptr || !taints->IsArray()) return out;
  for (const rapidjson::Value& taint : taints->GetArray()) {
    v1::TaintEffect effect = EffectFromString(StringMember(taint, "effect"));
    if (effect == v1::TAINT_EFFECT_UNSPECIFIED) continue;
    v1::Taint& t = out.emplace_back();
    t.set_key(std::string(StringMember(taint, "key")));
    t.set_value(std::string(StringMember(taint, "value")));
    t.set_effect(effect);
  }
  return out;
}

v1::ClusterIdentity IdentityFromMemberCluster(const Object& member_cluster) {
  v1::ClusterIdentity identity;
  identity.set_name(std::string(member_cluster.name()));
  identity.set_region(std::string(member_cluster.FindString("/spec/region").value_or("")));
  identity.set_zone(std::string(member_cluster.FindString("/spec/zone").value_or("")));
  identity.set_provider(std::string(member_cluster.FindString("/spec/provider").value_or("")));
  for (const auto& [key, value] : member_cluster.labels())
    (*identity.mutable_labels())[key] = value;
  for (v1::Taint& taint : ParseTaints(member_cluster.Get("/spec/taints"))) {
    *identity.add_taints() = std::move(taint);
  }
  identity.set_kind(member_cluster.FindBool("/spec/cloud").value_or(false) ? v1::CLUSTER_KIND_CLOUD
                                                                           : v1::CLUSTER_KIND_FOG);
  return identity;
}

bool IsControlPlaneNode(const Object& node) {
  for (std::string_view role : kControlPlaneRoles) {
    if (node.label(role).has_value()) return true;
  }
  const rapidjson::Value* taints = node.Get("/spec/taints");
  if (taints != nullptr && taints->IsArray()) {
    for (const rapidjson::Value& taint : taints->GetArray()) {
      std::string_view key = StringMember(taint, "key");
      for (std::string_view role : kControlPlaneRoles) {
        if (key == role) return true;
      }
    }
  }
  return false;
}

bool IsNodeReady(const Object& node) {
  const rapidjson::Value* conditions = node.Get("/status/conditions");
  if (conditions == nullptr || !conditions->IsArray()) return false;
  for (const rapidjson::Value& condition : conditions->GetArray()) {
    if (StringMember(condition, "type") == "Ready") {
      return StringMember(condition, "status") == "True";
    }
  }
  return false;
}

Usage PodRequest(const Object& pod) {
  const rapidjson::Value* spec = pod.spec();
  Usage sum = ContainerSum(Member(spec, "containers"));
  const rapidjson::Value* init = Member(spec, "initContainers");
  if (init != nullptr && init->IsArray()) {
    for (const rapidjson::Value& container : init->GetArray()) {
      const rapidjson::Value* requests = Member(Member(&container, "resources"), "requests");
      sum.cpu_millis = std::max(sum.cpu_millis, Cpu(requests));
      sum.memory_bytes = std::max(sum.memory_bytes, Bytes(requests, "memory"));
    }
  }
  const rapidjson::Value* overhead = Member(spec, "overhead");
  sum.cpu_millis += Cpu(overhead);
  sum.memory_bytes += Bytes(overhead, "memory");
  return sum;
}

bool ChargesNode(const Object& pod) {
  std::string_view node = pod.FindString("/spec/nodeName").value_or("");
  std::string_view phase = pod.FindString("/status/phase").value_or("");
  return !node.empty() && phase != "Succeeded" && phase != "Failed";
}

std::optional<WorkloadKey> PodWorkload(const Object& pod) {
  std::optional<kubeapi::OwnerReference> owner = pod.controller_reference();
  if (!owner.has_value()) return std::nullopt;
  WorkloadKey key;
  key.ns = std::string(pod.namespace_name());
  if (owner->kind == "Deployment") {
    key.name = owner->name;
  } else if (owner->kind == "ReplicaSet") {
    size_t dash = owner->name.rfind('-');
    if (dash == std::string::npos || dash == 0) return std::nullopt;
    key.name = owner->name.substr(0, dash);
  } else {
    return std::nullopt;
  }
  key.kind = v1::WORKLOAD_KIND_MULTI_CLUSTER_DEPLOYMENT;
  return key;
}

namespace {

using rapidjson::Value;

// Builds a trimmed object. Values are copied into a builder pool while the
// source is alive; Finish() copies everything (strings too) into an exact
// pool of its own. Parts are built as values of their own and added to
// their parent when complete (a pointer into a parent's members would not
// survive the parent's next member).
class Trimmer {
 public:
  explicit Trimmer(const Object& source) : source_(source.json()), alloc_(out_.allocator()) {}

  const Value* source(const char* key) const { return Member(&source_, key); }

  // to[key] = a copy of from[key], when present.
  void Copy(const Value* from, const char* key, Value& to) {
    const Value* value = Member(from, key);
    if (value != nullptr) Put(to, key, Value(*value, alloc_));
  }
  // to[key] = the named members of from[key], when any is present.
  void CopySome(const Value* from, const char* key, Value& to,
                std::initializer_list<const char*> members) {
    const Value* value = Member(from, key);
    if (value == nullptr || !value->IsObject()) return;
    Value kept(rapidjson::kObjectType);
    for (const char* member : members) Copy(value, member, kept);
    Put(to, key, std::move(kept));
  }
  // to[key] = value, unless value is an empty object.
  void Put(Value& to, const char* key, Value value) {
    if (value.IsObject() && value.MemberCount() == 0) return;
    to.AddMember(Value(key, alloc_), std::move(value), alloc_);
  }
  void Push(Value& array, Value value) { array.PushBack(std::move(value), alloc_); }

  // Adds the parts to the root and returns the object in an exact pool.
  kubeapi::Object Finish(Value metadata, Value spec, Value status) {
    Put(out_.mutable_json(), "metadata", std::move(metadata));
    Put(out_.mutable_json(), "spec", std::move(spec));
    Put(out_.mutable_json(), "status", std::move(status));
    out_.Compact();
    return std::move(out_);
  }

 private:
  const Value& source_;
  kubeapi::Object out_;
  kubeapi::JsonAllocator& alloc_;
};

}  // namespace

Object TrimNode(Object node) {
  Trimmer t(node);
  const Value* metadata = t.source("metadata");
  const Value* spec = t.source("spec");
  const Value* status = t.source("status");
  Value out_metadata(rapidjson::kObjectType);
  for (const char* key : {"name", "resourceVersion", "labels"}) t.Copy(metadata, key, out_metadata);
  Value out_spec(rapidjson::kObjectType);
  const Value* taints = Member(spec, "taints");
  if (taints != nullptr && taints->IsArray()) {
    Value out_taints(rapidjson::kArrayType);
    for (const Value& taint : taints->GetArray()) {
      Value kept(rapidjson::kObjectType);
      for (const char* key : {"key", "value", "effect"}) t.Copy(&taint, key, kept);
      t.Push(out_taints, std::move(kept));
    }
    t.Put(out_spec, "taints", std::move(out_taints));
  }
  t.Copy(spec, "unschedulable", out_spec);
  Value out_status(rapidjson::kObjectType);
  t.CopySome(status, "allocatable", out_status, {"cpu", "memory", "pods"});
  const Value* conditions = Member(status, "conditions");
  if (conditions != nullptr && conditions->IsArray()) {
    Value out_conditions(rapidjson::kArrayType);
    for (const Value& condition : conditions->GetArray()) {
      // IsNodeReady reads the first Ready condition only.
      if (StringMember(condition, "type") != "Ready") continue;
      Value kept(rapidjson::kObjectType);
      for (const char* key : {"type", "status"}) t.Copy(&condition, key, kept);
      t.Push(out_conditions, std::move(kept));
      break;
    }
    t.Put(out_status, "conditions", std::move(out_conditions));
  }
  return t.Finish(std::move(out_metadata), std::move(out_spec), std::move(out_status));
}

Object TrimPod(Object pod) {
  Trimmer t(pod);
  const Value* metadata = t.source("metadata");
  const Value* spec = t.source("spec");
  Value out_metadata(rapidjson::kObjectType);
  for (const char* key : {"name", "namespace", "resourceVersion"}) {
    t.Copy(metadata, key, out_metadata);
  }
  const Value* owners = Member(metadata, "ownerReferences");
  if (owners != nullptr && owners->IsArray()) {
    for (const Value& owner : owners->GetArray()) {
      // controller_reference() takes the first with controller: true.
      const Value* controller = Member(&owner, "controller");
      if (controller == nullptr || !controller->IsTrue()) continue;
      Value kept(rapidjson::kObjectType);
      for (const char* key : {"apiVersion", "kind", "name", "uid", "controller"}) {
        t.Copy(&owner, key, kept);
      }
      Value out_owners(rapidjson::kArrayType);
      t.Push(out_owners, std::move(kept));
      t.Put(out_metadata, "ownerReferences", std::move(out_owners));
      break;
    }
  }
  Value out_spec(rapidjson::kObjectType);
  t.Copy(spec, "nodeName", out_spec);
  for (const char* list : {"containers", "initContainers"}) {
    const Value* containers = Member(spec, list);
    if (containers == nullptr || !containers->IsArray()) continue;
    Value out_containers(rapidjson::kArrayType);
    for (const Value& container : containers->GetArray()) {
      Value resources(rapidjson::kObjectType);
      t.CopySome(Member(&container, "resources"), "requests", resources, {"cpu", "memory"});
      Value kept(rapidjson::kObjectType);
      t.Put(kept, "resources", std::move(resources));
      t.Push(out_containers, std::move(kept));
    }
    t.Put(out_spec, list, std::move(out_containers));
  }
  t.CopySome(spec, "overhead", out_spec, {"cpu", "memory"});
  Value out_status(rapidjson::kObjectType);
  t.Copy(t.source("status"), "phase", out_status);
  return t.Finish(std::move(out_metadata), std::move(out_spec), std::move(out_status));
}

Object TrimDeployment(Object deployment) {
  Trimmer t(deployment);
  Value out_metadata(rapidjson::kObjectType);
  for (const char* key : {"name", "namespace", "resourceVersion"}) {
    t.Copy(t.source("metadata"), key, out_metadata);
  }
  Value out_spec(rapidjson::kObjectType);
  t.Copy(t.source("spec"), "replicas", out_spec);
  Value out_status(rapidjson::kObjectType);
  t.Copy(t.source("status"), "readyReplicas", out_status);
  return t.Finish(std::move(out_metadata), std::move(out_spec), std::move(out_status));
}

void FillCapacity(const ClusterInputs& inputs, v1::ClusterStatus* status) {
  struct NodeAccount {
    v1::NodeStatus* node;
    Usage allocatable;
    Usage requested;
    int64_t allocatable_pods = 0;
    int64_t pods = 0;
    bool counts = false;
  };
  std::vector<ObjectPtr> nodes = inputs.nodes;
  std::sort(nodes.begin(), nodes.end(),
            [](const ObjectPtr& a, const ObjectPtr& b) { return a->name() < b->name(); });
  std::map<std::string, NodeAccount, std::less<>> accounts;
  for (const ObjectPtr& object : nodes) {
    v1::NodeStatus* node = status->add_nodes();
    node->set_name(std::string(object->name()));
    NodeAccount account{node, {}, {}, 0, 0, false};
    const rapidjson::Value* allocatable = object->Get("/status/allocatable");
    account.allocatable = {Cpu(allocatable), Bytes(allocatable, "memory")};
    account.allocatable_pods = Bytes(allocatable, "pods");
    const bool schedulable =
        IsNodeReady(*object) && !object->FindBool("/spec/unschedulable").value_or(false);
    const bool control_plane = IsControlPlaneNode(*object);
    std::vector<v1::Taint> taints = ParseTaints(object->Get("/spec/taints"));
    bool repels = false;
    for (const v1::Taint& taint : taints) {
      repels |= taint.effect() == v1::TAINT_EFFECT_NO_SCHEDULE ||
                taint.effect() == v1::TAINT_EFFECT_NO_EXECUTE;
    }
    account.counts = schedulable && !(control_plane && repels);
    node->set_schedulable(schedulable);
    node->set_control_plane(control_plane);
    for (const auto& [key, value] : object->labels()) (*node->mutable_labels())[key] = value;
    for (v1::Taint& taint : taints) *node->add_taints() = std::move(taint);
    accounts.emplace(node->name(), account);
  }

  int32_t running = 0;
  int32_t pending = 0;
  std::map<WorkloadKey, std::vector<PodKey>> workload_pods;
  for (const ObjectPtr& pod : inputs.pods) {
    std::string_view phase = pod->FindString("/status/phase").value_or("");
    if (phase == "Running") ++running;
    if (phase == "Pending") ++pending;
    if (std::optional<WorkloadKey> workload = PodWorkload(*pod)) {
      workload_pods[*workload].push_back(KeyOf(*pod));
    }
    if (!ChargesNode(*pod)) continue;
    auto it = accounts.find(pod->FindString("/spec/nodeName").value_or(""));
    if (it == accounts.end()) continue;
    Usage request = PodRequest(*pod);
    it->second.requested.cpu_millis += request.cpu_millis;
    it->second.requested.memory_bytes += request.memory_bytes;
    ++it->second.pods;
  }

  Usage total_allocatable;
  Usage total_requested;
  Usage total_used;
  int64_t total_pods = 0;
  for (auto& [name, account] : accounts) {
    SetResources(account.allocatable, account.node->mutable_allocatable());
    SetResources({account.allocatable.cpu_millis - account.requested.cpu_millis,
                  account.allocatable.memory_bytes - account.requested.memory_bytes},
                 account.node->mutable_free());
    account.node->set_allocatable_pods(static_cast<int32_t>(account.allocatable_pods));
    account.node->set_free_pods(
        static_cast<int32_t>(std::max<int64_t>(0, account.allocatable_pods - account.pods)));
    if (!account.counts) continue;
    total_allocatable.cpu_millis += account.allocatable.cpu_millis;
    total_allocatable.memory_bytes += account.allocatable.memory_bytes;
    total_requested.cpu_millis += account.requested.cpu_millis;
    total_requested.memory_bytes += account.requested.memory_bytes;
    total_pods += account.allocatable_pods;
    if (inputs.metrics.has_value()) {
      auto used = inputs.metrics->nodes.find(name);
      if (used != inputs.metrics->nodes.end()) {
        total_used.cpu_millis += used->second.cpu_millis;
        total_used.memory_bytes += used->second.memory_bytes;
      }
    }
  }
  SetResources(total_allocatable, status->mutable_allocatable());
  SetResources(total_requested, status->mutable_requested());
  if (inputs.metrics.has_value()) SetResources(total_used, status->mutable_used());
  status->mutable_pods()->set_allocatable(static_cast<int32_t>(total_pods));
  status->mutable_pods()->set_running(running);
  status->mutable_pods()->set_pending(pending);

  std::map<WorkloadKey, ObjectPtr> deployments;
  for (const ObjectPtr& deployment : inputs.deployments) {
    WorkloadKey key{std::string(deployment->namespace_name()), std::string(deployment->name()),
                    v1::WORKLOAD_KIND_MULTI_CLUSTER_DEPLOYMENT};
    deployments.emplace(std::move(key), deployment);
  }
  for (const auto& [key, deployment] : deployments) {
    v1::WorkloadStats* stats = status->add_workloads();
    stats->set_namespace_(key.ns);
    stats->set_name(key.name);
    stats->set_kind(key.kind);
    stats->set_ready_replicas(
        static_cast<int32_t>(deployment->FindInt("/status/readyReplicas").value_or(0)));
    stats->set_desired_replicas(
        static_cast<int32_t>(deployment->FindInt("/spec/replicas").value_or(1)));
    auto pods = workload_pods.find(key);
    const std::vector<PodKey> none;
    const std::vector<PodKey>& members = pods != workload_pods.end() ? pods->second : none;
    if (inputs.metrics.has_value()) {
      Usage usage;
      for (const PodKey& pod : members) {
        auto it = inputs.metrics->pods.find(pod);
        if (it == inputs.metrics->pods.end()) continue;
        usage.cpu_millis += it->second.cpu_millis;
        usage.memory_bytes += it->second.memory_bytes;
      }
      SetResources(usage, stats->mutable_usage());
    } else if (inputs.prometheus.has_value()) {
      double cores = 0;
      for (const PodKey& pod : members) {
        auto it = inputs.prometheus->pod_cpu_cores.find(pod);
        if (it != inputs.prometheus->pod_cpu_cores.end()) cores += it->second;
      }
      stats->mutable_usage()->set_cpu_millis(static_cast<int64_t>(cores * 1000 + 0.5));
    }
    if (inputs.prometheus.has_value()) {
      double receive = 0;
      for (const PodKey& pod : members) {
        auto it = inputs.prometheus->pod_receive_bytes_per_second.find(pod);
        if (it != inputs.prometheus->pod_receive_bytes_per_second.end()) receive += it->second;
      }
      stats->set_network_receive_bytes_per_second(receive);
    }
  }
  if (inputs.prometheus.has_value()) {
    status->mutable_traffic()->set_receive_bytes_per_second(
        inputs.prometheus->receive_bytes_per_second);
    status->mutable_traffic()->set_transmit_bytes_per_second(
        inputs.prometheus->transmit_bytes_per_second);
  }
}

namespace {

absl::StatusOr<rapidjson::Document> ParseItems(const std::string& body, const char* what) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return absl::InvalidArgumentError(std::string(what) + ": malformed JSON");
  }
  auto items = doc.FindMember("items");
  if (items == doc.MemberEnd() || !items->value.IsArray()) {
    return absl::InvalidArgumentError(std::string(what) + ": no items array");
  }
  return doc;
}

}  // namespace

absl::StatusOr<std::map<std::string, Usage>> ParseNodeMetrics(std::string body) {
  absl::StatusOr<rapidjson::Document> doc = ParseItems(body, "NodeMetricsList");
  if (!doc.ok()) return doc.status();
  std::map<std::string, Usage> out;
  for (const rapidjson::Value& item : (*doc)["items"].GetArray()) {
    const rapidjson::Value* metadata = Member(&item, "metadata");
    if (metadata == nullptr) continue;
    std::string name(StringMember(*metadata, "name"));
    if (name.empty()) continue;
    const rapidjson::Value* usage = Member(&item, "usage");
    out[name] = {Cpu(usage), Bytes(usage, "memory")};
  }
  return out;
}

absl::StatusOr<std::map<PodKey, Usage>> ParsePodMetrics(std::string body) {
  absl::StatusOr<rapidjson::Document> doc = ParseItems(body, "PodMetricsList");
  if (!doc.ok()) return doc.status();
  std::map<PodKey, Usage> out;
  for (const rapidjson::Value& item : (*doc)["items"].GetArray()) {
    const rapidjson::Value* metadata = Member(&item, "metadata");
    if (metadata == nullptr) continue;
    std::string key = std::string(StringMember(*metadata, "namespace")) + "/" +
                      std::string(StringMember(*metadata, "name"));
    Usage sum;
    const rapidjson::Value* containers = Member(&item, "containers");
    if (containers != nullptr && containers->IsArray()) {
      for (const rapidjson::Value& container : containers->GetArray()) {
        const rapidjson::Value* usage = Member(&container, "usage");
        sum.cpu_millis += Cpu(usage);
        sum.memory_bytes += Bytes(usage, "memory");
      }
    }
    out[key] = sum;
  }
  return out;
}

}  // namespace mck8s::gateway
