#include "mck8s/sim/builtin_types.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "builtin_schemas.h"
#include "mck8s/apischema/yaml_json.h"
#include "mck8s/sim/json.h"

namespace mck8s::sim {
namespace {

struct KindFacts {
  const char* kind;
  const char* group;
  const char* version;
  const char* plural;
  bool namespaced;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool status_subresource;
  bool scale;
  bool track_generation;
  std::vector<std::string> selectable_fields;
};

const std::vector<KindFacts>& Facts() {
  static const auto* facts = new std::vector<KindFacts>{
      {"Namespace", "", "v1", "namespaces", false, {"ns"}, {}, true, false, false,
       {"status.phase"}},
      {"Node", "", "v1", "nodes", false, {"no"}, {}, true, false, false,
       {"spec.unschedulable"}},
      {"Pod", "", "v1", "pods", true, {"po"}, {"all"}, true, false, false,
       {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
        "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
        "status.nominatedNodeName"}},
      {"Service", "", "v1", "services", true, {"svc"}, {"all"}, true, false, false, {}},
      {"Endpoints", "", "v1", "endpoints", true, {"ep"}, {}, false, false, false, {}},
      {"Secret", "", "v1", "secrets", true, {}, {}, false, false, false, {"type"}},
      {"ConfigMap", "", "v1", "configmaps", true, {"cm"}, {}, false, false, false, {}},
      {"Event", "", "v1", "events", true, {"ev"}, {}, false, false, false,
       {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"}},
      {"ServiceAccount", "", "v1", "serviceaccounts", true, {"sa"}, {}, false, false,
       false, {}},
      {"Deployment", "apps", "v1", "deployments", true, {"deploy"}, {"all"}, true, true,
       true, {}},
      {"Job", "batch", "v1", "jobs", true, {}, {"all"}, true, false, true, {}},
      {"Lease", "coordination.k8s.io", "v1", "leases", true, {}, {}, false, false, false,
       {}},
      {"Role", "rbac.authorization.k8s.io", "v1", "roles", true, {}, {}, false, false, false, {}},
      {"ClusterRole", "rbac.authorization.k8s.io", "v1", "clusterroles", false, {}, {}, false,
       false, false, {}},
      {"RoleBinding", "rbac.authorization.k8s.io", "v1", "rolebindings", true, {}, {}, false,
       false, false, {}},
      {"ClusterRoleBinding", "rbac.authorization.k8s.io", "v1", "clusterrolebindings", false, {},
       {}, false, false, false, {}},
      {"CustomResourceDefinition", "apiextensions.k8s.io", "v1",
       "customresourcedefinitions", false, {"crd", "crds"}, {"api-extensions"}, true,
       false, true, {}},
      // As a metrics-server APIService adds them: read-only, answered from
      // the usage model (cluster_api.cc), never stored.
      {"NodeMetrics", "metrics.k8s.io", "v1beta1", "nodes", false, {}, {}, false, false, false,
       {}},
      {"PodMetrics", "metrics.k8s.io", "v1beta1", "pods", true, {}, {}, false, false, false, {}},
  };
  return *facts;
}

// Replaces every {$ref: Name, ...} by a copy of definitions[Name] with the
// sibling keys laid over it.
void Expand(rapidjson::Value& node, const rapidjson::Value& definitions, JsonAllocator& alloc,
            int depth) {
  if (depth > 64) return;
  if (node.IsArray()) {
    for (rapidjson::Value& item : node.GetArray()) Expand(item, definitions, alloc, depth + 1);
    return;
  }
  if (!node.IsObject()) return;
  auto ref = node.FindMember("$ref");
  if (ref != node.MemberEnd() && ref->value.IsString()) {
    std::string name(ref->value.GetString(), ref->value.GetStringLength());
    auto def = definitions.FindMember(rapidjson::StringRef(name.c_str()));
    if (def == definitions.MemberEnd()) {
      std::fprintf(stderr, "builtin schema: unknown $ref %s\n", name.c_str());
      std::abort();  // a broken table compiled into the binary
    }
    rapidjson::Value expanded(def->value, alloc);
    for (auto it = node.MemberBegin(); it != node.MemberEnd(); ++it) {
      if (absl::string_view(it->name.GetString(), it->name.GetStringLength()) == "$ref") {
        continue;
      }
      SetMember(expanded,
                absl::string_view(it->name.GetString(), it->name.GetStringLength()),
                rapidjson::Value(it->value, alloc), alloc);
    }
    node = std::move(expanded);
    Expand(node, definitions, alloc, depth + 1);
    return;
  }
  for (auto it = node.MemberBegin(); it != node.MemberEnd(); ++it) {
    Expand(it->value, definitions, alloc, depth + 1);
  }
}

// Drops the keys the structural-schema compiler does not take (they only
// matter to patching and to readers of the published document). `node` is a
// schema; property names under `properties` are field names, not keywords.
void StripForValidation(rapidjson::Value& node) {
  if (!node.IsObject()) return;
  for (auto it = node.MemberBegin(); it != node.MemberEnd();) {
    absl::string_view key(it->name.GetString(), it->name.GetStringLength());
    if (key == "x-kubernetes-patch-merge-key" || key == "x-kubernetes-patch-strategy" ||
        key == "x-kubernetes-group-version-kind" || key == "description") {
      it = node.EraseMember(it);
    } else {
      ++it;
    }
  }
  for (auto it = node.MemberBegin(); it != node.MemberEnd(); ++it) {
    absl::string_view key(it->name.GetString(), it->name.GetStringLength());
    if (key == "properties" && it->value.IsObject()) {
      for (auto p = it->value.MemberBegin(); p != it->value.MemberEnd(); ++p) {
        StripForValidation(p->value);
      }
    } else if (key == "items" || key == "additionalProperties" || key == "not") {
      StripForValidation(it->value);
    } else if ((key == "allOf" || key == "anyOf" || key == "oneOf") && it->value.IsArray()) {
      for (rapidjson::Value& item : it->value.GetArray()) StripForValidation(item);
    }
  }
}

struct Compiled {
  rapidjson::Document source;  // definitions and kinds, expanded
  rapidjson::Document object_meta;
  std::unique_ptr<apischema::StructuralSchema> object_meta_schema;
};

const Compiled& Schemas() {
  static const Compiled* compiled = [] {
    auto* c = new Compiled();
    absl::StatusOr<rapidjson::Document> doc =
        apischema::ParseYamlDocument(std::string(internal::BuiltinSchemaYaml()));
    if (!doc.ok()) {
      std::fprintf(stderr, "builtin schema: %s\n", doc.status().ToString().c_str());
      std::abort();  // a broken table compiled into the binary
    }
    c->source = std::move(*doc);
    auto& alloc = c->source.GetAllocator();
    rapidjson::Value definitions(c->source["definitions"], alloc);
    Expand(c->source["definitions"], definitions, alloc, 0);
    Expand(c->source["kinds"], definitions, alloc, 0);
    c->object_meta.CopyFrom(c->source["definitions"]["ObjectMeta"], c->object_meta.GetAllocator());
    rapidjson::Document meta_validation;
    meta_validation.CopyFrom(c->object_meta, meta_validation.GetAllocator());
    StripForValidation(meta_validation);
    absl::StatusOr<apischema::StructuralSchema> meta =
        apischema::StructuralSchema::Compile(meta_validation);
    if (!meta.ok()) {
      std::fprintf(stderr, "builtin schema ObjectMeta: %s\n",
                   meta.status().ToString().c_str());
      std::abort();
    }
    c->object_meta_schema = std::make_unique<apischema::StructuralSchema>(std::move(*meta));
    return c;
  }();
  return *compiled;
}

}  // namespace

namespace {
std::vector<ResourceType> BuildTypes();
}  // namespace

const rapidjson::Value& ObjectMetaOpenApiSchema() { return Schemas().object_meta; }

const apischema::StructuralSchema& ObjectMetaSchema() {
  return *Schemas().object_meta_schema;
}

std::vector<ResourceType> BuiltinResourceTypes() {
  // Built once: every cluster shares the (immutable) schemas.
  static const std::vector<ResourceType>* types = new std::vector<ResourceType>(BuildTypes());
  return *types;
}

namespace {

std::vector<ResourceType> BuildTypes() {
  const Compiled& schemas = Schemas();
  std::vector<ResourceType> types;
  for (const KindFacts& f : Facts()) {
    ResourceType type;
    type.kind = f.kind;
    type.group = f.group;
    type.version = f.version;
    type.plural = f.plural;
    type.list_kind = absl::StrCat(f.kind, "List");
    type.singular = absl::AsciiStrToLower(f.kind);
    type.namespaced = f.namespaced;
    type.short_names = f.short_names;
    type.categories = f.categories;
    type.status_subresource = f.status_subresource;
    if (f.scale) {
      type.scale = ScaleSubresourcePaths{".spec.replicas", ".status.replicas", ".spec.selector"};
    }
    type.track_generation = f.track_generation;
    type.builtin = true;
    type.selectable_fields = f.selectable_fields;
    if (type.plural == "namespaces") {
      type.verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
    }
    if (type.group == "metrics.k8s.io") type.verbs = {"get", "list"};

    const rapidjson::Value& kind_schema = schemas.source["kinds"][f.kind];
    auto published = std::make_shared<rapidjson::Document>();
    auto& alloc = published->GetAllocator();
    published->CopyFrom(kind_schema, alloc);
    rapidjson::Value& properties = EnsureObject(*published, "properties", alloc);
    rapidjson::Value api_version(rapidjson::kObjectType);
    SetString(api_version, "type", "string", alloc);
    SetString(api_version, "description",
              "APIVersion defines the versioned schema of this representation of an object.",
              alloc);
    SetMember(properties, "apiVersion", std::move(api_version), alloc);
    rapidjson::Value kind(rapidjson::kObjectType);
    SetString(kind, "type", "string", alloc);
    SetString(kind, "description",
              "Kind is a string value representing the REST resource this object represents.",
              alloc);
    SetMember(properties, "kind", std::move(kind), alloc);
    SetMember(properties, "metadata", rapidjson::Value(schemas.object_meta, alloc), alloc);
    rapidjson::Value gvk(rapidjson::kArrayType);
    rapidjson::Value entry(rapidjson::kObjectType);
    SetString(entry, "group", f.group, alloc);
    SetString(entry, "kind", f.kind, alloc);
    SetString(entry, "version", f.version, alloc);
    gvk.PushBack(std::move(entry), alloc);
    SetMember(*published, "x-kubernetes-group-version-kind", std::move(gvk), alloc);
    type.openapi_schema = published;

    rapidjson::Document validation;
    validation.CopyFrom(kind_schema, validation.GetAllocator());
    StripForValidation(validation);
    absl::StatusOr<apischema::StructuralSchema> compiled =
        apischema::StructuralSchema::Compile(validation);
    if (!compiled.ok()) {
      std::fprintf(stderr, "builtin schema %s: %s\n", f.kind,
                   compiled.status().ToString().c_str());
      std::abort();  // a broken table compiled into the binary
    }
    type.schema = std::make_shared<const apischema::StructuralSchema>(std::move(*compiled));
    types.push_back(std::move(type));
  }
  return types;
}

}  // namespace
}  // namespace mck8s::sim
