#include "mck8s/scheduler/workload.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "mck8s/base/strings.h"
#include "mck8s/k8stypes/label_selector.h"
#include "mck8s/k8stypes/quantity.h"
#include "mck8s/k8stypes/resources.h"
#include "mck8s/k8stypes/validation.h"

namespace mck8s::scheduler {

const kubeapi::GroupVersionResource kMultiClusterDeployments{"fogguru.eu", "v1",
                                                             "multiclusterdeployments"};
const kubeapi::GroupVersionResource kMultiClusterJobs{"fogguru.eu", "v1", "multiclusterjobs"};
const kubeapi::GroupVersionResource kMultiClusterServices{"fogguru.eu", "v1",
                                                          "multiclusterservices"};
const kubeapi::GroupVersionResource kDeployments{"apps", "v1", "deployments"};
const kubeapi::GroupVersionResource kJobs{"batch", "v1", "jobs"};
const kubeapi::GroupVersionResource kServices{"", "v1", "services"};

namespace {

using placement::WorkloadKind;

absl::Status FieldError(absl::string_view field, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

absl::string_view ValueText(const rapidjson::Value& value) {
  return absl::string_view(value.GetString(), value.GetStringLength());
}

// A string map (labels, nodeSelector, matchLabels); every value a string.
absl::StatusOr<std::map<std::string, std::string>> StringMap(const rapidjson::Value* value,
                                                             absl::string_view field) {
  std::map<std::string, std::string> out;
  if (value == nullptr || value->IsNull()) return out;
  if (!value->IsObject()) return FieldError(field, "must be an object of strings");
  for (auto it = value->MemberBegin(); it != value->MemberEnd(); ++it) {
    const std::string key(ValueText(it->name));
    if (!it->value.IsString()) {
      return FieldError(absl::StrCat(field, ".", key), "must be a string");
    }
    out.emplace(key, std::string(ValueText(it->value)));
  }
  return out;
}

absl::Status ValidateLabels(const std::map<std::string, std::string>& labels,
                            absl::string_view field) {
  for (const auto& [key, value] : labels) {
    if (absl::Status s = k8stypes::ValidateLabelKey(key); !s.ok()) {
      return FieldError(absl::StrCat(field, "[", key, "]"), s.message());
    }
    if (absl::Status s = k8stypes::ValidateLabelValue(value); !s.ok()) {
      return FieldError(absl::StrCat(field, "[", key, "]"), s.message());
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> StringList(const rapidjson::Value* value,
                                                    absl::string_view field) {
  std::vector<std::string> out;
  if (value == nullptr || value->IsNull()) return out;
  if (!value->IsArray()) return FieldError(field, "must be a list of strings");
  for (rapidjson::SizeType i = 0; i < value->Size(); ++i) {
    if (!(*value)[i].IsString())
      return FieldError(absl::StrCat(field, "[", i, "]"), "must be a string");
    out.emplace_back(ValueText((*value)[i]));
  }
  return out;
}

absl::StatusOr<k8stypes::LabelSelector> ParseLabelSelector(const rapidjson::Value& value,
                                                           absl::string_view field) {
  if (!value.IsObject()) return FieldError(field, "must be an object");
  absl::StatusOr<std::map<std::string, std::string>> match_labels =
      StringMap(value.HasMember("matchLabels") ? &value["matchLabels"] : nullptr,
                absl::StrCat(field, ".matchLabels"));
  if (!match_labels.ok()) return match_labels.status();
  if (absl::Status s = ValidateLabels(*match_labels, absl::StrCat(field, ".matchLabels"));
      !s.ok()) {
    return s;
  }
  std::vector<k8stypes::LabelSelectorExpression> expressions;
  if (value.HasMember("matchExpressions") && !value["matchExpressions"].IsNull()) {
    const rapidjson::Value& list = value["matchExpressions"];
    if (!list.IsArray())
      return FieldError(absl::StrCat(field, ".matchExpressions"), "must be a list");
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
      const std::string item = absl::StrCat(field, ".matchExpressions[", i, "]");
      const rapidjson::Value& e = list[i];
      if (!e.IsObject() || !e.HasMember("key") || !e["key"].IsString() ||
          !e.HasMember("operator") || !e["operator"].IsString()) {
        return FieldError(item, "needs a key and an operator");
      }
      k8stypes::LabelSelectorExpression expression;
      expression.key = std::string(ValueText(e["key"]));
      expression.op = std::string(ValueText(e["operator"]));
      absl::StatusOr<std::vector<std::string>> values =
          StringList(e.HasMember("values") ? &e["values"] : nullptr, absl::StrCat(item, ".values"));
      if (!values.ok()) return values.status();
      expression.values = *std::move(values);
      // Checked one by one so the message names the entry.
      if (absl::StatusOr<k8stypes::LabelSelector> one =
              k8stypes::LabelSelector::FromMatchEntries({}, {expression});
          !one.ok()) {
        return FieldError(item, one.status().message());
      }
      expressions.push_back(std::move(expression));
    }
  }
  absl::StatusOr<k8stypes::LabelSelector> selector =
      k8stypes::LabelSelector::FromMatch(*match_labels, expressions);
  if (!selector.ok()) return FieldError(field, selector.status().message());
  return selector;
}

absl::StatusOr<std::vector<placement::Toleration>> ParseTolerations(const rapidjson::Value* value,
                                                                    absl::string_view field) {
  std::vector<placement::Toleration> out;
  if (value == nullptr || value->IsNull()) return out;
  if (!value->IsArray()) return FieldError(field, "must be a list");
  for (rapidjson::SizeType i = 0; i < value->Size(); ++i) {
    const std::string item = absl::StrCat(field, "[", i, "]");
    const rapidjson::Value& t = (*value)[i];
    if (!t.IsObject()) return FieldError(item, "must be an object");
    placement::Toleration toleration;
    auto text = [&](const char* name) -> std::string {
      return t.HasMember(name) && t[name].IsString() ? std::string(ValueText(t[name])) : "";
    };
    toleration.key = text("key");
    toleration.value = text("value");
    const std::string op = text("operator");
    if (op.empty() || op == "Equal") {
      toleration.op = placement::TolerationOperator::kEqual;
    } else if (op == "Exists") {
      toleration.op = placement::TolerationOperator::kExists;
    } else {
      return FieldError(absl::StrCat(item, ".operator"),
                        absl::StrCat("unknown operator \"", op, "\" (Equal or Exists)"));
    }
    const std::string effect = text("effect");
    if (effect == "NoSchedule") {
      toleration.effect = placement::TaintEffect::kNoSchedule;
    } else if (effect == "PreferNoSchedule") {
      toleration.effect = placement::TaintEffect::kPreferNoSchedule;
    } else if (effect == "NoExecute") {
      toleration.effect = placement::TaintEffect::kNoExecute;
    } else if (!effect.empty()) {
      return FieldError(absl::StrCat(item, ".effect"),
                        absl::StrCat("unknown effect \"", effect,
                                     "\" (NoSchedule, PreferNoSchedule or NoExecute)"));
    }
    if (t.HasMember("tolerationSeconds") && t["tolerationSeconds"].IsInt64()) {
      toleration.evict_after_seconds = t["tolerationSeconds"].GetInt64();
    }
    if (toleration.op == placement::TolerationOperator::kExists && !toleration.value.empty()) {
      return FieldError(absl::StrCat(item, ".value"), "must be empty with operator Exists");
    }
    if (toleration.op == placement::TolerationOperator::kEqual && toleration.key.empty()) {
      return FieldError(absl::StrCat(item, ".key"), "required with operator Equal");
    }
    if (absl::Status s = placement::ValidateToleration(toleration, item); !s.ok()) {
      return absl::InvalidArgumentError(s.message());
    }
    out.push_back(std::move(toleration));
  }
  return out;
}

// Adds a container's requests (`requests` object) to `total`.
absl::Status AddRequests(const rapidjson::Value& requests, absl::string_view field,
                         k8stypes::Resources& total) {
  if (!requests.IsObject()) return FieldError(field, "must be an object of quantities");
  for (auto it = requests.MemberBegin(); it != requests.MemberEnd(); ++it) {
    const std::string name(ValueText(it->name));
    const std::string item = absl::StrCat(field, ".", name);
    std::string text;
    if (it->value.IsString()) {
      text = std::string(ValueText(it->value));
    } else if (it->value.IsInt64()) {
      text = absl::StrCat(it->value.GetInt64());
    } else if (it->value.IsNumber()) {
      text = absl::StrFormat("%.17g", it->value.GetDouble());
    } else {
      return FieldError(item, "must be a quantity");
    }
    absl::StatusOr<k8stypes::Quantity> quantity = k8stypes::Quantity::Parse(text);
    if (!quantity.ok()) return FieldError(item, quantity.status().message());
    if (quantity->Sign() < 0) {
      return FieldError(item, absl::StrCat("must not be negative (got \"", text, "\")"));
    }
    k8stypes::Resources one;
    if (absl::Status s = k8stypes::SetResourceFromString(name, text, one); !s.ok()) {
      return FieldError(item, s.message());
    }
    total += one;
  }
  return absl::OkStatus();
}

absl::StatusOr<k8stypes::Resources> PodRequests(const rapidjson::Value& pod_spec,
                                                absl::string_view field) {
  k8stypes::Resources sum;
  const rapidjson::Value* containers =
      pod_spec.HasMember("containers") ? &pod_spec["containers"] : nullptr;
  if (containers == nullptr || !containers->IsArray() || containers->Empty()) {
    return FieldError(absl::StrCat(field, ".containers"), "at least one container is required");
  }
  std::set<std::string> names;
  for (rapidjson::SizeType i = 0; i < containers->Size(); ++i) {
    const std::string item = absl::StrCat(field, ".containers[", i, "]");
    const rapidjson::Value& c = (*containers)[i];
    if (!c.IsObject()) return FieldError(item, "must be an object");
    if (!c.HasMember("name") || !c["name"].IsString() || c["name"].GetStringLength() == 0) {
      return FieldError(absl::StrCat(item, ".name"), "required");
    }
    if (!names.insert(std::string(ValueText(c["name"]))).second) {
      return FieldError(absl::StrCat(item, ".name"),
                        absl::StrCat("repeated container name \"", ValueText(c["name"]), "\""));
    }
    if (!c.HasMember("image") || !c["image"].IsString() ||
        absl::StripAsciiWhitespace(ValueText(c["image"])).empty()) {
      return FieldError(absl::StrCat(item, ".image"), "required");
    }
    if (c.HasMember("resources") && c["resources"].IsObject() &&
        c["resources"].HasMember("requests") && !c["resources"]["requests"].IsNull()) {
      if (absl::Status s = AddRequests(c["resources"]["requests"],
                                       absl::StrCat(item, ".resources.requests"), sum);
          !s.ok()) {
        return s;
      }
    }
  }
  // Init containers run one at a time before the others: the pod needs the
  // largest of them or the sum of the containers, whichever is more.
  if (pod_spec.HasMember("initContainers") && pod_spec["initContainers"].IsArray()) {
    const rapidjson::Value& inits = pod_spec["initContainers"];
    for (rapidjson::SizeType i = 0; i < inits.Size(); ++i) {
      const std::string item = absl::StrCat(field, ".initContainers[", i, "]");
      const rapidjson::Value& c = inits[i];
      k8stypes::Resources one;
      if (c.IsObject() && c.HasMember("resources") && c["resources"].IsObject() &&
          c["resources"].HasMember("requests") && !c["resources"]["requests"].IsNull()) {
        if (absl::Status s = AddRequests(c["resources"]["requests"],
                                         absl::StrCat(item, ".resources.requests"), one);
            !s.ok()) {
          return s;
        }
      }
      sum.cpu_millis = std::max(sum.cpu_millis, one.cpu_millis);
      sum.memory_bytes = std::max(sum.memory_bytes, one.memory_bytes);
    }
  }
  return sum;
}

absl::StatusOr<int64_t> OptionalInt(const kubeapi::Object& object, std::string_view pointer,
                                    absl::string_view field, int64_t fallback) {
  const rapidjson::Value* value = object.Get(pointer);
  if (value == nullptr || value->IsNull()) return fallback;
  if (!value->IsInt64()) return FieldError(field, "must be an integer");
  return value->GetInt64();
}

uint64_t Fnv1a(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

const kubeapi::GroupVersionResource& ResourceOf(WorkloadKind kind) {
  return kind == WorkloadKind::kMultiClusterJob ? kMultiClusterJobs : kMultiClusterDeployments;
}

std::string_view KindName(WorkloadKind kind) {
  return kind == WorkloadKind::kMultiClusterJob ? "MultiClusterJob" : "MultiClusterDeployment";
}

absl::StatusOr<WorkloadSpec> ParseWorkloadSpec(const kubeapi::Object& workload, WorkloadKind kind) {
  WorkloadSpec out;
  placement::PlaceRequest& request = out.request;
  request.workload = {kind, std::string(workload.namespace_name()), std::string(workload.name())};
  if (workload.spec() == nullptr || !workload.spec()->IsObject()) {
    return FieldError("spec", "required");
  }
  const bool is_job = kind == WorkloadKind::kMultiClusterJob;

  absl::StatusOr<int64_t> replicas = OptionalInt(workload, "/spec/replicas", "spec.replicas", 1);
  if (!replicas.ok()) return replicas.status();
  if (*replicas < 0)
    return FieldError("spec.replicas", absl::StrCat("must not be negative (got ", *replicas, ")"));
  if (*replicas > placement::kMaxReplicas) {
    return FieldError("spec.replicas", absl::StrCat("must be at most ", placement::kMaxReplicas));
  }
  if (is_job) *replicas = 1;
  absl::StatusOr<int64_t> locations_count =
      OptionalInt(workload, "/spec/numberOfLocations", "spec.numberOfLocations", 1);
  if (!locations_count.ok()) return locations_count.status();
  if (*locations_count < 1) {
    return FieldError("spec.numberOfLocations",
                      absl::StrCat("must be at least 1 (got ", *locations_count, ")"));
  }
  if (*locations_count > placement::kMaxReplicas) {
    return FieldError("spec.numberOfLocations",
                      absl::StrCat("must be at most ", placement::kMaxReplicas));
  }
  if (*replicas * *locations_count > placement::kMaxReplicas) {
    return FieldError("spec.replicas",
                      absl::StrCat("numberOfLocations x replicas = ", *replicas * *locations_count,
                                   " is more than ", placement::kMaxReplicas));
  }

  if (std::optional<std::string_view> policy = workload.FindString("/spec/placementPolicy");
      policy.has_value() && !policy->empty()) {
    absl::StatusOr<placement::Policy> parsed = placement::ParsePolicy(*policy);
    if (!parsed.ok()) return FieldError("spec.placementPolicy", parsed.status().message());
    request.policy = *parsed;
  } else if (const rapidjson::Value* v = workload.Get("/spec/placementPolicy");
             v != nullptr && !v->IsNull() && !v->IsString()) {
    return FieldError("spec.placementPolicy", "must be a string");
  }

  // locations and replicaOverrides.
  std::vector<std::string> locations;
  if (const rapidjson::Value* v = workload.Get("/spec/locations"); v != nullptr && !v->IsNull()) {
    if (!v->IsString()) return FieldError("spec.locations", "must be a comma-separated string");
    const std::string text(ValueText(*v));
    if (!absl::StripAsciiWhitespace(text).empty()) {
      std::set<std::string> seen;
      int index = 0;
      for (absl::string_view part : absl::StrSplit(text, ',')) {
        const std::string name(absl::StripAsciiWhitespace(part));
        const std::string item = absl::StrCat("spec.locations[", index++, "]");
        if (name.empty()) return FieldError(item, "empty cluster name");
        if (absl::Status s = k8stypes::ValidateDns1123Subdomain(name); !s.ok()) {
          return FieldError(item, absl::StrCat("\"", name, "\": ", s.message()));
        }
        if (!seen.insert(name).second) {
          return FieldError(item, absl::StrCat("repeated cluster \"", name, "\""));
        }
        locations.push_back(name);
      }
    }
  }
  std::vector<int64_t> overrides;
  if (const rapidjson::Value* v = workload.Get("/spec/replicaOverrides");
      v != nullptr && !v->IsNull()) {
    if (!v->IsArray()) return FieldError("spec.replicaOverrides", "must be a list of counts");
    for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
      const std::string item = absl::StrCat("spec.replicaOverrides[", i, "]");
      const rapidjson::Value& e = (*v)[i];
      int64_t count = 0;
      if (e.IsInt64()) {
        count = e.GetInt64();
      } else if (e.IsString()) {
        const std::string text(absl::StripAsciiWhitespace(ValueText(e)));
        if (!absl::SimpleAtoi(text, &count)) {
          return FieldError(item, absl::StrCat("\"", ValueText(e), "\" is not a count"));
        }
      } else {
        return FieldError(item, "must be a count");
      }
      if (count < 0)
        return FieldError(item, absl::StrCat("must not be negative (got ", count, ")"));
      if (count > placement::kMaxReplicas) {
        return FieldError(item, absl::StrCat("must be at most ", placement::kMaxReplicas));
      }
      overrides.push_back(count);
    }
    if (!overrides.empty() && locations.empty()) {
      return FieldError("spec.replicaOverrides", "needs spec.locations");
    }
    if (overrides.size() > locations.size()) {
      return FieldError("spec.replicaOverrides", absl::StrCat(overrides.size(), " counts for ",
                                                              locations.size(), " locations"));
    }
  }
  if (!locations.empty()) {
    if (request.policy.has_value() && *request.policy != placement::Policy::kClusterAffinity) {
      // Giving locations always means cluster affinity (the original's rule).
      request.policy = placement::Policy::kClusterAffinity;
    }
    placement::Locations list;
    int64_t total = 0;
    for (size_t i = 0; i < locations.size(); ++i) {
      const int64_t count = is_job ? 1 : (i < overrides.size() ? overrides[i] : *replicas);
      total += count;
      list.clusters.push_back({locations[i], static_cast<int32_t>(count)});
    }
    if (total > placement::kMaxReplicas) {
      return FieldError("spec.replicaOverrides",
                        absl::StrCat("total ", total, " is more than ", placement::kMaxReplicas));
    }
    request.replica_count = std::move(list);
  } else {
    if (request.policy == placement::Policy::kClusterAffinity) {
      return FieldError("spec.locations", "required by placementPolicy cluster-affinity");
    }
    request.replica_count = placement::ReplicasPerLocation{static_cast<int32_t>(*replicas)};
    request.number_of_locations = static_cast<int32_t>(*locations_count);
  }

  // The pod template.
  const rapidjson::Value* tmpl = workload.Get("/spec/template");
  if (tmpl == nullptr || !tmpl->IsObject()) return FieldError("spec.template", "required");
  absl::StatusOr<kubeapi::Object> pod_template = kubeapi::Object::FromJson(*tmpl);
  if (!pod_template.ok()) return FieldError("spec.template", pod_template.status().message());
  out.pod_template = *std::move(pod_template);
  const rapidjson::Value* pod_spec = out.pod_template.Get("/spec");
  if (pod_spec == nullptr || !pod_spec->IsObject()) {
    return FieldError("spec.template.spec", "required");
  }
  absl::StatusOr<k8stypes::Resources> requests = PodRequests(*pod_spec, "spec.template.spec");
  if (!requests.ok()) return requests.status();
  request.replica.requests = *requests;
  request.replica.requests.pods = 1;
  absl::StatusOr<std::map<std::string, std::string>> template_labels =
      StringMap(out.pod_template.Get("/metadata/labels"), "spec.template.metadata.labels");
  if (!template_labels.ok()) return template_labels.status();
  if (absl::Status s = ValidateLabels(*template_labels, "spec.template.metadata.labels"); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::map<std::string, std::string>> node_selector =
      StringMap(out.pod_template.Get("/spec/nodeSelector"), "spec.template.spec.nodeSelector");
  if (!node_selector.ok()) return node_selector.status();
  if (absl::Status s = ValidateLabels(*node_selector, "spec.template.spec.nodeSelector"); !s.ok()) {
    return s;
  }
  for (const auto& [key, value] : *node_selector) request.replica.node_selector.emplace(key, value);
  absl::StatusOr<std::vector<placement::Toleration>> node_tolerations =
      ParseTolerations(out.pod_template.Get("/spec/tolerations"), "spec.template.spec.tolerations");
  if (!node_tolerations.ok()) return node_tolerations.status();
  request.replica.node_tolerations = *std::move(node_tolerations);

  // The pod selector.
  if (const rapidjson::Value* selector = workload.Get("/spec/selector");
      selector != nullptr && !selector->IsNull()) {
    absl::StatusOr<k8stypes::LabelSelector> parsed = ParseLabelSelector(*selector, "spec.selector");
    if (!parsed.ok()) return parsed.status();
    if (parsed->Empty()) return FieldError("spec.selector", "must select something");
    if (!parsed->Matches(*template_labels)) {
      return FieldError(
          "spec.selector",
          absl::StrCat("\"", parsed->String(), "\" does not match spec.template.metadata.labels"));
    }
    absl::StatusOr<kubeapi::Object> copy = kubeapi::Object::FromJson(*selector);
    if (!copy.ok()) return FieldError("spec.selector", copy.status().message());
    out.selector = *std::move(copy);
    out.selector_string = parsed->String();
  } else if (!is_job) {
    if (template_labels->empty()) {
      return FieldError("spec.template.metadata.labels", "required when spec.selector is not set");
    }
    std::vector<std::string> terms;
    for (const auto& [key, value] : *template_labels) {
      (void)out.selector.SetString(absl::StrCat("/matchLabels/", kubeapi::EscapePointerToken(key)),
                                   value);
      terms.push_back(absl::StrCat(key, "=", value));
    }
    out.selector_string = absl::StrJoin(terms, ",");
  }

  // Cluster constraints.
  if (const rapidjson::Value* affinity = workload.Get("/spec/clusterAffinity");
      affinity != nullptr && !affinity->IsNull()) {
    if (!affinity->IsObject()) return FieldError("spec.clusterAffinity", "must be an object");
    placement::ClusterSelector allowed;
    absl::StatusOr<std::vector<std::string>> names =
        StringList(affinity->HasMember("clusterNames") ? &(*affinity)["clusterNames"] : nullptr,
                   "spec.clusterAffinity.clusterNames");
    if (!names.ok()) return names.status();
    for (size_t i = 0; i < names->size(); ++i) {
      if ((*names)[i].empty()) {
        return FieldError(absl::StrCat("spec.clusterAffinity.clusterNames[", i, "]"), "empty");
      }
    }
    allowed.names = *std::move(names);
    absl::StatusOr<std::vector<std::string>> regions =
        StringList(affinity->HasMember("regions") ? &(*affinity)["regions"] : nullptr,
                   "spec.clusterAffinity.regions");
    if (!regions.ok()) return regions.status();
    allowed.regions = *std::move(regions);
    if (affinity->HasMember("labelSelector") && !(*affinity)["labelSelector"].IsNull()) {
      absl::StatusOr<k8stypes::LabelSelector> selector =
          ParseLabelSelector((*affinity)["labelSelector"], "spec.clusterAffinity.labelSelector");
      if (!selector.ok()) return selector.status();
      allowed.label_selector = *std::move(selector);
    }
    request.constraints.allowed = std::move(allowed);
  }
  absl::StatusOr<std::vector<placement::Toleration>> tolerations =
      ParseTolerations(workload.Get("/spec/tolerations"), "spec.tolerations");
  if (!tolerations.ok()) return tolerations.status();
  request.constraints.tolerations = *std::move(tolerations);

  if (is_job) {
    for (const char* name : {"parallelism", "completions", "backoffLimit",
                             "ttlSecondsAfterFinished", "activeDeadlineSeconds"}) {
      const std::string pointer = absl::StrCat("/spec/", name);
      const rapidjson::Value* v = workload.Get(pointer);
      if (v == nullptr || v->IsNull()) continue;
      if (!v->IsInt64() || v->GetInt64() < 0) {
        return FieldError(absl::StrCat("spec.", name), "must be a non-negative integer");
      }
      (void)out.job_fields.SetInt(absl::StrCat("/", name), v->GetInt64());
    }
  }

  if (absl::Status s = placement::ValidatePlaceRequest(request); !s.ok()) {
    return FieldError("spec", s.message());
  }
  return out;
}

std::string_view WorkloadLabelKey(WorkloadKind kind) {
  return kind == WorkloadKind::kMultiClusterJob ? kJobLabel : kDeploymentLabel;
}

std::string WorkloadLabelValue(WorkloadKind, std::string_view ns, std::string_view name) {
  std::string value = absl::StrCat(ToAbsl(ns), ".", ToAbsl(name));
  if (value.size() <= 63) return value;
  // Too long for a label value: a readable prefix and a hash of the whole.
  return absl::StrFormat("%s-%016x", value.substr(0, 46), Fnv1a(value));
}

std::string WorkloadLabelSelector(WorkloadKind kind, std::string_view ns, std::string_view name) {
  return absl::StrCat(ToAbsl(WorkloadLabelKey(kind)), "=", WorkloadLabelValue(kind, ns, name));
}

kubeapi::Object BuildMemberObject(const kubeapi::Object& workload, const WorkloadSpec& spec,
                                  WorkloadKind kind, int32_t replicas) {
  const bool is_job = kind == WorkloadKind::kMultiClusterJob;
  kubeapi::Object member(is_job ? "batch/v1" : "apps/v1", is_job ? "Job" : "Deployment");
  member.SetName(workload.name());
  member.SetNamespace(workload.namespace_name());
  member.SetLabel(WorkloadLabelKey(kind),
                  WorkloadLabelValue(kind, workload.namespace_name(), workload.name()));
  member.SetLabel(kManagedByLabel, kFieldManager);
  member.SetAnnotation(kWorkloadAnnotation, absl::StrCat(ToAbsl(workload.namespace_name()), "/",
                                                         ToAbsl(workload.name())));
  member.SetAnnotation(kWorkloadUidAnnotation, workload.uid());
  kubeapi::Object pod_template = spec.pod_template;
  if (is_job) {
    const rapidjson::Value* fields =
        spec.job_fields.json().IsObject() ? &spec.job_fields.json() : nullptr;
    if (fields != nullptr) {
      for (auto it = fields->MemberBegin(); it != fields->MemberEnd(); ++it) {
        (void)member.SetValue(absl::StrCat("/spec/", ValueText(it->name)), it->value);
      }
    }
    if (pod_template.FindString("/spec/restartPolicy") == std::nullopt) {
      (void)pod_template.SetString("/spec/restartPolicy", "Never");
    }
    (void)member.SetObject("/spec/template", pod_template);
  } else {
    (void)member.SetInt("/spec/replicas", replicas);
    (void)member.SetObject("/spec/selector", spec.selector);
    (void)member.SetObject("/spec/template", pod_template);
  }
  return member;
}

std::vector<ClusterPlacement> PlacementFromStatus(const kubeapi::Object& workload) {
  std::vector<ClusterPlacement> out;
  const rapidjson::Value* list = workload.Get("/status/placement");
  if (list == nullptr || !list->IsArray()) return out;
  for (const rapidjson::Value& e : list->GetArray()) {
    if (!e.IsObject() || !e.HasMember("cluster") || !e["cluster"].IsString()) continue;
    ClusterPlacement p;
    p.cluster = std::string(ValueText(e["cluster"]));
    if (e.HasMember("replicas") && e["replicas"].IsInt()) p.replicas = e["replicas"].GetInt();
    if (e.HasMember("readyReplicas") && e["readyReplicas"].IsInt()) {
      p.ready_replicas = e["readyReplicas"].GetInt();
    }
    if (e.HasMember("reason") && e["reason"].IsString())
      p.reason = std::string(ValueText(e["reason"]));
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const ClusterPlacement& a, const ClusterPlacement& b) {
    return a.cluster < b.cluster;
  });
  return out;
}

placement::CurrentPlacement ToCurrentPlacement(const std::vector<ClusterPlacement>& placement) {
  placement::CurrentPlacement out;
  for (const ClusterPlacement& p : placement) {
    if (p.replicas > 0) out[p.cluster] += p.replicas;
  }
  return out;
}

std::vector<ClusterPlacement> PlacementFromDecision(const placement::Decision& decision) {
  std::map<std::string, ClusterPlacement> by_cluster;
  std::map<std::string, int32_t> largest;
  for (const placement::Assignment& a : decision.assignments) {
    ClusterPlacement& p = by_cluster[a.cluster];
    p.cluster = a.cluster;
    p.replicas += a.replicas;
    if (a.replicas > largest[a.cluster]) {
      largest[a.cluster] = a.replicas;
      p.reason = std::string(placement::AssignmentReasonName(a.reason));
    }
  }
  std::vector<ClusterPlacement> out;
  for (auto& [cluster, p] : by_cluster) out.push_back(std::move(p));
  return out;
}

std::string FormatTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

std::optional<Condition> FindCondition(const kubeapi::Object& object, std::string_view type) {
  const rapidjson::Value* list = object.Get("/status/conditions");
  if (list == nullptr || !list->IsArray()) return std::nullopt;
  for (const rapidjson::Value& e : list->GetArray()) {
    if (!e.IsObject() || !e.HasMember("type") || !e["type"].IsString()) continue;
    if (ValueText(e["type"]) != ToAbsl(type)) continue;
    auto text = [&](const char* name) -> std::string {
      return e.HasMember(name) && e[name].IsString() ? std::string(ValueText(e[name])) : "";
    };
    return Condition{text("type"), text("status"), text("reason"), text("message")};
  }
  return std::nullopt;
}

void SetCondition(kubeapi::Object& object, const Condition& condition, absl::Time now) {
  kubeapi::JsonAllocator& alloc = object.allocator();
  rapidjson::Value& root = object.mutable_json();
  if (!root.HasMember("status") || !root["status"].IsObject()) {
    root.RemoveMember("status");
    root.AddMember("status", rapidjson::Value(rapidjson::kObjectType), alloc);
  }
  rapidjson::Value& status = root["status"];
  if (!status.HasMember("conditions") || !status["conditions"].IsArray()) {
    status.RemoveMember("conditions");
    status.AddMember("conditions", rapidjson::Value(rapidjson::kArrayType), alloc);
  }
  rapidjson::Value& list = status["conditions"];
  std::string transition = scheduler::FormatTime(now);
  rapidjson::Value* existing = nullptr;
  for (rapidjson::Value& e : list.GetArray()) {
    if (e.IsObject() && e.HasMember("type") && e["type"].IsString() &&
        ValueText(e["type"]) == condition.type) {
      existing = &e;
      break;
    }
  }
  if (existing != nullptr && existing->HasMember("status") && (*existing)["status"].IsString() &&
      ValueText((*existing)["status"]) == condition.status &&
      existing->HasMember("lastTransitionTime") && (*existing)["lastTransitionTime"].IsString()) {
    transition = std::string(ValueText((*existing)["lastTransitionTime"]));
  }
  rapidjson::Value value(rapidjson::kObjectType);
  auto add = [&](const char* name, std::string_view text) {
    value.AddMember(
        rapidjson::Value(name, alloc),
        rapidjson::Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), alloc), alloc);
  };
  add("type", condition.type);
  add("status", condition.status);
  value.AddMember("observedGeneration", rapidjson::Value(static_cast<int64_t>(object.generation())),
                  alloc);
  add("lastTransitionTime", transition);
  add("reason", condition.reason);
  // The CRD bounds messages; a validation message quoting a huge value must
  // still be storable.
  add("message", condition.message.substr(0, 32000));
  if (existing != nullptr) {
    *existing = std::move(value);
  } else {
    list.PushBack(std::move(value), alloc);
  }
}

void SetPlacementStatus(kubeapi::Object& object, const std::vector<ClusterPlacement>& placement) {
  object.Remove("/status/placement");
  for (const ClusterPlacement& p : placement) {
    kubeapi::Object entry;
    (void)entry.SetString("/cluster", p.cluster);
    (void)entry.SetInt("/replicas", p.replicas);
    (void)entry.SetInt("/readyReplicas", p.ready_replicas);
    if (!p.reason.empty()) (void)entry.SetString("/reason", p.reason);
    (void)object.SetObject("/status/placement/-", entry);
  }
  if (placement.empty()) {
    (void)object.SetValue("/status/placement", rapidjson::Value(rapidjson::kArrayType));
  }
}

std::vector<ClusterPlacement> SetDecisionStatus(kubeapi::Object& object, WorkloadKind kind,
                                                const placement::Decision& decision,
                                                int64_t requested, std::string_view selector,
                                                absl::Time now) {
  const bool is_job = kind == WorkloadKind::kMultiClusterJob;
  const std::vector<ClusterPlacement> previous = PlacementFromStatus(object);
  std::vector<ClusterPlacement> next = PlacementFromDecision(decision);
  for (ClusterPlacement& p : next) {
    for (const ClusterPlacement& old : previous) {
      if (old.cluster == p.cluster) p.ready_replicas = std::min(old.ready_replicas, p.replicas);
    }
  }
  (void)object.SetInt("/status/observedGeneration", object.generation());
  if (is_job) {
    (void)object.SetInt("/status/unplacedLocations", decision.unplaced_replicas);
    object.Remove("/status/placement");
    for (const ClusterPlacement& p : next) {
      kubeapi::Object entry;
      (void)entry.SetString("/cluster", p.cluster);
      (void)entry.SetString("/reason", p.reason);
      (void)object.SetObject("/status/placement/-", entry);
    }
    if (next.empty())
      (void)object.SetValue("/status/placement", rapidjson::Value(rapidjson::kArrayType));
  } else {
    (void)object.SetInt("/status/replicas", requested);
    (void)object.SetInt("/status/unplacedReplicas", decision.unplaced_replicas);
    if (!selector.empty()) (void)object.SetString("/status/selector", selector);
    SetPlacementStatus(object, next);
  }
  SetCondition(
      object,
      {"Scheduled", "True", decision.unplaced_replicas == 0 ? "Scheduled" : "PartiallyScheduled",
       decision.explanation.summary},
      now);
  if (is_job) {
    for (ClusterPlacement& p : next) p.replicas = 1;
  }
  return next;
}

}  // namespace mck8s::scheduler
