#include "mck8s/sim/fleet.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <system_error>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mck8s/apischema/yaml_json.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/sim/api_error.h"
#include "mck8s/sim/json.h"
#include "mck8s/sim/object_store.h"

namespace mck8s::sim {
namespace {

constexpr char kSystemNamespace[] = "mck8s-system";
constexpr char kFieldManager[] = "mck8s-sim";

std::string YamlQuote(absl::string_view s) {
  std::string out;
  AppendJsonString(s, out);  // JSON strings are YAML double-quoted scalars
  return out;
}

void AddTaints(rapidjson::Value& spec, const std::vector<TestbedTaint>& taints,
               JsonAllocator& alloc) {
  if (taints.empty()) return;
  rapidjson::Value& list = EnsureObject(spec, "taints", alloc);
  list.SetArray();
  for (const TestbedTaint& t : taints) {
    rapidjson::Value taint(rapidjson::kObjectType);
    SetString(taint, "key", t.key, alloc);
    if (!t.value.empty()) SetString(taint, "value", t.value, alloc);
    SetString(taint, "effect", t.effect, alloc);
    list.PushBack(std::move(taint), alloc);
  }
}

rapidjson::Value Condition(absl::string_view type, absl::string_view status,
                           absl::string_view reason, absl::string_view message,
                           const std::string& now, JsonAllocator& alloc) {
  rapidjson::Value c(rapidjson::kObjectType);
  SetString(c, "type", type, alloc);
  SetString(c, "status", status, alloc);
  SetString(c, "lastHeartbeatTime", now, alloc);
  SetString(c, "lastTransitionTime", now, alloc);
  SetString(c, "reason", reason, alloc);
  SetString(c, "message", message, alloc);
  return c;
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, absl::string_view content) {
  std::string temporary = absl::StrCat(path, ".tmp.", ::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", temporary));
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", temporary));
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

Fleet::Fleet(Testbed testbed, Options options)
    : testbed_(std::move(testbed)), options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<Fleet>> Fleet::Create(const Testbed& testbed, Options options) {
  std::unique_ptr<Fleet> fleet(new Fleet(testbed, std::move(options)));
  int index = 0;
  for (const TestbedCluster& spec : fleet->testbed_.clusters) {
    Cluster::Options cluster_options;
    cluster_options.name = spec.name;
    cluster_options.store.history_capacity = fleet->options_.watch_history;
    Member member;
    member.cluster = std::make_unique<Cluster>(cluster_options);
    member.usage = std::make_unique<UsageModel>(*member.cluster, fleet->testbed_.load,
                                                UsageModel::Options{fleet->options_.clock});
    ClusterApi::Options api_options;
    api_options.path_prefix = absl::StrCat("/clusters/", spec.name);
    api_options.usage = member.usage.get();
    member.api = std::make_unique<ClusterApi>(*member.cluster, api_options);
    member.index = index;
    MCK8S_RETURN_IF_ERROR(fleet->AddInitialNodes(*member.cluster, spec, index++));
    fleet->members_.emplace(spec.name, std::move(member));
  }
  MCK8S_RETURN_IF_ERROR(fleet->InstallCrds());
  MCK8S_RETURN_IF_ERROR(fleet->PublishRtt());
  return fleet;
}

absl::Status Fleet::PublishRtt() {
  Cluster* management = cluster(testbed_.management);
  std::shared_ptr<const ResourceCatalog> catalog = management->catalog();
  RequestOptions apply;
  apply.field_manager = kFieldManager;
  std::string ns = absl::StrCat(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")",
                                kSystemNamespace, R"("}})");
  MCK8S_RETURN_IF_ERROR(management
                            ->Patch(*catalog->Find("", "v1", "namespaces"), "", kSystemNamespace,
                                    "", PatchType::kApply, ns, apply)
                            .status());
  rapidjson::Document map;
  map.SetObject();
  auto& alloc = map.GetAllocator();
  SetString(map, "apiVersion", "v1", alloc);
  SetString(map, "kind", "ConfigMap", alloc);
  rapidjson::Value& meta = EnsureObject(map, "metadata", alloc);
  SetString(meta, "name", "mck8s-rtt", alloc);
  SetString(meta, "namespace", kSystemNamespace, alloc);
  SetString(EnsureObject(map, "data", alloc), "rtt.yaml", RttYaml(testbed_), alloc);
  return management
      ->Patch(*catalog->Find("", "v1", "configmaps"), kSystemNamespace, "mck8s-rtt", "",
              PatchType::kApply, ToJson(map), apply)
      .status();
}

absl::StatusOr<std::vector<std::string>> Fleet::AddNodes(absl::string_view cluster_name,
                                                         absl::string_view group_name, int count) {
  auto it = members_.find(cluster_name);
  if (it == members_.end()) {
    return absl::NotFoundError(absl::StrCat("cluster \"", cluster_name, "\" not found"));
  }
  const TestbedCluster* spec = testbed_.Find(cluster_name);
  const NodeGroup* group = nullptr;
  for (const NodeGroup& g : spec->node_groups) {
    if (g.name == group_name) group = &g;
  }
  if (group == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("cluster \"", cluster_name, "\" has no node group \"", group_name, "\""));
  }
  absl::MutexLock lock(&nodes_mu_);
  Cluster& c = *it->second.cluster;
  absl::StatusOr<ObjectStore::ListResult> existing = c.store().List("nodes", {});
  if (!existing.ok()) return existing.status();
  std::set<std::string> taken;
  for (const ObjectRef& n : existing->items) taken.insert(n->name);
  // Serials above every node ever listed keep addresses unique.
  int serial = static_cast<int>(existing->items.size()) + 512;
  std::vector<std::string> added;
  for (int i = 1; static_cast<int>(added.size()) < count; ++i) {
    std::string name = absl::StrCat(cluster_name, "-", group->name, "-", i);
    if (taken.count(name) > 0) continue;
    MCK8S_RETURN_IF_ERROR(CreateNode(c, *spec, *group, name, false, it->second.index, serial + i));
    added.push_back(std::move(name));
  }
  return added;
}

absl::Status Fleet::RemoveNode(absl::string_view cluster_name, absl::string_view node) {
  Cluster* c = cluster(cluster_name);
  if (c == nullptr) {
    return absl::NotFoundError(absl::StrCat("cluster \"", cluster_name, "\" not found"));
  }
  std::shared_ptr<const ResourceCatalog> catalog = c->catalog();
  absl::StatusOr<ObjectStore::DeleteResult> deleted =
      c->Delete(*catalog->Find("", "v1", "nodes"), "", node, {}, {});
  if (!deleted.ok()) return deleted.status();
  // The pods of a node that is gone are evicted; their controllers replace them.
  const std::string node_name(node);
  ObjectStore::ListOptions on_node;
  on_node.predicate = [&node_name](const StoredObject& pod) {
    return pod.Field("spec.nodeName") == node_name;
  };
  absl::StatusOr<ObjectStore::ListResult> pods = c->store().List("pods", on_node);
  if (!pods.ok()) return pods.status();
  const ResourceType* pod_type = catalog->Find("", "v1", "pods");
  for (const ObjectRef& pod : pods->items) {
    absl::StatusOr<ObjectStore::DeleteResult> evicted =
        c->Delete(*pod_type, pod->ns, pod->name, {}, {});
    if (!evicted.ok() && !absl::IsNotFound(evicted.status()) &&
        ReasonOf(evicted.status()) != "NotFound") {
      return evicted.status();
    }
  }
  return absl::OkStatus();
}

absl::Status Fleet::CreateNode(Cluster& cluster, const TestbedCluster& spec, const NodeGroup& group,
                               const std::string& name, bool control_plane, int index, int serial) {
  const ResourceType* nodes = cluster.catalog()->Find("", "v1", "nodes");
  const std::string now = FormatTimestamp(absl::Now());
  rapidjson::Document doc;
  doc.SetObject();
  auto& alloc = doc.GetAllocator();
  SetString(doc, "apiVersion", "v1", alloc);
  SetString(doc, "kind", "Node", alloc);
  rapidjson::Value& meta = EnsureObject(doc, "metadata", alloc);
  SetString(meta, "name", name, alloc);
  rapidjson::Value& labels = EnsureObject(meta, "labels", alloc);
  SetString(labels, "kubernetes.io/hostname", name, alloc);
  SetString(labels, "kubernetes.io/os", "linux", alloc);
  SetString(labels, "kubernetes.io/arch", "amd64", alloc);
  SetString(labels, "node.kubernetes.io/instance-type",
            absl::StrCat(group.cpu, "cpu-", group.memory), alloc);
  if (!spec.region.empty()) SetString(labels, "topology.kubernetes.io/region", spec.region, alloc);
  if (!spec.zone.empty()) SetString(labels, "topology.kubernetes.io/zone", spec.zone, alloc);
  SetString(labels, "mck8s.fogguru.eu/cluster", spec.name, alloc);
  if (control_plane) {
    SetString(labels, "node-role.kubernetes.io/control-plane", "", alloc);
    SetString(labels, "node.kubernetes.io/exclude-from-external-load-balancers", "", alloc);
  }
  for (const auto& [k, v] : group.labels) SetString(labels, k, v, alloc);
  const int number = index * 1024 + serial;
  rapidjson::Value& node_spec = EnsureObject(doc, "spec", alloc);
  std::string cidr = absl::StrFormat("10.%d.%d.0/24", 128 + ((number >> 8) & 127), number & 255);
  SetString(node_spec, "podCIDR", cidr, alloc);
  rapidjson::Value cidrs(rapidjson::kArrayType);
  cidrs.PushBack(MakeString(cidr, alloc), alloc);
  SetMember(node_spec, "podCIDRs", std::move(cidrs), alloc);
  SetString(node_spec, "providerID", absl::StrCat("mck8s-sim://", spec.name, "/", name), alloc);
  std::vector<TestbedTaint> taints = group.taints;
  if (control_plane) taints.push_back({"node-role.kubernetes.io/control-plane", "", "NoSchedule"});
  AddTaints(node_spec, taints, alloc);
  rapidjson::Value& status = EnsureObject(doc, "status", alloc);
  for (const char* list : {"capacity", "allocatable"}) {
    rapidjson::Value& resources = EnsureObject(status, list, alloc);
    SetString(resources, "cpu", group.cpu, alloc);
    SetString(resources, "memory", group.memory, alloc);
    SetString(resources, "pods", absl::StrCat(group.pods), alloc);
    SetString(resources, "ephemeral-storage", "100Gi", alloc);
  }
  rapidjson::Value conditions(rapidjson::kArrayType);
  conditions.PushBack(Condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                                "kubelet has sufficient memory available", now, alloc),
                      alloc);
  conditions.PushBack(Condition("DiskPressure", "False", "KubeletHasNoDiskPressure",
                                "kubelet has no disk pressure", now, alloc),
                      alloc);
  conditions.PushBack(Condition("PIDPressure", "False", "KubeletHasSufficientPID",
                                "kubelet has sufficient PID available", now, alloc),
                      alloc);
  conditions.PushBack(
      Condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", now, alloc),
      alloc);
  SetMember(status, "conditions", std::move(conditions), alloc);
  rapidjson::Value addresses(rapidjson::kArrayType);
  rapidjson::Value ip(rapidjson::kObjectType);
  SetString(ip, "type", "InternalIP", alloc);
  SetString(ip, "address",
            absl::StrFormat("10.%d.%d.%d", (number >> 16) & 255, (number >> 8) & 255, number & 255),
            alloc);
  addresses.PushBack(std::move(ip), alloc);
  rapidjson::Value host(rapidjson::kObjectType);
  SetString(host, "type", "Hostname", alloc);
  SetString(host, "address", name, alloc);
  addresses.PushBack(std::move(host), alloc);
  SetMember(status, "addresses", std::move(addresses), alloc);
  rapidjson::Value& info = EnsureObject(status, "nodeInfo", alloc);
  SetString(info, "machineID", absl::StrFormat("%032x", number + 1), alloc);
  SetString(info, "systemUUID", absl::StrFormat("%032x", number + 1), alloc);
  SetString(info, "bootID", absl::StrFormat("%032x", number + 1), alloc);
  SetString(info, "kernelVersion", "6.1.0-mck8s-sim", alloc);
  SetString(info, "osImage", "Debian GNU/Linux 12 (bookworm)", alloc);
  SetString(info, "containerRuntimeVersion", "containerd://1.7.24", alloc);
  SetString(info, "kubeletVersion", "v1.32.0", alloc);
  SetString(info, "kubeProxyVersion", "v1.32.0", alloc);
  SetString(info, "operatingSystem", "linux", alloc);
  SetString(info, "architecture", "amd64", alloc);
  absl::StatusOr<Cluster::WriteResult> created = cluster.Create(*nodes, "", std::move(doc), {});
  if (!created.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cluster ", spec.name, ": node ", name, ": ", created.status().message()));
  }
  return absl::OkStatus();
}

absl::Status Fleet::AddInitialNodes(Cluster& cluster, const TestbedCluster& spec, int index) {
  int serial = 0;
  if (spec.control_plane.has_value()) {
    MCK8S_RETURN_IF_ERROR(CreateNode(cluster, spec, *spec.control_plane,
                                     absl::StrCat(spec.name, "-control-plane"), true, index,
                                     serial++));
  }
  for (const NodeGroup& group : spec.node_groups) {
    for (int i = 1; i <= group.count; ++i) {
      MCK8S_RETURN_IF_ERROR(CreateNode(cluster, spec, group,
                                       absl::StrCat(spec.name, "-", group.name, "-", i), false,
                                       index, serial++));
    }
  }
  return absl::OkStatus();
}

absl::Status Fleet::InstallCrds() {
  if (options_.crds_dir.empty()) return absl::OkStatus();
  Cluster* management = cluster(testbed_.management);
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(options_.crds_dir, ec)) {
    std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
      files.push_back(entry.path());
    }
  }
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read CRD directory ", options_.crds_dir, ": ", ec.message()));
  }
  std::sort(files.begin(), files.end());
  for (const std::filesystem::path& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<std::vector<rapidjson::Document>> docs = apischema::ParseYamlStream(text.str());
    if (!docs.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file.string(), ": ", docs.status().message()));
    }
    for (rapidjson::Document& doc : *docs) {
      if (GetString(doc, {"kind"}) != "CustomResourceDefinition") continue;
      absl::Status installed = management->InstallCustomResourceDefinition(std::move(doc));
      if (!installed.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(file.string(), ": ", installed.message()));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Fleet::Register(absl::string_view server_url) {
  Cluster* management = cluster(testbed_.management);
  std::shared_ptr<const ResourceCatalog> catalog = management->catalog();
  const ResourceType* member_type = catalog->Find("fogguru.eu", "v1", "memberclusters");
  if (member_type == nullptr) {
    return absl::FailedPreconditionError(
        "the MemberCluster CRD (memberclusters.fogguru.eu) is not installed");
  }
  const ResourceType* namespaces = catalog->Find("", "v1", "namespaces");
  const ResourceType* secrets = catalog->Find("", "v1", "secrets");
  RequestOptions apply;
  apply.field_manager = kFieldManager;
  apply.field_validation = FieldValidation::kStrict;
  {
    std::string ns = absl::StrCat(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")",
                                  kSystemNamespace, R"("}})");
    MCK8S_RETURN_IF_ERROR(
        management->Patch(*namespaces, "", kSystemNamespace, "", PatchType::kApply, ns, apply)
            .status());
  }
  for (const TestbedCluster& spec : testbed_.clusters) {
    if (spec.name == testbed_.management) continue;
    const std::string secret_name = absl::StrCat(spec.name, "-kubeconfig");
    rapidjson::Document secret;
    secret.SetObject();
    auto& salloc = secret.GetAllocator();
    SetString(secret, "apiVersion", "v1", salloc);
    SetString(secret, "kind", "Secret", salloc);
    rapidjson::Value& smeta = EnsureObject(secret, "metadata", salloc);
    SetString(smeta, "name", secret_name, salloc);
    SetString(smeta, "namespace", kSystemNamespace, salloc);
    SetString(EnsureObject(smeta, "labels", salloc), "cluster.x-k8s.io/cluster-name", spec.name,
              salloc);
    SetString(secret, "type", "cluster.x-k8s.io/secret", salloc);
    SetString(EnsureObject(secret, "data", salloc), "value",
              absl::Base64Escape(ClusterKubeconfig(server_url, spec.name)), salloc);
    MCK8S_RETURN_IF_ERROR(management
                              ->Patch(*secrets, kSystemNamespace, secret_name, "",
                                      PatchType::kApply, ToJson(secret), apply)
                              .status());

    rapidjson::Document member;
    member.SetObject();
    auto& alloc = member.GetAllocator();
    SetString(member, "apiVersion", "fogguru.eu/v1", alloc);
    SetString(member, "kind", "MemberCluster", alloc);
    rapidjson::Value& meta = EnsureObject(member, "metadata", alloc);
    SetString(meta, "name", spec.name, alloc);
    if (!spec.labels.empty()) {
      rapidjson::Value& labels = EnsureObject(meta, "labels", alloc);
      for (const auto& [k, v] : spec.labels) SetString(labels, k, v, alloc);
    }
    rapidjson::Value& mspec = EnsureObject(member, "spec", alloc);
    rapidjson::Value& ref = EnsureObject(mspec, "kubeconfigSecretRef", alloc);
    SetString(ref, "namespace", kSystemNamespace, alloc);
    SetString(ref, "name", secret_name, alloc);
    SetString(ref, "key", "value", alloc);
    if (!spec.region.empty()) SetString(mspec, "region", spec.region, alloc);
    if (!spec.zone.empty()) SetString(mspec, "zone", spec.zone, alloc);
    if (!spec.provider.empty()) SetString(mspec, "provider", spec.provider, alloc);
    SetMember(mspec, "cloud", rapidjson::Value(spec.cloud), alloc);
    AddTaints(mspec, spec.taints, alloc);
    absl::StatusOr<Cluster::WriteResult> applied =
        management->Patch(*member_type, "", spec.name, "", PatchType::kApply, ToJson(member), apply);
    if (!applied.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("MemberCluster ", spec.name, ": ",
                                                     applied.status().message()));
    }
  }
  return absl::OkStatus();
}

std::string Fleet::Kubeconfig(absl::string_view server_url) const {
  std::string out = "apiVersion: v1\nkind: Config\nclusters:\n";
  for (const TestbedCluster& spec : testbed_.clusters) {
    absl::StrAppend(&out, "- name: ", YamlQuote(spec.name), "\n  cluster:\n    server: ",
                    YamlQuote(absl::StrCat(server_url, "/clusters/", spec.name)), "\n");
    if (!options_.ca_file.empty()) {
      absl::StrAppend(&out, "    certificate-authority: ", YamlQuote(options_.ca_file), "\n");
    }
  }
  out += "users:\n- name: mck8s-sim\n  user:";
  if (options_.token.empty()) {
    out += " {}\n";
  } else {
    absl::StrAppend(&out, "\n    token: ", YamlQuote(options_.token), "\n");
  }
  out += "contexts:\n";
  for (const TestbedCluster& spec : testbed_.clusters) {
    absl::StrAppend(&out, "- name: ", YamlQuote(spec.name), "\n  context:\n    cluster: ",
                    YamlQuote(spec.name), "\n    user: mck8s-sim\n");
  }
  absl::StrAppend(&out, "current-context: ", YamlQuote(testbed_.management),
                  "\npreferences: {}\n");
  return out;
}

std::string Fleet::ClusterKubeconfig(absl::string_view server_url,
                                     absl::string_view cluster_name) const {
  std::string out = "apiVersion: v1\nkind: Config\nclusters:\n";
  absl::StrAppend(&out, "- name: ", YamlQuote(cluster_name), "\n  cluster:\n    server: ",
                  YamlQuote(absl::StrCat(server_url, "/clusters/", cluster_name)), "\n");
  if (!options_.ca_pem.empty()) {
    absl::StrAppend(&out, "    certificate-authority-data: ",
                    absl::Base64Escape(options_.ca_pem), "\n");
  }
  absl::StrAppend(&out, "users:\n- name: ", YamlQuote(cluster_name), "\n  user:");
  if (options_.token.empty()) {
    out += " {}\n";
  } else {
    absl::StrAppend(&out, "\n    token: ", YamlQuote(options_.token), "\n");
  }
  absl::StrAppend(&out, "contexts:\n- name: ", YamlQuote(cluster_name),
                  "\n  context:\n    cluster: ", YamlQuote(cluster_name),
                  "\n    user: ", YamlQuote(cluster_name), "\ncurrent-context: ",
                  YamlQuote(cluster_name), "\n");
  return out;
}

ClusterApi* Fleet::Api(absl::string_view name) const {
  auto it = members_.find(name);
  return it == members_.end() ? nullptr : it->second.api.get();
}

UsageModel* Fleet::usage(absl::string_view name) const {
  auto it = members_.find(name);
  return it == members_.end() ? nullptr : it->second.usage.get();
}

Cluster* Fleet::cluster(absl::string_view name) const {
  auto it = members_.find(name);
  return it == members_.end() ? nullptr : it->second.cluster.get();
}

std::vector<std::string> Fleet::ClusterNames() const {
  std::vector<std::string> names;
  for (const TestbedCluster& spec : testbed_.clusters) names.push_back(spec.name);
  return names;
}

}  // namespace mck8s::sim
