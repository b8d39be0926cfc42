#include "mck8s/sim/usage.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"
#include "mck8s/k8stypes/label_selector.h"
#include "mck8s/k8stypes/quantity.h"
#include "mck8s/sim/json.h"

namespace mck8s::sim {
namespace {

using LabelMap = std::map<std::string, std::string>;

LabelMap LabelsOf(const StoredObject& object) {
  return LabelMap(object.labels.begin(), object.labels.end());
}

// The Deployment's spec.selector; nullopt when it has none or is invalid.
std::optional<k8stypes::LabelSelector> DeploymentSelector(const rapidjson::Value& deployment) {
  const rapidjson::Value* selector = Find(deployment, {"spec", "selector"});
  if (selector == nullptr || !selector->IsObject()) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> labels;
  if (const rapidjson::Value* m = Find(*selector, {"matchLabels"}); m != nullptr && m->IsObject()) {
    for (auto it = m->MemberBegin(); it != m->MemberEnd(); ++it) {
      if (!it->value.IsString()) continue;
      labels.emplace_back(it->name.GetString(), it->value.GetString());
    }
  }
  std::vector<k8stypes::LabelSelectorExpression> expressions;
  if (const rapidjson::Value* e = Find(*selector, {"matchExpressions"});
      e != nullptr && e->IsArray()) {
    for (const rapidjson::Value& item : e->GetArray()) {
      k8stypes::LabelSelectorExpression expression;
      expression.key = std::string(GetString(item, {"key"}));
      expression.op = std::string(GetString(item, {"operator"}));
      if (const rapidjson::Value* values = Find(item, {"values"});
          values != nullptr && values->IsArray()) {
        for (const rapidjson::Value& v : values->GetArray()) {
          if (v.IsString()) expression.values.emplace_back(v.GetString());
        }
      }
      expressions.push_back(std::move(expression));
    }
  }
  absl::StatusOr<k8stypes::LabelSelector> parsed =
      k8stypes::LabelSelector::FromMatchEntries(std::move(labels), expressions);
  if (!parsed.ok() || parsed->Empty()) return std::nullopt;
  return *parsed;
}

struct PodFacts {
  ObjectRef object;
  LabelMap labels;
  std::string node;
  std::vector<ContainerUsage> containers;   // names and requests
  std::optional<int64_t> cpu_limit_millis;  // every container has a limit
  int64_t memory_request_bytes = 0;
  // Accumulated from the workloads that select the pod.
  double cpu_cores = 0;
  double rx_per_second = 0;
  bool loaded = false;
};

}  // namespace

double PodUsage::cpu_cores() const {
  double total = 0;
  for (const ContainerUsage& c : containers) total += c.cpu_cores;
  return total;
}

int64_t PodUsage::memory_bytes() const {
  int64_t total = 0;
  for (const ContainerUsage& c : containers) total += c.memory_bytes;
  return total;
}

UsageModel::UsageModel(Cluster& cluster, const LoadModel& load, Options options)
    : cluster_(cluster),
      load_(load),
      clock_(options.clock ? std::move(options.clock) : [] { return absl::Now(); }) {
  absl::MutexLock lock(&mu_);
  for (const WorkloadLoad& w : load.workloads) {
    if (w.cluster != cluster.name()) continue;
    workloads_[{w.ns, w.Key()}] = w;
  }
  load_.workloads.clear();
}

void UsageModel::SetWorkload(const WorkloadLoad& workload) {
  absl::MutexLock lock(&mu_);
  ObserveLocked();  // the old load up to now
  std::pair<std::string, std::string> key(workload.ns, workload.Key());
  if (workload.cpu_millis == 0 && workload.network_rx_per_second == 0) {
    workloads_.erase(key);
  } else {
    workloads_[key] = workload;
  }
  ObserveLocked();  // rates of the new load from now on
}

std::vector<WorkloadLoad> UsageModel::workloads() const {
  absl::MutexLock lock(&mu_);
  std::vector<WorkloadLoad> out;
  for (const auto& [key, w] : workloads_) out.push_back(w);
  return out;
}

UsageSnapshot UsageModel::Observe() {
  absl::MutexLock lock(&mu_);
  return ObserveLocked();
}

UsageSnapshot UsageModel::ObserveLocked() {
  UsageSnapshot snapshot;
  snapshot.time = clock_();
  const double elapsed = last_ == absl::InfinitePast()
                             ? 0.0
                             : std::max(0.0, absl::ToDoubleSeconds(snapshot.time - last_));
  last_ = std::max(last_, snapshot.time);

  ObjectStore& store = cluster_.store();
  absl::StatusOr<ObjectStore::ListResult> nodes = store.List("nodes", {});
  absl::StatusOr<ObjectStore::ListResult> pods = store.List("pods", {});
  absl::StatusOr<ObjectStore::ListResult> deployments = store.List("deployments.apps", {});
  if (nodes.ok()) {
    for (const ObjectRef& n : nodes->items) {
      NodeUsage usage;
      usage.node = n;
      usage.name = n->name;
      usage.allocatable_cpu_millis =
          QuantityCpuMillis(Find(n->Parse(), {"status", "allocatable", "cpu"}));
      snapshot.nodes.push_back(std::move(usage));
    }
  }
  std::map<std::string, size_t> node_index;
  for (size_t i = 0; i < snapshot.nodes.size(); ++i) node_index[snapshot.nodes[i].name] = i;
  if (deployments.ok()) snapshot.deployments = deployments->items;

  // Running, Ready pods: the ones that use something.
  std::vector<PodFacts> running;
  if (pods.ok()) {
    snapshot.all_pods = pods->items;
    for (const ObjectRef& p : pods->items) {
      if (p->deleting || p->Field("status.phase") != "Running") continue;
      rapidjson::Document doc = p->Parse();
      if (!ConditionTrue(doc, "Ready")) continue;
      PodFacts facts;
      facts.object = p;
      facts.labels = LabelsOf(*p);
      facts.node = std::string(p->Field("spec.nodeName"));
      bool all_limited = true;
      int64_t limit = 0;
      if (const rapidjson::Value* containers = Find(doc, {"spec", "containers"});
          containers != nullptr && containers->IsArray()) {
        for (const rapidjson::Value& c : containers->GetArray()) {
          ContainerUsage container;
          container.name = std::string(GetString(c, {"name"}));
          container.cpu_request_millis =
              QuantityCpuMillis(Find(c, {"resources", "requests", "cpu"}));
          container.memory_request_bytes =
              QuantityMemoryBytes(Find(c, {"resources", "requests", "memory"}));
          facts.memory_request_bytes += container.memory_request_bytes;
          int64_t l = QuantityCpuMillis(Find(c, {"resources", "limits", "cpu"}));
          if (l <= 0) all_limited = false;
          limit += l;
          facts.containers.push_back(std::move(container));
        }
      }
      if (facts.containers.empty()) continue;
      if (all_limited) facts.cpu_limit_millis = limit;
      running.push_back(std::move(facts));
    }
  }

  // Spread each workload's offered load over the pods it selects.
  std::map<std::string, const ObjectRef*> deployment_by_key;
  for (const ObjectRef& d : snapshot.deployments) {
    deployment_by_key[absl::StrCat(d->ns, "/", d->name)] = &d;
  }
  for (const auto& [key, w] : workloads_) {
    std::optional<k8stypes::LabelSelector> selector;
    if (!w.deployment.empty()) {
      auto it = deployment_by_key.find(absl::StrCat(w.ns, "/", w.deployment));
      if (it == deployment_by_key.end()) continue;
      selector = DeploymentSelector((*it->second)->Parse());
    } else {
      absl::StatusOr<k8stypes::LabelSelector> parsed =
          k8stypes::LabelSelector::Parse(ToStd(w.selector));
      if (parsed.ok()) selector = *parsed;
    }
    if (!selector.has_value()) continue;
    std::vector<PodFacts*> selected;
    for (PodFacts& pod : running) {
      if (pod.object->ns == w.ns && selector->Matches(pod.labels)) selected.push_back(&pod);
    }
    if (selected.empty()) continue;
    const double n = static_cast<double>(selected.size());
    for (PodFacts* pod : selected) {
      pod->cpu_cores += static_cast<double>(w.cpu_millis) / 1000.0 / n;
      pod->rx_per_second += static_cast<double>(w.network_rx_per_second) / n;
      pod->loaded = true;
    }
  }

  std::map<std::pair<std::string, std::string>, PodCounters> next_pods;
  for (PodFacts& facts : running) {
    double cpu =
        facts.loaded ? facts.cpu_cores : static_cast<double>(load_.idle_cpu_millis) / 1000.0;
    double rx =
        facts.loaded ? facts.rx_per_second : static_cast<double>(load_.idle_network_rx_per_second);
    auto node_it = node_index.find(facts.node);
    const int64_t cap_millis = facts.cpu_limit_millis.has_value()
                                   ? *facts.cpu_limit_millis
                                   : (node_it == node_index.end()
                                          ? 0
                                          : snapshot.nodes[node_it->second].allocatable_cpu_millis);
    if (cap_millis > 0) cpu = std::min(cpu, static_cast<double>(cap_millis) / 1000.0);

    PodUsage usage;
    usage.pod = facts.object;
    usage.ns = facts.object->ns;
    usage.name = facts.object->name;
    usage.node = facts.node;
    usage.network_rx_per_second = rx;
    const double per_container = cpu / static_cast<double>(facts.containers.size());
    const int64_t idle_memory_each =
        load_.idle_memory_bytes / static_cast<int64_t>(facts.containers.size());
    std::pair<std::string, std::string> key(usage.ns, usage.name);
    PodCounters counters;
    if (auto old = pods_.find(key); old != pods_.end() && old->second.uid == facts.object->uid) {
      counters = std::move(old->second);
    }
    counters.uid = facts.object->uid;
    for (ContainerUsage& c : facts.containers) {
      c.cpu_cores = per_container;
      c.memory_bytes = facts.memory_request_bytes > 0 ? c.memory_request_bytes : idle_memory_each;
      double& seconds = counters.cpu_seconds[c.name];
      seconds += counters.cpu_rate[c.name] * elapsed;
      counters.cpu_rate[c.name] = per_container;
      c.cpu_seconds_total = seconds;
    }
    counters.rx_bytes += counters.rx_rate * elapsed;
    counters.rx_rate = rx;
    usage.network_rx_bytes_total = counters.rx_bytes;
    usage.containers = std::move(facts.containers);
    if (node_it != node_index.end()) {
      NodeUsage& node = snapshot.nodes[node_it->second];
      node.cpu_cores += usage.cpu_cores();
      node.memory_bytes += usage.memory_bytes();
      node.network_rx_per_second += rx;
    }
    next_pods.emplace(key, std::move(counters));
    snapshot.pods.push_back(std::move(usage));
  }
  pods_ = std::move(next_pods);

  std::map<std::string, NodeCounters> next_nodes;
  for (NodeUsage& node : snapshot.nodes) {
    node.cpu_cores += static_cast<double>(load_.system_cpu_millis) / 1000.0;
    node.memory_bytes += load_.system_memory_bytes;
    NodeCounters counters;
    if (auto old = nodes_.find(node.name); old != nodes_.end()) counters = old->second;
    counters.cpu_seconds += counters.cpu_rate * elapsed;
    counters.cpu_rate = node.cpu_cores;
    counters.idle_seconds += counters.idle_rate * elapsed;
    counters.idle_rate =
        std::max(0.0, static_cast<double>(node.allocatable_cpu_millis) / 1000.0 - node.cpu_cores);
    counters.rx_bytes += counters.rx_rate * elapsed;
    counters.rx_rate = node.network_rx_per_second;
    node.cpu_idle_seconds_total = counters.idle_seconds;
    node.cpu_seconds_total = counters.cpu_seconds;
    node.network_rx_bytes_total = counters.rx_bytes;
    next_nodes.emplace(node.name, counters);
  }
  nodes_ = std::move(next_nodes);
  return snapshot;
}

}  // namespace mck8s::sim
