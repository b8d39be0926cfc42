#include "mck8s/sim/cluster.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "mck8s/apischema/crd.h"
#include "mck8s/apischema/yaml_json.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/base/strings.h"
#include "mck8s/sim/api_error.h"
#include "mck8s/sim/builtin_types.h"
#include "mck8s/sim/json.h"
#include "mck8s/sim/patch.h"
#include "mck8s/sim/selectors.h"

namespace mck8s::sim {
namespace {

constexpr char kCrdResourceId[] = "customresourcedefinitions.apiextensions.k8s.io";
constexpr char kCrdCleanupFinalizer[] = "customresourcecleanup.apiextensions.k8s.io";

absl::string_view PathWithoutDot(absl::string_view path) {
  absl::ConsumePrefix(&path, ".");
  return path;
}

// Sets the value at a dotted path, creating objects on the way.
void SetDotted(rapidjson::Value& root, absl::string_view dotted, rapidjson::Value value,
               JsonAllocator& alloc) {
  std::vector<absl::string_view> steps = absl::StrSplit(PathWithoutDot(dotted), '.');
  rapidjson::Value* current = &root;
  for (size_t i = 0; i + 1 < steps.size(); ++i) current = &EnsureObject(*current, steps[i], alloc);
  SetMember(*current, steps.back(), std::move(value), alloc);
}

// The string form of a LabelSelector object ("app=web,tier in (a,b)").
std::string SelectorString(const rapidjson::Value& selector) {
  std::vector<std::string> parts;
  if (const rapidjson::Value* labels = Find(selector, {"matchLabels"});
      labels != nullptr && labels->IsObject()) {
    std::map<std::string, std::string> sorted;
    for (auto it = labels->MemberBegin(); it != labels->MemberEnd(); ++it) {
      sorted[std::string(it->name.GetString(), it->name.GetStringLength())] =
          std::string(GetString(it->value, {}));
    }
    for (const auto& [k, v] : sorted) parts.push_back(absl::StrCat(k, "=", v));
  }
  if (const rapidjson::Value* exprs = Find(selector, {"matchExpressions"});
      exprs != nullptr && exprs->IsArray()) {
    for (const rapidjson::Value& e : exprs->GetArray()) {
      absl::string_view key = GetString(e, {"key"});
      absl::string_view op = GetString(e, {"operator"});
      std::vector<std::string> values;
      if (const rapidjson::Value* vs = Find(e, {"values"}); vs != nullptr && vs->IsArray()) {
        for (const rapidjson::Value& v : vs->GetArray()) values.emplace_back(GetString(v, {}));
      }
      std::sort(values.begin(), values.end());
      if (op == "In") {
        parts.push_back(absl::StrCat(key, " in (", absl::StrJoin(values, ","), ")"));
      } else if (op == "NotIn") {
        parts.push_back(absl::StrCat(key, " notin (", absl::StrJoin(values, ","), ")"));
      } else if (op == "Exists") {
        parts.push_back(std::string(key));
      } else if (op == "DoesNotExist") {
        parts.push_back(absl::StrCat("!", key));
      }
    }
  }
  return absl::StrJoin(parts, ",");
}

}  // namespace

std::optional<PatchType> PatchTypeFromContentType(absl::string_view content_type) {
  absl::string_view media = content_type.substr(0, content_type.find(';'));
  media = absl::StripAsciiWhitespace(media);
  if (media == "application/merge-patch+json") return PatchType::kMerge;
  if (media == "application/json-patch+json") return PatchType::kJson;
  if (media == "application/strategic-merge-patch+json") return PatchType::kStrategic;
  if (media == "application/apply-patch+yaml" || media == "application/apply-patch+cbor") {
    return PatchType::kApply;
  }
  return std::nullopt;
}

Cluster::Cluster(Options options) : name_(std::move(options.name)), store_(options.store) {
  std::vector<ResourceType> builtins = BuiltinResourceTypes();
  for (const ResourceType& type : builtins) {
    store_.RegisterResource(type.ResourceId(),
                            {type.group_resource(), type.namespaced, type.track_generation,
                             type.selectable_fields});
  }
  registry_.SetBuiltins(std::move(builtins));
  store_.SetRemovalObserver([this](const ObjectRef& removed) { OnRemoved(removed); });
  const ResourceType* namespaces = catalog()->Find("", "v1", "namespaces");
  for (const std::string& ns : options.initial_namespaces) {
    rapidjson::Document doc;
    doc.SetObject();
    auto& alloc = doc.GetAllocator();
    SetString(doc, "apiVersion", "v1", alloc);
    SetString(doc, "kind", "Namespace", alloc);
    SetString(EnsureObject(doc, "metadata", alloc), "name", ns, alloc);
    (void)Create(*namespaces, "", std::move(doc), {});
  }
}

std::string Cluster::NextClusterIp() {
  uint32_t n = next_cluster_ip_++;
  return absl::StrCat("10.96.", (n >> 8) & 0xff, ".", n & 0xff);
}

std::string RenderObject(const ResourceType& type, const StoredObject& object) {
  if (type.storage_version.empty() || type.version == type.storage_version) return object.json;
  rapidjson::Document doc = object.Parse();
  SetString(doc, "apiVersion", type.ApiVersion(), doc.GetAllocator());
  return ToJson(doc);
}

std::string Cluster::Render(const ResourceType& type, const StoredObject& object) const {
  return RenderObject(type, object);
}

absl::StatusOr<std::string> Cluster::Get(const ResourceType& type, absl::string_view ns,
                                         absl::string_view name,
                                         absl::string_view subresource) const {
  if (subresource == "scale" && !type.scale.has_value()) return PathNotFoundError();
  if (subresource == "status" && !type.status_subresource) return PathNotFoundError();
  if (!subresource.empty() && subresource != "scale" && subresource != "status") {
    return PathNotFoundError();
  }
  MCK8S_ASSIGN_OR_RETURN(ObjectRef object,
                         store_.Get(type.ResourceId(), type.namespaced ? ns : "", name));
  if (subresource == "scale") return RenderScale(type, *object);
  return Render(type, *object);
}

absl::StatusOr<ObjectStore::ListResult> Cluster::ListObjects(const ResourceType& type,
                                                             absl::string_view ns,
                                                             const ListOptions& options) const {
  MCK8S_ASSIGN_OR_RETURN(ObjectPredicate predicate,
                         MakeSelectorPredicate(options.label_selector, options.field_selector,
                                               type.selectable_fields));
  ObjectStore::ListOptions list_options;
  if (type.namespaced && !ns.empty()) list_options.ns = std::string(ns);
  list_options.predicate = std::move(predicate);
  list_options.limit = options.limit;
  list_options.continue_token = options.continue_token;
  return store_.List(type.ResourceId(), list_options);
}

absl::StatusOr<std::string> Cluster::List(const ResourceType& type, absl::string_view ns,
                                          const ListOptions& options) const {
  MCK8S_ASSIGN_OR_RETURN(ObjectStore::ListResult result, ListObjects(type, ns, options));
  std::string out;
  size_t size = 160;
  for (const ObjectRef& item : result.items) size += item->json.size() + 1;
  out.reserve(size);
  out += "{\"kind\":";
  AppendJsonString(type.list_kind, out);
  out += ",\"apiVersion\":";
  AppendJsonString(type.ApiVersion(), out);
  absl::StrAppend(&out, ",\"metadata\":{\"resourceVersion\":\"", result.resource_version, "\"");
  if (!result.continue_token.empty()) {
    out += ",\"continue\":";
    AppendJsonString(result.continue_token, out);
  }
  out += "},\"items\":[";
  for (size_t i = 0; i < result.items.size(); ++i) {
    if (i > 0) out += ',';
    out += Render(type, *result.items[i]);
  }
  out += "]}";
  return out;
}

absl::StatusOr<Cluster::WriteResult> Cluster::Create(const ResourceType& type,
                                                     absl::string_view ns,
                                                     rapidjson::Document body,
                                                     const RequestOptions& options) {
  if (!body.IsObject()) return BadRequestError("the object must be a JSON object");
  auto& alloc = body.GetAllocator();
  rapidjson::Value& meta = EnsureObject(body, "metadata", alloc);
  std::string target_ns = type.namespaced ? std::string(ns) : std::string();
  absl::string_view body_ns = GetString(meta, {"namespace"});
  if (type.namespaced) {
    if (target_ns.empty()) target_ns = std::string(body_ns);
    if (!body_ns.empty() && body_ns != target_ns) {
      return BadRequestError(
          "the namespace of the provided object does not match the namespace sent on the "
          "request");
    }
    if (target_ns.empty()) return BadRequestError("the namespace of the object must be set");
  }
  // The server owns these.
  RemoveMember(meta, "uid");
  RemoveMember(meta, "resourceVersion");
  if (GetString(meta, {"name"}).empty()) {
    absl::string_view prefix = GetString(meta, {"generateName"});
    if (!prefix.empty()) {
      static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
      std::string uid = store_.GenerateUid();
      std::string suffix;
      for (size_t i = 0; suffix.size() < 5 && i < uid.size(); ++i) {
        if (uid[i] == '-') continue;
        suffix.push_back(kAlphabet[static_cast<unsigned char>(uid[i]) % (sizeof(kAlphabet) - 1)]);
      }
      SetString(meta, "name", absl::StrCat(prefix, suffix), alloc);
    }
  }
  WriteResult result;
  MCK8S_RETURN_IF_ERROR(Admit(type, body, nullptr, options, false, result.warnings));
  ObjectStore::WriteOptions write;
  write.dry_run = options.dry_run;
  write.uid = std::string(GetString(body, {"metadata", "uid"}));
  MCK8S_ASSIGN_OR_RETURN(result.object,
                         store_.Create(type.ResourceId(), target_ns, std::move(body), write));
  result.created = true;
  if (!options.dry_run && type.ResourceId() == kCrdResourceId) {
    RegisterCustomResource(*result.object);
  }
  return result;
}

absl::StatusOr<Cluster::WriteResult> Cluster::Write(
    const ResourceType& type, absl::string_view ns, absl::string_view name,
    absl::string_view subresource, const RequestOptions& options, bool patch,
    const std::function<absl::Status(const rapidjson::Document& current,
                                      rapidjson::Document& next)>& compute) {
  if (subresource == "status" && !type.status_subresource) return PathNotFoundError();
  if (subresource == "scale" && !type.scale.has_value()) return PathNotFoundError();
  if (!subresource.empty() && subresource != "status" && subresource != "scale") {
    return PathNotFoundError();
  }
  WriteResult result;
  std::string target_ns = type.namespaced ? std::string(ns) : std::string();
  auto mutate = [&](const rapidjson::Document& current,
                    rapidjson::Document& proposed) -> absl::Status {
    rapidjson::Document next;
    MCK8S_RETURN_IF_ERROR(compute(current, next));
    if (!next.IsObject()) return BadRequestError("the object must be a JSON object");
    auto& alloc = next.GetAllocator();
    rapidjson::Value& meta = EnsureObject(next, "metadata", alloc);
    absl::string_view body_name = GetString(meta, {"name"});
    if (!body_name.empty() && body_name != name) {
      return BadRequestError(absl::StrCat("the name of the object (", body_name,
                                          ") does not match the name on the URL (", name, ")"));
    }
    absl::string_view body_ns = GetString(meta, {"namespace"});
    if (type.namespaced && !body_ns.empty() && body_ns != target_ns) {
      return BadRequestError(
          "the namespace of the provided object does not match the namespace sent on the "
          "request");
    }
    if (subresource == "status") {
      proposed.CopyFrom(current, proposed.GetAllocator());
      auto& palloc = proposed.GetAllocator();
      if (const rapidjson::Value* status = Find(next, {"status"})) {
        SetMember(proposed, "status", rapidjson::Value(*status, palloc), palloc);
      } else {
        RemoveMember(proposed, "status");
      }
      rapidjson::Value& pmeta = EnsureObject(proposed, "metadata", palloc);
      absl::string_view rv = GetString(meta, {"resourceVersion"});
      if (rv.empty()) {
        RemoveMember(pmeta, "resourceVersion");
      } else {
        SetString(pmeta, "resourceVersion", rv, palloc);
      }
    } else {
      proposed.Swap(next);
      auto& palloc = proposed.GetAllocator();
      if (type.status_subresource && subresource.empty()) {
        if (const rapidjson::Value* status = Find(current, {"status"})) {
          SetMember(proposed, "status", rapidjson::Value(*status, palloc), palloc);
        } else {
          RemoveMember(proposed, "status");
        }
      }
      SetString(EnsureObject(proposed, "metadata", palloc), "name", name, palloc);
    }
    return Admit(type, proposed, &current, options, patch, result.warnings);
  };
  ObjectStore::WriteOptions write;
  write.dry_run = options.dry_run;
  MCK8S_ASSIGN_OR_RETURN(result.object,
                         store_.Update(type.ResourceId(), target_ns, name, mutate, write));
  if (!options.dry_run && type.ResourceId() == kCrdResourceId && !result.object->deleting) {
    RegisterCustomResource(*result.object);
  }
  return result;
}

absl::StatusOr<Cluster::WriteResult> Cluster::Update(const ResourceType& type,
                                                     absl::string_view ns,
                                                     absl::string_view name,
                                                     absl::string_view subresource,
                                                     rapidjson::Document body,
                                                     const RequestOptions& options) {
  if (subresource == "scale") {
    return Write(type, ns, name, subresource, options, false,
                 [&](const rapidjson::Document& current, rapidjson::Document& next) {
                   return ApplyScale(type, current, body, next);
                 });
  }
  return Write(type, ns, name, subresource, options, false,
               [&](const rapidjson::Document& current, rapidjson::Document& next) {
                 next.CopyFrom(body, next.GetAllocator());
                 return absl::OkStatus();
               });
}

absl::Status Cluster::ApplyScale(const ResourceType& type, const rapidjson::Document& current,
                                 const rapidjson::Value& scale, rapidjson::Document& next) const {
  if (!scale.IsObject()) return BadRequestError("the Scale must be a JSON object");
  const rapidjson::Value* replicas = Find(scale, {"spec", "replicas"});
  int64_t count = 0;
  if (replicas != nullptr && !replicas->IsNull()) {
    if (!replicas->IsInt64()) {
      return InvalidError({"autoscaling", "Scale"}, GetString(current, {"metadata", "name"}),
                          {FieldInvalid("spec.replicas", ToJson(*replicas),
                                        "must be an integer")});
    }
    count = replicas->GetInt64();
  }
  if (count < 0) {
    return InvalidError({"autoscaling", "Scale"}, GetString(current, {"metadata", "name"}),
                        {FieldInvalid("spec.replicas", absl::StrCat(count),
                                      "must be greater than or equal to 0")});
  }
  next.CopyFrom(current, next.GetAllocator());
  auto& alloc = next.GetAllocator();
  SetDotted(next, type.scale->spec_replicas_path, rapidjson::Value(count), alloc);
  rapidjson::Value& meta = EnsureObject(next, "metadata", alloc);
  absl::string_view rv = GetString(scale, {"metadata", "resourceVersion"});
  if (rv.empty()) {
    RemoveMember(meta, "resourceVersion");
  } else {
    SetString(meta, "resourceVersion", rv, alloc);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Cluster::RenderScale(const ResourceType& type,
                                                 const StoredObject& object) const {
  if (!type.scale.has_value()) return PathNotFoundError();
  rapidjson::Document doc = object.Parse();
  std::string out = R"({"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":)";
  AppendJsonString(object.name, out);
  if (!object.ns.empty()) {
    out += ",\"namespace\":";
    AppendJsonString(object.ns, out);
  }
  out += ",\"uid\":";
  AppendJsonString(object.uid, out);
  absl::StrAppend(&out, ",\"resourceVersion\":\"", object.resource_version, "\"");
  out += ",\"creationTimestamp\":";
  AppendJsonString(GetString(doc, {"metadata", "creationTimestamp"}), out);
  const rapidjson::Value* spec_replicas = FindDotted(doc, PathWithoutDot(type.scale->spec_replicas_path));
  const rapidjson::Value* status_replicas =
      FindDotted(doc, PathWithoutDot(type.scale->status_replicas_path));
  absl::StrAppend(&out, "},\"spec\":{\"replicas\":",
                  spec_replicas != nullptr && spec_replicas->IsInt64() ? spec_replicas->GetInt64() : 0,
                  "},\"status\":{\"replicas\":",
                  status_replicas != nullptr && status_replicas->IsInt64()
                      ? status_replicas->GetInt64()
                      : 0);
  if (!type.scale->label_selector_path.empty()) {
    const rapidjson::Value* selector =
        FindDotted(doc, PathWithoutDot(type.scale->label_selector_path));
    std::string text;
    if (selector != nullptr && selector->IsString()) {
      text.assign(selector->GetString(), selector->GetStringLength());
    } else if (selector != nullptr && selector->IsObject()) {
      text = SelectorString(*selector);
    }
    if (!text.empty()) {
      out += ",\"selector\":";
      AppendJsonString(text, out);
    }
  }
  out += "}}";
  return out;
}

absl::StatusOr<Cluster::WriteResult> Cluster::Patch(const ResourceType& type,
                                                    absl::string_view ns,
                                                    absl::string_view name,
                                                    absl::string_view subresource,
                                                    PatchType patch_type,
                                                    absl::string_view patch_text,
                                                    const RequestOptions& options) {
  if (patch_type == PatchType::kStrategic && !type.builtin) {
    return UnsupportedMediaTypeError("application/strategic-merge-patch+json");
  }
  rapidjson::Document patch;
  if (patch_type == PatchType::kApply) {
    absl::StatusOr<rapidjson::Document> parsed =
        apischema::ParseYamlDocument(ToStd(patch_text));
    if (!parsed.ok()) {
      return BadRequestError(absl::StrCat("error decoding YAML: ", parsed.status().message()));
    }
    patch = std::move(*parsed);
    if (options.field_manager.empty()) {
      return InvalidError({"meta.k8s.io", "PatchOptions"}, "",
                          {FieldRequired("fieldManager", "is required for apply patch")});
    }
  } else {
    absl::StatusOr<rapidjson::Document> parsed = ParseJson(patch_text);
    if (!parsed.ok()) {
      return BadRequestError(absl::StrCat("error decoding patch: ", parsed.status().message()));
    }
    patch = std::move(*parsed);
  }
  const rapidjson::Value* schema = type.openapi_schema.get();
  std::string now = FormatTimestamp(absl::Now());

  auto apply_patch = [&](rapidjson::Document& target) -> absl::Status {
    auto& alloc = target.GetAllocator();
    absl::Status s;
    switch (patch_type) {
      case PatchType::kMerge:
        s = ApplyMergePatch(target, patch, alloc);
        break;
      case PatchType::kJson:
        s = ApplyJsonPatch(target, patch);
        if (!s.ok()) return ApiError(422, "Invalid", std::string(s.message()));
        break;
      case PatchType::kStrategic:
        s = ApplyStrategicMergePatch(target, patch, schema, alloc);
        break;
      case PatchType::kApply:
        s = ServerSideApply(target, patch, schema, options.field_manager, type.ApiVersion(), now);
        break;
    }
    if (!s.ok()) return BadRequestError(std::string(s.message()));
    return absl::OkStatus();
  };

  absl::StatusOr<WriteResult> result;
  if (subresource == "scale") {
    result = Write(type, ns, name, subresource, options, true,
                   [&](const rapidjson::Document& current, rapidjson::Document& next) {
                     if (!type.scale.has_value()) return PathNotFoundError();
                     // Patch the Scale view of the current object.
                     StoredObject view;
                     view.json = ToJson(current);
                     view.name = std::string(name);
                     view.ns = type.namespaced ? std::string(ns) : std::string();
                     view.uid = std::string(GetString(current, {"metadata", "uid"}));
                     absl::SimpleAtoi(GetString(current, {"metadata", "resourceVersion"}),
                                      &view.resource_version);
                     MCK8S_ASSIGN_OR_RETURN(std::string scale_json, RenderScale(type, view));
                     MCK8S_ASSIGN_OR_RETURN(rapidjson::Document scale, ParseJson(scale_json));
                     MCK8S_RETURN_IF_ERROR(apply_patch(scale));
                     return ApplyScale(type, current, scale, next);
                   });
  } else {
    result = Write(type, ns, name, subresource, options, true,
                   [&](const rapidjson::Document& current, rapidjson::Document& next) {
                     next.CopyFrom(current, next.GetAllocator());
                     return apply_patch(next);
                   });
  }
  if (result.ok() || patch_type != PatchType::kApply || !subresource.empty() ||
      !absl::IsNotFound(result.status()) || ReasonOf(result.status()) != "NotFound") {
    return result;
  }
  // Server-side apply creates what is missing.
  rapidjson::Document body;
  body.SetObject();
  MCK8S_RETURN_IF_ERROR(apply_patch(body));
  auto& alloc = body.GetAllocator();
  rapidjson::Value& meta = EnsureObject(body, "metadata", alloc);
  absl::string_view body_name = GetString(meta, {"name"});
  if (!body_name.empty() && body_name != name) {
    return BadRequestError(absl::StrCat("the name of the object (", body_name,
                                        ") does not match the name on the URL (", name, ")"));
  }
  SetString(meta, "name", name, alloc);
  return Create(type, ns, std::move(body), options);
}

absl::StatusOr<Cluster::WriteResult> Cluster::BindPod(absl::string_view ns,
                                                     absl::string_view name,
                                                     absl::string_view node,
                                                     const RequestOptions& options) {
  if (node.empty()) {
    return InvalidError({"", "Binding"}, name, {FieldRequired("target.name")});
  }
  const std::string now = FormatTimestamp(absl::Now());
  WriteResult result;
  ObjectStore::WriteOptions write;
  write.dry_run = options.dry_run;
  MCK8S_ASSIGN_OR_RETURN(
      result.object,
      store_.Update(
          "pods", ns, name,
          [&](const rapidjson::Document& current, rapidjson::Document& proposed) -> absl::Status {
            absl::string_view bound = GetString(current, {"spec", "nodeName"});
            if (!bound.empty()) {
              return ConflictError({"", "pods/binding"}, name,
                                   absl::StrCat("pod ", name, " is already assigned to node \"",
                                                bound, "\""));
            }
            if (Find(current, {"metadata", "deletionTimestamp"}) != nullptr) {
              return ConflictError({"", "pods/binding"}, name,
                                   absl::StrCat("pod ", name, " is being deleted, cannot be assigned to a host"));
            }
            proposed.CopyFrom(current, proposed.GetAllocator());
            auto& alloc = proposed.GetAllocator();
            SetString(EnsureObject(proposed, "spec", alloc), "nodeName", node, alloc);
            rapidjson::Value& status = EnsureObject(proposed, "status", alloc);
            rapidjson::Value* conditions = FindMutable(status, {"conditions"});
            if (conditions == nullptr || !conditions->IsArray()) {
              SetMember(status, "conditions", rapidjson::Value(rapidjson::kArrayType), alloc);
              conditions = FindMutable(status, {"conditions"});
            }
            for (auto c = conditions->Begin(); c != conditions->End();) {
              if (GetString(*c, {"type"}) == "PodScheduled") {
                c = conditions->Erase(c);
              } else {
                ++c;
              }
            }
            rapidjson::Value scheduled(rapidjson::kObjectType);
            SetString(scheduled, "type", "PodScheduled", alloc);
            SetString(scheduled, "status", "True", alloc);
            SetMember(scheduled, "lastProbeTime", rapidjson::Value(), alloc);
            SetString(scheduled, "lastTransitionTime", now, alloc);
            conditions->PushBack(std::move(scheduled), alloc);
            return absl::OkStatus();
          },
          write));
  result.created = true;
  return result;
}

absl::StatusOr<ObjectStore::DeleteResult> Cluster::Delete(const ResourceType& type,
                                                          absl::string_view ns,
                                                          absl::string_view name,
                                                          const DeleteOptions& delete_options,
                                                          const RequestOptions& options) {
  const std::string id = type.ResourceId();
  const std::string target_ns = type.namespaced ? std::string(ns) : std::string();
  ObjectStore::DeleteOptions store_options;
  store_options.propagation = delete_options.propagation;
  store_options.precondition_uid = delete_options.precondition_uid;
  store_options.precondition_resource_version = delete_options.precondition_resource_version;
  store_options.dry_run = options.dry_run;
  if (id != kCrdResourceId || options.dry_run) {
    return store_.Delete(id, target_ns, name, store_options);
  }
  // A CRD goes after its custom resources: hold it with the cleanup
  // finalizer, delete them, then let it go.
  MCK8S_ASSIGN_OR_RETURN(ObjectRef crd, store_.Get(id, "", name));
  if (!crd->deleting &&
      std::find(crd->finalizers.begin(), crd->finalizers.end(), kCrdCleanupFinalizer) ==
          crd->finalizers.end()) {
    MCK8S_RETURN_IF_ERROR(
        store_
            .Update(id, "", name,
                    [](const rapidjson::Document& current, rapidjson::Document& proposed) {
                      proposed.CopyFrom(current, proposed.GetAllocator());
                      auto& alloc = proposed.GetAllocator();
                      rapidjson::Value& meta = EnsureObject(proposed, "metadata", alloc);
                      rapidjson::Value* finalizers = FindMutable(meta, {"finalizers"});
                      if (finalizers == nullptr || !finalizers->IsArray()) {
                        SetMember(meta, "finalizers", rapidjson::Value(rapidjson::kArrayType),
                                  alloc);
                        finalizers = FindMutable(meta, {"finalizers"});
                      }
                      finalizers->PushBack(MakeString(kCrdCleanupFinalizer, alloc), alloc);
                      return absl::OkStatus();
                    },
                    {})
            .status());
  }
  MCK8S_ASSIGN_OR_RETURN(ObjectStore::DeleteResult result,
                         store_.Delete(id, "", name, store_options));
  rapidjson::Document doc = crd->Parse();
  const std::string resource_id = absl::StrCat(GetString(doc, {"spec", "names", "plural"}), ".",
                                               GetString(doc, {"spec", "group"}));
  if (store_.HasResource(resource_id)) {
    ObjectStore::ListOptions all;
    absl::StatusOr<ObjectStore::ListResult> items = store_.List(resource_id, all);
    if (items.ok()) {
      for (const ObjectRef& item : items->items) {
        (void)store_.Delete(resource_id, item->ns, item->name, {});
      }
    }
  }
  MaybeFinishCrd(std::string(name));
  absl::StatusOr<ObjectRef> latest = store_.Get(id, "", name);
  if (latest.ok()) {
    result.object = *latest;
    result.removed = false;
  } else {
    result.removed = true;
  }
  return result;
}

absl::StatusOr<std::string> Cluster::DeleteCollection(const ResourceType& type,
                                                      absl::string_view ns,
                                                      const ListOptions& selection,
                                                      const DeleteOptions& delete_options,
                                                      const RequestOptions& options) {
  MCK8S_ASSIGN_OR_RETURN(ObjectPredicate predicate,
                         MakeSelectorPredicate(selection.label_selector,
                                               selection.field_selector,
                                               type.selectable_fields));
  ObjectStore::ListOptions list_options;
  if (type.namespaced && !ns.empty()) list_options.ns = std::string(ns);
  list_options.predicate = std::move(predicate);
  MCK8S_ASSIGN_OR_RETURN(ObjectStore::ListResult matched,
                         store_.List(type.ResourceId(), list_options));
  std::string out = "{\"kind\":";
  AppendJsonString(type.list_kind, out);
  out += ",\"apiVersion\":";
  AppendJsonString(type.ApiVersion(), out);
  absl::StrAppend(&out, ",\"metadata\":{\"resourceVersion\":\"",
                  store_.CurrentResourceVersion(), "\"},\"items\":[");
  bool first = true;
  for (const ObjectRef& item : matched.items) {
    absl::StatusOr<ObjectStore::DeleteResult> deleted =
        Delete(type, item->ns, item->name, delete_options, options);
    if (!deleted.ok()) {
      if (absl::IsNotFound(deleted.status())) continue;
      return deleted.status();
    }
    if (!first) out += ',';
    first = false;
    out += Render(type, *deleted->object);
  }
  out += "]}";
  return out;
}

absl::StatusOr<std::shared_ptr<Watch>> Cluster::StartWatch(const ResourceType& type,
                                                           absl::string_view ns,
                                                           const WatchOptions& options) {
  MCK8S_ASSIGN_OR_RETURN(ObjectPredicate predicate,
                         MakeSelectorPredicate(options.label_selector, options.field_selector,
                                               type.selectable_fields));
  ObjectStore::WatchOptions watch_options;
  if (type.namespaced && !ns.empty()) watch_options.ns = std::string(ns);
  watch_options.predicate = std::move(predicate);
  watch_options.from_resource_version = options.resource_version;
  watch_options.send_initial_events = options.send_initial_events;
  return store_.StartWatch(type.ResourceId(), watch_options);
}

absl::Status Cluster::InstallCustomResourceDefinition(rapidjson::Document crd) {
  const ResourceType* type =
      catalog()->Find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  std::string name(GetString(crd, {"metadata", "name"}));
  rapidjson::Document copy;
  copy.CopyFrom(crd, copy.GetAllocator());
  absl::StatusOr<WriteResult> created = Create(*type, "", std::move(crd), {});
  if (created.ok()) return absl::OkStatus();
  if (ReasonOf(created.status()) != "AlreadyExists") return created.status();
  return Update(*type, "", name, "", std::move(copy), {}).status();
}

void Cluster::RegisterCustomResource(const StoredObject& crd_object) {
  rapidjson::Document doc = crd_object.Parse();
  absl::StatusOr<apischema::CustomResourceDefinition> crd =
      apischema::ReadCustomResourceDefinition(doc);
  if (!crd.ok()) return;  // admission already refused what cannot be read
  std::vector<ResourceType> types = ResourceTypesFromCrd(*crd, doc);
  if (types.empty()) return;
  store_.RegisterResource(types.front().ResourceId(),
                          {types.front().group_resource(), types.front().namespaced, true, {}});
  registry_.SetCustomResource(crd->name, std::move(types));
}

void Cluster::OnRemoved(const ObjectRef& object) {
  if (object->resource_id == kCrdResourceId) {
    rapidjson::Document doc = object->Parse();
    registry_.RemoveCustomResource(object->name);
    store_.UnregisterResource(absl::StrCat(GetString(doc, {"spec", "names", "plural"}), ".",
                                           GetString(doc, {"spec", "group"})));
    return;
  }
  const ResourceType* type = catalog()->FindByResourceId(object->resource_id);
  if (type != nullptr && !type->crd_name.empty()) MaybeFinishCrd(type->crd_name);
}

void Cluster::MaybeFinishCrd(const std::string& crd_name) {
  absl::StatusOr<ObjectRef> crd = store_.Get(kCrdResourceId, "", crd_name);
  if (!crd.ok() || !(*crd)->deleting) return;
  rapidjson::Document doc = (*crd)->Parse();
  const std::string resource_id = absl::StrCat(GetString(doc, {"spec", "names", "plural"}), ".",
                                               GetString(doc, {"spec", "group"}));
  if (store_.HasResource(resource_id) && store_.Count(resource_id) > 0) return;
  (void)store_.Update(
      kCrdResourceId, "", crd_name,
      [](const rapidjson::Document& current, rapidjson::Document& proposed) {
        proposed.CopyFrom(current, proposed.GetAllocator());
        rapidjson::Value* finalizers = FindMutable(proposed, {"metadata", "finalizers"});
        if (finalizers != nullptr && finalizers->IsArray()) {
          for (auto f = finalizers->Begin(); f != finalizers->End();) {
            if (f->IsString() && absl::string_view(f->GetString()) == kCrdCleanupFinalizer) {
              f = finalizers->Erase(f);
            } else {
              ++f;
            }
          }
        }
        return absl::OkStatus();
      },
      {});
}

}  // namespace mck8s::sim
