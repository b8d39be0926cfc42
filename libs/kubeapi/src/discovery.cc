#include "mck8s/kubeapi/discovery.h"

#include <utility>

#include <rapidjson/document.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/base/strings.h"

namespace mck8s::kubeapi {
namespace {

using rapidjson::Value;

constexpr char kAggregatedAccept[] =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json";

std::string Str(const Value& object, const char* key) {
  if (!object.IsObject()) return "";
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

const Value* Array(const Value& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsArray()) return nullptr;
  return &it->value;
}

std::vector<std::string> Strings(const Value& object, const char* key) {
  std::vector<std::string> out;
  if (const Value* list = Array(object, key)) {
    for (const Value& v : list->GetArray()) {
      if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
    }
  }
  return out;
}

absl::StatusOr<rapidjson::Document> ParseJson(std::string_view json, std::string_view what) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(what), " is not a JSON object"));
  }
  return doc;
}

}  // namespace

Discovery::Discovery(RestClient& rest, Clock& clock, absl::Duration ttl)
    : rest_(rest), clock_(clock), ttl_(ttl) {}

absl::StatusOr<std::vector<ApiResource>> Discovery::ParseAggregated(std::string_view json) {
  MCK8S_ASSIGN_OR_RETURN(rapidjson::Document doc, ParseJson(json, "APIGroupDiscoveryList"));
  std::vector<ApiResource> out;
  const Value* items = Array(doc, "items");
  if (items == nullptr) return out;
  for (const Value& group : items->GetArray()) {
    std::string group_name;
    if (auto meta = group.FindMember("metadata"); group.IsObject() && meta != group.MemberEnd()) {
      group_name = Str(meta->value, "name");
    }
    const Value* versions = Array(group, "versions");
    if (versions == nullptr) continue;
    for (const Value& version : versions->GetArray()) {
      const std::string version_name = Str(version, "version");
      const Value* resources = Array(version, "resources");
      if (resources == nullptr || version_name.empty()) continue;
      for (const Value& r : resources->GetArray()) {
        ApiResource resource;
        resource.gvr = {group_name, version_name, Str(r, "resource")};
        if (resource.gvr.resource.empty()) continue;
        if (auto kind = r.FindMember("responseKind"); kind != r.MemberEnd()) {
          resource.kind = Str(kind->value, "kind");
        }
        resource.singular = Str(r, "singularResource");
        resource.namespaced = Str(r, "scope") != "Cluster";
        resource.verbs = Strings(r, "verbs");
        resource.short_names = Strings(r, "shortNames");
        if (const Value* subs = Array(r, "subresources")) {
          for (const Value& sub : subs->GetArray()) {
            std::string name = Str(sub, "subresource");
            if (!name.empty()) resource.subresources.push_back(std::move(name));
          }
        }
        out.push_back(std::move(resource));
      }
    }
  }
  return out;
}

absl::StatusOr<std::vector<ApiResource>> Discovery::ParseResourceList(std::string_view json) {
  MCK8S_ASSIGN_OR_RETURN(rapidjson::Document doc, ParseJson(json, "APIResourceList"));
  const std::string group_version = Str(doc, "groupVersion");
  absl::StatusOr<k8stypes::GroupVersion> gv = k8stypes::GroupVersion::Parse(group_version);
  if (!gv.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("APIResourceList has a bad groupVersion \"", group_version, "\""));
  }
  std::vector<ApiResource> out;
  std::vector<std::pair<std::string, std::string>> subresources;
  if (const Value* resources = Array(doc, "resources")) {
    for (const Value& r : resources->GetArray()) {
      const std::string name = Str(r, "name");
      if (name.empty()) continue;
      if (size_t slash = name.find('/'); slash != std::string::npos) {
        subresources.emplace_back(name.substr(0, slash), name.substr(slash + 1));
        continue;
      }
      ApiResource resource;
      resource.gvr = {gv->group, gv->version, name};
      resource.kind = Str(r, "kind");
      resource.singular = Str(r, "singularName");
      auto namespaced = r.FindMember("namespaced");
      resource.namespaced =
          namespaced == r.MemberEnd() || !namespaced->value.IsBool() || namespaced->value.GetBool();
      resource.verbs = Strings(r, "verbs");
      resource.short_names = Strings(r, "shortNames");
      out.push_back(std::move(resource));
    }
  }
  for (const auto& [parent, sub] : subresources) {
    for (ApiResource& resource : out) {
      if (resource.gvr.resource == parent) resource.subresources.push_back(sub);
    }
  }
  return out;
}

absl::Status Discovery::RefreshLocked() {
  std::vector<ApiResource> found;
  std::vector<std::string> legacy_paths;
  for (const char* root : {"/api", "/apis"}) {
    RestRequest request;
    request.path = root;
    request.accept = kAggregatedAccept;
    absl::StatusOr<HttpResponse> response = rest_.Do(request);
    if (!response.ok()) {
      // A server without any API group (/apis 404) still serves /api.
      if (std::string_view(root) == "/apis" && absl::IsNotFound(response.status())) continue;
      return response.status();
    }
    const std::string content_type = response->Header("Content-Type");
    MCK8S_ASSIGN_OR_RETURN(rapidjson::Document doc, ParseJson(response->body, root));
    const std::string kind = Str(doc, "kind");
    if (kind == "APIGroupDiscoveryList" ||
        absl::StrContains(content_type, "as=APIGroupDiscoveryList")) {
      MCK8S_ASSIGN_OR_RETURN(std::vector<ApiResource> resources,
                             ParseAggregated(response->body));
      for (ApiResource& r : resources) found.push_back(std::move(r));
      continue;
    }
    if (kind == "APIVersions") {
      for (const std::string& version : Strings(doc, "versions")) {
        legacy_paths.push_back(absl::StrCat("/api/", version));
      }
    } else if (kind == "APIGroupList") {
      if (const Value* groups = Array(doc, "groups")) {
        for (const Value& group : groups->GetArray()) {
          if (const Value* versions = Array(group, "versions")) {
            for (const Value& version : versions->GetArray()) {
              const std::string gv = Str(version, "groupVersion");
              if (!gv.empty()) legacy_paths.push_back(absl::StrCat("/apis/", gv));
            }
          }
        }
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "discovery: ", root, " answered a \"", kind, "\", not a discovery document"));
    }
  }
  for (const std::string& path : legacy_paths) {
    RestRequest request;
    request.path = path;
    absl::StatusOr<HttpResponse> response = rest_.Do(request);
    if (!response.ok()) {
      // One unavailable aggregated API (metrics.k8s.io down) must not make
      // every other resource undiscoverable.
      if (response.status().code() == absl::StatusCode::kUnavailable ||
          absl::IsNotFound(response.status())) {
        continue;
      }
      return response.status();
    }
    MCK8S_ASSIGN_OR_RETURN(std::vector<ApiResource> resources,
                           ParseResourceList(response->body));
    for (ApiResource& r : resources) found.push_back(std::move(r));
  }
  resources_ = std::move(found);
  fetched_at_ = clock_.Now();
  return absl::OkStatus();
}

absl::Status Discovery::EnsureFreshLocked(bool force) {
  if (!force && clock_.Now() - fetched_at_ < ttl_) return absl::OkStatus();
  return RefreshLocked();
}

absl::StatusOr<ApiResource> Discovery::ForKind(const k8stypes::GroupVersionKind& gvk) {
  absl::MutexLock lock(&mu_);
  for (bool force : {false, true}) {
    MCK8S_RETURN_IF_ERROR(EnsureFreshLocked(force));
    for (const ApiResource& r : resources_) {
      if (r.gvr.group == gvk.group && r.gvr.version == gvk.version && r.kind == gvk.kind) {
        return r;
      }
    }
  }
  return absl::NotFoundError(
      absl::StrCat("the server does not serve kind ", gvk.String()));
}

absl::StatusOr<ApiResource> Discovery::ForResource(const k8stypes::GroupVersionResource& gvr) {
  absl::MutexLock lock(&mu_);
  for (bool force : {false, true}) {
    MCK8S_RETURN_IF_ERROR(EnsureFreshLocked(force));
    for (const ApiResource& r : resources_) {
      if (r.gvr == gvr) return r;
    }
  }
  return absl::NotFoundError(absl::StrCat("the server does not serve ", gvr.String()));
}

absl::StatusOr<std::vector<ApiResource>> Discovery::Resources() {
  absl::MutexLock lock(&mu_);
  MCK8S_RETURN_IF_ERROR(EnsureFreshLocked(false));
  return resources_;
}

void Discovery::Invalidate() {
  absl::MutexLock lock(&mu_);
  fetched_at_ = absl::InfinitePast();
}

}  // namespace mck8s::kubeapi
