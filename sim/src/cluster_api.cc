#include "mck8s/sim/cluster_api.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "discovery.h"
#include "mck8s/apischema/yaml_json.h"
#include "mck8s/sim/api_error.h"
#include "mck8s/sim/json.h"
#include "mck8s/sim/metrics.h"
#include "mck8s/sim/selectors.h"
#include "mck8s/sim/tables.h"
#include "protobuf.h"

namespace mck8s::sim {
namespace {

using Params = std::multimap<std::string, std::string>;

std::string Param(const Params& params, absl::string_view key) {
  auto it = params.find(std::string(key));
  return it == params.end() ? std::string() : it->second;
}

bool BoolParam(const Params& params, absl::string_view key) {
  std::string v = absl::AsciiStrToLower(Param(params, key));
  return v == "true" || v == "1";
}

ApiResponse ErrorResponse(const absl::Status& status) {
  HttpError error = ToHttpError(status);
  ApiResponse response;
  response.status = error.code;
  response.body = std::move(error.body);
  if (error.retry_after_seconds > 0) {
    response.headers.emplace_back("Retry-After", absl::StrCat(error.retry_after_seconds));
  }
  return response;
}

ApiResponse JsonResponse(int status, std::string body) {
  ApiResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

void AddWarnings(ApiResponse& response, const std::vector<std::string>& warnings) {
  for (const std::string& warning : warnings) {
    std::string quoted;
    AppendJsonString(warning, quoted);
    response.headers.emplace_back("Warning", absl::StrCat("299 - ", quoted));
  }
}

std::string Fnv1aHex(absl::string_view text) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return absl::StrFormat("%016X", hash);
}

// Which aggregated discovery version the Accept header asks for, if any.
std::optional<std::string> AggregatedDiscoveryVersion(absl::string_view accept) {
  for (absl::string_view part : absl::StrSplit(accept, ',')) {
    if (!absl::StrContains(part, "as=APIGroupDiscoveryList") ||
        !absl::StrContains(part, "g=apidiscovery.k8s.io")) {
      continue;
    }
    for (absl::string_view param : absl::StrSplit(part, ';')) {
      param = absl::StripAsciiWhitespace(param);
      if (param == "v=v2") return std::string("v2");
      if (param == "v=v2beta1") return std::string("v2beta1");
    }
  }
  return std::nullopt;
}

absl::StatusOr<rapidjson::Document> ParseBody(const ApiRequest& request) {
  absl::string_view type = request.content_type;
  type = absl::StripAsciiWhitespace(type.substr(0, type.find(';')));
  if (type.empty() || type == "application/json" || type == "*/*") {
    absl::StatusOr<rapidjson::Document> doc = ParseJson(request.body);
    if (!doc.ok()) {
      return BadRequestError(absl::StrCat("the body of the request could not be decoded: ",
                                          doc.status().message()));
    }
    return doc;
  }
  if (type == "application/yaml") {
    absl::StatusOr<rapidjson::Document> doc = apischema::ParseYamlDocument(
        std::string_view(request.body.data(), request.body.size()));
    if (!doc.ok()) {
      return BadRequestError(absl::StrCat("the body of the request could not be decoded: ",
                                          doc.status().message()));
    }
    return doc;
  }
  if (type == internal::kProtobufContentType) {
    return internal::DecodeKubernetesProtobuf(request.body);
  }
  return ApiError(415, "UnsupportedMediaType",
                  absl::StrCat("the body of the request was in an unknown format - accepted "
                               "media types include: application/json, application/yaml, "
                               "application/vnd.kubernetes.protobuf (got \"",
                               type, "\")"));
}

absl::StatusOr<RequestOptions> OptionsFrom(const Params& params) {
  RequestOptions options;
  for (auto [it, end] = params.equal_range("dryRun"); it != end; ++it) {
    if (it->second == "All") {
      options.dry_run = true;
    } else if (!it->second.empty()) {
      return BadRequestError(absl::StrCat("unsupported dry run directive: \"", it->second, "\""));
    }
  }
  std::string validation = Param(params, "fieldValidation");
  if (validation.empty() || validation == "Warn") {
    options.field_validation = FieldValidation::kWarn;
  } else if (validation == "Strict") {
    options.field_validation = FieldValidation::kStrict;
  } else if (validation == "Ignore") {
    options.field_validation = FieldValidation::kIgnore;
  } else {
    return BadRequestError(absl::StrCat("fieldValidation parameter unsupported: ", validation));
  }
  options.field_manager = Param(params, "fieldManager");
  options.force = BoolParam(params, "force");
  return options;
}

absl::StatusOr<PropagationPolicy> ParsePropagation(absl::string_view text) {
  if (text.empty() || text == "Background") return PropagationPolicy::kBackground;
  if (text == "Foreground") return PropagationPolicy::kForeground;
  if (text == "Orphan") return PropagationPolicy::kOrphan;
  return InvalidError({"meta.k8s.io", "DeleteOptions"}, "",
                      {FieldUnsupported("propagationPolicy", absl::StrCat("\"", text, "\""),
                                        {"Foreground", "Background", "Orphan", "nil"})});
}

}  // namespace

std::multimap<std::string, std::string> ParseQuery(absl::string_view query) {
  std::multimap<std::string, std::string> out;
  auto decode = [](absl::string_view in) {
    std::string result;
    for (size_t i = 0; i < in.size(); ++i) {
      char c = in[i];
      if (c == '+') {
        result.push_back(' ');
      } else if (c == '%' && i + 2 < in.size() && absl::ascii_isxdigit(in[i + 1]) &&
                 absl::ascii_isxdigit(in[i + 2])) {
        auto hex = [](char h) {
          return absl::ascii_isdigit(h) ? h - '0' : absl::ascii_tolower(h) - 'a' + 10;
        };
        result.push_back(static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2])));
        i += 2;
      } else {
        result.push_back(c);
      }
    }
    return result;
  };
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    size_t eq = pair.find('=');
    if (eq == absl::string_view::npos) {
      out.emplace(decode(pair), "");
    } else {
      out.emplace(decode(pair.substr(0, eq)), decode(pair.substr(eq + 1)));
    }
  }
  return out;
}

ClusterApi::ClusterApi(Cluster& cluster, Options options)
    : cluster_(cluster), options_(std::move(options)) {}

std::string ClusterApi::EncodeEvent(const WatchStream& stream, const WatchEvent& event) {
  std::string out = "{\"type\":\"";
  absl::StrAppend(&out, WatchEventTypeName(event.type));
  out += "\",\"object\":";
  if (event.type == WatchEventType::kBookmark || event.object == nullptr) {
    out += "{\"kind\":";
    AppendJsonString(stream.type->kind, out);
    out += ",\"apiVersion\":";
    AppendJsonString(stream.type->ApiVersion(), out);
    absl::StrAppend(&out, ",\"metadata\":{\"resourceVersion\":\"", event.resource_version, "\"");
    if (event.initial_events_end) {
      out += ",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}";
    }
    out += "}}";
  } else if (!stream.table_version.empty()) {
    TableOptions table;
    table.version = stream.table_version;
    table.include = ParseIncludeObject(stream.include_object);
    table.now = absl::Now();
    out += RenderTable(*stream.type, {event.object}, table,
                                 absl::StrCat(event.resource_version), "");
  } else {
    out += RenderObject(*stream.type, *event.object);
  }
  out += "}\n";
  return out;
}

ApiResponse ClusterApi::Handle(const ApiRequest& request) {
  std::vector<std::string> segments = absl::StrSplit(request.path, '/', absl::SkipEmpty());
  Params params = ParseQuery(request.query);
  std::shared_ptr<const ResourceCatalog> catalog = cluster_.catalog();
  const bool get = request.method == "GET" || request.method == "HEAD";

  if (segments.empty()) {
    if (!get) return ErrorResponse(MethodNotAllowedError(request.method, {"", ""}));
    return JsonResponse(200,
                        R"({"paths":["/api","/api/v1","/apis","/healthz","/livez","/openapi/v3","/readyz","/version"]})");
  }
  const std::string& head = segments[0];
  if (head == "metrics" && segments.size() == 1 && get && options_.usage != nullptr) {
    ApiResponse response;
    response.content_type = kExpositionContentType;
    response.body = RenderExposition(options_.usage->Observe());
    return response;
  }
  if (head == "version" && segments.size() == 1) {
    return JsonResponse(
        200,
        R"({"major":"1","minor":"32","gitVersion":"v1.32.0-mck8s-sim","gitCommit":"0000000000000000000000000000000000000000","gitTreeState":"clean","buildDate":"2025-01-01T00:00:00Z","goVersion":"go1.23.0","compiler":"gc","platform":"linux/amd64"})");
  }
  if ((head == "healthz" || head == "livez" || head == "readyz") && segments.size() == 1) {
    ApiResponse response;
    response.content_type = "text/plain; charset=utf-8";
    response.body = "ok";
    return response;
  }
  if (head == "api") {
    if (segments.size() == 1) {
      if (!get) return ErrorResponse(MethodNotAllowedError(request.method, {"", ""}));
      return Discovery(request, true);
    }
    if (segments[1] != "v1") return ErrorResponse(PathNotFoundError());
    if (segments.size() == 2) {
      if (!get) return ErrorResponse(MethodNotAllowedError(request.method, {"", ""}));
      std::optional<std::string> list = internal::ApiResourceList(*catalog, "", "v1");
      return list ? JsonResponse(200, *list) : ErrorResponse(PathNotFoundError());
    }
    return HandleResource(request, catalog, "", "v1",
                          std::vector<std::string>(segments.begin() + 2, segments.end()), params);
  }
  if (head == "apis") {
    if (segments.size() <= 3 && !get) {
      return ErrorResponse(MethodNotAllowedError(request.method, {"", ""}));
    }
    if (segments.size() == 1) return Discovery(request, false);
    if (segments.size() == 2) {
      std::optional<std::string> group = internal::ApiGroup(*catalog, segments[1]);
      return group ? JsonResponse(200, *group) : ErrorResponse(PathNotFoundError());
    }
    if (segments.size() == 3) {
      std::optional<std::string> list =
          internal::ApiResourceList(*catalog, segments[1], segments[2]);
      return list ? JsonResponse(200, *list) : ErrorResponse(PathNotFoundError());
    }
    return HandleResource(request, catalog, segments[1], segments[2],
                          std::vector<std::string>(segments.begin() + 3, segments.end()), params);
  }
  if (head == "openapi" && segments.size() >= 2 && segments[1] == "v3" && get) {
    if (segments.size() == 2) return OpenApiRoot();
    std::string gv;
    for (size_t i = 2; i < segments.size(); ++i) {
      absl::StrAppend(&gv, i > 2 ? "/" : "", segments[i]);
    }
    std::optional<std::string> doc = OpenApiDocument(gv);
    if (!doc) return ErrorResponse(PathNotFoundError());
    ApiResponse response = JsonResponse(200, std::move(*doc));
    response.headers.emplace_back("Cache-Control", "public, immutable");
    return response;
  }
  return ErrorResponse(PathNotFoundError());
}

ApiResponse ClusterApi::HandleMetrics(const ResourceType& type, absl::string_view ns,
                                      absl::string_view name, bool watch, const Params& params) {
  if (options_.usage == nullptr) {
    return ErrorResponse(ApiError(503, "ServiceUnavailable",
                                  "the server is currently unable to handle the request"));
  }
  if (watch) return ErrorResponse(MethodNotAllowedError("watch", type.group_resource()));
  const bool nodes = type.plural == "nodes";
  UsageSnapshot snapshot = options_.usage->Observe();
  if (!name.empty()) {
    std::optional<std::string> body =
        nodes ? RenderNodeMetrics(snapshot, name) : RenderPodMetrics(snapshot, ns, name);
    if (!body) {
      return ErrorResponse(
          NotFoundError({"metrics.k8s.io", nodes ? "nodemetrics" : "podmetrics"}, name));
    }
    return JsonResponse(200, std::move(*body));
  }
  absl::StatusOr<ObjectPredicate> select =
      MakeSelectorPredicate(Param(params, "labelSelector"), Param(params, "fieldSelector"), {});
  if (!select.ok()) return ErrorResponse(select.status());
  return JsonResponse(200, nodes ? RenderNodeMetricsList(snapshot, *select)
                                 : RenderPodMetricsList(snapshot, ns, *select));
}

ApiResponse ClusterApi::Discovery(const ApiRequest& request, bool core) {
  std::shared_ptr<const ResourceCatalog> catalog = cluster_.catalog();
  if (std::optional<std::string> version = AggregatedDiscoveryVersion(request.accept)) {
    ApiResponse response =
        JsonResponse(200, internal::AggregatedDiscovery(*catalog, core, *version));
    response.content_type = absl::StrCat("application/json;g=apidiscovery.k8s.io;v=", *version,
                                         ";as=APIGroupDiscoveryList");
    response.headers.emplace_back("Vary", "Accept");
    return response;
  }
  return JsonResponse(200, core ? internal::ApiVersions(options_.server_address)
                                : internal::ApiGroupList(*catalog));
}

void ClusterApi::RefreshOpenApi(const ResourceCatalog& catalog) {
  if (openapi_.generation == catalog.generation()) return;
  openapi_.generation = catalog.generation();
  openapi_.documents.clear();
  for (const GroupVersionEntry& gv : catalog.group_versions()) {
    std::string key = gv.group.empty() ? absl::StrCat("api/", gv.version)
                                       : absl::StrCat("apis/", gv.group, "/", gv.version);
    std::optional<std::string> doc = internal::OpenApiGroupVersion(catalog, gv.group, gv.version);
    if (!doc) continue;
    std::string hash = Fnv1aHex(*doc);
    openapi_.documents[key] = {std::move(*doc), std::move(hash)};
  }
}

std::optional<std::string> ClusterApi::OpenApiDocument(absl::string_view group_version) {
  std::shared_ptr<const ResourceCatalog> catalog = cluster_.catalog();
  absl::MutexLock lock(&mu_);
  RefreshOpenApi(*catalog);
  auto it = openapi_.documents.find(std::string(group_version));
  if (it == openapi_.documents.end()) return std::nullopt;
  return it->second.first;
}

ApiResponse ClusterApi::OpenApiRoot() {
  std::shared_ptr<const ResourceCatalog> catalog = cluster_.catalog();
  absl::MutexLock lock(&mu_);
  RefreshOpenApi(*catalog);
  std::string out = "{\"paths\":{";
  bool first = true;
  for (const auto& [gv, entry] : openapi_.documents) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(gv, out);
    out += ":{\"serverRelativeURL\":";
    AppendJsonString(absl::StrCat(options_.path_prefix, "/openapi/v3/", gv, "?hash=", entry.second),
                     out);
    out += '}';
  }
  out += "}}";
  return JsonResponse(200, std::move(out));
}

ApiResponse ClusterApi::HandleResource(const ApiRequest& request,
                                       const std::shared_ptr<const ResourceCatalog>& catalog,
                                       absl::string_view group, absl::string_view version,
                                       std::vector<std::string> rest, const Params& params) {
  bool watch_path = false;
  if (!rest.empty() && rest[0] == "watch") {
    watch_path = true;
    rest.erase(rest.begin());
  }
  if (rest.empty()) return ErrorResponse(PathNotFoundError());
  std::string ns;
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    const ResourceType* inner = catalog->Find(group, version, rest[2]);
    if (inner != nullptr && inner->namespaced) {
      ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  if (rest.size() > 3) return ErrorResponse(PathNotFoundError());
  const ResourceType* type = catalog->Find(group, version, rest[0]);
  if (type == nullptr) return ErrorResponse(PathNotFoundError());
  const std::string name = rest.size() > 1 ? rest[1] : "";
  const std::string sub = rest.size() > 2 ? rest[2] : "";
  if (type->group == "metrics.k8s.io") {
    if (!sub.empty()) return ErrorResponse(PathNotFoundError());
    if (request.method != "GET" && request.method != "HEAD") {
      return ErrorResponse(MethodNotAllowedError(request.method, type->group_resource()));
    }
    return HandleMetrics(*type, ns, name, watch_path || BoolParam(params, "watch"), params);
  }
  const bool binding = sub == "binding" && type->group.empty() && type->plural == "pods";
  if (!sub.empty() && sub != "status" && sub != "scale" && !binding) {
    return ErrorResponse(PathNotFoundError());
  }

  absl::StatusOr<RequestOptions> options = OptionsFrom(params);
  if (!options.ok()) return ErrorResponse(options.status());
  const std::string& method = request.method;
  const bool watch = watch_path || BoolParam(params, "watch");
  const std::optional<std::string> table_version =
      TableVersionRequested(request.accept);
  auto TableResponse = [&](const ResourceType& t, const std::vector<ObjectRef>& items,
                           absl::string_view rv, absl::string_view continue_token) {
    TableOptions table;
    table.version = *table_version;
    table.include = ParseIncludeObject(Param(params, "includeObject"));
    table.now = absl::Now();
    ApiResponse response =
        JsonResponse(200, RenderTable(t, items, table, rv, continue_token));
    response.content_type =
        absl::StrCat("application/json;as=Table;v=", *table_version, ";g=meta.k8s.io");
    return response;
  };

  if (method == "GET" || method == "HEAD") {
    if (watch) {
      Cluster::WatchOptions watch_options;
      watch_options.label_selector = Param(params, "labelSelector");
      watch_options.field_selector = Param(params, "fieldSelector");
      if (!name.empty()) {
        if (!watch_options.field_selector.empty()) watch_options.field_selector += ",";
        watch_options.field_selector += absl::StrCat("metadata.name=", name);
      }
      std::string rv = Param(params, "resourceVersion");
      if (!rv.empty()) {
        uint64_t value = 0;
        if (!absl::SimpleAtoi(rv, &value)) {
          return ErrorResponse(BadRequestError(
              absl::StrCat("invalid resource version \"", rv, "\"")));
        }
        watch_options.resource_version = value;
      }
      watch_options.send_initial_events = BoolParam(params, "sendInitialEvents");
      absl::StatusOr<std::shared_ptr<Watch>> started =
          cluster_.StartWatch(*type, ns, watch_options);
      if (!started.ok()) {
        if (ReasonOf(started.status()) == "Expired") {
          // As kube-apiserver's watch cache does: a 200 stream whose only
          // event is an ERROR carrying the 410 Status.
          ApiResponse response;
          HttpError error = ToHttpError(started.status());
          response.body = absl::StrCat("{\"type\":\"ERROR\",\"object\":", error.body, "}\n");
          return response;
        }
        return ErrorResponse(started.status());
      }
      WatchStream stream;
      stream.watch = std::move(*started);
      stream.catalog = catalog;
      stream.type = type;
      stream.timeout = options_.default_watch_timeout;
      int64_t timeout_seconds = 0;
      if (absl::SimpleAtoi(Param(params, "timeoutSeconds"), &timeout_seconds) &&
          timeout_seconds > 0) {
        stream.timeout = absl::Seconds(timeout_seconds);
      }
      stream.bookmarks = BoolParam(params, "allowWatchBookmarks");
      if (std::optional<std::string> table = TableVersionRequested(request.accept)) {
        stream.table_version = *table;
        stream.include_object = Param(params, "includeObject");
      }
      ApiResponse response;
      response.watch = std::move(stream);
      return response;
    }
    if (name.empty()) {
      Cluster::ListOptions list;
      list.label_selector = Param(params, "labelSelector");
      list.field_selector = Param(params, "fieldSelector");
      std::string limit = Param(params, "limit");
      if (!limit.empty() && !absl::SimpleAtoi(limit, &list.limit)) {
        return ErrorResponse(BadRequestError(absl::StrCat("invalid limit \"", limit, "\"")));
      }
      list.continue_token = Param(params, "continue");
      if (table_version.has_value()) {
        absl::StatusOr<ObjectStore::ListResult> items = cluster_.ListObjects(*type, ns, list);
        if (!items.ok()) return ErrorResponse(items.status());
        return TableResponse(*type, items->items, absl::StrCat(items->resource_version),
                             items->continue_token);
      }
      absl::StatusOr<std::string> body = cluster_.List(*type, ns, list);
      if (!body.ok()) return ErrorResponse(body.status());
      return JsonResponse(200, std::move(*body));
    }
    if (table_version.has_value() && sub.empty()) {
      absl::StatusOr<ObjectRef> object =
          cluster_.store().Get(type->ResourceId(), type->namespaced ? ns : "", name);
      if (!object.ok()) return ErrorResponse(object.status());
      return TableResponse(*type, {*object}, "", "");
    }
    absl::StatusOr<std::string> body = cluster_.Get(*type, ns, name, sub);
    if (!body.ok()) return ErrorResponse(body.status());
    return JsonResponse(200, std::move(*body));
  }

  if (type->namespaced && ns.empty() && method != "DELETE") {
    return ErrorResponse(MethodNotAllowedError(method, type->group_resource()));
  }

  auto write_response = [&](absl::StatusOr<Cluster::WriteResult> result) {
    if (!result.ok()) return ErrorResponse(result.status());
    ApiResponse response;
    if (sub == "scale") {
      absl::StatusOr<std::string> scale = cluster_.RenderScale(*type, *result->object);
      if (!scale.ok()) return ErrorResponse(scale.status());
      response.body = std::move(*scale);
    } else {
      response.body = cluster_.Render(*type, *result->object);
    }
    response.status = result->created ? 201 : 200;
    AddWarnings(response, result->warnings);
    return response;
  };

  if (binding) {
    if (method != "POST") {
      return ErrorResponse(MethodNotAllowedError(method, {"", "pods/binding"}));
    }
    absl::StatusOr<rapidjson::Document> body = ParseBody(request);
    if (!body.ok()) return ErrorResponse(body.status());
    absl::StatusOr<Cluster::WriteResult> bound =
        cluster_.BindPod(ns, name, GetString(*body, {"target", "name"}), *options);
    if (!bound.ok()) return ErrorResponse(bound.status());
    ErrorDetails details;
    details.name = name;
    details.kind = "pods";
    ApiResponse response = JsonResponse(201, SuccessStatusBody(details));
    return response;
  }

  if (method == "POST") {
    if (!name.empty()) return ErrorResponse(MethodNotAllowedError(method, type->group_resource()));
    absl::StatusOr<rapidjson::Document> body = ParseBody(request);
    if (!body.ok()) return ErrorResponse(body.status());
    return write_response(cluster_.Create(*type, ns, std::move(*body), *options));
  }
  if (method == "PUT") {
    if (name.empty()) return ErrorResponse(MethodNotAllowedError(method, type->group_resource()));
    absl::StatusOr<rapidjson::Document> body = ParseBody(request);
    if (!body.ok()) return ErrorResponse(body.status());
    return write_response(cluster_.Update(*type, ns, name, sub, std::move(*body), *options));
  }
  if (method == "PATCH") {
    if (name.empty()) return ErrorResponse(MethodNotAllowedError(method, type->group_resource()));
    std::optional<PatchType> patch_type = PatchTypeFromContentType(request.content_type);
    if (!patch_type) return ErrorResponse(UnsupportedMediaTypeError(request.content_type));
    return write_response(
        cluster_.Patch(*type, ns, name, sub, *patch_type, request.body, *options));
  }
  if (method == "DELETE") {
    if (!sub.empty()) return ErrorResponse(MethodNotAllowedError(method, type->group_resource()));
    Cluster::DeleteOptions delete_options;
    std::string propagation = Param(params, "propagationPolicy");
    if (BoolParam(params, "orphanDependents")) propagation = "Orphan";
    if (!absl::StripAsciiWhitespace(request.body).empty()) {
      absl::StatusOr<rapidjson::Document> body = ParseBody(request);
      if (!body.ok()) return ErrorResponse(body.status());
      absl::string_view policy = GetString(*body, {"propagationPolicy"});
      if (!policy.empty()) propagation = std::string(policy);
      if (const rapidjson::Value* orphan = Find(*body, {"orphanDependents"});
          orphan != nullptr && orphan->IsBool() && propagation.empty()) {
        propagation = orphan->GetBool() ? "Orphan" : "Background";
      }
      absl::string_view uid = GetString(*body, {"preconditions", "uid"});
      if (!uid.empty()) delete_options.precondition_uid = std::string(uid);
      absl::string_view rv = GetString(*body, {"preconditions", "resourceVersion"});
      if (!rv.empty()) delete_options.precondition_resource_version = std::string(rv);
      if (const rapidjson::Value* dry = Find(*body, {"dryRun"}); dry != nullptr && dry->IsArray()) {
        for (const rapidjson::Value& d : dry->GetArray()) {
          if (d.IsString() && absl::string_view(d.GetString()) == "All") options->dry_run = true;
        }
      }
    }
    absl::StatusOr<PropagationPolicy> policy = ParsePropagation(propagation);
    if (!policy.ok()) return ErrorResponse(policy.status());
    delete_options.propagation = *policy;
    if (name.empty()) {
      Cluster::ListOptions selection;
      selection.label_selector = Param(params, "labelSelector");
      selection.field_selector = Param(params, "fieldSelector");
      absl::StatusOr<std::string> body =
          cluster_.DeleteCollection(*type, ns, selection, delete_options, *options);
      if (!body.ok()) return ErrorResponse(body.status());
      return JsonResponse(200, std::move(*body));
    }
    absl::StatusOr<ObjectStore::DeleteResult> deleted =
        cluster_.Delete(*type, ns, name, delete_options, *options);
    if (!deleted.ok()) return ErrorResponse(deleted.status());
    if (deleted->removed) {
      ErrorDetails details;
      details.name = name;
      details.group = type->group;
      details.kind = type->plural;
      details.uid = deleted->object != nullptr ? deleted->object->uid : "";
      return JsonResponse(200, SuccessStatusBody(details));
    }
    return JsonResponse(202, cluster_.Render(*type, *deleted->object));
  }
  return ErrorResponse(MethodNotAllowedError(method, type->group_resource()));
}

}  // namespace mck8s::sim
