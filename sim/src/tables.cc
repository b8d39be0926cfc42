#include "mck8s/sim/tables.h"

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "mck8s/sim/cluster.h"
#include "mck8s/sim/json.h"

namespace mck8s::sim {
namespace {

constexpr char kTimeFormat[] = "%Y-%m-%dT%H:%M:%SZ";

struct Column {
  std::string name;
  std::string type;  // string, integer, number, boolean, date
  std::string format;
  std::string description;
  int priority = 0;
};

// A cell: a string, an integer, or null.
struct Cell {
  enum Kind { kString, kInt, kNull, kJson } kind = kNull;
  std::string text;
  int64_t number = 0;
  static Cell Str(std::string s) { return {kString, std::move(s), 0}; }
  static Cell Int(int64_t n) { return {kInt, "", n}; }
  static Cell Null() { return {kNull, "", 0}; }
  static Cell Json(std::string raw) { return {kJson, std::move(raw), 0}; }
};

using Printer = std::function<std::vector<Cell>(const rapidjson::Value& object, absl::Time now)>;

std::string Or(absl::string_view s, absl::string_view fallback = "<none>") {
  return std::string(s.empty() ? fallback : s);
}

Cell Age(const rapidjson::Value& object, absl::Time now) {
  absl::string_view created = GetString(object, {"metadata", "creationTimestamp"});
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(kTimeFormat, std::string(created), &t, &err)) return Cell::Str("<unknown>");
  return Cell::Str(HumanDuration(now - t));
}

int64_t Int(const rapidjson::Value& object, std::initializer_list<absl::string_view> path) {
  return GetInt(object, path).value_or(0);
}

std::string SelectorText(const rapidjson::Value* selector) {
  if (selector == nullptr || !selector->IsObject()) return "<none>";
  std::vector<std::string> parts;
  const rapidjson::Value* labels = Find(*selector, {"matchLabels"});
  if (labels == nullptr) labels = selector;  // a Service's plain map
  if (labels->IsObject()) {
    std::map<std::string, std::string> sorted;
    for (auto it = labels->MemberBegin(); it != labels->MemberEnd(); ++it) {
      if (!it->value.IsString()) continue;
      sorted[std::string(it->name.GetString(), it->name.GetStringLength())] = it->value.GetString();
    }
    for (const auto& [k, v] : sorted) parts.push_back(absl::StrCat(k, "=", v));
  }
  return parts.empty() ? "<none>" : absl::StrJoin(parts, ",");
}

std::string ContainerField(const rapidjson::Value* spec, const char* field) {
  std::vector<std::string> values;
  if (spec != nullptr) {
    if (const rapidjson::Value* containers = Find(*spec, {"containers"});
        containers != nullptr && containers->IsArray()) {
      for (const rapidjson::Value& c : containers->GetArray()) {
        values.emplace_back(GetString(c, {field}));
      }
    }
  }
  return values.empty() ? "<none>" : absl::StrJoin(values, ",");
}

const std::vector<Column>& NameAge() {
  static const auto* columns = new std::vector<Column>{
      {"Name", "string", "name", "Name must be unique within a namespace.", 0},
      {"Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0}};
  return *columns;
}

struct Printers {
  std::vector<Column> columns;
  Printer cells;
};

std::string PodStatus(const rapidjson::Value& pod) {
  if (Find(pod, {"metadata", "deletionTimestamp"}) != nullptr) return "Terminating";
  absl::string_view reason = GetString(pod, {"status", "reason"});
  if (!reason.empty()) return std::string(reason);
  absl::string_view phase = GetString(pod, {"status", "phase"}, "Pending");
  if (phase == "Succeeded") return "Completed";
  if (phase == "Failed") return "Error";
  if (const rapidjson::Value* statuses = Find(pod, {"status", "containerStatuses"});
      statuses != nullptr && statuses->IsArray()) {
    for (const rapidjson::Value& s : statuses->GetArray()) {
      absl::string_view waiting = GetString(s, {"state", "waiting", "reason"});
      if (!waiting.empty()) return std::string(waiting);
    }
  }
  return std::string(phase);
}

Printers PrintersFor(const ResourceType& type) {
  const std::string& kind = type.kind;
  if (!type.builtin) {
    if (type.printer_columns.empty()) {
      return {NameAge(), [](const rapidjson::Value& o, absl::Time now) {
                return std::vector<Cell>{Cell::Str(std::string(GetString(o, {"metadata", "name"}))),
                                         Age(o, now)};
              }};
    }
    std::vector<Column> columns = {NameAge()[0]};
    for (const apischema::PrinterColumn& c : type.printer_columns) {
      columns.push_back({c.name, c.type == "date" ? "date" : c.type, c.format, c.description,
                         c.priority});
    }
    std::vector<apischema::PrinterColumn> defs = type.printer_columns;
    return {columns, [defs](const rapidjson::Value& o, absl::Time now) {
              std::vector<Cell> cells = {Cell::Str(std::string(GetString(o, {"metadata", "name"})))};
              for (const apischema::PrinterColumn& c : defs) {
                std::vector<const rapidjson::Value*> found = EvaluateJsonPath(o, c.json_path);
                if (found.empty() || found[0]->IsNull()) {
                  cells.push_back(Cell::Null());
                  continue;
                }
                const rapidjson::Value& v = *found[0];
                if (c.type == "date" && v.IsString()) {
                  absl::Time t;
                  std::string err;
                  if (absl::ParseTime(kTimeFormat, v.GetString(), &t, &err)) {
                    cells.push_back(Cell::Str(HumanDuration(now - t)));
                    continue;
                  }
                }
                if (v.IsString()) {
                  cells.push_back(Cell::Str(v.GetString()));
                } else {
                  cells.push_back(Cell::Json(ToJson(v)));
                }
              }
              return cells;
            }};
  }
  if (kind == "Pod") {
    return {{NameAge()[0],
             {"Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0},
             {"Status", "string", "", "The aggregate status of the containers in this pod.", 0},
             {"Restarts", "string", "", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", 0},
             NameAge()[1],
             {"IP", "string", "", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1},
             {"Node", "string", "", "Name of the Node that this pod runs on.", 1},
             {"Nominated Node", "string", "", "nominatedNodeName is set when this pod preempts other pods on the node.", 1},
             {"Readiness Gates", "string", "", "If specified, all readiness gates will be evaluated for pod readiness.", 1}},
            [](const rapidjson::Value& o, absl::Time now) {
              int total = 0, ready = 0, restarts = 0;
              if (const rapidjson::Value* cs = Find(o, {"spec", "containers"}); cs && cs->IsArray()) {
                total = static_cast<int>(cs->Size());
              }
              if (const rapidjson::Value* ss = Find(o, {"status", "containerStatuses"});
                  ss && ss->IsArray()) {
                for (const rapidjson::Value& s : ss->GetArray()) {
                  const rapidjson::Value* r = Find(s, {"ready"});
                  if (r != nullptr && r->IsTrue()) ++ready;
                  restarts += static_cast<int>(GetInt(s, {"restartCount"}).value_or(0));
                }
              }
              return std::vector<Cell>{
                  Cell::Str(std::string(GetString(o, {"metadata", "name"}))),
                  Cell::Str(absl::StrCat(ready, "/", total)),
                  Cell::Str(PodStatus(o)),
                  Cell::Str(absl::StrCat(restarts)),
                  Age(o, now),
                  Cell::Str(Or(GetString(o, {"status", "podIP"}))),
                  Cell::Str(Or(GetString(o, {"spec", "nodeName"}))),
                  Cell::Str(Or(GetString(o, {"status", "nominatedNodeName"}))),
                  Cell::Str("<none>")};
            }};
  }
  if (kind == "Deployment") {
    return {{NameAge()[0],
             {"Ready", "string", "", "Number of the pod with ready state", 0},
             {"Up-to-date", "integer", "", "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", 0},
             {"Available", "integer", "", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", 0},
             NameAge()[1],
             {"Containers", "string", "", "Names of each container in the template.", 1},
             {"Images", "string", "", "Images referenced by each container in the template.", 1},
             {"Selector", "string", "", "Label selector for pods.", 1}},
            [](const rapidjson::Value& o, absl::Time now) {
              const rapidjson::Value* spec = Find(o, {"spec", "template", "spec"});
              return std::vector<Cell>{
                  Cell::Str(std::string(GetString(o, {"metadata", "name"}))),
                  Cell::Str(absl::StrCat(Int(o, {"status", "readyReplicas"}), "/",
                                         GetInt(o, {"spec", "replicas"}).value_or(1))),
                  Cell::Int(Int(o, {"status", "updatedReplicas"})),
                  Cell::Int(Int(o, {"status", "availableReplicas"})),
                  Age(o, now),
                  Cell::Str(ContainerField(spec, "name")),
                  Cell::Str(ContainerField(spec, "image")),
                  Cell::Str(SelectorText(Find(o, {"spec", "selector"})))};
            }};
  }
  if (kind == "Node") {
    return {{NameAge()[0],
             {"Status", "string", "", "The status of the node", 0},
             {"Roles", "string", "", "The roles of the node", 0},
             NameAge()[1],
             {"Version", "string", "", "Kubelet Version reported by the node.", 0},
             {"Internal-IP", "string", "", "List of addresses reachable to the node.", 1},
             {"External-IP", "string", "", "List of addresses reachable to the node.", 1},
             {"OS-Image", "string", "", "OS Image reported by the node from /etc/os-release.", 1},
             {"Kernel-Version", "string", "", "Kernel Version reported by the node.", 1},
             {"Container-Runtime", "string", "", "Container Runtime Version reported by the node.", 1}},
            [](const rapidjson::Value& o, absl::Time now) {
              std::string status = "Unknown";
              if (const rapidjson::Value* cs = Find(o, {"status", "conditions"}); cs && cs->IsArray()) {
                for (const rapidjson::Value& c : cs->GetArray()) {
                  if (GetString(c, {"type"}) == "Ready") {
                    status = GetString(c, {"status"}) == "True" ? "Ready" : "NotReady";
                  }
                }
              }
              const rapidjson::Value* unschedulable = Find(o, {"spec", "unschedulable"});
              if (unschedulable != nullptr && unschedulable->IsTrue()) status += ",SchedulingDisabled";
              std::vector<std::string> roles;
              if (const rapidjson::Value* labels = Find(o, {"metadata", "labels"});
                  labels && labels->IsObject()) {
                for (auto it = labels->MemberBegin(); it != labels->MemberEnd(); ++it) {
                  absl::string_view key(it->name.GetString(), it->name.GetStringLength());
                  if (absl::ConsumePrefix(&key, "node-role.kubernetes.io/")) roles.emplace_back(key);
                }
              }
              std::string internal_ip, external_ip;
              if (const rapidjson::Value* as = Find(o, {"status", "addresses"}); as && as->IsArray()) {
                for (const rapidjson::Value& a : as->GetArray()) {
                  if (GetString(a, {"type"}) == "InternalIP") internal_ip = std::string(GetString(a, {"address"}));
                  if (GetString(a, {"type"}) == "ExternalIP") external_ip = std::string(GetString(a, {"address"}));
                }
              }
              return std::vector<Cell>{
                  Cell::Str(std::string(GetString(o, {"metadata", "name"}))),
                  Cell::Str(status),
                  Cell::Str(roles.empty() ? "<none>" : absl::StrJoin(roles, ",")),
                  Age(o, now),
                  Cell::Str(std::string(GetString(o, {"status", "nodeInfo", "kubeletVersion"}))),
                  Cell::Str(Or(internal_ip)),
                  Cell::Str(Or(external_ip)),
                  Cell::Str(Or(GetString(o, {"status", "nodeInfo", "osImage"}), "<unknown>")),
                  Cell::Str(Or(GetString(o, {"status", "nodeInfo", "kernelVersion"}), "<unknown>")),
                  Cell::Str(Or(GetString(o, {"status", "nodeInfo", "containerRuntimeVersion"}),
                               "<unknown>"))};
            }};
  }
  if (kind == "Service") {
    return {{NameAge()[0],
             {"Type", "string", "", "The type of the service.", 0},
             {"Cluster-IP", "string", "", "The IP address of the service.", 0},
             {"External-IP", "string", "", "The external IP addresses of the service.", 0},
             {"Port(s)", "string", "", "The ports of the service.", 0},
             NameAge()[1],
             {"Selector", "string", "", "Route service traffic to pods with label keys and values matching this selector.", 1}},
            [](const rapidjson::Value& o, absl::Time now) {
              std::vector<std::string> ports;
              if (const rapidjson::Value* ps = Find(o, {"spec", "ports"}); ps && ps->IsArray()) {
                for (const rapidjson::Value& p : ps->GetArray()) {
                  std::string port = absl::StrCat(GetInt(p, {"port"}).value_or(0));
                  if (auto node_port = GetInt(p, {"nodePort"})) absl::StrAppend(&port, ":", *node_port);
                  absl::StrAppend(&port, "/", GetString(p, {"protocol"}, "TCP"));
                  ports.push_back(port);
                }
              }
              absl::string_view type = GetString(o, {"spec", "type"}, "ClusterIP");
              std::string external = "<none>";
              if (type == "LoadBalancer") external = "<pending>";
              if (type == "ExternalName") external = std::string(GetString(o, {"spec", "externalName"}));
              return std::vector<Cell>{
                  Cell::Str(std::string(GetString(o, {"metadata", "name"}))),
                  Cell::Str(std::string(type)),
                  Cell::Str(Or(GetString(o, {"spec", "clusterIP"}))),
                  Cell::Str(external),
                  Cell::Str(ports.empty() ? "<none>" : absl::StrJoin(ports, ",")),
                  Age(o, now),
                  Cell::Str(SelectorText(Find(o, {"spec", "selector"})))};
            }};
  }
  if (kind == "Namespace") {
    return {{NameAge()[0], {"Status", "string", "", "The status of the namespace", 0}, NameAge()[1]},
            [](const rapidjson::Value& o, absl::Time now) {
              return std::vector<Cell>{Cell::Str(std::string(GetString(o, {"metadata", "name"}))),
                                       Cell::Str(std::string(GetString(o, {"status", "phase"}, "Active"))),
                                       Age(o, now)};
            }};
  }
  if (kind == "Job") {
    return {{NameAge()[0],
             {"Status", "string", "", "Status of the job.", 0},
             {"Completions", "string", "", "The completion status of the job.", 0},
             {"Duration", "string", "", "Time required to complete the job.", 0},
             NameAge()[1],
             {"Containers", "string", "", "Names of each container in the template.", 1},
             {"Images", "string", "", "Images referenced by each container in the template.", 1},
             {"Selector", "string", "", "Label selector for pods.", 1}},
            [](const rapidjson::Value& o, absl::Time now) {
              std::string status = "Running";
              if (const rapidjson::Value* cs = Find(o, {"status", "conditions"}); cs && cs->IsArray()) {
                for (const rapidjson::Value& c : cs->GetArray()) {
                  if (GetString(c, {"status"}) != "True") continue;
                  if (GetString(c, {"type"}) == "Complete") status = "Complete";
                  if (GetString(c, {"type"}) == "Failed") status = "Failed";
                }
              }
              const rapidjson::Value* suspend = Find(o, {"spec", "suspend"});
              if (suspend != nullptr && suspend->IsTrue()) status = "Suspended";
              std::string duration;
              absl::Time start, end = now;
              std::string err;
              if (absl::ParseTime(kTimeFormat, std::string(GetString(o, {"status", "startTime"})),
                                  &start, &err)) {
                absl::ParseTime(kTimeFormat,
                                std::string(GetString(o, {"status", "completionTime"})), &end, &err);
                duration = HumanDuration(end - start);
              }
              const rapidjson::Value* spec = Find(o, {"spec", "template", "spec"});
              return std::vector<Cell>{
                  Cell::Str(std::string(GetString(o, {"metadata", "name"}))),
                  Cell::Str(status),
                  Cell::Str(absl::StrCat(Int(o, {"status", "succeeded"}), "/",
                                         GetInt(o, {"spec", "completions"}).value_or(1))),
                  Cell::Str(duration),
                  Age(o, now),
                  Cell::Str(ContainerField(spec, "name")),
                  Cell::Str(ContainerField(spec, "image")),
                  Cell::Str(SelectorText(Find(o, {"spec", "selector"})))};
            }};
  }
  if (kind == "ConfigMap" || kind == "Secret") {
    bool secret = kind == "Secret";
    std::vector<Column> columns = {NameAge()[0]};
    if (secret) columns.push_back({"Type", "string", "", "The type of the secret", 0});
    columns.push_back({"Data", "string", "", "Number of data entries.", 0});
    columns.push_back(NameAge()[1]);
    return {columns, [secret](const rapidjson::Value& o, absl::Time now) {
              int64_t n = 0;
              for (const char* field : {"data", "binaryData"}) {
                if (const rapidjson::Value* d = Find(o, {field}); d && d->IsObject()) n += d->MemberCount();
              }
              std::vector<Cell> cells = {Cell::Str(std::string(GetString(o, {"metadata", "name"})))};
              if (secret) cells.push_back(Cell::Str(std::string(GetString(o, {"type"}, "Opaque"))));
              cells.push_back(Cell::Int(n));
              cells.push_back(Age(o, now));
              return cells;
            }};
  }
  if (kind == "CustomResourceDefinition") {
    return {{NameAge()[0], {"Created At", "date", "", "", 0}},
            [](const rapidjson::Value& o, absl::Time) {
              return std::vector<Cell>{Cell::Str(std::string(GetString(o, {"metadata", "name"}))),
                                       Cell::Str(std::string(GetString(o, {"metadata", "creationTimestamp"})))};
            }};
  }
  if (kind == "Lease") {
    return {{NameAge()[0], {"Holder", "string", "", "The holder of the lease.", 0}, NameAge()[1]},
            [](const rapidjson::Value& o, absl::Time now) {
              return std::vector<Cell>{Cell::Str(std::string(GetString(o, {"metadata", "name"}))),
                                       Cell::Str(std::string(GetString(o, {"spec", "holderIdentity"}))),
                                       Age(o, now)};
            }};
  }
  return {NameAge(), [](const rapidjson::Value& o, absl::Time now) {
            return std::vector<Cell>{Cell::Str(std::string(GetString(o, {"metadata", "name"}))),
                                     Age(o, now)};
          }};
}

void AppendCell(const Cell& cell, std::string& out) {
  switch (cell.kind) {
    case Cell::kString: AppendJsonString(cell.text, out); break;
    case Cell::kInt: absl::StrAppend(&out, cell.number); break;
    case Cell::kJson: out += cell.text; break;
    case Cell::kNull: out += "null"; break;
  }
}

}  // namespace

std::optional<std::string> TableVersionRequested(absl::string_view accept) {
  for (absl::string_view part : absl::StrSplit(accept, ',')) {
    if (!absl::StrContains(part, "as=Table") || !absl::StrContains(part, "g=meta.k8s.io")) continue;
    if (absl::StrContains(part, "v=v1beta1")) return std::string("v1beta1");
    if (absl::StrContains(part, "v=v1")) return std::string("v1");
  }
  return std::nullopt;
}

IncludeObject ParseIncludeObject(absl::string_view text) {
  if (text == "None") return IncludeObject::kNone;
  if (text == "Object") return IncludeObject::kObject;
  return IncludeObject::kMetadata;
}

std::string HumanDuration(absl::Duration d) {
  if (d < -absl::Seconds(1)) return "<invalid>";
  if (d < absl::ZeroDuration()) return "0s";
  int64_t seconds = absl::ToInt64Seconds(d);
  if (seconds < 60 * 2) return absl::StrCat(seconds, "s");
  int64_t minutes = seconds / 60;
  if (minutes < 10) {
    int64_t s = seconds % 60;
    return s == 0 ? absl::StrCat(minutes, "m") : absl::StrCat(minutes, "m", s, "s");
  }
  if (minutes < 60 * 3) return absl::StrCat(minutes, "m");
  int64_t hours = minutes / 60;
  if (hours < 8) {
    int64_t m = minutes % 60;
    return m == 0 ? absl::StrCat(hours, "h") : absl::StrCat(hours, "h", m, "m");
  }
  if (hours < 48) return absl::StrCat(hours, "h");
  if (hours < 24 * 8) {
    int64_t h = hours % 24;
    return h == 0 ? absl::StrCat(hours / 24, "d") : absl::StrCat(hours / 24, "d", h, "h");
  }
  if (hours < 24 * 365 * 2) return absl::StrCat(hours / 24, "d");
  int64_t days = hours / 24;
  if (hours < 24 * 365 * 8) {
    int64_t dy = days % 365;
    return dy == 0 ? absl::StrCat(days / 365, "y") : absl::StrCat(days / 365, "y", dy, "d");
  }
  return absl::StrCat(days / 365, "y");
}

std::vector<const rapidjson::Value*> EvaluateJsonPath(const rapidjson::Value& root,
                                                      absl::string_view path) {
  std::vector<const rapidjson::Value*> current = {&root};
  path = absl::StripAsciiWhitespace(path);
  absl::ConsumePrefix(&path, "{");
  absl::ConsumeSuffix(&path, "}");
  size_t i = 0;
  while (i < path.size() && !current.empty()) {
    std::vector<const rapidjson::Value*> next;
    if (path[i] == '.') {
      ++i;
      size_t end = i;
      while (end < path.size() && path[end] != '.' && path[end] != '[') ++end;
      absl::string_view field = path.substr(i, end - i);
      i = end;
      if (field.empty()) continue;
      for (const rapidjson::Value* v : current) {
        if (const rapidjson::Value* f = v->IsObject() ? Find(*v, {field}) : nullptr) next.push_back(f);
      }
    } else if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == absl::string_view::npos) return {};
      absl::string_view inside = path.substr(i + 1, close - i - 1);
      i = close + 1;
      if (inside == "*") {
        for (const rapidjson::Value* v : current) {
          if (v->IsArray()) {
            for (const rapidjson::Value& item : v->GetArray()) next.push_back(&item);
          } else if (v->IsObject()) {
            for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) next.push_back(&it->value);
          }
        }
      } else if (absl::ConsumePrefix(&inside, "?(@.") && absl::ConsumeSuffix(&inside, ")")) {
        bool equals = true;
        size_t op = inside.find("==");
        if (op == absl::string_view::npos) {
          op = inside.find("!=");
          equals = false;
        }
        if (op == absl::string_view::npos) return {};
        absl::string_view field = absl::StripAsciiWhitespace(inside.substr(0, op));
        absl::string_view literal = absl::StripAsciiWhitespace(inside.substr(op + 2));
        std::string want(literal);
        if (literal.size() >= 2 && (literal[0] == '"' || literal[0] == '\'')) {
          want = std::string(literal.substr(1, literal.size() - 2));
        }
        for (const rapidjson::Value* v : current) {
          if (!v->IsArray()) continue;
          for (const rapidjson::Value& item : v->GetArray()) {
            const rapidjson::Value* f = FindDotted(item, field);
            std::string actual;
            if (f != nullptr) actual = f->IsString() ? f->GetString() : ToJson(*f);
            if ((f != nullptr && actual == want) == equals) next.push_back(&item);
          }
        }
      } else {
        int64_t index = 0;
        if (!absl::SimpleAtoi(inside, &index)) return {};
        for (const rapidjson::Value* v : current) {
          if (!v->IsArray()) continue;
          int64_t n = static_cast<int64_t>(v->Size());
          int64_t at = index < 0 ? n + index : index;
          if (at >= 0 && at < n) next.push_back(&(*v)[static_cast<rapidjson::SizeType>(at)]);
        }
      }
    } else {
      return {};
    }
    current = std::move(next);
  }
  return current;
}

std::string RenderTable(const ResourceType& type, const std::vector<ObjectRef>& items,
                        const TableOptions& options, absl::string_view resource_version,
                        absl::string_view continue_token) {
  Printers printers = PrintersFor(type);
  std::string out = absl::StrCat(R"({"kind":"Table","apiVersion":"meta.k8s.io/)", options.version,
                                 R"(","metadata":{)");
  if (!resource_version.empty()) {
    out += "\"resourceVersion\":";
    AppendJsonString(resource_version, out);
  }
  if (!continue_token.empty()) {
    out += ",\"continue\":";
    AppendJsonString(continue_token, out);
  }
  out += "},\"columnDefinitions\":[";
  if (options.column_definitions) {
    for (size_t i = 0; i < printers.columns.size(); ++i) {
      const Column& c = printers.columns[i];
      if (i > 0) out += ',';
      out += "{\"name\":";
      AppendJsonString(c.name, out);
      out += ",\"type\":";
      AppendJsonString(c.type == "date" ? "string" : c.type, out);
      out += ",\"format\":";
      AppendJsonString(c.format, out);
      out += ",\"description\":";
      AppendJsonString(c.description, out);
      absl::StrAppend(&out, ",\"priority\":", c.priority, "}");
    }
  }
  out += "],\"rows\":[";
  for (size_t r = 0; r < items.size(); ++r) {
    rapidjson::Document doc = items[r]->Parse();
    std::vector<Cell> cells = printers.cells(doc, options.now);
    if (r > 0) out += ',';
    out += "{\"cells\":[";
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += ',';
      AppendCell(cells[i], out);
    }
    out += "]";
    if (options.include == IncludeObject::kObject) {
      out += ",\"object\":";
      out += RenderObject(type, *items[r]);
    } else if (options.include == IncludeObject::kMetadata) {
      out += R"(,"object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":)";
      const rapidjson::Value* meta = Find(doc, {"metadata"});
      if (meta != nullptr) {
        rapidjson::Value copy(*meta, doc.GetAllocator());
        RemoveMember(copy, "managedFields");
        AppendJson(copy, out);
      } else {
        out += "{}";
      }
      out += "}";
    }
    out += "}";
  }
  out += "]}";
  return out;
}

}  // namespace mck8s::sim
