#include "discovery.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "mck8s/sim/builtin_types.h"
#include "mck8s/sim/json.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mck8s::sim::internal {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, absl::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void Key(Writer& w, absl::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void StrArray(Writer& w, const std::vector<std::string>& values) {
  w.StartArray();
  for (const std::string& v : values) Str(w, v);
  w.EndArray();
}

std::string Done(rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

const std::vector<std::string>& SubresourceVerbs() {
  static const auto* verbs = new std::vector<std::string>{"get", "patch", "update"};
  return *verbs;
}

void ResponseKind(Writer& w, absl::string_view group, absl::string_view version,
                  absl::string_view kind) {
  Key(w, "responseKind");
  w.StartObject();
  Key(w, "group");
  Str(w, group);
  Key(w, "version");
  Str(w, version);
  Key(w, "kind");
  Str(w, kind);
  w.EndObject();
}

void DiscoveryResource(Writer& w, const ResourceType& t) {
  w.StartObject();
  Key(w, "resource");
  Str(w, t.plural);
  ResponseKind(w, t.group, t.version, t.kind);
  Key(w, "scope");
  Str(w, t.namespaced ? "Namespaced" : "Cluster");
  Key(w, "singularResource");
  Str(w, t.singular);
  Key(w, "verbs");
  StrArray(w, t.verbs);
  if (!t.short_names.empty()) {
    Key(w, "shortNames");
    StrArray(w, t.short_names);
  }
  if (!t.categories.empty()) {
    Key(w, "categories");
    StrArray(w, t.categories);
  }
  if (t.status_subresource || t.scale.has_value()) {
    Key(w, "subresources");
    w.StartArray();
    if (t.status_subresource) {
      w.StartObject();
      Key(w, "subresource");
      Str(w, "status");
      ResponseKind(w, t.group, t.version, t.kind);
      Key(w, "verbs");
      StrArray(w, SubresourceVerbs());
      w.EndObject();
    }
    if (t.scale.has_value()) {
      w.StartObject();
      Key(w, "subresource");
      Str(w, "scale");
      ResponseKind(w, "autoscaling", "v1", "Scale");
      Key(w, "verbs");
      StrArray(w, SubresourceVerbs());
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

// ---------------------------------------------------------------------------
// OpenAPI

rapidjson::Value Ref(absl::string_view name, JsonAllocator& alloc) {
  rapidjson::Value v(rapidjson::kObjectType);
  SetString(v, "$ref", absl::StrCat("#/components/schemas/", name), alloc);
  return v;
}

rapidjson::Value JsonContent(absl::string_view schema_name, JsonAllocator& alloc,
                             bool yaml_too = true) {
  rapidjson::Value content(rapidjson::kObjectType);
  for (absl::string_view type : {"application/json", "application/yaml"}) {
    if (type == "application/yaml" && !yaml_too) continue;
    rapidjson::Value media(rapidjson::kObjectType);
    SetMember(media, "schema", Ref(schema_name, alloc), alloc);
    SetMember(content, type, std::move(media), alloc);
  }
  return content;
}

rapidjson::Value QueryParam(absl::string_view name, absl::string_view type,
                            absl::string_view description, JsonAllocator& alloc) {
  rapidjson::Value p(rapidjson::kObjectType);
  SetString(p, "name", name, alloc);
  SetString(p, "in", "query", alloc);
  SetString(p, "description", description, alloc);
  rapidjson::Value schema(rapidjson::kObjectType);
  SetString(schema, "type", type, alloc);
  SetMember(schema, "uniqueItems", rapidjson::Value(true), alloc);
  SetMember(p, "schema", std::move(schema), alloc);
  return p;
}

rapidjson::Value PathParam(absl::string_view name, absl::string_view description,
                           JsonAllocator& alloc) {
  rapidjson::Value p(rapidjson::kObjectType);
  SetString(p, "name", name, alloc);
  SetString(p, "in", "path", alloc);
  SetString(p, "description", description, alloc);
  SetMember(p, "required", rapidjson::Value(true), alloc);
  rapidjson::Value schema(rapidjson::kObjectType);
  SetString(schema, "type", "string", alloc);
  SetMember(schema, "uniqueItems", rapidjson::Value(true), alloc);
  SetMember(p, "schema", std::move(schema), alloc);
  return p;
}

std::string OperationId(absl::string_view verb, const ResourceType& t, absl::string_view what) {
  std::string group;
  bool upper = true;
  for (char c : t.group.empty() ? std::string("core") : t.group) {
    if (c == '.' || c == '-') {
      upper = true;
      continue;
    }
    group.push_back(upper ? absl::ascii_toupper(c) : c);
    upper = false;
  }
  std::string version = t.version;
  if (!version.empty()) version[0] = absl::ascii_toupper(version[0]);
  return absl::StrCat(verb, group, version, t.namespaced ? "Namespaced" : "", t.kind, what);
}

rapidjson::Value Operation(const ResourceType& t, absl::string_view action,
                           absl::string_view verb, absl::string_view what,
                           absl::string_view response_schema, bool write, bool is_patch,
                           absl::string_view kind_override, JsonAllocator& alloc) {
  rapidjson::Value op(rapidjson::kObjectType);
  SetString(op, "description", absl::StrCat(verb, " ", what.empty() ? "the specified " : "",
                                            t.kind, what), alloc);
  SetString(op, "operationId", OperationId(verb, t, what), alloc);
  rapidjson::Value tags(rapidjson::kArrayType);
  tags.PushBack(MakeString(absl::StrCat(t.group.empty() ? "core" : t.group, "_", t.version), alloc),
                alloc);
  SetMember(op, "tags", std::move(tags), alloc);
  rapidjson::Value params(rapidjson::kArrayType);
  if (write) {
    params.PushBack(QueryParam("dryRun", "string",
                               "When present, indicates that modifications should not be "
                               "persisted. Valid values: All.", alloc), alloc);
    params.PushBack(QueryParam("fieldManager", "string",
                               "fieldManager is a name associated with the actor or entity "
                               "that is making these changes.", alloc), alloc);
    params.PushBack(QueryParam("fieldValidation", "string",
                               "fieldValidation instructs the server on how to handle objects "
                               "in the request containing unknown or duplicate fields. Valid "
                               "values are: Ignore, Warn, Strict.", alloc), alloc);
    if (is_patch) {
      params.PushBack(QueryParam("force", "boolean",
                                 "Force is going to \"force\" Apply requests.", alloc), alloc);
    }
  }
  if (action == "list" || action == "watchlist" || action == "deletecollection") {
    for (absl::string_view name : {"labelSelector", "fieldSelector", "continue",
                                   "resourceVersion", "resourceVersionMatch"}) {
      params.PushBack(QueryParam(name, "string", name, alloc), alloc);
    }
    for (absl::string_view name : {"limit", "timeoutSeconds"}) {
      params.PushBack(QueryParam(name, "integer", name, alloc), alloc);
    }
    for (absl::string_view name : {"watch", "allowWatchBookmarks", "sendInitialEvents"}) {
      params.PushBack(QueryParam(name, "boolean", name, alloc), alloc);
    }
  }
  if (action == "delete") {
    params.PushBack(QueryParam("propagationPolicy", "string",
                               "Whether and how garbage collection will be performed: "
                               "Orphan, Background or Foreground.", alloc), alloc);
    params.PushBack(QueryParam("gracePeriodSeconds", "integer", "gracePeriodSeconds", alloc),
                    alloc);
  }
  SetMember(op, "parameters", std::move(params), alloc);
  if (is_patch) {
    rapidjson::Value content(rapidjson::kObjectType);
    for (absl::string_view type :
         {"application/apply-patch+yaml", "application/json-patch+json",
          "application/merge-patch+json", "application/strategic-merge-patch+json"}) {
      if (type == "application/strategic-merge-patch+json" && !t.builtin) continue;
      rapidjson::Value media(rapidjson::kObjectType);
      SetMember(media, "schema", Ref("io.k8s.apimachinery.pkg.apis.meta.v1.Patch", alloc), alloc);
      SetMember(content, type, std::move(media), alloc);
    }
    rapidjson::Value body(rapidjson::kObjectType);
    SetMember(body, "content", std::move(content), alloc);
    SetMember(body, "required", rapidjson::Value(true), alloc);
    SetMember(op, "requestBody", std::move(body), alloc);
  } else if (action == "post" || action == "put") {
    rapidjson::Value body(rapidjson::kObjectType);
    SetMember(body, "content", JsonContent(response_schema, alloc), alloc);
    SetMember(body, "required", rapidjson::Value(true), alloc);
    SetMember(op, "requestBody", std::move(body), alloc);
  }
  rapidjson::Value responses(rapidjson::kObjectType);
  rapidjson::Value ok(rapidjson::kObjectType);
  SetString(ok, "description", "OK", alloc);
  SetMember(ok, "content", JsonContent(response_schema, alloc), alloc);
  SetMember(responses, "200", std::move(ok), alloc);
  if (action == "post" || action == "put" || is_patch) {
    rapidjson::Value created(rapidjson::kObjectType);
    SetString(created, "description", "Created", alloc);
    SetMember(created, "content", JsonContent(response_schema, alloc), alloc);
    SetMember(responses, "201", std::move(created), alloc);
  }
  rapidjson::Value unauthorized(rapidjson::kObjectType);
  SetString(unauthorized, "description", "Unauthorized", alloc);
  SetMember(responses, "401", std::move(unauthorized), alloc);
  SetMember(op, "responses", std::move(responses), alloc);
  SetString(op, "x-kubernetes-action", action, alloc);
  rapidjson::Value gvk(rapidjson::kObjectType);
  if (kind_override == "Scale") {
    SetString(gvk, "group", "autoscaling", alloc);
    SetString(gvk, "kind", "Scale", alloc);
    SetString(gvk, "version", "v1", alloc);
  } else {
    SetString(gvk, "group", t.group, alloc);
    SetString(gvk, "kind", t.kind, alloc);
    SetString(gvk, "version", t.version, alloc);
  }
  SetMember(op, "x-kubernetes-group-version-kind", std::move(gvk), alloc);
  return op;
}

void AddPath(rapidjson::Value& paths, const std::string& path, rapidjson::Value item,
             JsonAllocator& alloc) {
  SetMember(paths, path, std::move(item), alloc);
}

rapidjson::Value ParseInto(absl::string_view json, JsonAllocator& alloc) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(json);
  if (!doc.ok()) return rapidjson::Value(rapidjson::kObjectType);
  return rapidjson::Value(*doc, alloc);
}

}  // namespace

std::string AggregatedDiscovery(const ResourceCatalog& catalog, bool core,
                                absl::string_view version) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Key(w, "kind");
  Str(w, "APIGroupDiscoveryList");
  Key(w, "apiVersion");
  Str(w, absl::StrCat("apidiscovery.k8s.io/", version));
  Key(w, "metadata");
  w.StartObject();
  w.EndObject();
  Key(w, "items");
  w.StartArray();
  std::string current_group = "\x01";
  bool open = false;
  for (const GroupVersionEntry& gv : catalog.group_versions()) {
    if (gv.group.empty() != core) continue;
    if (gv.group != current_group) {
      if (open) {
        w.EndArray();
        w.EndObject();
      }
      current_group = gv.group;
      open = true;
      w.StartObject();
      Key(w, "metadata");
      w.StartObject();
      Key(w, "name");
      Str(w, gv.group);
      Key(w, "creationTimestamp");
      w.Null();
      w.EndObject();
      Key(w, "versions");
      w.StartArray();
    }
    w.StartObject();
    Key(w, "version");
    Str(w, gv.version);
    Key(w, "resources");
    w.StartArray();
    for (const ResourceType* t : gv.resources) DiscoveryResource(w, *t);
    w.EndArray();
    Key(w, "freshness");
    Str(w, "Current");
    w.EndObject();
  }
  if (open) {
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return Done(buffer);
}

std::string ApiVersions(absl::string_view server_address) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Key(w, "kind");
  Str(w, "APIVersions");
  Key(w, "versions");
  StrArray(w, {"v1"});
  Key(w, "serverAddressByClientCIDRs");
  w.StartArray();
  w.StartObject();
  Key(w, "clientCIDR");
  Str(w, "0.0.0.0/0");
  Key(w, "serverAddress");
  Str(w, server_address);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return Done(buffer);
}

namespace {

void GroupObject(Writer& w, const ResourceCatalog& catalog, absl::string_view group) {
  w.StartObject();
  Key(w, "name");
  Str(w, group);
  Key(w, "versions");
  w.StartArray();
  std::string preferred;
  for (const GroupVersionEntry& gv : catalog.group_versions()) {
    if (gv.group != group) continue;
    if (preferred.empty()) preferred = gv.version;
    w.StartObject();
    Key(w, "groupVersion");
    Str(w, absl::StrCat(group, "/", gv.version));
    Key(w, "version");
    Str(w, gv.version);
    w.EndObject();
  }
  w.EndArray();
  Key(w, "preferredVersion");
  w.StartObject();
  Key(w, "groupVersion");
  Str(w, absl::StrCat(group, "/", preferred));
  Key(w, "version");
  Str(w, preferred);
  w.EndObject();
  w.EndObject();
}

}  // namespace

std::string ApiGroupList(const ResourceCatalog& catalog) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Key(w, "kind");
  Str(w, "APIGroupList");
  Key(w, "apiVersion");
  Str(w, "v1");
  Key(w, "groups");
  w.StartArray();
  std::set<std::string> seen;
  for (const GroupVersionEntry& gv : catalog.group_versions()) {
    if (gv.group.empty() || !seen.insert(gv.group).second) continue;
    GroupObject(w, catalog, gv.group);
  }
  w.EndArray();
  w.EndObject();
  return Done(buffer);
}

std::optional<std::string> ApiGroup(const ResourceCatalog& catalog, absl::string_view group) {
  bool found = false;
  for (const GroupVersionEntry& gv : catalog.group_versions()) found = found || gv.group == group;
  if (!found || group.empty()) return std::nullopt;
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  GroupObject(w, catalog, group);
  std::string body = Done(buffer);
  // Add kind and apiVersion in front.
  return absl::StrCat("{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",", body.substr(1));
}

std::optional<std::string> ApiResourceList(const ResourceCatalog& catalog,
                                           absl::string_view group,
                                           absl::string_view version) {
  const GroupVersionEntry* entry = nullptr;
  for (const GroupVersionEntry& gv : catalog.group_versions()) {
    if (gv.group == group && gv.version == version) entry = &gv;
  }
  if (entry == nullptr) return std::nullopt;
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Key(w, "kind");
  Str(w, "APIResourceList");
  Key(w, "apiVersion");
  Str(w, "v1");
  Key(w, "groupVersion");
  Str(w, group.empty() ? std::string(version) : absl::StrCat(group, "/", version));
  Key(w, "resources");
  w.StartArray();
  for (const ResourceType* t : entry->resources) {
    w.StartObject();
    Key(w, "name");
    Str(w, t->plural);
    Key(w, "singularName");
    Str(w, t->singular);
    Key(w, "namespaced");
    w.Bool(t->namespaced);
    Key(w, "kind");
    Str(w, t->kind);
    Key(w, "verbs");
    StrArray(w, t->verbs);
    if (!t->short_names.empty()) {
      Key(w, "shortNames");
      StrArray(w, t->short_names);
    }
    if (!t->categories.empty()) {
      Key(w, "categories");
      StrArray(w, t->categories);
    }
    w.EndObject();
    auto sub = [&](absl::string_view name, absl::string_view group_name,
                   absl::string_view version_name, absl::string_view kind) {
      w.StartObject();
      Key(w, "name");
      Str(w, absl::StrCat(t->plural, "/", name));
      Key(w, "singularName");
      Str(w, "");
      Key(w, "namespaced");
      w.Bool(t->namespaced);
      if (!group_name.empty()) {
        Key(w, "group");
        Str(w, group_name);
        Key(w, "version");
        Str(w, version_name);
      }
      Key(w, "kind");
      Str(w, kind);
      Key(w, "verbs");
      StrArray(w, SubresourceVerbs());
      w.EndObject();
    };
    if (t->status_subresource) sub("status", "", "", t->kind);
    if (t->scale.has_value()) sub("scale", "autoscaling", "v1", "Scale");
    if (t->group.empty() && t->plural == "pods") {
      w.StartObject();
      Key(w, "name");
      Str(w, "pods/binding");
      Key(w, "singularName");
      Str(w, "");
      Key(w, "namespaced");
      w.Bool(true);
      Key(w, "kind");
      Str(w, "Binding");
      Key(w, "verbs");
      StrArray(w, {"create"});
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
  return Done(buffer);
}

std::optional<std::string> OpenApiGroupVersion(const ResourceCatalog& catalog,
                                               absl::string_view group,
                                               absl::string_view version) {
  const GroupVersionEntry* entry = nullptr;
  for (const GroupVersionEntry& gv : catalog.group_versions()) {
    if (gv.group == group && gv.version == version) entry = &gv;
  }
  if (entry == nullptr) return std::nullopt;
  rapidjson::Document doc;
  doc.SetObject();
  auto& alloc = doc.GetAllocator();
  SetString(doc, "openapi", "3.0.0", alloc);
  rapidjson::Value info(rapidjson::kObjectType);
  SetString(info, "title", "Kubernetes", alloc);
  SetString(info, "version", "v1.32.0", alloc);
  SetMember(doc, "info", std::move(info), alloc);
  rapidjson::Value paths(rapidjson::kObjectType);
  rapidjson::Value schemas(rapidjson::kObjectType);
  const std::string root = group.empty() ? absl::StrCat("/api/", version)
                                         : absl::StrCat("/apis/", group, "/", version);
  bool any_scale = false;
  for (const ResourceType* t : entry->resources) {
    const std::string schema_name = t->OpenApiName();
    const std::string list_name = absl::StrCat(schema_name, "List");
    const std::string collection =
        t->namespaced ? absl::StrCat(root, "/namespaces/{namespace}/", t->plural)
                      : absl::StrCat(root, "/", t->plural);
    const std::string item = absl::StrCat(collection, "/{name}");
    auto with_params = [&](rapidjson::Value node, bool name) {
      rapidjson::Value params(rapidjson::kArrayType);
      if (name) params.PushBack(PathParam("name", absl::StrCat("name of the ", t->kind), alloc), alloc);
      if (t->namespaced) {
        params.PushBack(PathParam("namespace", "object name and auth scope", alloc), alloc);
      }
      params.PushBack(QueryParam("pretty", "string", "If 'true', then the output is pretty printed.",
                                 alloc), alloc);
      SetMember(node, "parameters", std::move(params), alloc);
      return node;
    };
    rapidjson::Value coll(rapidjson::kObjectType);
    SetMember(coll, "get", Operation(*t, "list", "list", "", list_name, false, false, "", alloc),
              alloc);
    SetMember(coll, "post", Operation(*t, "post", "create", "", schema_name, true, false, "", alloc),
              alloc);
    SetMember(coll, "delete",
              Operation(*t, "deletecollection", "deletecollection", "",
                        "io.k8s.apimachinery.pkg.apis.meta.v1.Status", false, false, "", alloc),
              alloc);
    AddPath(paths, collection, with_params(std::move(coll), false), alloc);
    rapidjson::Value one(rapidjson::kObjectType);
    SetMember(one, "get", Operation(*t, "get", "read", "", schema_name, false, false, "", alloc), alloc);
    SetMember(one, "put", Operation(*t, "put", "replace", "", schema_name, true, false, "", alloc),
              alloc);
    SetMember(one, "patch", Operation(*t, "patch", "patch", "", schema_name, true, true, "", alloc),
              alloc);
    SetMember(one, "delete",
              Operation(*t, "delete", "delete", "", "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
                        false, false, "", alloc),
              alloc);
    AddPath(paths, item, with_params(std::move(one), true), alloc);
    if (t->namespaced) {
      rapidjson::Value all(rapidjson::kObjectType);
      SetMember(all, "get",
                Operation(*t, "list", "list", "ForAllNamespaces", list_name, false, false, "", alloc),
                alloc);
      rapidjson::Value params(rapidjson::kArrayType);
      SetMember(all, "parameters", std::move(params), alloc);
      AddPath(paths, absl::StrCat(root, "/", t->plural), std::move(all), alloc);
    }
    if (t->status_subresource) {
      rapidjson::Value status(rapidjson::kObjectType);
      SetMember(status, "get", Operation(*t, "get", "read", "Status", schema_name, false, false, "", alloc),
                alloc);
      SetMember(status, "put",
                Operation(*t, "put", "replace", "Status", schema_name, true, false, "", alloc), alloc);
      SetMember(status, "patch",
                Operation(*t, "patch", "patch", "Status", schema_name, true, true, "", alloc), alloc);
      AddPath(paths, absl::StrCat(item, "/status"), with_params(std::move(status), true), alloc);
    }
    if (t->scale.has_value()) {
      any_scale = true;
      const std::string scale_schema = "io.k8s.api.autoscaling.v1.Scale";
      rapidjson::Value scale(rapidjson::kObjectType);
      SetMember(scale, "get",
                Operation(*t, "get", "read", "Scale", scale_schema, false, false, "Scale", alloc), alloc);
      SetMember(scale, "put",
                Operation(*t, "put", "replace", "Scale", scale_schema, true, false, "Scale", alloc), alloc);
      SetMember(scale, "patch",
                Operation(*t, "patch", "patch", "Scale", scale_schema, true, true, "Scale", alloc), alloc);
      AddPath(paths, absl::StrCat(item, "/scale"), with_params(std::move(scale), true), alloc);
    }

    if (t->openapi_schema != nullptr) {
      SetMember(schemas, schema_name, rapidjson::Value(*t->openapi_schema, alloc), alloc);
    } else {
      rapidjson::Value schema(rapidjson::kObjectType);
      SetString(schema, "type", "object", alloc);
      SetMember(schemas, schema_name, std::move(schema), alloc);
    }
    rapidjson::Value list = ParseInto(absl::StrCat(
        R"({"description":")", t->list_kind, R"( is a list of )", t->kind,
        R"(.","type":"object","required":["items"],"properties":{"apiVersion":{"type":"string"},"kind":{"type":"string"},"metadata":{"$ref":"#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"},"items":{"type":"array","items":{"$ref":"#/components/schemas/)",
        schema_name, R"("}}},"x-kubernetes-group-version-kind":[{"group":")", t->group,
        R"(","kind":")", t->list_kind, R"(","version":")", t->version, R"("}]})"), alloc);
    SetMember(schemas, list_name, std::move(list), alloc);
  }
  SetMember(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
            ParseInto(R"({"description":"Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.","type":"object"})",
                      alloc),
            alloc);
  SetMember(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
            ParseInto(R"({"description":"ListMeta describes metadata that synthetic resources must have.","type":"object","properties":{"continue":{"type":"string"},"remainingItemCount":{"type":"integer","format":"int64"},"resourceVersion":{"type":"string"},"selfLink":{"type":"string"}}})",
                      alloc),
            alloc);
  SetMember(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
            ParseInto(R"({"description":"Status is a return value for calls that don't return other objects.","type":"object","properties":{"apiVersion":{"type":"string"},"code":{"type":"integer","format":"int32"},"details":{"type":"object","x-kubernetes-preserve-unknown-fields":true},"kind":{"type":"string"},"message":{"type":"string"},"metadata":{"$ref":"#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"},"reason":{"type":"string"},"status":{"type":"string"}},"x-kubernetes-group-version-kind":[{"group":"","kind":"Status","version":"v1"}]})",
                      alloc),
            alloc);
  if (any_scale) {
    rapidjson::Value scale = ParseInto(
        R"({"description":"Scale represents a scaling request for a resource.","type":"object","properties":{"apiVersion":{"type":"string"},"kind":{"type":"string"},"metadata":{"type":"object","x-kubernetes-preserve-unknown-fields":true},"spec":{"description":"ScaleSpec describes the attributes of a scale subresource.","type":"object","properties":{"replicas":{"description":"replicas is the desired number of instances for the scaled object.","type":"integer","format":"int32"}}},"status":{"description":"ScaleStatus represents the current status of a scale subresource.","type":"object","required":["replicas"],"properties":{"replicas":{"type":"integer","format":"int32"},"selector":{"type":"string"}}}},"x-kubernetes-group-version-kind":[{"group":"autoscaling","kind":"Scale","version":"v1"}]})",
        alloc);
    SetMember(scale["properties"], "metadata", rapidjson::Value(ObjectMetaOpenApiSchema(), alloc),
              alloc);
    SetMember(schemas, "io.k8s.api.autoscaling.v1.Scale", std::move(scale), alloc);
  }
  SetMember(doc, "paths", std::move(paths), alloc);
  rapidjson::Value components(rapidjson::kObjectType);
  SetMember(components, "schemas", std::move(schemas), alloc);
  SetMember(doc, "components", std::move(components), alloc);
  return ToJson(doc);
}

}  // namespace mck8s::sim::internal
