// Admission of written objects: what kube-apiserver's decoding, defaulting
// and validation do between a request body and storage.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "mck8s/apischema/crd.h"
#include "mck8s/apischema/field_error.h"
#include "mck8s/base/strings.h"
#include "mck8s/k8stypes/label_selector.h"
#include "mck8s/k8stypes/quantity.h"
#include "mck8s/k8stypes/validation.h"
#include "mck8s/sim/api_error.h"
#include "mck8s/sim/builtin_types.h"
#include "mck8s/sim/cluster.h"
#include "mck8s/sim/json.h"

namespace mck8s::sim {
namespace {

constexpr char kSubdomainDetail[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character (e.g. "
    "'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
constexpr char kLabelDetail[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
    "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
    "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
constexpr char kDns1035Detail[] =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
    "with an alphabetic character, and end with an alphanumeric character (e.g. "
    "'my-name',  or 'abc-123', regex used for validation is "
    "'[a-z]([-a-z0-9]*[a-z0-9])?')";
constexpr char kQuantityDetail[] =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

std::string Quoted(absl::string_view s) {
  std::string out;
  AppendJsonString(s, out);
  return out;
}

StatusCause CauseOf(const apischema::FieldError& e, absl::string_view prefix = "") {
  StatusCause cause;
  cause.reason = std::string(apischema::FieldErrorReason(e.type));
  cause.message = e.message;
  cause.field = prefix.empty() ? e.path
                               : (e.path.empty() ? std::string(prefix)
                                                 : absl::StrCat(prefix, ".", e.path));
  return cause;
}

// Go's rendering of a map[string]string, as validation messages print it.
std::string GoStringMap(const rapidjson::Value* map) {
  std::vector<std::string> parts;
  if (map != nullptr && map->IsObject()) {
    std::map<std::string, std::string> sorted;
    for (auto it = map->MemberBegin(); it != map->MemberEnd(); ++it) {
      sorted[std::string(it->name.GetString(), it->name.GetStringLength())] =
          it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                               : ToJson(it->value);
    }
    for (const auto& [k, v] : sorted) parts.push_back(absl::StrCat(Quoted(k), ":", Quoted(v)));
  }
  return absl::StrCat("map[string]string{", absl::StrJoin(parts, ", "), "}");
}

void SetDefault(rapidjson::Value& object, absl::string_view key, rapidjson::Value value,
                JsonAllocator& alloc) {
  auto it = FindMemberOf(object, key);
  if (it == object.MemberEnd() || it->value.IsNull()) {
    SetMember(object, key, std::move(value), alloc);
  }
}

void SetDefaultString(rapidjson::Value& object, absl::string_view key, absl::string_view value,
                      JsonAllocator& alloc) {
  auto it = FindMemberOf(object, key);
  if (it == object.MemberEnd() || it->value.IsNull() ||
      (it->value.IsString() && it->value.GetStringLength() == 0)) {
    SetString(object, key, value, alloc);
  }
}

// Canonicalizes the quantities of a resource list in place (numbers become
// strings, "1000m" becomes "1"), reporting unparsable ones.
void CanonicalizeResourceList(rapidjson::Value* list, const std::string& path,
                              JsonAllocator& alloc, std::vector<StatusCause>& causes) {
  if (list == nullptr || !list->IsObject()) return;
  for (auto it = list->MemberBegin(); it != list->MemberEnd(); ++it) {
    std::string field = absl::StrCat(path, "[",
                                     absl::string_view(it->name.GetString(),
                                                       it->name.GetStringLength()),
                                     "]");
    std::string text;
    if (it->value.IsString()) {
      text.assign(it->value.GetString(), it->value.GetStringLength());
    } else if (it->value.IsNumber()) {
      text = ToJson(it->value);
    } else {
      causes.push_back(FieldInvalid(field, ToJson(it->value), kQuantityDetail));
      continue;
    }
    absl::StatusOr<k8stypes::Quantity> q = k8stypes::Quantity::Parse(ToStd(text));
    if (!q.ok()) {
      causes.push_back(FieldInvalid(field, Quoted(text), kQuantityDetail));
      continue;
    }
    if (q->Sign() < 0) {
      causes.push_back(FieldInvalid(field, Quoted(text), "must be greater than or equal to 0"));
      continue;
    }
    it->value = MakeString(q->String(), alloc);
  }
}

bool ImageUsesLatest(absl::string_view image) {
  size_t at = image.find('@');
  if (at != absl::string_view::npos) return false;
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon == absl::string_view::npos || (slash != absl::string_view::npos && colon < slash)) {
    return true;
  }
  return image.substr(colon + 1) == "latest";
}

void DefaultContainers(rapidjson::Value* containers, JsonAllocator& alloc) {
  if (containers == nullptr || !containers->IsArray()) return;
  for (rapidjson::Value& c : containers->GetArray()) {
    if (!c.IsObject()) continue;
    SetDefaultString(c, "terminationMessagePath", "/dev/termination-log", alloc);
    SetDefaultString(c, "terminationMessagePolicy", "File", alloc);
    SetDefaultString(c, "imagePullPolicy",
                     ImageUsesLatest(GetString(c, {"image"})) ? "Always" : "IfNotPresent",
                     alloc);
    SetDefault(c, "resources", rapidjson::Value(rapidjson::kObjectType), alloc);
  }
}

void DefaultPodSpec(rapidjson::Value& spec, bool default_restart_policy, JsonAllocator& alloc) {
  if (!spec.IsObject()) return;
  if (default_restart_policy) SetDefaultString(spec, "restartPolicy", "Always", alloc);
  SetDefault(spec, "terminationGracePeriodSeconds", rapidjson::Value(30), alloc);
  SetDefaultString(spec, "dnsPolicy", "ClusterFirst", alloc);
  SetDefaultString(spec, "schedulerName", "default-scheduler", alloc);
  SetDefault(spec, "securityContext", rapidjson::Value(rapidjson::kObjectType), alloc);
  DefaultContainers(FindMutable(spec, {"containers"}), alloc);
  DefaultContainers(FindMutable(spec, {"initContainers"}), alloc);
}

void ValidateContainers(rapidjson::Value* containers, const std::string& path, bool required,
                        JsonAllocator& alloc, std::set<std::string>& names,
                        std::vector<StatusCause>& causes) {
  if (containers == nullptr || !containers->IsArray() || containers->Empty()) {
    if (required) causes.push_back(FieldRequired(path));
    return;
  }
  for (rapidjson::SizeType i = 0; i < containers->Size(); ++i) {
    rapidjson::Value& c = (*containers)[i];
    const std::string item = absl::StrCat(path, "[", i, "]");
    if (!c.IsObject()) continue;
    absl::string_view name = GetString(c, {"name"});
    if (name.empty()) {
      causes.push_back(FieldRequired(absl::StrCat(item, ".name")));
    } else if (!k8stypes::ValidateDns1123Label(ToStd(name)).ok()) {
      causes.push_back(FieldInvalid(absl::StrCat(item, ".name"), Quoted(name), kLabelDetail));
    } else if (!names.insert(std::string(name)).second) {
      causes.push_back(FieldDuplicate(absl::StrCat(item, ".name"), Quoted(name)));
    }
    if (GetString(c, {"image"}).empty()) {
      causes.push_back(FieldRequired(absl::StrCat(item, ".image")));
    }
    if (const rapidjson::Value* ports = Find(c, {"ports"}); ports != nullptr && ports->IsArray()) {
      for (rapidjson::SizeType p = 0; p < ports->Size(); ++p) {
        std::optional<int64_t> port = GetInt((*ports)[p], {"containerPort"});
        if (port.has_value() && (*port < 1 || *port > 65535)) {
          causes.push_back(FieldInvalid(absl::StrCat(item, ".ports[", p, "].containerPort"),
                                        absl::StrCat(*port),
                                        "must be between 1 and 65535, inclusive"));
        }
      }
    }
    rapidjson::Value* requests = FindMutable(c, {"resources", "requests"});
    rapidjson::Value* limits = FindMutable(c, {"resources", "limits"});
    CanonicalizeResourceList(requests, absl::StrCat(item, ".resources.requests"), alloc, causes);
    CanonicalizeResourceList(limits, absl::StrCat(item, ".resources.limits"), alloc, causes);
    if (requests != nullptr && limits != nullptr && requests->IsObject() && limits->IsObject()) {
      for (auto r = requests->MemberBegin(); r != requests->MemberEnd(); ++r) {
        auto l = limits->FindMember(r->name);
        if (l == limits->MemberEnd() || !r->value.IsString() || !l->value.IsString()) continue;
        auto rq = k8stypes::Quantity::Parse(ToStd(GetString(r->value, {})));
        auto lq = k8stypes::Quantity::Parse(ToStd(GetString(l->value, {})));
        if (rq.ok() && lq.ok() && *rq > *lq) {
          absl::string_view resource(r->name.GetString(), r->name.GetStringLength());
          causes.push_back(FieldInvalid(
              absl::StrCat(item, ".resources.requests"), Quoted(rq->String()),
              absl::StrCat("must be less than or equal to ", resource, " limit of ",
                           lq->String())));
        }
      }
    }
  }
}

void ValidatePodSpec(rapidjson::Value* spec, const std::string& path,
                     const std::vector<std::string>& restart_policies, JsonAllocator& alloc,
                     std::vector<StatusCause>& causes) {
  if (spec == nullptr || !spec->IsObject()) {
    causes.push_back(FieldRequired(path));
    return;
  }
  std::set<std::string> names;
  ValidateContainers(FindMutable(*spec, {"containers"}), absl::StrCat(path, ".containers"), true,
                     alloc, names, causes);
  ValidateContainers(FindMutable(*spec, {"initContainers"}),
                     absl::StrCat(path, ".initContainers"), false, alloc, names, causes);
  CanonicalizeResourceList(FindMutable(*spec, {"overhead"}), absl::StrCat(path, ".overhead"),
                           alloc, causes);
  absl::string_view restart = GetString(*spec, {"restartPolicy"});
  if (restart.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& p : restart_policies) quoted.push_back(Quoted(p));
    causes.push_back(FieldRequired(absl::StrCat(path, ".restartPolicy"),
                                   absl::StrCat("valid values: ", absl::StrJoin(quoted, ", "))));
  } else if (std::find(restart_policies.begin(), restart_policies.end(), restart) ==
             restart_policies.end()) {
    causes.push_back(
        FieldUnsupported(absl::StrCat(path, ".restartPolicy"), Quoted(restart), restart_policies));
  }
  if (const rapidjson::Value* tolerations = Find(*spec, {"tolerations"});
      tolerations != nullptr && tolerations->IsArray()) {
    for (rapidjson::SizeType i = 0; i < tolerations->Size(); ++i) {
      absl::string_view effect = GetString((*tolerations)[i], {"effect"});
      if (!effect.empty() && effect != "NoSchedule" && effect != "PreferNoSchedule" &&
          effect != "NoExecute") {
        causes.push_back(FieldUnsupported(absl::StrCat(path, ".tolerations[", i, "].effect"),
                                          Quoted(effect),
                                          {"NoExecute", "NoSchedule", "PreferNoSchedule"}));
      }
      absl::string_view op = GetString((*tolerations)[i], {"operator"});
      if (!op.empty() && op != "Exists" && op != "Equal") {
        causes.push_back(FieldUnsupported(absl::StrCat(path, ".tolerations[", i, "].operator"),
                                          Quoted(op), {"Equal", "Exists"}));
      }
    }
  }
}

// The pod's QoS class from its containers' requests and limits.
std::string QosClass(const rapidjson::Value& spec) {
  bool any = false;
  bool guaranteed = true;
  const rapidjson::Value* containers = Find(spec, {"containers"});
  if (containers == nullptr || !containers->IsArray()) return "BestEffort";
  for (const rapidjson::Value& c : containers->GetArray()) {
    const rapidjson::Value* requests = Find(c, {"resources", "requests"});
    const rapidjson::Value* limits = Find(c, {"resources", "limits"});
    bool has_requests = requests != nullptr && requests->IsObject() && requests->MemberCount() > 0;
    bool has_limits = limits != nullptr && limits->IsObject() && limits->MemberCount() > 0;
    any = any || has_requests || has_limits;
    for (const char* resource : {"cpu", "memory"}) {
      const rapidjson::Value* l = limits != nullptr ? Find(*limits, {resource}) : nullptr;
      const rapidjson::Value* r = requests != nullptr ? Find(*requests, {resource}) : nullptr;
      if (l == nullptr) {
        guaranteed = false;
      } else if (r != nullptr && !JsonEqual(*l, *r)) {
        guaranteed = false;
      }
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

absl::StatusOr<k8stypes::LabelSelector> SelectorOf(const rapidjson::Value& selector) {
  std::vector<std::pair<std::string, std::string>> labels;
  if (const rapidjson::Value* match = Find(selector, {"matchLabels"});
      match != nullptr && match->IsObject()) {
    for (auto it = match->MemberBegin(); it != match->MemberEnd(); ++it) {
      labels.emplace_back(std::string(it->name.GetString(), it->name.GetStringLength()),
                          std::string(GetString(it->value, {})));
    }
  }
  std::vector<k8stypes::LabelSelectorExpression> expressions;
  if (const rapidjson::Value* exprs = Find(selector, {"matchExpressions"});
      exprs != nullptr && exprs->IsArray()) {
    for (const rapidjson::Value& e : exprs->GetArray()) {
      k8stypes::LabelSelectorExpression expression;
      expression.key = std::string(GetString(e, {"key"}));
      expression.op = std::string(GetString(e, {"operator"}));
      if (const rapidjson::Value* values = Find(e, {"values"}); values != nullptr && values->IsArray()) {
        for (const rapidjson::Value& v : values->GetArray()) {
          if (v.IsString()) expression.values.emplace_back(v.GetString(), v.GetStringLength());
        }
      }
      expressions.push_back(std::move(expression));
    }
  }
  return k8stypes::LabelSelector::FromMatchEntries(std::move(labels), expressions);
}

// Checks a workload's selector against its pod template's labels.
void ValidateSelector(const rapidjson::Value& spec, std::vector<StatusCause>& causes) {
  const rapidjson::Value* selector = Find(spec, {"selector"});
  if (selector == nullptr || !selector->IsObject()) return;  // schema reports Required
  absl::StatusOr<k8stypes::LabelSelector> parsed = SelectorOf(*selector);
  if (!parsed.ok()) {
    causes.push_back(FieldInvalid("spec.selector", ToJson(*selector), parsed.status().message()));
    return;
  }
  if (parsed->Empty()) {
    causes.push_back(FieldInvalid("spec.selector", ToJson(*selector),
                                  "empty selector is invalid for deployment"));
    return;
  }
  const rapidjson::Value* labels = Find(spec, {"template", "metadata", "labels"});
  std::map<std::string, std::string> set;
  if (labels != nullptr && labels->IsObject()) {
    for (auto it = labels->MemberBegin(); it != labels->MemberEnd(); ++it) {
      set[std::string(it->name.GetString(), it->name.GetStringLength())] =
          std::string(GetString(it->value, {}));
    }
  }
  if (!parsed->Matches(set)) {
    causes.push_back(FieldInvalid("spec.template.metadata.labels", GoStringMap(labels),
                                  "`selector` does not match template `labels`"));
  }
}

void CheckImmutable(const rapidjson::Document* old, const rapidjson::Value& object,
                    std::initializer_list<absl::string_view> path, const std::string& field,
                    std::vector<StatusCause>& causes) {
  if (old == nullptr) return;
  const rapidjson::Value* before = Find(*old, path);
  const rapidjson::Value* after = Find(object, path);
  if (before == nullptr && after == nullptr) return;
  if (before != nullptr && after != nullptr && JsonEqual(*before, *after)) return;
  causes.push_back(FieldInvalid(field, after == nullptr ? "null" : ToJson(*after),
                                "field is immutable"));
}

std::string NameOf(const rapidjson::Value& object) {
  return std::string(GetString(object, {"metadata", "name"}));
}

}  // namespace

absl::Status Cluster::Admit(const ResourceType& type, rapidjson::Document& object,
                            const rapidjson::Document* old, const RequestOptions& options,
                            bool patch, std::vector<std::string>& warnings) {
  auto& alloc = object.GetAllocator();
  if (!object.IsObject()) return BadRequestError("the object must be a JSON object");

  // apiVersion and kind: the request's resource decides them.
  absl::string_view api_version = GetString(object, {"apiVersion"});
  absl::string_view kind = GetString(object, {"kind"});
  if (!api_version.empty() && api_version != type.ApiVersion()) {
    bool other_served_version = false;
    if (!type.crd_name.empty()) {
      for (const auto& t : catalog()->types()) {
        if (t->crd_name == type.crd_name && t->ApiVersion() == api_version) {
          other_served_version = true;
        }
      }
    }
    if (!other_served_version) {
      return BadRequestError(absl::StrCat("the API version in the data (", api_version,
                                          ") does not match the expected API version (",
                                          type.ApiVersion(), ")"));
    }
  }
  if (!kind.empty() && kind != type.kind) {
    return BadRequestError(absl::StrCat("the kind in the data (", kind,
                                        ") does not match the expected kind (", type.kind,
                                        ")"));
  }
  const std::string stored_api_version =
      type.storage_version.empty() || type.group.empty()
          ? type.ApiVersion()
          : absl::StrCat(type.group, "/", type.storage_version);
  SetString(object, "apiVersion", stored_api_version, alloc);
  SetString(object, "kind", type.kind, alloc);

  const rapidjson::Value* meta_check = Find(object, {"metadata"});
  if (meta_check != nullptr && !meta_check->IsObject() && !meta_check->IsNull()) {
    return BadRequestError("metadata must be an object");
  }
  rapidjson::Value& meta = EnsureObject(object, "metadata", alloc);

  // Created objects start without status where a status subresource owns it.
  if (old == nullptr && type.status_subresource && type.kind != "Node" &&
      type.kind != "Namespace" && type.kind != "CustomResourceDefinition") {
    RemoveMember(object, "status");
  }

  std::vector<std::string> unknown;
  for (const std::string& path : ObjectMetaSchema().Prune(meta)) {
    unknown.push_back(absl::StrCat("metadata.", path));
  }
  std::vector<StatusCause> causes;
  ObjectMetaSchema().ApplyDefaults(meta, alloc);
  for (const apischema::FieldError& e : ObjectMetaSchema().Validate(meta)) {
    causes.push_back(CauseOf(e, "metadata"));
  }
  if (type.schema != nullptr) {
    apischema::AdmissionResult result = apischema::AdmitObject(*type.schema, object, alloc);
    unknown.insert(unknown.end(), result.unknown_fields.begin(), result.unknown_fields.end());
    for (const apischema::FieldError& e : result.errors) causes.push_back(CauseOf(e));
  }
  if (!unknown.empty()) {
    if (options.field_validation == FieldValidation::kStrict) {
      std::vector<std::string> messages;
      for (const std::string& path : unknown) {
        messages.push_back(apischema::UnknownFieldMessage(path));
      }
      std::string what = absl::StrCat("strict decoding error: ", absl::StrJoin(messages, ", "));
      if (!patch) {
        what = absl::StrCat(type.kind, " in version \"", type.version,
                            "\" cannot be handled as a ", type.kind, ": ", what);
      }
      return BadRequestError(std::move(what));
    }
    if (options.field_validation == FieldValidation::kWarn) {
      for (const std::string& path : unknown) {
        warnings.push_back(apischema::UnknownFieldMessage(path));
      }
    }
  }

  // Names, labels and annotations.
  const std::string name = NameOf(object);
  if (!name.empty()) {
    const bool label_name = type.kind == "Namespace" || type.kind == "Service";
    if (type.kind == "Service") {
      if (!k8stypes::ValidateDns1123Label(ToStd(name)).ok() || !absl::ascii_isalpha(name[0])) {
        causes.push_back(FieldInvalid("metadata.name", Quoted(name), kDns1035Detail));
      }
    } else if (label_name) {
      if (!k8stypes::ValidateDns1123Label(ToStd(name)).ok()) {
        causes.push_back(FieldInvalid("metadata.name", Quoted(name), kLabelDetail));
      }
    } else if (!k8stypes::ValidateDns1123Subdomain(ToStd(name)).ok()) {
      causes.push_back(FieldInvalid("metadata.name", Quoted(name), kSubdomainDetail));
    }
  }
  if (const rapidjson::Value* labels = Find(meta, {"labels"}); labels != nullptr && labels->IsObject()) {
    for (auto it = labels->MemberBegin(); it != labels->MemberEnd(); ++it) {
      absl::string_view key(it->name.GetString(), it->name.GetStringLength());
      if (absl::Status s = k8stypes::ValidateLabelKey(ToStd(key)); !s.ok()) {
        causes.push_back(FieldInvalid("metadata.labels", Quoted(key), s.message()));
      }
      absl::string_view value = GetString(it->value, {});
      if (absl::Status s = k8stypes::ValidateLabelValue(ToStd(value)); !s.ok()) {
        causes.push_back(FieldInvalid(absl::StrCat("metadata.labels"), Quoted(value), s.message()));
      }
    }
  }
  if (const rapidjson::Value* annotations = Find(meta, {"annotations"});
      annotations != nullptr && annotations->IsObject()) {
    for (auto it = annotations->MemberBegin(); it != annotations->MemberEnd(); ++it) {
      absl::string_view key(it->name.GetString(), it->name.GetStringLength());
      if (absl::Status s = k8stypes::ValidateLabelKey(ToStd(key)); !s.ok()) {
        causes.push_back(FieldInvalid("metadata.annotations", Quoted(key), s.message()));
      }
    }
  }
  if (!causes.empty()) return InvalidError(type.group_kind(), name, std::move(causes));

  if (type.kind == "CustomResourceDefinition" && type.group == "apiextensions.k8s.io") {
    return AdmitCustomResourceDefinition(object, old);
  }
  if (type.builtin) return AdmitBuiltin(type, object, old);
  return absl::OkStatus();
}

absl::Status Cluster::AdmitBuiltin(const ResourceType& type, rapidjson::Document& object,
                                   const rapidjson::Document* old) {
  auto& alloc = object.GetAllocator();
  std::vector<StatusCause> causes;
  const std::string name = NameOf(object);
  rapidjson::Value& meta = EnsureObject(object, "metadata", alloc);

  if (type.kind == "Namespace") {
    SetString(EnsureObject(meta, "labels", alloc), "kubernetes.io/metadata.name", name, alloc);
    rapidjson::Value& spec = EnsureObject(object, "spec", alloc);
    if (old == nullptr) {
      rapidjson::Value finalizers(rapidjson::kArrayType);
      finalizers.PushBack(MakeString("kubernetes", alloc), alloc);
      SetDefault(spec, "finalizers", std::move(finalizers), alloc);
    }
    rapidjson::Value& status = EnsureObject(object, "status", alloc);
    SetDefaultString(status, "phase", "Active", alloc);
  } else if (type.kind == "Deployment") {
    rapidjson::Value& spec = EnsureObject(object, "spec", alloc);
    SetDefault(spec, "replicas", rapidjson::Value(1), alloc);
    rapidjson::Value& strategy = EnsureObject(spec, "strategy", alloc);
    SetDefaultString(strategy, "type", "RollingUpdate", alloc);
    if (GetString(strategy, {"type"}) == "RollingUpdate") {
      rapidjson::Value& rolling = EnsureObject(strategy, "rollingUpdate", alloc);
      SetDefault(rolling, "maxUnavailable", MakeString("25%", alloc), alloc);
      SetDefault(rolling, "maxSurge", MakeString("25%", alloc), alloc);
    } else if (GetString(strategy, {"type"}) == "Recreate") {
      if (Find(strategy, {"rollingUpdate"}) != nullptr) {
        causes.push_back(FieldForbidden("spec.strategy.rollingUpdate",
                                        "may not be specified when strategy `type` is 'Recreate'"));
      }
    } else {
      causes.push_back(FieldUnsupported("spec.strategy.type",
                                        Quoted(GetString(strategy, {"type"})),
                                        {"Recreate", "RollingUpdate"}));
    }
    SetDefault(spec, "revisionHistoryLimit", rapidjson::Value(10), alloc);
    SetDefault(spec, "progressDeadlineSeconds", rapidjson::Value(600), alloc);
    if (std::optional<int64_t> replicas = GetInt(spec, {"replicas"}); replicas && *replicas < 0) {
      causes.push_back(FieldInvalid("spec.replicas", absl::StrCat(*replicas),
                                    "must be greater than or equal to 0"));
    }
    if (rapidjson::Value* pod_spec = FindMutable(spec, {"template", "spec"})) {
      DefaultPodSpec(*pod_spec, true, alloc);
    }
    ValidateSelector(spec, causes);
    ValidatePodSpec(FindMutable(spec, {"template", "spec"}), "spec.template.spec", {"Always"},
                    alloc, causes);
    CheckImmutable(old, object, {"spec", "selector"}, "spec.selector", causes);
  } else if (type.kind == "Job") {
    rapidjson::Value& spec = EnsureObject(object, "spec", alloc);
    if (Find(spec, {"completions"}) == nullptr && Find(spec, {"parallelism"}) == nullptr) {
      SetMember(spec, "completions", rapidjson::Value(1), alloc);
    }
    SetDefault(spec, "parallelism", rapidjson::Value(1), alloc);
    SetDefault(spec, "backoffLimit", rapidjson::Value(6), alloc);
    SetDefaultString(spec, "completionMode", "NonIndexed", alloc);
    SetDefault(spec, "suspend", rapidjson::Value(false), alloc);
    SetDefaultString(spec, "podReplacementPolicy", "TerminatingOrFailed", alloc);
    if (old == nullptr && Find(spec, {"selector"}) == nullptr &&
        !(Find(spec, {"manualSelector"}) != nullptr && spec["manualSelector"].IsTrue())) {
      // The Job's own uid names its pods; the store keeps the uid chosen here.
      std::string uid = store_.GenerateUid();
      SetString(meta, "uid", uid, alloc);
      rapidjson::Value& selector = EnsureObject(spec, "selector", alloc);
      SetString(EnsureObject(selector, "matchLabels", alloc), "batch.kubernetes.io/controller-uid",
                uid, alloc);
      rapidjson::Value& template_meta =
          EnsureObject(EnsureObject(spec, "template", alloc), "metadata", alloc);
      rapidjson::Value& labels = EnsureObject(template_meta, "labels", alloc);
      SetString(labels, "batch.kubernetes.io/controller-uid", uid, alloc);
      SetString(labels, "batch.kubernetes.io/job-name", name, alloc);
      SetString(labels, "controller-uid", uid, alloc);
      SetString(labels, "job-name", name, alloc);
    }
    if (rapidjson::Value* pod_spec = FindMutable(spec, {"template", "spec"})) {
      DefaultPodSpec(*pod_spec, false, alloc);
    }
    for (const char* field : {"parallelism", "completions", "backoffLimit"}) {
      if (std::optional<int64_t> v = GetInt(spec, {field}); v && *v < 0) {
        causes.push_back(FieldInvalid(absl::StrCat("spec.", field), absl::StrCat(*v),
                                      "must be greater than or equal to 0"));
      }
    }
    ValidatePodSpec(FindMutable(spec, {"template", "spec"}), "spec.template.spec",
                    {"OnFailure", "Never"}, alloc, causes);
    CheckImmutable(old, object, {"spec", "selector"}, "spec.selector", causes);
    CheckImmutable(old, object, {"spec", "completions"}, "spec.completions", causes);
  } else if (type.kind == "Pod") {
    rapidjson::Value& spec = EnsureObject(object, "spec", alloc);
    DefaultPodSpec(spec, true, alloc);
    SetDefault(spec, "enableServiceLinks", rapidjson::Value(true), alloc);
    SetDefault(spec, "priority", rapidjson::Value(0), alloc);
    ValidatePodSpec(&spec, "spec", {"Always", "OnFailure", "Never"}, alloc, causes);
    if (old == nullptr) {
      rapidjson::Value& status = EnsureObject(object, "status", alloc);
      SetDefaultString(status, "phase", "Pending", alloc);
      SetString(status, "qosClass", QosClass(spec), alloc);
    } else if (const rapidjson::Value* old_spec = Find(*old, {"spec"})) {
      // Pods are immutable but for images, deadlines, tolerations and the
      // first binding to a node.
      rapidjson::Document a, b;
      a.CopyFrom(*old_spec, a.GetAllocator());
      b.CopyFrom(spec, b.GetAllocator());
      for (rapidjson::Document* d : {&a, &b}) {
        for (const char* list : {"containers", "initContainers"}) {
          if (rapidjson::Value* cs = FindMutable(*d, {list}); cs != nullptr && cs->IsArray()) {
            for (rapidjson::Value& c : cs->GetArray()) RemoveMember(c, "image");
          }
        }
        RemoveMember(*d, "activeDeadlineSeconds");
        RemoveMember(*d, "tolerations");
        RemoveMember(*d, "schedulingGates");
      }
      if (GetString(a, {"nodeName"}).empty()) {
        RemoveMember(a, "nodeName");
        RemoveMember(b, "nodeName");
      }
      if (!JsonEqual(a, b)) {
        causes.push_back(FieldForbidden(
            "spec",
            "pod updates may not change fields other than `spec.containers[*].image`, "
            "`spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, "
            "`spec.tolerations` (only additions to existing tolerations), "
            "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
            "previously negative)"));
      }
    }
  } else if (type.kind == "Service") {
    rapidjson::Value& spec = EnsureObject(object, "spec", alloc);
    SetDefaultString(spec, "type", "ClusterIP", alloc);
    absl::string_view service_type = GetString(spec, {"type"});
    if (service_type != "ClusterIP" && service_type != "NodePort" &&
        service_type != "LoadBalancer" && service_type != "ExternalName") {
      causes.push_back(FieldUnsupported("spec.type", Quoted(service_type),
                                        {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"}));
    }
    if (service_type != "ExternalName") {
      SetDefaultString(spec, "sessionAffinity", "None", alloc);
      SetDefaultString(spec, "internalTrafficPolicy", "Cluster", alloc);
      // The cluster IP is allocated once and never changes.
      absl::string_view old_ip = old != nullptr ? GetString(*old, {"spec", "clusterIP"}) : "";
      absl::string_view ip = GetString(spec, {"clusterIP"});
      std::string assigned;
      if (ip.empty()) {
        assigned = old_ip.empty() ? NextClusterIp()
                                  : std::string(old_ip);
      } else {
        assigned = std::string(ip);
        if (!old_ip.empty() && old_ip != ip) {
          causes.push_back(FieldInvalid("spec.clusterIPs[0]",
                                        absl::StrCat("[]string{", Quoted(ip), "}"),
                                        "may not change once set"));
        }
      }
      SetString(spec, "clusterIP", assigned, alloc);
      rapidjson::Value ips(rapidjson::kArrayType);
      ips.PushBack(MakeString(assigned, alloc), alloc);
      SetMember(spec, "clusterIPs", std::move(ips), alloc);
      if (assigned != "None") {
        rapidjson::Value families(rapidjson::kArrayType);
        families.PushBack(MakeString("IPv4", alloc), alloc);
        SetDefault(spec, "ipFamilies", std::move(families), alloc);
        SetDefaultString(spec, "ipFamilyPolicy", "SingleStack", alloc);
      }
      if (service_type == "NodePort" || service_type == "LoadBalancer") {
        SetDefaultString(spec, "externalTrafficPolicy", "Cluster", alloc);
      }
      rapidjson::Value* ports = FindMutable(spec, {"ports"});
      if ((ports == nullptr || !ports->IsArray() || ports->Empty()) && assigned != "None") {
        causes.push_back(FieldRequired("spec.ports"));
      }
      if (ports != nullptr && ports->IsArray()) {
        std::set<std::string> names;
        for (rapidjson::SizeType i = 0; i < ports->Size(); ++i) {
          rapidjson::Value& port = (*ports)[i];
          const std::string path = absl::StrCat("spec.ports[", i, "]");
          std::optional<int64_t> number = GetInt(port, {"port"});
          if (number.has_value() && (*number < 1 || *number > 65535)) {
            causes.push_back(FieldInvalid(absl::StrCat(path, ".port"), absl::StrCat(*number),
                                          "must be between 1 and 65535, inclusive"));
          }
          if (number.has_value() && !port.HasMember("targetPort")) {
            SetMember(port, "targetPort", rapidjson::Value(*number), alloc);
          }
          absl::string_view port_name = GetString(port, {"name"});
          if (ports->Size() > 1 && port_name.empty()) {
            causes.push_back(FieldRequired(absl::StrCat(path, ".name")));
          } else if (!port_name.empty() && !names.insert(std::string(port_name)).second) {
            causes.push_back(FieldDuplicate(absl::StrCat(path, ".name"), Quoted(port_name)));
          }
          if ((service_type == "NodePort" || service_type == "LoadBalancer") &&
              !port.HasMember("nodePort")) {
            int64_t node_port = 0;
            if (old != nullptr) {
              if (const rapidjson::Value* old_ports = Find(*old, {"spec", "ports"});
                  old_ports != nullptr && old_ports->IsArray()) {
                for (const rapidjson::Value& p : old_ports->GetArray()) {
                  if (GetInt(p, {"port"}) == number) node_port = GetInt(p, {"nodePort"}).value_or(0);
                }
              }
            }
            if (node_port == 0) {
              node_port = 30000 + (next_node_port_++ % 2768);
            }
            SetMember(port, "nodePort", rapidjson::Value(node_port), alloc);
          }
        }
      }
    }
    if (old == nullptr) {
      EnsureObject(EnsureObject(object, "status", alloc), "loadBalancer", alloc);
    }
  } else if (type.kind == "Secret") {
    SetDefaultString(object, "type", "Opaque", alloc);
    if (rapidjson::Value* string_data = FindMutable(object, {"stringData"});
        string_data != nullptr && string_data->IsObject()) {
      rapidjson::Value& data = EnsureObject(object, "data", alloc);
      for (auto it = string_data->MemberBegin(); it != string_data->MemberEnd(); ++it) {
        SetString(data, absl::string_view(it->name.GetString(), it->name.GetStringLength()),
                  absl::Base64Escape(GetString(it->value, {})), alloc);
      }
      RemoveMember(object, "stringData");
    }
    if (old != nullptr && Find(*old, {"immutable"}) != nullptr && (*old)["immutable"].IsTrue()) {
      CheckImmutable(old, object, {"data"}, "data", causes);
    }
  } else if (type.kind == "ConfigMap") {
    if (old != nullptr && Find(*old, {"immutable"}) != nullptr && (*old)["immutable"].IsTrue()) {
      CheckImmutable(old, object, {"data"}, "data", causes);
      CheckImmutable(old, object, {"binaryData"}, "binaryData", causes);
    }
  } else if (type.kind == "RoleBinding" || type.kind == "ClusterRoleBinding") {
    if (old != nullptr) {
      const rapidjson::Value* before = Find(*old, {"roleRef"});
      const rapidjson::Value* after = Find(object, {"roleRef"});
      if (before != nullptr && (after == nullptr || !JsonEqual(*before, *after))) {
        causes.push_back(FieldInvalid("roleRef", after == nullptr ? "null" : ToJson(*after),
                                      "cannot change roleRef"));
      }
    }
  } else if (type.kind == "Node") {
    CanonicalizeResourceList(FindMutable(object, {"status", "capacity"}), "status.capacity", alloc,
                             causes);
    CanonicalizeResourceList(FindMutable(object, {"status", "allocatable"}),
                             "status.allocatable", alloc, causes);
  }
  if (!causes.empty()) return InvalidError(type.group_kind(), name, std::move(causes));
  return absl::OkStatus();
}

absl::Status Cluster::AdmitCustomResourceDefinition(rapidjson::Document& object,
                                                    const rapidjson::Document* old) const {
  auto& alloc = object.GetAllocator();
  const std::string name = NameOf(object);
  rapidjson::Value& spec = EnsureObject(object, "spec", alloc);
  rapidjson::Value& names = EnsureObject(spec, "names", alloc);
  absl::string_view kind = GetString(names, {"kind"});
  if (!kind.empty()) {
    SetDefaultString(names, "singular", absl::AsciiStrToLower(kind), alloc);
    SetDefaultString(names, "listKind", absl::StrCat(kind, "List"), alloc);
  }
  rapidjson::Value conversion(rapidjson::kObjectType);
  SetString(conversion, "strategy", "None", alloc);
  SetDefault(spec, "conversion", std::move(conversion), alloc);

  std::vector<StatusCause> causes;
  for (const apischema::FieldError& e : apischema::ValidateCustomResourceDefinition(object)) {
    causes.push_back(CauseOf(e));
  }
  const std::string expected =
      absl::StrCat(GetString(names, {"plural"}), ".", GetString(spec, {"group"}));
  if (name != expected) {
    causes.push_back(FieldInvalid("metadata.name", Quoted(name),
                                  "must be spec.names.plural+\".\"+spec.group"));
  }
  CheckImmutable(old, object, {"spec", "group"}, "spec.group", causes);
  CheckImmutable(old, object, {"spec", "scope"}, "spec.scope", causes);
  if (!causes.empty()) {
    return InvalidError({"apiextensions.k8s.io", "CustomResourceDefinition"}, name,
                        std::move(causes));
  }

  // What the CRD controllers would report: names accepted, established.
  std::string now = FormatTimestamp(absl::Now());
  rapidjson::Value status(rapidjson::kObjectType);
  rapidjson::Value conditions(rapidjson::kArrayType);
  auto condition = [&](absl::string_view type, absl::string_view reason,
                       absl::string_view message) {
    rapidjson::Value c(rapidjson::kObjectType);
    std::string transition = now;
    if (old != nullptr) {
      if (const rapidjson::Value* old_conditions = Find(*old, {"status", "conditions"});
          old_conditions != nullptr && old_conditions->IsArray()) {
        for (const rapidjson::Value& oc : old_conditions->GetArray()) {
          if (GetString(oc, {"type"}) == type) {
            transition = std::string(GetString(oc, {"lastTransitionTime"}, now));
          }
        }
      }
    }
    SetString(c, "type", type, alloc);
    SetString(c, "status", "True", alloc);
    SetString(c, "lastTransitionTime", transition, alloc);
    SetString(c, "reason", reason, alloc);
    SetString(c, "message", message, alloc);
    conditions.PushBack(std::move(c), alloc);
  };
  condition("NamesAccepted", "NoConflicts", "no conflicts found");
  condition("Established", "InitialNamesAccepted", "the initial names have been accepted");
  SetMember(status, "conditions", std::move(conditions), alloc);
  SetMember(status, "acceptedNames", rapidjson::Value(names, alloc), alloc);
  std::vector<std::string> stored;
  if (old != nullptr) {
    if (const rapidjson::Value* versions = Find(*old, {"status", "storedVersions"});
        versions != nullptr && versions->IsArray()) {
      for (const rapidjson::Value& v : versions->GetArray()) {
        if (v.IsString()) stored.emplace_back(v.GetString(), v.GetStringLength());
      }
    }
  }
  if (const rapidjson::Value* versions = Find(spec, {"versions"});
      versions != nullptr && versions->IsArray()) {
    for (const rapidjson::Value& v : versions->GetArray()) {
      const rapidjson::Value* storage = Find(v, {"storage"});
      if (storage != nullptr && storage->IsTrue()) {
        std::string version(GetString(v, {"name"}));
        if (std::find(stored.begin(), stored.end(), version) == stored.end()) {
          stored.push_back(version);
        }
      }
    }
  }
  rapidjson::Value stored_versions(rapidjson::kArrayType);
  for (const std::string& v : stored) stored_versions.PushBack(MakeString(v, alloc), alloc);
  SetMember(status, "storedVersions", std::move(stored_versions), alloc);
  SetMember(object, "status", std::move(status), alloc);
  return absl::OkStatus();
}

}  // namespace mck8s::sim
