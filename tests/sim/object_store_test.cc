// Specification of the simulator's storage: versions, conflicts, finalizers,
// garbage collection, namespaces and watches.

#include "mck8s/sim/object_store.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "mck8s/sim/api_error.h"
#include "mck8s/sim/json.h"

namespace mck8s::sim {
namespace {

constexpr char kDeployments[] = "deployments.apps";
constexpr char kPods[] = "pods";
constexpr char kNamespaces[] = "namespaces";
constexpr char kNodes[] = "nodes";

ObjectStore MakeStore(size_t history = 10000) {
  StoreOptions options;
  options.history_capacity = history;
  options.uid_seed = 42;
  options.clock = [] { return absl::FromUnixSeconds(1700000000); };
  return ObjectStore(options);
}

rapidjson::Document Object(absl::string_view json) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(json);
  REQUIRE(doc.ok());
  return std::move(*doc);
}

rapidjson::Document Named(absl::string_view kind, absl::string_view name,
                          absl::string_view extra = "") {
  return Object(absl::StrCat(R"({"kind":")", kind, R"(","metadata":{"name":")", name, R"("})",
                             extra.empty() ? "" : ",", extra, "}"));
}

// Registers the usual resources and creates namespace `default`.
void Setup(ObjectStore& store) {
  store.RegisterResource(kNamespaces, {.namespaced = false});
  store.RegisterResource(kNodes, {.namespaced = false});
  store.RegisterResource(kDeployments, {.namespaced = true, .track_generation = true});
  store.RegisterResource(kPods, {.namespaced = true,
                                 .selectable_fields = {"spec.nodeName", "status.phase"}});
  REQUIRE(store.Create(kNamespaces, "", Named("Namespace", "default"), {}).ok());
}

ObjectStore::Mutator Edit(std::function<void(rapidjson::Document&)> edit) {
  return [edit](const rapidjson::Document& current, rapidjson::Document& proposed) {
    proposed.CopyFrom(current, proposed.GetAllocator());
    edit(proposed);
    return absl::OkStatus();
  };
}

std::vector<std::string> Describe(const std::deque<WatchEvent>& events) {
  std::vector<std::string> out;
  for (const WatchEvent& e : events) {
    out.push_back(absl::StrCat(WatchEventTypeName(e.type), " ",
                               e.object ? e.object->name : std::string("-")));
  }
  return out;
}

TEST_CASE("create assigns uid, timestamp, generation and increasing resource versions",
          "[sim][store]") {
  ObjectStore store = MakeStore();
  Setup(store);
  uint64_t before = store.CurrentResourceVersion();
  absl::StatusOr<ObjectRef> a = store.Create(kDeployments, "default", Named("Deployment", "a"), {});
  absl::StatusOr<ObjectRef> b = store.Create(kDeployments, "default", Named("Deployment", "b"), {});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK((*a)->resource_version > before);
  CHECK((*b)->resource_version > (*a)->resource_version);
  CHECK(store.CurrentResourceVersion() == (*b)->resource_version);
  rapidjson::Document doc = (*a)->Parse();
  CHECK(GetString(doc, {"metadata", "uid"}).size() == 36);
  CHECK(GetString(doc, {"metadata", "uid"}) != (*b)->uid);
  CHECK(GetString(doc, {"metadata", "creationTimestamp"}) == "2023-11-14T22:13:20Z");
  CHECK(GetString(doc, {"metadata", "namespace"}) == "default");
  CHECK(GetInt(doc, {"metadata", "generation"}) == 1);
  CHECK(GetString(doc, {"metadata", "resourceVersion"}) ==
        absl::StrCat((*a)->resource_version));
}

TEST_CASE("create errors: duplicate, missing namespace, missing name", "[sim][store]") {
  ObjectStore store = MakeStore();
  Setup(store);
  REQUIRE(store.Create(kDeployments, "default", Named("Deployment", "a"), {}).ok());

  absl::Status duplicate = store.Create(kDeployments, "default", Named("Deployment", "a"), {}).status();
  CHECK(absl::IsAlreadyExists(duplicate));
  CHECK(HttpCodeOf(duplicate) == 409);
  CHECK(duplicate.message() == "deployments.apps \"a\" already exists");

  absl::Status no_namespace =
      store.Create(kDeployments, "nowhere", Named("Deployment", "a"), {}).status();
  CHECK(HttpCodeOf(no_namespace) == 404);
  CHECK(no_namespace.message() == "namespaces \"nowhere\" not found");

  absl::Status no_name = store.Create(kDeployments, "default", Object("{}"), {}).status();
  CHECK(HttpCodeOf(no_name) == 422);

  absl::Status missing = store.Get(kDeployments, "default", "zzz").status();
  CHECK(HttpCodeOf(missing) == 404);
  HttpError body = ToHttpError(missing);
  CHECK(body.body ==
        R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \"zzz\" not found","reason":"NotFound","details":{"name":"zzz","group":"apps","kind":"deployments"},"code":404})");
}

TEST_CASE("update: optimistic concurrency, no-op writes, generation on spec changes only",
          "[sim][store]") {
  ObjectStore store = MakeStore();
  Setup(store);
  ObjectRef v1 = *store.Create(kDeployments, "default",
                               Named("Deployment", "web", R"("spec":{"replicas":1})"), {});

  // A change of labels (metadata) keeps the generation.
  ObjectRef v2 = *store.Update(kDeployments, "default", "web", Edit([](rapidjson::Document& d) {
                                 SetString(EnsureObject(d["metadata"], "labels", d.GetAllocator()),
                                           "a", "b", d.GetAllocator());
                               }),
                               {});
  CHECK(v2->resource_version > v1->resource_version);
  CHECK(GetInt(v2->Parse(), {"metadata", "generation"}) == 1);

  // A change of status keeps the generation.
  ObjectRef v3 = *store.Update(kDeployments, "default", "web", Edit([](rapidjson::Document& d) {
                                 SetInt(EnsureObject(d, "status", d.GetAllocator()), "replicas", 1,
                                        d.GetAllocator());
                               }),
                               {});
  CHECK(GetInt(v3->Parse(), {"metadata", "generation"}) == 1);

  // A change of spec bumps it.
  ObjectRef v4 = *store.Update(kDeployments, "default", "web", Edit([](rapidjson::Document& d) {
                                 d["spec"]["replicas"].SetInt(3);
                               }),
                               {});
  CHECK(GetInt(v4->Parse(), {"metadata", "generation"}) == 2);

  // Writing the same object again changes nothing.
  uint64_t rv = store.CurrentResourceVersion();
  ObjectRef same = *store.Update(kDeployments, "default", "web", Edit([](rapidjson::Document&) {}), {});
  CHECK(same->resource_version == v4->resource_version);
  CHECK(store.CurrentResourceVersion() == rv);

  // A stale resourceVersion is a conflict.
  std::string stale = absl::StrCat(v1->resource_version);
  absl::Status conflict =
      store.Update(kDeployments, "default", "web", Edit([&](rapidjson::Document& d) {
                     SetString(d["metadata"], "resourceVersion", stale, d.GetAllocator());
                     d["spec"]["replicas"].SetInt(5);
                   }),
                   {})
          .status();
  CHECK(HttpCodeOf(conflict) == 409);
  CHECK(ReasonOf(conflict) == "Conflict");
  CHECK(conflict.message() ==
        "Operation cannot be fulfilled on deployments.apps \"web\": the object has been "
        "modified; please apply your changes to the latest version and try again");

  // The current resourceVersion is accepted; clients cannot change the uid.
  std::string current = absl::StrCat(v4->resource_version);
  ObjectRef v5 = *store.Update(kDeployments, "default", "web", Edit([&](rapidjson::Document& d) {
                                 SetString(d["metadata"], "resourceVersion", current,
                                           d.GetAllocator());
                                 d["spec"]["replicas"].SetInt(5);
                               }),
                               {});
  CHECK(v5->uid == v1->uid);

  // Dry runs check but do not write.
  rv = store.CurrentResourceVersion();
  REQUIRE(store.Update(kDeployments, "default", "web", Edit([](rapidjson::Document& d) {
                         d["spec"]["replicas"].SetInt(9);
                       }),
                       {.dry_run = true})
              .ok());
  CHECK(store.CurrentResourceVersion() == rv);
  CHECK(GetInt((*store.Get(kDeployments, "default", "web"))->Parse(), {"spec", "replicas"}) == 5);
}

TEST_CASE("finalizers hold a deleted object until the last one is removed", "[sim][store]") {
  ObjectStore store = MakeStore();
  Setup(store);
  REQUIRE(store.Create(kDeployments, "default",
                       Named("Deployment", "web", R"("spec":{})"), {})
              .ok());
  REQUIRE(store.Update(kDeployments, "default", "web", Edit([](rapidjson::Document& d) {
                         rapidjson::Value list(rapidjson::kArrayType);
                         list.PushBack("a/one", d.GetAllocator());
                         list.PushBack("a/two", d.GetAllocator());
                         SetMember(d["metadata"], "finalizers", std::move(list), d.GetAllocator());
                       }),
                       {})
              .ok());

  absl::StatusOr<ObjectStore::DeleteResult> deleted =
      store.Delete(kDeployments, "default", "web", {});
  REQUIRE(deleted.ok());
  CHECK_FALSE(deleted->removed);
  CHECK(deleted->object->deleting);
  CHECK(GetString(deleted->object->Parse(), {"metadata", "deletionTimestamp"}) ==
        "2023-11-14T22:13:20Z");

  // No new finalizers on a deleting object.
  absl::Status add = store.Update(kDeployments, "default", "web", Edit([](rapidjson::Document& d) {
                                    d["metadata"]["finalizers"].PushBack("a/three",
                                                                         d.GetAllocator());
                                  }),
                                  {})
                         .status();
  CHECK(HttpCodeOf(add) == 422);

  auto remove_first = Edit([](rapidjson::Document& d) {
    d["metadata"]["finalizers"].Erase(d["metadata"]["finalizers"].Begin());
  });
  REQUIRE(store.Update(kDeployments, "default", "web", remove_first, {}).ok());
  CHECK(store.Get(kDeployments, "default", "web").ok());
  REQUIRE(store.Update(kDeployments, "default", "web", remove_first, {}).ok());
  CHECK(absl::IsNotFound(store.Get(kDeployments, "default", "web").status()));
}

TEST_CASE("delete preconditions", "[sim][store]") {
  ObjectStore store = MakeStore();
  Setup(store);
  ObjectRef web = *store.Create(kDeployments, "default", Named("Deployment", "web"), {});
  CHECK(HttpCodeOf(store.Delete(kDeployments, "default", "web",
                                {.precondition_uid = std::string("other")})
                       .status()) == 409);
  CHECK(HttpCodeOf(store.Delete(kDeployments, "default", "web",
                                {.precondition_resource_version = std::string("1")})
                       .status()) == 409);
  CHECK(store.Delete(kDeployments, "default", "web", {.dry_run = true})->removed);
  CHECK(store.Get(kDeployments, "default", "web").ok());
  CHECK(store.Delete(kDeployments, "default", "web", {.precondition_uid = web->uid})->removed);
}

rapidjson::Document Pod(absl::string_view name, const ObjectRef& owner) {
  std::string json = absl::StrCat(
      R"({"kind":"Pod","metadata":{"name":")", name,
      R"(","ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":")",
      owner->name, R"(","uid":")", owner->uid, R"("}]}})");
  return Object(json);
}

TEST_CASE("garbage collection follows the propagation policy", "[sim][store]") {
  ObjectStore store = MakeStore();
  Setup(store);
  ObjectRef web = *store.Create(kDeployments, "default", Named("Deployment", "web"), {});
  REQUIRE(store.Create(kPods, "default", Pod("web-1", web), {}).ok());
  REQUIRE(store.Create(kPods, "default", Pod("web-2", web), {}).ok());

  SECTION("background: dependents go with the owner") {
    auto deleted = store.Delete(kDeployments, "default", "web", {});
    REQUIRE(deleted.ok());
    CHECK(deleted->removed);
    CHECK(store.Count(kPods) == 0);
  }
  SECTION("background: a dependent with finalizers is only marked") {
    REQUIRE(store.Update(kPods, "default", "web-1", Edit([](rapidjson::Document& d) {
                           rapidjson::Value list(rapidjson::kArrayType);
                           list.PushBack("x/hold", d.GetAllocator());
                           SetMember(d["metadata"], "finalizers", std::move(list), d.GetAllocator());
                         }),
                         {})
                .ok());
    REQUIRE(store.Delete(kDeployments, "default", "web", {}).ok());
    CHECK(store.Count(kPods) == 1);
    CHECK((*store.Get(kPods, "default", "web-1"))->deleting);
  }
  SECTION("orphan: dependents stay and lose the owner reference") {
    REQUIRE(store.Delete(kDeployments, "default", "web",
                         {.propagation = PropagationPolicy::kOrphan})
                .ok());
    CHECK(store.Count(kPods) == 2);
    CHECK((*store.Get(kPods, "default", "web-1"))->owner_uids.empty());
  }
  SECTION("foreground: the owner waits for its dependents") {
    REQUIRE(store.Update(kPods, "default", "web-1", Edit([](rapidjson::Document& d) {
                           rapidjson::Value list(rapidjson::kArrayType);
                           list.PushBack("x/hold", d.GetAllocator());
                           SetMember(d["metadata"], "finalizers", std::move(list), d.GetAllocator());
                         }),
                         {})
                .ok());
    auto deleted = store.Delete(kDeployments, "default", "web",
                                {.propagation = PropagationPolicy::kForeground});
    REQUIRE(deleted.ok());
    CHECK_FALSE(deleted->removed);
    ObjectRef owner = *store.Get(kDeployments, "default", "web");
    CHECK(owner->deleting);
    CHECK(owner->finalizers == std::vector<std::string>{"foregroundDeletion"});
    CHECK(store.Count(kPods) == 1);  // web-2 went, web-1 waits for its finalizer
    REQUIRE(store.Update(kPods, "default", "web-1", Edit([](rapidjson::Document& d) {
                           RemoveMember(d["metadata"], "finalizers");
                         }),
                         {})
                .ok());
    CHECK(store.Count(kPods) == 0);
    CHECK(absl::IsNotFound(store.Get(kDeployments, "default", "web").status()));
  }
}

TEST_CASE("a dependent with another live owner only loses the reference", "[sim][store]") {
  ObjectStore store = MakeStore();
  Setup(store);
  ObjectRef a = *store.Create(kDeployments, "default", Named("Deployment", "a"), {});
  ObjectRef b = *store.Create(kDeployments, "default", Named("Deployment", "b"), {});
  std::string json = absl::StrCat(
      R"({"kind":"Pod","metadata":{"name":"shared","ownerReferences":[)",
      R"({"apiVersion":"apps/v1","kind":"Deployment","name":"a","uid":")", a->uid, R"("},)",
      R"({"apiVersion":"apps/v1","kind":"Deployment","name":"b","uid":")", b->uid, R"("}]}})");
  REQUIRE(store.Create(kPods, "default", Object(json), {}).ok());
  REQUIRE(store.Delete(kDeployments, "default", "a", {}).ok());
  ObjectRef shared = *store.Get(kPods, "default", "shared");
  CHECK(shared->owner_uids == std::vector<std::string>{b->uid});
  REQUIRE(store.Delete(kDeployments, "default", "b", {}).ok());
  CHECK(store.Count(kPods) == 0);
}

TEST_CASE("deleting a namespace deletes its content, then the namespace", "[sim][store]") {
  ObjectStore store = MakeStore();
  Setup(store);
  REQUIRE(store.Create(kNamespaces, "", Named("Namespace", "team"), {}).ok());
  REQUIRE(store.Create(kDeployments, "team", Named("Deployment", "a"), {}).ok());
  REQUIRE(store.Create(kDeployments, "default", Named("Deployment", "b"), {}).ok());
  REQUIRE(store.Create(kPods, "team",
                       Object(R"({"kind":"Pod","metadata":{"name":"p","finalizers":["x/hold"]}})"),
                       {})
              .ok());
  auto deleted = store.Delete(kNamespaces, "", "team", {});
  REQUIRE(deleted.ok());
  CHECK_FALSE(deleted->removed);
  CHECK(GetString(deleted->object->Parse(), {"status", "phase"}) == "Terminating");
  CHECK(absl::IsNotFound(store.Get(kDeployments, "team", "a").status()));
  CHECK(store.Get(kDeployments, "default", "b").ok());
  // Nothing new in a terminating namespace.
  absl::Status forbidden = store.Create(kDeployments, "team", Named("Deployment", "c"), {}).status();
  CHECK(HttpCodeOf(forbidden) == 403);
  // The last object going takes the namespace with it.
  REQUIRE(store.Update(kPods, "team", "p", Edit([](rapidjson::Document& d) {
                         RemoveMember(d["metadata"], "finalizers");
                       }),
                       {})
              .ok());
  CHECK(absl::IsNotFound(store.Get(kNamespaces, "", "team").status()));
}

TEST_CASE("list filters, pages with limit and continue, and reports the version",
          "[sim][store]") {
  ObjectStore store = MakeStore();
  Setup(store);
  REQUIRE(store.Create(kNamespaces, "", Named("Namespace", "other"), {}).ok());
  for (int i = 0; i < 5; ++i) {
    REQUIRE(store.Create(kPods, "default",
                         Named("Pod", absl::StrCat("p", i),
                               absl::StrCat(R"("spec":{"nodeName":"n)", i % 2, R"("})")),
                         {})
                .ok());
  }
  REQUIRE(store.Create(kPods, "other", Named("Pod", "q"), {}).ok());

  auto all = store.List(kPods, {});
  REQUIRE(all.ok());
  CHECK(all->items.size() == 6);
  CHECK(all->resource_version == store.CurrentResourceVersion());

  auto in_default = store.List(kPods, {.ns = "default"});
  CHECK(in_default->items.size() == 5);

  auto on_n1 = store.List(kPods, {.predicate = [](const StoredObject& o) {
                                    return o.Field("spec.nodeName") == "n1";
                                  }});
  CHECK(on_n1->items.size() == 2);

  std::vector<std::string> names;
  std::string token;
  int pages = 0;
  do {
    auto page = store.List(kPods, {.ns = "default", .limit = 2, .continue_token = token});
    REQUIRE(page.ok());
    for (const ObjectRef& o : page->items) names.push_back(o->name);
    token = page->continue_token;
    ++pages;
  } while (!token.empty());
  CHECK(pages == 3);
  CHECK(names == std::vector<std::string>{"p0", "p1", "p2", "p3", "p4"});

  CHECK(HttpCodeOf(store.List(kPods, {.continue_token = "!!"}).status()) == 400);
}

TEST_CASE("watch from a resource version replays what followed, then streams",
          "[sim][store]") {
  ObjectStore store = MakeStore();
  Setup(store);
  ObjectRef a = *store.Create(kDeployments, "default", Named("Deployment", "a"), {});
  REQUIRE(store.Create(kDeployments, "default", Named("Deployment", "b"), {}).ok());

  auto watch = store.StartWatch(kDeployments, {.from_resource_version = a->resource_version});
  REQUIRE(watch.ok());
  CHECK(Describe((*watch)->TakeEvents()) == std::vector<std::string>{"ADDED b"});

  REQUIRE(store.Update(kDeployments, "default", "a", Edit([](rapidjson::Document& d) {
                         SetInt(EnsureObject(d, "spec", d.GetAllocator()), "replicas", 2,
                                d.GetAllocator());
                       }),
                       {})
              .ok());
  REQUIRE(store.Delete(kDeployments, "default", "b", {}).ok());
  REQUIRE((*watch)->WaitForEvents(absl::Seconds(5)));
  std::deque<WatchEvent> events = (*watch)->TakeEvents();
  CHECK(Describe(events) == std::vector<std::string>{"MODIFIED a", "DELETED b"});
  CHECK(events[1].resource_version > events[0].resource_version);

  store.Bookmark(**watch);
  std::deque<WatchEvent> bookmark = (*watch)->TakeEvents();
  REQUIRE(bookmark.size() == 1);
  CHECK(bookmark[0].type == WatchEventType::kBookmark);
  CHECK(bookmark[0].resource_version == store.CurrentResourceVersion());

  (*watch)->Stop();
  REQUIRE(store.Create(kDeployments, "default", Named("Deployment", "c"), {}).ok());
  CHECK((*watch)->TakeEvents().empty());
}

TEST_CASE("watch without a resource version starts with the current objects",
          "[sim][store]") {
  ObjectStore store = MakeStore();
  Setup(store);
  REQUIRE(store.Create(kDeployments, "default", Named("Deployment", "a"), {}).ok());
  auto watch = store.StartWatch(kDeployments, {});
  REQUIRE(watch.ok());
  CHECK(Describe((*watch)->TakeEvents()) == std::vector<std::string>{"ADDED a"});

  auto initial = store.StartWatch(kDeployments, {.send_initial_events = true});
  std::deque<WatchEvent> events = (*initial)->TakeEvents();
  REQUIRE(events.size() == 2);
  CHECK(events[1].type == WatchEventType::kBookmark);
  CHECK(events[1].initial_events_end);
}

TEST_CASE("watch older than the history window is 410 Expired", "[sim][store]") {
  ObjectStore store = MakeStore(/*history=*/3);
  Setup(store);
  uint64_t start = store.CurrentResourceVersion();
  for (int i = 0; i < 5; ++i) {
    REQUIRE(store.Create(kDeployments, "default", Named("Deployment", absl::StrCat("d", i)), {})
                .ok());
  }
  absl::Status expired =
      store.StartWatch(kDeployments, {.from_resource_version = start}).status();
  CHECK(HttpCodeOf(expired) == 410);
  CHECK(ReasonOf(expired) == "Expired");
  // Within the window it works.
  auto recent = store.StartWatch(kDeployments,
                                 {.from_resource_version = store.CurrentResourceVersion() - 2});
  REQUIRE(recent.ok());
  CHECK(Describe((*recent)->TakeEvents()) == std::vector<std::string>{"ADDED d3", "ADDED d4"});
}

TEST_CASE("filtered watches see objects enter and leave the selection", "[sim][store]") {
  ObjectStore store = MakeStore();
  Setup(store);
  REQUIRE(store.Create(kPods, "default", Named("Pod", "p", R"("spec":{})"), {}).ok());
  auto on_n1 = store.StartWatch(kPods, {.ns = "default",
                                        .predicate = [](const StoredObject& o) {
                                          return o.Field("spec.nodeName") == "n1";
                                        },
                                        .from_resource_version = store.CurrentResourceVersion()});
  REQUIRE(on_n1.ok());
  auto set_node = [&](absl::string_view node) {
    std::string value(node);
    REQUIRE(store.Update(kPods, "default", "p", Edit([value](rapidjson::Document& d) {
                           SetString(d["spec"], "nodeName", value, d.GetAllocator());
                         }),
                         {})
                .ok());
  };
  set_node("n1");
  set_node("n2");
  set_node("n1");
  CHECK(Describe((*on_n1)->TakeEvents()) ==
        std::vector<std::string>{"ADDED p", "DELETED p", "ADDED p"});
}

TEST_CASE("a watch that falls too far behind is ended", "[sim][store]") {
  StoreOptions options;
  options.watch_queue_limit = 2;
  ObjectStore store(options);
  Setup(store);
  auto watch = store.StartWatch(kDeployments, {.from_resource_version = store.CurrentResourceVersion()});
  REQUIRE(watch.ok());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(store.Create(kDeployments, "default", Named("Deployment", absl::StrCat("d", i)), {})
                .ok());
  }
  CHECK((*watch)->terminated());
  CHECK((*watch)->TakeEvents().empty());
}

}  // namespace
}  // namespace mck8s::sim
