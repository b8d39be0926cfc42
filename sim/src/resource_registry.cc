#include "mck8s/sim/resource_registry.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "mck8s/sim/builtin_types.h"
#include "mck8s/sim/json.h"

namespace mck8s::sim {

std::string ResourceType::ResourceId() const {
  return group.empty() ? plural : absl::StrCat(plural, ".", group);
}

std::string ResourceType::ApiVersion() const {
  return group.empty() ? version : absl::StrCat(group, "/", version);
}

std::string ResourceType::OpenApiName() const {
  if (builtin) {
    // io.k8s.api.<group's first label, or "core">.<version>.<Kind>, except the
    // API extensions group, named after its server package.
    if (group == "apiextensions.k8s.io") {
      return absl::StrCat("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.", version,
                          ".", kind);
    }
    if (group == "metrics.k8s.io") {
      return absl::StrCat("io.k8s.metrics.pkg.apis.metrics.", version, ".", kind);
    }
    std::string first = group.empty() ? "core" : group.substr(0, group.find('.'));
    return absl::StrCat("io.k8s.api.", first, ".", version, ".", kind);
  }
  std::vector<std::string> labels = absl::StrSplit(group, '.');
  std::reverse(labels.begin(), labels.end());
  return absl::StrCat(absl::StrJoin(labels, "."), ".", version, ".", kind);
}

ResourceCatalog::ResourceCatalog(std::vector<std::shared_ptr<const ResourceType>> types,
                                 uint64_t generation)
    : types_(std::move(types)), generation_(generation) {
  // Group order: core, then built-in groups as registered, then custom groups
  // by name.
  std::vector<std::string> group_order;
  std::vector<std::string> custom_groups;
  for (const auto& type : types_) {
    std::vector<std::string>& order = type->builtin ? group_order : custom_groups;
    if (std::find(group_order.begin(), group_order.end(), type->group) == group_order.end() &&
        std::find(custom_groups.begin(), custom_groups.end(), type->group) ==
            custom_groups.end()) {
      order.push_back(type->group);
    }
  }
  std::stable_sort(group_order.begin(), group_order.end(),
                   [](const std::string& a, const std::string& b) {
                     return a.empty() && !b.empty();
                   });
  std::sort(custom_groups.begin(), custom_groups.end());
  group_order.insert(group_order.end(), custom_groups.begin(), custom_groups.end());
  for (const std::string& group : group_order) {
    for (const auto& type : types_) {
      if (type->group != group) continue;
      auto it = std::find_if(group_versions_.begin(), group_versions_.end(),
                             [&](const GroupVersionEntry& e) {
                               return e.group == group && e.version == type->version;
                             });
      if (it == group_versions_.end()) {
        group_versions_.push_back({group, type->version, {}});
        it = group_versions_.end() - 1;
      }
      it->resources.push_back(type.get());
    }
  }
  for (GroupVersionEntry& entry : group_versions_) {
    std::sort(entry.resources.begin(), entry.resources.end(),
              [](const ResourceType* a, const ResourceType* b) { return a->plural < b->plural; });
  }
}

const ResourceType* ResourceCatalog::Find(absl::string_view group, absl::string_view version,
                                          absl::string_view plural) const {
  for (const auto& type : types_) {
    if (type->group == group && type->version == version && type->plural == plural) {
      return type.get();
    }
  }
  return nullptr;
}

const ResourceType* ResourceCatalog::FindKind(absl::string_view group,
                                              absl::string_view version,
                                              absl::string_view kind) const {
  for (const auto& type : types_) {
    if (type->group == group && (version.empty() || type->version == version) &&
        type->kind == kind) {
      return type.get();
    }
  }
  return nullptr;
}

const ResourceType* ResourceCatalog::FindByResourceId(absl::string_view resource_id) const {
  const ResourceType* any = nullptr;
  for (const auto& type : types_) {
    if (type->ResourceId() != resource_id) continue;
    if (type->storage_version.empty() || type->version == type->storage_version) {
      return type.get();
    }
    if (any == nullptr) any = type.get();
  }
  return any;
}

ResourceRegistry::ResourceRegistry() {
  absl::MutexLock lock(&mu_);
  Rebuild();
}

std::shared_ptr<const ResourceCatalog> ResourceRegistry::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

void ResourceRegistry::SetBuiltins(std::vector<ResourceType> types) {
  absl::MutexLock lock(&mu_);
  builtins_.clear();
  for (ResourceType& type : types) {
    builtins_.push_back(std::make_shared<const ResourceType>(std::move(type)));
  }
  Rebuild();
}

void ResourceRegistry::SetCustomResource(const std::string& crd_name,
                                         std::vector<ResourceType> types) {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<const ResourceType>>& slot = custom_[crd_name];
  slot.clear();
  for (ResourceType& type : types) {
    slot.push_back(std::make_shared<const ResourceType>(std::move(type)));
  }
  Rebuild();
}

void ResourceRegistry::RemoveCustomResource(const std::string& crd_name) {
  absl::MutexLock lock(&mu_);
  custom_.erase(crd_name);
  Rebuild();
}

void ResourceRegistry::Rebuild() {
  std::vector<std::shared_ptr<const ResourceType>> all = builtins_;
  for (const auto& [name, types] : custom_) all.insert(all.end(), types.begin(), types.end());
  current_ = std::make_shared<const ResourceCatalog>(std::move(all), ++generation_);
}

std::vector<ResourceType> ResourceTypesFromCrd(const apischema::CustomResourceDefinition& crd,
                                               const rapidjson::Value& crd_object) {
  std::vector<ResourceType> out;
  const rapidjson::Value* versions = Find(crd_object, {"spec", "versions"});
  for (const apischema::CrdVersion& version : crd.versions) {
    if (!version.served) continue;
    ResourceType type;
    type.group = crd.group;
    type.version = version.name;
    type.kind = crd.kind;
    type.list_kind = crd.list_kind.empty() ? absl::StrCat(crd.kind, "List") : crd.list_kind;
    type.plural = crd.plural;
    type.singular = crd.singular.empty() ? absl::AsciiStrToLower(crd.kind) : crd.singular;
    type.namespaced = crd.namespaced;
    type.short_names = crd.short_names;
    type.categories = crd.categories;
    type.status_subresource = version.status_subresource;
    if (version.scale.has_value()) {
      type.scale = ScaleSubresourcePaths{version.scale->spec_replicas_path,
                                         version.scale->status_replicas_path,
                                         version.scale->label_selector_path};
    }
    type.track_generation = true;
    type.builtin = false;
    type.schema = std::make_shared<const apischema::StructuralSchema>(version.schema);
    type.crd_name = crd.name;
    type.printer_columns = version.printer_columns;
    type.storage_version = crd.StorageVersion().name;

    // The published schema: the CRD's, with the full ObjectMeta and the
    // group-version-kind extension clients look up kinds by.
    auto doc = std::make_shared<rapidjson::Document>();
    doc->SetObject();
    auto& alloc = doc->GetAllocator();
    if (versions != nullptr && versions->IsArray()) {
      for (const rapidjson::Value& v : versions->GetArray()) {
        if (GetString(v, {"name"}) != version.name) continue;
        if (const rapidjson::Value* schema = Find(v, {"schema", "openAPIV3Schema"});
            schema != nullptr && schema->IsObject()) {
          doc->CopyFrom(*schema, alloc);
        }
      }
    }
    if (!doc->IsObject()) doc->SetObject();
    if (!doc->HasMember("type")) SetString(*doc, "type", "object", alloc);
    rapidjson::Value& properties = EnsureObject(*doc, "properties", alloc);
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
    SetMember(properties, "metadata", rapidjson::Value(ObjectMetaOpenApiSchema(), alloc), alloc);
    rapidjson::Value gvk(rapidjson::kArrayType);
    rapidjson::Value entry(rapidjson::kObjectType);
    SetString(entry, "group", crd.group, alloc);
    SetString(entry, "kind", crd.kind, alloc);
    SetString(entry, "version", version.name, alloc);
    gvk.PushBack(std::move(entry), alloc);
    SetMember(*doc, "x-kubernetes-group-version-kind", std::move(gvk), alloc);
    type.openapi_schema = std::move(doc);
    out.push_back(std::move(type));
  }
  return out;
}

}  // namespace mck8s::sim
