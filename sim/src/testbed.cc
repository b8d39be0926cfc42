#include "mck8s/sim/testbed.h"

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "mck8s/apischema/yaml_json.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/base/strings.h"
#include "mck8s/k8stypes/label_selector.h"
#include "mck8s/k8stypes/quantity.h"
#include "mck8s/sim/json.h"
#include "rapidjson/document.h"

namespace mck8s::sim {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("testbed: ", field, ": ", what));
}

absl::StatusOr<std::string> ScalarString(const rapidjson::Value& v, absl::string_view field) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsNumber()) return ToJson(v);
  return Invalid(field, "must be a string or a number");
}

absl::Status ReadStringMap(const rapidjson::Value* v, absl::string_view field,
                           std::map<std::string, std::string>& out) {
  if (v == nullptr || v->IsNull()) return absl::OkStatus();
  if (!v->IsObject()) return Invalid(field, "must be a mapping");
  for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) {
    std::string key(it->name.GetString(), it->name.GetStringLength());
    absl::StatusOr<std::string> value =
        ScalarString(it->value, absl::StrCat(field, ".", key));
    if (!value.ok()) return value.status();
    out[key] = *value;
  }
  return absl::OkStatus();
}

absl::Status ReadTaints(const rapidjson::Value* v, absl::string_view field,
                        std::vector<TestbedTaint>& out) {
  if (v == nullptr || v->IsNull()) return absl::OkStatus();
  if (!v->IsArray()) return Invalid(field, "must be a list");
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const rapidjson::Value& t = (*v)[i];
    std::string path = absl::StrCat(field, "[", i, "]");
    TestbedTaint taint;
    taint.key = std::string(GetString(t, {"key"}));
    taint.value = std::string(GetString(t, {"value"}));
    taint.effect = std::string(GetString(t, {"effect"}));
    if (taint.key.empty()) return Invalid(path, "key is required");
    if (taint.effect != "NoSchedule" && taint.effect != "PreferNoSchedule" &&
        taint.effect != "NoExecute") {
      return Invalid(absl::StrCat(path, ".effect"),
                     absl::StrCat("unsupported value \"", taint.effect,
                                  "\": NoSchedule, PreferNoSchedule or NoExecute"));
    }
    out.push_back(std::move(taint));
  }
  return absl::OkStatus();
}

absl::Status ReadQuantity(const rapidjson::Value& group, const char* key, absl::string_view field,
                          std::string& out) {
  const rapidjson::Value* v = Find(group, {key});
  if (v == nullptr) return absl::OkStatus();
  absl::StatusOr<std::string> text = ScalarString(*v, absl::StrCat(field, ".", key));
  if (!text.ok()) return text.status();
  absl::StatusOr<k8stypes::Quantity> q = k8stypes::Quantity::Parse(*text);
  if (!q.ok() || q->Sign() <= 0) {
    return Invalid(absl::StrCat(field, ".", key),
                   absl::StrCat("\"", *text, "\" is not a positive quantity"));
  }
  out = q->String();
  return absl::OkStatus();
}

absl::Status ReadNodeGroup(const rapidjson::Value& v, absl::string_view field, NodeGroup& group) {
  if (!v.IsObject()) return Invalid(field, "must be a mapping");
  if (const rapidjson::Value* name = Find(v, {"name"}); name != nullptr && name->IsString()) {
    group.name = name->GetString();
  }
  if (const rapidjson::Value* count = Find(v, {"count"})) {
    if (!count->IsInt() || count->GetInt() < 0) {
      return Invalid(absl::StrCat(field, ".count"), "must be a non-negative integer");
    }
    group.count = count->GetInt();
  }
  if (absl::Status s = ReadQuantity(v, "cpu", field, group.cpu); !s.ok()) return s;
  if (absl::Status s = ReadQuantity(v, "memory", field, group.memory); !s.ok()) return s;
  if (const rapidjson::Value* pods = Find(v, {"pods"})) {
    if (!pods->IsInt64() || pods->GetInt64() <= 0) {
      return Invalid(absl::StrCat(field, ".pods"), "must be a positive integer");
    }
    group.pods = pods->GetInt64();
  }
  if (absl::Status s = ReadStringMap(Find(v, {"labels"}), absl::StrCat(field, ".labels"),
                                     group.labels);
      !s.ok()) {
    return s;
  }
  return ReadTaints(Find(v, {"taints"}), absl::StrCat(field, ".taints"), group.taints);
}

// A non-negative quantity in milli-units (cpu) or units (bytes), from a
// string or a number.
absl::Status ReadAmount(const rapidjson::Value& parent, const char* key, absl::string_view field,
                        bool millis, int64_t& out) {
  const rapidjson::Value* v = Find(parent, {key});
  if (v == nullptr || v->IsNull()) return absl::OkStatus();
  absl::StatusOr<std::string> text = ScalarString(*v, absl::StrCat(field, ".", key));
  if (!text.ok()) return text.status();
  absl::StatusOr<k8stypes::Quantity> q = k8stypes::Quantity::Parse(*text);
  if (!q.ok() || q->Sign() < 0) {
    return Invalid(absl::StrCat(field, ".", key),
                   absl::StrCat("\"", *text, "\" is not a non-negative quantity"));
  }
  out = millis ? q->MilliValue() : q->Value();
  return absl::OkStatus();
}

absl::Status ReadLoad(const rapidjson::Value& v, const std::set<std::string>& names,
                      LoadModel& load) {
  if (!v.IsObject()) return Invalid("load", "must be a mapping");
  if (const rapidjson::Value* idle = Find(v, {"idle"}); idle != nullptr && !idle->IsNull()) {
    if (!idle->IsObject()) return Invalid("load.idle", "must be a mapping");
    MCK8S_RETURN_IF_ERROR(ReadAmount(*idle, "cpu", "load.idle", true, load.idle_cpu_millis));
    MCK8S_RETURN_IF_ERROR(ReadAmount(*idle, "memory", "load.idle", false, load.idle_memory_bytes));
    MCK8S_RETURN_IF_ERROR(
        ReadAmount(*idle, "networkReceive", "load.idle", false, load.idle_network_rx_per_second));
  }
  if (const rapidjson::Value* system = Find(v, {"system"});
      system != nullptr && !system->IsNull()) {
    if (!system->IsObject()) return Invalid("load.system", "must be a mapping");
    MCK8S_RETURN_IF_ERROR(ReadAmount(*system, "cpu", "load.system", true, load.system_cpu_millis));
    MCK8S_RETURN_IF_ERROR(
        ReadAmount(*system, "memory", "load.system", false, load.system_memory_bytes));
  }
  const rapidjson::Value* workloads = Find(v, {"workloads"});
  if (workloads == nullptr || workloads->IsNull()) return absl::OkStatus();
  if (!workloads->IsArray()) return Invalid("load.workloads", "must be a list");
  std::set<std::string> seen;
  for (rapidjson::SizeType i = 0; i < workloads->Size(); ++i) {
    std::string field = absl::StrCat("load.workloads[", i, "]");
    MCK8S_ASSIGN_OR_RETURN(WorkloadLoad w, ParseWorkloadLoad((*workloads)[i], field));
    if (names.count(w.cluster) == 0) {
      return Invalid(absl::StrCat(field, ".cluster"),
                     absl::StrCat("\"", w.cluster, "\" names no cluster"));
    }
    if (!seen.insert(absl::StrCat(w.cluster, "/", w.ns, "/", w.Key())).second) {
      return Invalid(field, "duplicate workload");
    }
    load.workloads.push_back(std::move(w));
  }
  return absl::OkStatus();
}

}  // namespace

std::string WorkloadLoad::Key() const {
  return deployment.empty() ? absl::StrCat("selector/", selector)
                            : absl::StrCat("deployment/", deployment);
}

absl::StatusOr<WorkloadLoad> ParseWorkloadLoad(const rapidjson::Value& v, absl::string_view field) {
  if (!v.IsObject()) return Invalid(field, "must be a mapping");
  WorkloadLoad w;
  w.cluster = std::string(GetString(v, {"cluster"}));
  if (const rapidjson::Value* ns = Find(v, {"namespace"}); ns != nullptr) {
    if (!ns->IsString() || ns->GetStringLength() == 0) {
      return Invalid(absl::StrCat(field, ".namespace"), "must be a non-empty string");
    }
    w.ns = ns->GetString();
  }
  w.deployment = std::string(GetString(v, {"deployment"}));
  if (const rapidjson::Value* sel = Find(v, {"selector"}); sel != nullptr && !sel->IsNull()) {
    if (sel->IsString()) {
      w.selector = sel->GetString();
    } else if (sel->IsObject()) {
      std::map<std::string, std::string> labels;
      MCK8S_RETURN_IF_ERROR(ReadStringMap(sel, absl::StrCat(field, ".selector"), labels));
      std::vector<std::string> parts;
      for (const auto& [k, value] : labels) parts.push_back(absl::StrCat(k, "=", value));
      w.selector = absl::StrJoin(parts, ",");
    } else {
      return Invalid(absl::StrCat(field, ".selector"), "must be a string or a mapping");
    }
    if (w.selector.empty()) {
      return Invalid(absl::StrCat(field, ".selector"), "must select something");
    }
    if (absl::StatusOr<k8stypes::LabelSelector> parsed =
            k8stypes::LabelSelector::Parse(ToStd(w.selector));
        !parsed.ok()) {
      return Invalid(absl::StrCat(field, ".selector"), parsed.status().message());
    }
  }
  if (w.deployment.empty() == w.selector.empty()) {
    return Invalid(field, "exactly one of deployment and selector is required");
  }
  MCK8S_RETURN_IF_ERROR(ReadAmount(v, "cpu", field, true, w.cpu_millis));
  MCK8S_RETURN_IF_ERROR(ReadAmount(v, "networkReceive", field, false, w.network_rx_per_second));
  return w;
}

std::string RttYaml(const Testbed& testbed) {
  std::map<std::string, std::vector<std::pair<std::string, double>>> rows;
  for (const auto& [pair, ms] : testbed.rtt_ms) {
    // A cluster paired with itself says nothing (and readers reject it).
    if (pair.first != pair.second) rows[pair.first].emplace_back(pair.second, ms);
  }
  std::string out;
  for (const auto& [from, entries] : rows) {
    absl::StrAppend(&out, from, ": {");
    for (size_t i = 0; i < entries.size(); ++i) {
      absl::StrAppend(&out, i == 0 ? "" : ", ", entries[i].first, ": ",
                      absl::StrFormat("%g", entries[i].second));
    }
    out += "}\n";
  }
  return out;
}

const TestbedCluster* Testbed::Find(absl::string_view name) const {
  for (const TestbedCluster& c : clusters) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::optional<double> Testbed::Rtt(absl::string_view a, absl::string_view b) const {
  if (a == b) return 0.0;
  std::pair<std::string, std::string> key(std::string(a < b ? a : b), std::string(a < b ? b : a));
  auto it = rtt_ms.find(key);
  if (it == rtt_ms.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<Testbed> ParseTestbed(absl::string_view yaml) {
  absl::StatusOr<rapidjson::Document> doc =
      apischema::ParseYamlDocument(std::string_view(yaml.data(), yaml.size()));
  if (!doc.ok()) return absl::InvalidArgumentError(absl::StrCat("testbed: ", doc.status().message()));
  if (!doc->IsObject()) return Invalid("(root)", "must be a mapping");
  Testbed testbed;
  testbed.management = std::string(GetString(*doc, {"management"}, "management"));
  const rapidjson::Value* clusters = sim::Find(*doc, {"clusters"});
  if (clusters == nullptr || !clusters->IsArray() || clusters->Empty()) {
    return Invalid("clusters", "must be a non-empty list");
  }
  std::set<std::string> names;
  for (rapidjson::SizeType i = 0; i < clusters->Size(); ++i) {
    const rapidjson::Value& c = (*clusters)[i];
    std::string field = absl::StrCat("clusters[", i, "]");
    if (!c.IsObject()) return Invalid(field, "must be a mapping");
    TestbedCluster cluster;
    cluster.name = std::string(GetString(c, {"name"}));
    if (cluster.name.empty()) return Invalid(absl::StrCat(field, ".name"), "is required");
    if (!names.insert(cluster.name).second) {
      return Invalid(absl::StrCat(field, ".name"),
                     absl::StrCat("duplicate cluster \"", cluster.name, "\""));
    }
    cluster.region = std::string(GetString(c, {"region"}));
    cluster.zone = std::string(GetString(c, {"zone"}));
    cluster.provider = std::string(GetString(c, {"provider"}));
    if (const rapidjson::Value* cloud = sim::Find(c, {"cloud"})) {
      if (!cloud->IsBool()) return Invalid(absl::StrCat(field, ".cloud"), "must be a boolean");
      cluster.cloud = cloud->GetBool();
    }
    if (absl::Status s = ReadStringMap(sim::Find(c, {"labels"}), absl::StrCat(field, ".labels"),
                                       cluster.labels);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = ReadTaints(sim::Find(c, {"taints"}), absl::StrCat(field, ".taints"),
                                    cluster.taints);
        !s.ok()) {
      return s;
    }
    const rapidjson::Value* groups = sim::Find(c, {"nodeGroups"});
    if (groups != nullptr && !groups->IsArray()) {
      return Invalid(absl::StrCat(field, ".nodeGroups"), "must be a list");
    }
    if (groups != nullptr) {
      for (rapidjson::SizeType g = 0; g < groups->Size(); ++g) {
        NodeGroup group;
        if (absl::Status s = ReadNodeGroup((*groups)[g],
                                           absl::StrCat(field, ".nodeGroups[", g, "]"), group);
            !s.ok()) {
          return s;
        }
        cluster.node_groups.push_back(std::move(group));
      }
    }
    NodeGroup control_plane;
    control_plane.name = "control-plane";
    if (!cluster.node_groups.empty()) {
      control_plane.cpu = cluster.node_groups.front().cpu;
      control_plane.memory = cluster.node_groups.front().memory;
    }
    bool enabled = true;
    if (const rapidjson::Value* cp = sim::Find(c, {"controlPlane"})) {
      if (const rapidjson::Value* e = sim::Find(*cp, {"enabled"}); e != nullptr && e->IsBool()) {
        enabled = e->GetBool();
      }
      if (absl::Status s = ReadNodeGroup(*cp, absl::StrCat(field, ".controlPlane"), control_plane);
          !s.ok()) {
        return s;
      }
      control_plane.name = "control-plane";
    }
    control_plane.count = 1;
    if (enabled) cluster.control_plane = control_plane;
    testbed.clusters.push_back(std::move(cluster));
  }
  if (testbed.Find(testbed.management) == nullptr) {
    return Invalid("management",
                   absl::StrCat("\"", testbed.management, "\" is not one of the clusters"));
  }
  if (const rapidjson::Value* rtt = sim::Find(*doc, {"rtt"}); rtt != nullptr && !rtt->IsNull()) {
    if (!rtt->IsObject()) return Invalid("rtt", "must be a mapping");
    for (auto a = rtt->MemberBegin(); a != rtt->MemberEnd(); ++a) {
      std::string from(a->name.GetString(), a->name.GetStringLength());
      if (names.count(from) == 0) {
        return Invalid(absl::StrCat("rtt.", from), "names no cluster");
      }
      if (!a->value.IsObject()) return Invalid(absl::StrCat("rtt.", from), "must be a mapping");
      for (auto b = a->value.MemberBegin(); b != a->value.MemberEnd(); ++b) {
        std::string to(b->name.GetString(), b->name.GetStringLength());
        std::string field = absl::StrCat("rtt.", from, ".", to);
        if (names.count(to) == 0) return Invalid(field, "names no cluster");
        if (!b->value.IsNumber() || b->value.GetDouble() < 0) {
          return Invalid(field, "must be a non-negative number of milliseconds");
        }
        std::pair<std::string, std::string> key(std::min(from, to), std::max(from, to));
        testbed.rtt_ms[key] = b->value.GetDouble();
      }
    }
  }
  if (const rapidjson::Value* load = sim::Find(*doc, {"load"});
      load != nullptr && !load->IsNull()) {
    MCK8S_RETURN_IF_ERROR(ReadLoad(*load, names, testbed.load));
  }
  return testbed;
}

absl::StatusOr<Testbed> LoadTestbed(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read testbed ", path));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<Testbed> testbed = ParseTestbed(text.str());
  if (!testbed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", testbed.status().message()));
  }
  return testbed;
}

Testbed GenerateTestbed(int members, int nodes_per_cluster) {
  Testbed testbed;
  testbed.management = "management";
  TestbedCluster management;
  management.name = "management";
  management.region = "region-0";
  management.zone = "region-0-a";
  management.provider = "generated";
  NodeGroup workers;
  workers.count = 3;
  workers.cpu = "4";
  workers.memory = "16Gi";
  management.node_groups.push_back(workers);
  NodeGroup control_plane = workers;
  control_plane.name = "control-plane";
  control_plane.count = 1;
  management.control_plane = control_plane;
  testbed.clusters.push_back(management);
  constexpr int kRegions = 10;
  for (int i = 1; i <= members; ++i) {
    TestbedCluster c;
    c.name = absl::StrFormat("member-%04d", i);
    int region = i % kRegions;
    c.region = absl::StrCat("region-", region);
    c.zone = absl::StrCat("region-", region, "-", (i / kRegions) % 3);
    c.provider = i % 20 == 0 ? "openstack" : "on-premises";
    c.cloud = i % 20 == 0;
    c.labels["mck8s.fogguru.eu/region"] = c.region;
    NodeGroup group;
    group.count = nodes_per_cluster;
    group.cpu = "4";
    group.memory = "16Gi";
    c.node_groups.push_back(group);
    c.control_plane = control_plane;
    testbed.clusters.push_back(std::move(c));
  }
  // RTTs only between the management cluster and each member, growing with
  // the member's region (a full matrix of a thousand clusters would be half
  // a million entries).
  for (size_t i = 1; i < testbed.clusters.size(); ++i) {
    const std::string& name = testbed.clusters[i].name;
    testbed.rtt_ms[{std::min<std::string>("management", name),
                    std::max<std::string>("management", name)}] =
        1.0 + 5.0 * static_cast<double>(i % kRegions);
  }
  return testbed;
}

}  // namespace mck8s::sim
