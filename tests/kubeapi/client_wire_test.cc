// The typed verbs on the wire: method, path, query, content type and body
// of each, and how answers decode. A small test server plays the API.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include <rapidjson/document.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/discovery.h"
#include "mck8s/kubeapi/errors.h"
#include "mck8s/runtime/metrics.h"
#include "test_server.h"

namespace mck8s::kubeapi {
namespace {

using testing::Responder;
using testing::TestRequest;
using testing::TestServer;

const GroupVersionResource kPods{"", "v1", "pods"};
const GroupVersionResource kDeployments{"apps", "v1", "deployments"};

struct Harness {
  runtime::Registry registry;
  FakeClock clock;  // retry backoff jumps instead of sleeping
  std::unique_ptr<Client> client;
  explicit Harness(const TestServer& server) {
    clock.SetAutoAdvance(true);
    RestConfig config;
    config.server = server.url();
    ClientOptions options;
    options.qps = 0;
    options.clock = &clock;
    options.metrics = &registry;
    absl::StatusOr<std::unique_ptr<Client>> created = Client::Create(config, options);
    REQUIRE(created.ok());
    client = *std::move(created);
  }
};

// Echoes the request back as an object, so a test sees what was sent.
void Echo(const TestRequest& request, Responder& respond) {
  Object echo("v1", "Echo");
  echo.SetName("echo");
  (void)echo.SetString("/method", request.method);
  (void)echo.SetString("/path", request.path);
  (void)echo.SetString("/contentType", request.Header("Content-Type"));
  (void)echo.SetString("/body", request.body);
  for (const auto& [k, v] : request.query) (void)echo.SetString("/query/" + k, v);
  respond.Send(request.method == "POST" ? 201 : 200, echo.ToJson());
}

TEST_CASE("client: get, create, update, status, patch, apply, delete on the wire",
          "[kubeapi][client]") {
  TestServer server(Echo);
  Harness h(server);
  Client& c = *h.client;

  absl::StatusOr<Object> got = c.Get(kPods, "default", "web", GetOptions{"5", ""});
  REQUIRE(got.ok());
  CHECK(got->FindString("/method") == std::optional<std::string_view>("GET"));
  CHECK(got->FindString("/path") == std::optional<std::string_view>("/api/v1/namespaces/default/pods/web"));
  CHECK(got->FindString("/query/resourceVersion") == std::optional<std::string_view>("5"));

  Object pod("v1", "Pod");
  pod.SetName("web");
  pod.SetNamespace("default");
  absl::StatusOr<Object> created = c.Create(kPods, pod, CreateOptions{"mck8s", true, ""});
  REQUIRE(created.ok());
  CHECK(created->FindString("/method") == std::optional<std::string_view>("POST"));
  CHECK(created->FindString("/path") == std::optional<std::string_view>("/api/v1/namespaces/default/pods"));
  CHECK(created->FindString("/query/fieldManager") == std::optional<std::string_view>("mck8s"));
  CHECK(created->FindString("/query/dryRun") == std::optional<std::string_view>("All"));
  CHECK(created->FindString("/contentType") == std::optional<std::string_view>("application/json"));
  CHECK(*Object::Parse(*created->FindString("/body")) == pod);

  pod.SetResourceVersion("7");
  absl::StatusOr<Object> updated = c.Update(kPods, pod);
  REQUIRE(updated.ok());
  CHECK(updated->FindString("/method") == std::optional<std::string_view>("PUT"));
  CHECK(Object::Parse(*updated->FindString("/body"))->resource_version() == "7");

  absl::StatusOr<Object> status = c.UpdateStatus(kPods, pod);
  REQUIRE(status.ok());
  CHECK(status->FindString("/path") ==
        std::optional<std::string_view>("/api/v1/namespaces/default/pods/web/status"));

  Object merge;
  REQUIRE(merge.SetInt("/spec/replicas", 3).ok());
  absl::StatusOr<Object> merged = c.MergePatch(kDeployments, "a", "web", merge);
  REQUIRE(merged.ok());
  CHECK(merged->FindString("/method") == std::optional<std::string_view>("PATCH"));
  CHECK(merged->FindString("/contentType") ==
        std::optional<std::string_view>("application/merge-patch+json"));
  CHECK(merged->FindString("/body") == std::optional<std::string_view>(R"({"spec":{"replicas":3}})"));

  JsonPatch json_patch;
  json_patch.Replace("/spec/replicas", int64_t{4});
  absl::StatusOr<Object> patched = c.JsonPatchObject(kDeployments, "a", "web", json_patch);
  REQUIRE(patched.ok());
  CHECK(patched->FindString("/contentType") ==
        std::optional<std::string_view>("application/json-patch+json"));

  Object desired("apps/v1", "Deployment");
  desired.SetName("web");
  desired.SetNamespace("a");
  PatchOptions apply;
  apply.field_manager = "mck8s-scheduler";
  apply.force = true;
  absl::StatusOr<Object> applied = c.Apply(kDeployments, desired, apply);
  REQUIRE(applied.ok());
  CHECK(applied->FindString("/path") ==
        std::optional<std::string_view>("/apis/apps/v1/namespaces/a/deployments/web"));
  CHECK(applied->FindString("/contentType") ==
        std::optional<std::string_view>("application/apply-patch+yaml"));
  CHECK(applied->FindString("/query/fieldManager") ==
        std::optional<std::string_view>("mck8s-scheduler"));
  CHECK(applied->FindString("/query/force") == std::optional<std::string_view>("true"));
  CHECK(c.Apply(kDeployments, desired, PatchOptions{}).status().code() ==
        absl::StatusCode::kInvalidArgument);

  absl::StatusOr<Object> scaled = c.SetScale(kDeployments, "a", "web", 6);
  REQUIRE(scaled.ok());
  CHECK(scaled->FindString("/path") ==
        std::optional<std::string_view>("/apis/apps/v1/namespaces/a/deployments/web/scale"));
  CHECK(scaled->FindString("/body") == std::optional<std::string_view>(R"({"spec":{"replicas":6}})"));
  CHECK(c.GetScale(kDeployments, "a", "web")->FindString("/path") ==
        std::optional<std::string_view>("/apis/apps/v1/namespaces/a/deployments/web/scale"));

  DeleteOptions del;
  del.propagation_policy = PropagationPolicy::kForeground;
  del.precondition_uid = "u-1";
  del.precondition_resource_version = "9";
  del.grace_period_seconds = 0;
  REQUIRE(c.Delete(kDeployments, "a", "web", del).ok());
  const TestRequest last = server.Requests().back();
  CHECK(last.method == "DELETE");
  CHECK(last.path == "/apis/apps/v1/namespaces/a/deployments/web");
  CHECK(*Object::Parse(last.body) ==
        *Object::Parse(R"({"apiVersion":"v1","kind":"DeleteOptions","propagationPolicy":"Foreground","gracePeriodSeconds":0,"preconditions":{"uid":"u-1","resourceVersion":"9"}})"));
}

TEST_CASE("client: lists page through continue tokens", "[kubeapi][client]") {
  TestServer server([](const TestRequest& request, Responder& respond) {
    const std::string token = request.Query("continue");
    const int page = token.empty() ? 0 : std::stoi(token);
    Object list("v1", "PodList");
    (void)list.SetString("/metadata/resourceVersion", absl::StrCat(100 + page));
    if (page < 2) (void)list.SetString("/metadata/continue", absl::StrCat(page + 1));
    rapidjson::Document items;
    items.SetArray();
    for (int i = 0; i < 2; ++i) {
      Object pod("v1", "Pod");
      pod.SetName(absl::StrCat("p", page, "-", i));
      items.PushBack(rapidjson::Value(pod.json(), items.GetAllocator()), items.GetAllocator());
    }
    (void)list.SetValue("/items", items);
    respond.Send(200, list.ToJson());
  });
  Harness h(server);
  ListOptions options;
  options.label_selector = "app=web";
  options.field_selector = "status.phase=Running";
  options.limit = 2;
  absl::StatusOr<ObjectList> all = h.client->ListAll(kPods, "default", options);
  REQUIRE(all.ok());
  REQUIRE(all->items.size() == 6);
  CHECK(all->items[5].name() == "p2-1");
  CHECK(all->resource_version == "102");
  const std::vector<TestRequest> requests = server.Requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].Query("limit") == "2");
  CHECK(requests[0].Query("labelSelector") == "app=web");
  CHECK(requests[0].Query("fieldSelector") == "status.phase=Running");
  CHECK(requests[0].Query("continue").empty());
  CHECK(requests[2].Query("continue") == "2");

  absl::StatusOr<ObjectList> first = h.client->List(kPods, "default", options);
  REQUIRE(first.ok());
  CHECK(first->continue_token == "1");
}

TEST_CASE("client: answers that are not objects are clear errors", "[kubeapi][client]") {
  TestServer server([](const TestRequest& request, Responder& respond) {
    respond.Send(200, request.path.find("list") != std::string::npos ? "[1]" : "not json");
  });
  Harness h(server);
  absl::StatusOr<Object> got = h.client->Get(kPods, "a", "b");
  CHECK(got.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(got.status().message()).find("unexpected answer") != std::string::npos);
  CHECK(h.client->List({"", "v1", "list"}, "a").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(h.client->Get(kPods, "a", "b/c").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(server.Requests().size() == 2);  // the bad name never left the client
}

TEST_CASE("client: a stale update is a Conflict", "[kubeapi][client]") {
  TestServer server([](const TestRequest&, Responder& respond) {
    respond.Send(409, R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"Operation cannot be fulfilled on pods \"web\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"web","kind":"pods"},"code":409})");
  });
  Harness h(server);
  Object pod("v1", "Pod");
  pod.SetName("web");
  pod.SetNamespace("a");
  pod.SetResourceVersion("1");
  absl::StatusOr<Object> updated = h.client->Update(kPods, pod);
  CHECK(IsConflict(updated.status()));
  CHECK(updated.status().code() == absl::StatusCode::kAborted);
  CHECK(server.Requests().size() == 1);
}

// A watch stream whose bytes are cut into two chunks at `cut`.
std::string WatchStream() {
  std::string stream;
  for (int i = 1; i <= 3; ++i) {
    Object pod("v1", "Pod");
    pod.SetName(absl::StrCat("p", i));
    pod.SetResourceVersion(absl::StrCat(i));
    pod.SetAnnotation("text", "a \"quoted\" {brace} \\ value");
    Object event;
    (void)event.SetString("/type", i == 3 ? "DELETED" : "ADDED");
    (void)event.SetObject("/object", pod);
    stream += event.ToJson() + "\n";
  }
  return stream;
}

TEST_CASE("client: a watch stream split at every byte boundary on the wire decodes the same",
          "[kubeapi][client][watch]") {
  const std::string stream = WatchStream();
  TestServer server([&](const TestRequest& request, Responder& respond) {
    const size_t cut = std::stoul(request.Query("resourceVersion"));
    respond.StartChunked(200);
    respond.WriteChunk(std::string_view(stream).substr(0, cut));
    respond.WriteChunk(std::string_view(stream).substr(cut));
    respond.EndChunked();
  });
  Harness h(server);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    CAPTURE(cut);
    WatchOptions options;
    options.resource_version = std::to_string(cut);
    std::vector<std::string> seen;
    absl::Status status = h.client->Watch(kPods, "a", options, [&](WatchEvent event) {
      seen.push_back(std::string(WatchEventTypeName(event.type)) + " " +
                     std::string(event.object.name()) + " " +
                     std::string(event.object.annotation("text").value_or("")));
      return true;
    });
    REQUIRE(status.ok());
    REQUIRE(seen == std::vector<std::string>{
                        "ADDED p1 a \"quoted\" {brace} \\ value",
                        "ADDED p2 a \"quoted\" {brace} \\ value",
                        "DELETED p3 a \"quoted\" {brace} \\ value"});
  }
  const TestRequest first = server.Requests().front();
  CHECK(first.Query("watch") == "true");
  CHECK(first.Query("allowWatchBookmarks") == "true");
}

TEST_CASE("client: a watch cut mid-event reports the truncation", "[kubeapi][client][watch]") {
  const std::string stream = WatchStream();
  TestServer server([&](const TestRequest&, Responder& respond) {
    respond.StartChunked(200);
    respond.WriteChunk(std::string_view(stream).substr(0, stream.size() - 20));
    respond.EndChunked();
  });
  Harness h(server);
  int seen = 0;
  absl::Status status = h.client->Watch(kPods, "", WatchOptions{}, [&](WatchEvent) {
    ++seen;
    return true;
  });
  CHECK(seen == 2);
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(status.message()).find("inside event 3") != std::string::npos);
}

TEST_CASE("client: discovery, aggregated and legacy, cached", "[kubeapi][client][discovery]") {
  std::atomic<bool> aggregated{true};
  TestServer server([&](const TestRequest& request, Responder& respond) {
    if (aggregated && (request.path == "/api" || request.path == "/apis")) {
      const bool core = request.path == "/api";
      const std::string body = core
          ? R"({"kind":"APIGroupDiscoveryList","items":[{"metadata":{"name":""},"versions":[{"version":"v1","resources":[{"resource":"pods","responseKind":{"kind":"Pod"},"scope":"Namespaced"}]}]}]})"
          : R"({"kind":"APIGroupDiscoveryList","items":[{"metadata":{"name":"fogguru.eu"},"versions":[{"version":"v1","resources":[{"resource":"memberclusters","responseKind":{"kind":"MemberCluster"},"scope":"Cluster"}]}]}]})";
      respond.Send(200, body,
                   {{"Content-Type", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"}});
      return;
    }
    if (request.path == "/api") {
      respond.Send(200, R"({"kind":"APIVersions","versions":["v1"]})");
    } else if (request.path == "/apis") {
      respond.Send(200, R"({"kind":"APIGroupList","groups":[{"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}]},{"name":"metrics.k8s.io","versions":[{"groupVersion":"metrics.k8s.io/v1beta1"}]}]})");
    } else if (request.path == "/api/v1") {
      respond.Send(200, R"({"kind":"APIResourceList","groupVersion":"v1","resources":[{"name":"pods","namespaced":true,"kind":"Pod"}]})");
    } else if (request.path == "/apis/apps/v1") {
      respond.Send(200, R"({"kind":"APIResourceList","groupVersion":"apps/v1","resources":[{"name":"deployments","namespaced":true,"kind":"Deployment"}]})");
    } else {
      respond.Send(503, R"({"kind":"Status","reason":"ServiceUnavailable","code":503})");
    }
  });
  Harness h(server);
  Discovery& discovery = h.client->discovery();
  absl::StatusOr<ApiResource> member = discovery.ForKind({"fogguru.eu", "v1", "MemberCluster"});
  REQUIRE(member.ok());
  CHECK(member->gvr.resource == "memberclusters");
  CHECK_FALSE(member->namespaced);
  CHECK(server.Requests().size() == 2);
  CHECK(server.Requests()[0].Header("Accept").find("as=APIGroupDiscoveryList") != std::string::npos);
  REQUIRE(discovery.ForKind({"", "v1", "Pod"}).ok());
  CHECK(server.Requests().size() == 2);  // cached

  aggregated = false;
  discovery.Invalidate();
  // metrics.k8s.io answers 503 (after the retries): skipped, not fatal.
  absl::StatusOr<ApiResource> deployments = discovery.ForKind({"apps", "v1", "Deployment"});
  REQUIRE(deployments.ok());
  CHECK(deployments->gvr == GroupVersionResource{"apps", "v1", "deployments"});
  absl::StatusOr<ApiResource> missing = discovery.ForKind({"apps", "v1", "Nothing"});
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace mck8s::kubeapi
