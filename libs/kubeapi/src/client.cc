#include "mck8s/kubeapi/client.h"

#include <future>
#include <utility>

#include <rapidjson/reader.h>

#include "absl/strings/str_cat.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/base/strings.h"
#include "mck8s/kubeapi/discovery.h"
#include "mck8s/kubeapi/errors.h"

namespace mck8s::kubeapi {
namespace {

constexpr int64_t kDefaultPageSize = 500;

absl::Status CheckSegment(std::string_view segment, std::string_view what) {
  if (segment.empty()) return absl::InvalidArgumentError(absl::StrCat(ToAbsl(what), " is empty"));
  if (segment == "." || segment == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(what), " \"", ToAbsl(segment), "\" is not allowed"));
  }
  for (char c : segment) {
    if (c == '/' || c == '%' || c == '?' || c == '#' || static_cast<unsigned char>(c) < 0x21) {
      return absl::InvalidArgumentError(absl::StrCat(
          ToAbsl(what), " \"", ToAbsl(segment), "\" contains a character not allowed in a path"));
    }
  }
  return absl::OkStatus();
}

std::string_view PatchContentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge: return "application/merge-patch+json";
    case PatchType::kJson: return "application/json-patch+json";
    case PatchType::kStrategicMerge: return "application/strategic-merge-patch+json";
    case PatchType::kApply: return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

std::string_view PolicyName(PropagationPolicy policy) {
  switch (policy) {
    case PropagationPolicy::kOrphan: return "Orphan";
    case PropagationPolicy::kBackground: return "Background";
    case PropagationPolicy::kForeground: return "Foreground";
    case PropagationPolicy::kDefault: return "";
  }
  return "";
}

void AddCommon(RestRequest& request, std::string_view field_manager, bool dry_run) {
  if (!field_manager.empty()) request.query.emplace_back("fieldManager", field_manager);
  if (dry_run) request.query.emplace_back("dryRun", "All");
}

}  // namespace

absl::StatusOr<std::string> ResourcePath(const GroupVersionResource& gvr, std::string_view ns,
                                         std::string_view name, std::string_view subresource) {
  MCK8S_RETURN_IF_ERROR(CheckSegment(gvr.version, "API version"));
  MCK8S_RETURN_IF_ERROR(CheckSegment(gvr.resource, "resource"));
  std::string path;
  if (gvr.group.empty()) {
    path = absl::StrCat("/api/", gvr.version);
  } else {
    MCK8S_RETURN_IF_ERROR(CheckSegment(gvr.group, "API group"));
    path = absl::StrCat("/apis/", gvr.group, "/", gvr.version);
  }
  if (!ns.empty()) {
    MCK8S_RETURN_IF_ERROR(CheckSegment(ns, "namespace"));
    absl::StrAppend(&path, "/namespaces/", ToAbsl(ns));
  }
  absl::StrAppend(&path, "/", gvr.resource);
  if (!name.empty()) {
    MCK8S_RETURN_IF_ERROR(CheckSegment(name, "name"));
    absl::StrAppend(&path, "/", ToAbsl(name));
    if (!subresource.empty()) {
      MCK8S_RETURN_IF_ERROR(CheckSegment(subresource, "subresource"));
      absl::StrAppend(&path, "/", ToAbsl(subresource));
    }
  } else if (!subresource.empty()) {
    return absl::InvalidArgumentError("a subresource needs an object name");
  }
  return path;
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(const RestConfig& config,
                                                       ClientOptions options) {
  MCK8S_ASSIGN_OR_RETURN(std::unique_ptr<RestClient> rest,
                         RestClient::Create(config, std::move(options)));
  return std::make_unique<Client>(std::move(rest));
}

Client::Client(std::unique_ptr<RestClient> rest)
    : rest_(std::move(rest)), discovery_(std::make_unique<Discovery>(*rest_, rest_->clock())) {}

Client::~Client() = default;

Discovery& Client::discovery() { return *discovery_; }

absl::StatusOr<Object> Client::Send(RestRequest request) {
  MCK8S_ASSIGN_OR_RETURN(HttpResponse response, rest_->Do(request));
  absl::StatusOr<Object> object = Object::Parse(response.body);
  if (!object.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(request.verb, " ", request.path,
                                                   ": unexpected answer: ",
                                                   object.status().message()));
  }
  return object;
}

absl::StatusOr<Object> Client::Get(const GroupVersionResource& gvr, std::string_view ns,
                                   std::string_view name, const GetOptions& options) {
  RestRequest request;
  MCK8S_ASSIGN_OR_RETURN(request.path, ResourcePath(gvr, ns, name, options.subresource));
  if (!options.resource_version.empty()) {
    request.query.emplace_back("resourceVersion", options.resource_version);
  }
  return Send(std::move(request));
}

namespace {

absl::StatusOr<RestRequest> ListRequest(const GroupVersionResource& gvr, std::string_view ns,
                                        const ListOptions& options) {
  RestRequest request;
  MCK8S_ASSIGN_OR_RETURN(request.path, ResourcePath(gvr, ns));
  if (!options.label_selector.empty()) {
    request.query.emplace_back("labelSelector", options.label_selector);
  }
  if (!options.field_selector.empty()) {
    request.query.emplace_back("fieldSelector", options.field_selector);
  }
  if (options.limit > 0) request.query.emplace_back("limit", absl::StrCat(options.limit));
  if (!options.continue_token.empty()) {
    request.query.emplace_back("continue", options.continue_token);
  }
  if (!options.resource_version.empty()) {
    request.query.emplace_back("resourceVersion", options.resource_version);
  }
  if (!options.resource_version_match.empty()) {
    request.query.emplace_back("resourceVersionMatch", options.resource_version_match);
  }
  request.timeout = options.timeout;
  request.canceller = options.canceller;
  return request;
}

absl::StatusOr<ObjectList> DecodeList(const RestRequest& request, std::string body) {
  absl::StatusOr<ObjectList> list = ParseObjectList(std::move(body));
  if (!list.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("GET ", request.path, ": unexpected answer: ", list.status().message()));
  }
  return list;
}

// SAX handler that reads metadata.continue of a list and stops the parse
// as soon as the top-level metadata object is complete (API servers write
// it before the items), so the token costs a few hundred bytes of scanning.
class ContinueScanner : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, ContinueScanner> {
 public:
  bool Default() { return true; }
  bool String(const char* str, rapidjson::SizeType length, bool) {
    if (depth_ == 2 && in_metadata_ && key_ == "continue") token_.assign(str, length);
    return true;
  }
  bool Key(const char* str, rapidjson::SizeType length, bool) {
    key_.assign(str, length);
    return true;
  }
  bool StartObject() {
    ++depth_;
    if (depth_ == 2 && key_ == "metadata") in_metadata_ = true;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    if (depth_ == 2 && in_metadata_) return false;  // done: stop scanning
    --depth_;
    return true;
  }
  bool StartArray() {
    ++depth_;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }
  const std::string& token() const { return token_; }

 private:
  int depth_ = 0;
  bool in_metadata_ = false;
  std::string key_;
  std::string token_;
};

std::string ScanContinueToken(const std::string& body) {
  ContinueScanner scanner;
  rapidjson::Reader reader;
  rapidjson::StringStream stream(body.c_str());
  reader.Parse(stream, scanner);  // stops early on purpose, or fails: the decode reports it
  return scanner.token();
}

}  // namespace

absl::StatusOr<ObjectList> Client::List(const GroupVersionResource& gvr, std::string_view ns,
                                        const ListOptions& options) {
  MCK8S_ASSIGN_OR_RETURN(RestRequest request, ListRequest(gvr, ns, options));
  MCK8S_ASSIGN_OR_RETURN(HttpResponse response, rest_->Do(request));
  return DecodeList(request, std::move(response.body));
}

absl::StatusOr<ObjectList> Client::ListAll(const GroupVersionResource& gvr, std::string_view ns,
                                           ListOptions options) {
  if (options.limit <= 0) options.limit = kDefaultPageSize;
  // The next page is fetched while this one is decoded: the continue token
  // is read from the list metadata alone, and the server's serialising and
  // our decoding then run side by side.
  MCK8S_ASSIGN_OR_RETURN(RestRequest request, ListRequest(gvr, ns, options));
  std::future<absl::StatusOr<HttpResponse>> pending = std::async(
      std::launch::deferred, [this, request] { return rest_->Do(request); });
  ObjectList all;
  while (true) {
    absl::StatusOr<HttpResponse> response = pending.get();
    if (!response.ok()) return response.status();
    const std::string token = ScanContinueToken(response->body);
    RestRequest next;
    if (!token.empty()) {
      options.continue_token = token;
      // Later pages are served from the first page's snapshot.
      options.resource_version.clear();
      options.resource_version_match.clear();
      MCK8S_ASSIGN_OR_RETURN(next, ListRequest(gvr, ns, options));
      pending = std::async(std::launch::async, [this, next] { return rest_->Do(next); });
    }
    absl::StatusOr<ObjectList> page = DecodeList(request, std::move(response->body));
    if (!page.ok()) {
      if (pending.valid()) pending.wait();
      return page.status();
    }
    if (all.items.empty()) {
      all.items = std::move(page->items);
    } else {
      all.items.reserve(all.items.size() + page->items.size());
      for (Object& item : page->items) all.items.push_back(std::move(item));
    }
    all.api_version = std::move(page->api_version);
    all.kind = std::move(page->kind);
    all.resource_version = std::move(page->resource_version);
    if (page->continue_token != token) {
      if (pending.valid()) pending.wait();
      return absl::InternalError(absl::StrCat("GET ", request.path,
                                              ": the continue token read ahead differs"));
    }
    if (token.empty()) break;
    request = std::move(next);
  }
  return all;
}

absl::StatusOr<Object> Client::Create(const GroupVersionResource& gvr, const Object& object,
                                      const CreateOptions& options) {
  RestRequest request;
  request.verb = "POST";
  if (options.subresource.empty()) {
    MCK8S_ASSIGN_OR_RETURN(request.path, ResourcePath(gvr, object.namespace_name()));
  } else {
    MCK8S_ASSIGN_OR_RETURN(request.path, ResourcePath(gvr, object.namespace_name(), object.name(),
                                                      options.subresource));
  }
  AddCommon(request, options.field_manager, options.dry_run);
  request.body = object.ToJson();
  return Send(std::move(request));
}

absl::StatusOr<Object> Client::Update(const GroupVersionResource& gvr, const Object& object,
                                      const UpdateOptions& options) {
  RestRequest request;
  request.verb = "PUT";
  MCK8S_ASSIGN_OR_RETURN(request.path, ResourcePath(gvr, object.namespace_name(), object.name(),
                                                    options.subresource));
  AddCommon(request, options.field_manager, options.dry_run);
  request.body = object.ToJson();
  return Send(std::move(request));
}

absl::StatusOr<Object> Client::UpdateStatus(const GroupVersionResource& gvr,
                                            const Object& object, UpdateOptions options) {
  options.subresource = "status";
  return Update(gvr, object, options);
}

absl::StatusOr<Object> Client::Patch(const GroupVersionResource& gvr, std::string_view ns,
                                     std::string_view name, PatchType type,
                                     std::string_view body, const PatchOptions& options) {
  if (type == PatchType::kApply && options.field_manager.empty()) {
    return absl::InvalidArgumentError("server-side apply needs a field manager");
  }
  RestRequest request;
  request.verb = "PATCH";
  MCK8S_ASSIGN_OR_RETURN(request.path, ResourcePath(gvr, ns, name, options.subresource));
  AddCommon(request, options.field_manager, options.dry_run);
  if (type == PatchType::kApply) request.query.emplace_back("force", options.force ? "true" : "false");
  request.content_type = std::string(PatchContentType(type));
  request.body = std::string(body);
  return Send(std::move(request));
}

absl::StatusOr<Object> Client::MergePatch(const GroupVersionResource& gvr, std::string_view ns,
                                          std::string_view name, const Object& patch,
                                          const PatchOptions& options) {
  return Patch(gvr, ns, name, PatchType::kMerge, patch.ToJson(), options);
}

absl::StatusOr<Object> Client::JsonPatchObject(const GroupVersionResource& gvr,
                                               std::string_view ns, std::string_view name,
                                               const JsonPatch& patch,
                                               const PatchOptions& options) {
  return Patch(gvr, ns, name, PatchType::kJson, patch.ToJson(), options);
}

absl::StatusOr<Object> Client::Apply(const GroupVersionResource& gvr, const Object& desired,
                                     const PatchOptions& options) {
  return Patch(gvr, desired.namespace_name(), desired.name(), PatchType::kApply,
               desired.ToJson(), options);
}

absl::Status Client::Delete(const GroupVersionResource& gvr, std::string_view ns,
                            std::string_view name, const DeleteOptions& options) {
  RestRequest request;
  request.verb = "DELETE";
  MCK8S_ASSIGN_OR_RETURN(request.path, ResourcePath(gvr, ns, name));
  Object body("v1", "DeleteOptions");
  if (std::string_view policy = PolicyName(options.propagation_policy); !policy.empty()) {
    MCK8S_RETURN_IF_ERROR(body.SetString("/propagationPolicy", policy));
  }
  if (options.grace_period_seconds.has_value()) {
    MCK8S_RETURN_IF_ERROR(body.SetInt("/gracePeriodSeconds", *options.grace_period_seconds));
  }
  if (!options.precondition_uid.empty()) {
    MCK8S_RETURN_IF_ERROR(body.SetString("/preconditions/uid", options.precondition_uid));
  }
  if (!options.precondition_resource_version.empty()) {
    MCK8S_RETURN_IF_ERROR(body.SetString("/preconditions/resourceVersion",
                                         options.precondition_resource_version));
  }
  if (options.dry_run) request.query.emplace_back("dryRun", "All");
  request.body = body.ToJson();
  request.content_type = "application/json";
  return rest_->Do(request).status();
}

absl::StatusOr<Object> Client::GetScale(const GroupVersionResource& gvr, std::string_view ns,
                                        std::string_view name) {
  return Get(gvr, ns, name, GetOptions{"", "scale"});
}

absl::StatusOr<Object> Client::SetScale(const GroupVersionResource& gvr, std::string_view ns,
                                        std::string_view name, int32_t replicas) {
  Object patch;
  MCK8S_RETURN_IF_ERROR(patch.SetInt("/spec/replicas", replicas));
  PatchOptions options;
  options.subresource = "scale";
  return MergePatch(gvr, ns, name, patch, options);
}

absl::Status Client::Watch(const GroupVersionResource& gvr, std::string_view ns,
                           const WatchOptions& options,
                           const std::function<bool(WatchEvent)>& on_event,
                           StreamCanceller* canceller) {
  RestRequest request;
  MCK8S_ASSIGN_OR_RETURN(request.path, ResourcePath(gvr, ns));
  request.query.emplace_back("watch", "true");
  if (!options.label_selector.empty()) {
    request.query.emplace_back("labelSelector", options.label_selector);
  }
  if (!options.field_selector.empty()) {
    request.query.emplace_back("fieldSelector", options.field_selector);
  }
  if (!options.resource_version.empty()) {
    request.query.emplace_back("resourceVersion", options.resource_version);
  }
  if (options.allow_bookmarks) request.query.emplace_back("allowWatchBookmarks", "true");
  if (options.timeout_seconds > 0) {
    request.query.emplace_back("timeoutSeconds", absl::StrCat(options.timeout_seconds));
  }
  WatchDecoder decoder;
  absl::Status decode_status;
  bool stopped = false;
  absl::Status stream_status = rest_->Stream(
      request, options.idle_timeout,
      [&](std::string_view data) {
        decode_status = decoder.Feed(data, [&](WatchEvent event) {
          if (!on_event(std::move(event))) stopped = true;
          return !stopped;
        });
        return decode_status.ok() && !stopped;
      },
      canceller);
  if (!decode_status.ok()) return decode_status;
  if (stopped) return absl::OkStatus();
  MCK8S_RETURN_IF_ERROR(stream_status);
  return decoder.Finish();
}

}  // namespace mck8s::kubeapi
