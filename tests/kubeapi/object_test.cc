#include "mck8s/kubeapi/object.h"

#include <catch2/catch.hpp>

#include <rapidjson/document.h>

namespace mck8s::kubeapi {
namespace {

const char kPod[] = R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {
    "name": "web-1", "namespace": "default", "uid": "0b0e-11", "resourceVersion": "42",
    "generation": 3, "creationTimestamp": "2026-01-01T00:00:00Z",
    "labels": {"app": "web", "app.kubernetes.io/name": "web"},
    "annotations": {"note": "x"},
    "finalizers": ["fogguru.eu/cleanup"],
    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc",
                         "uid": "rs-1", "controller": true, "blockOwnerDeletion": true}],
    "deletionTimestamp": "2026-01-02T00:00:00Z"
  },
  "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}], "priority": 7},
  "status": {"phase": "Running", "ready": true, "ratio": 0.5}
})";

TEST_CASE("object: metadata accessors", "[kubeapi][object]") {
  absl::StatusOr<Object> pod = Object::Parse(kPod);
  REQUIRE(pod.ok());
  CHECK(pod->api_version() == "v1");
  CHECK(pod->kind() == "Pod");
  CHECK(pod->name() == "web-1");
  CHECK(pod->namespace_name() == "default");
  CHECK(pod->uid() == "0b0e-11");
  CHECK(pod->resource_version() == "42");
  CHECK(pod->generation() == 3);
  CHECK(pod->creation_timestamp() == "2026-01-01T00:00:00Z");
  CHECK(pod->deletion_timestamp() == std::optional<std::string_view>("2026-01-02T00:00:00Z"));
  CHECK(pod->IsBeingDeleted());
  CHECK(pod->key() == k8stypes::ObjectKey{"default", "web-1"});
  CHECK(pod->label("app") == std::optional<std::string_view>("web"));
  CHECK_FALSE(pod->label("tier").has_value());
  CHECK(pod->labels() == std::map<std::string, std::string>{{"app", "web"},
                                                            {"app.kubernetes.io/name", "web"}});
  CHECK(pod->annotation("note") == std::optional<std::string_view>("x"));
  CHECK(pod->finalizers() == std::vector<std::string>{"fogguru.eu/cleanup"});
  CHECK(pod->HasFinalizer("fogguru.eu/cleanup"));
  REQUIRE(pod->owner_references().size() == 1);
  CHECK(pod->controller_reference() ==
        OwnerReference{"apps/v1", "ReplicaSet", "web-abc", "rs-1", true, true});
  REQUIRE(pod->spec() != nullptr);
  CHECK((*pod->status())["phase"] == "Running");
}

TEST_CASE("object: an empty object answers with empties", "[kubeapi][object]") {
  Object object;
  CHECK(object.ToJson() == "{}");
  CHECK(object.name().empty());
  CHECK(object.generation() == 0);
  CHECK_FALSE(object.IsBeingDeleted());
  CHECK(object.labels().empty());
  CHECK(object.finalizers().empty());
  CHECK(object.spec() == nullptr);
  CHECK(object.key() == k8stypes::ObjectKey{"", ""});
}

TEST_CASE("object: JSON pointers read", "[kubeapi][object]") {
  Object pod = *Object::Parse(kPod);
  CHECK(pod.FindString("/spec/containers/0/image") == std::optional<std::string_view>("nginx:1.27"));
  CHECK(pod.FindString("/metadata/labels/app.kubernetes.io~1name") ==
        std::optional<std::string_view>("web"));
  CHECK(pod.FindInt("/spec/priority") == std::optional<int64_t>(7));
  CHECK(pod.FindBool("/status/ready") == std::optional<bool>(true));
  CHECK(pod.FindDouble("/status/ratio") == std::optional<double>(0.5));
  CHECK(pod.FindDouble("/spec/priority") == std::optional<double>(7));
  // Absent, wrong type, out of range or malformed: nothing.
  for (const char* pointer : {"/spec/none", "/spec/containers/1", "/spec/containers/01",
                              "/spec/containers/x", "spec", "/spec/priority/x", "/a~2b", "/a~"}) {
    CAPTURE(pointer);
    CHECK(pod.Get(pointer) == nullptr);
  }
  CHECK_FALSE(pod.FindInt("/status/phase").has_value());
  CHECK(pod.Get("") == &pod.json());
}

TEST_CASE("object: JSON pointers write, creating parents", "[kubeapi][object]") {
  Object deployment("apps/v1", "Deployment");
  REQUIRE(deployment.SetInt("/spec/replicas", 3).ok());
  REQUIRE(deployment.SetString("/spec/template/metadata/labels/app.kubernetes.io~1name", "web").ok());
  REQUIRE(deployment.SetBool("/spec/paused", false).ok());
  REQUIRE(deployment.SetDouble("/spec/ratio", 0.25).ok());
  REQUIRE(deployment.SetNull("/spec/strategy").ok());
  rapidjson::Document containers;
  containers.Parse(R"([{"name":"c","image":"nginx"}])");
  REQUIRE(deployment.SetValue("/spec/template/spec/containers", containers).ok());
  REQUIRE(deployment.SetString("/spec/template/spec/containers/0/image", "nginx:2").ok());
  rapidjson::Document sidecar;
  sidecar.Parse(R"({"name":"s"})");
  REQUIRE(deployment.SetValue("/spec/template/spec/containers/-", sidecar).ok());
  CHECK(deployment.ToJson() ==
        R"({"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":3,"template":{"metadata":{"labels":{"app.kubernetes.io/name":"web"}},"spec":{"containers":[{"name":"c","image":"nginx:2"},{"name":"s"}]}},"paused":false,"ratio":0.25,"strategy":null}})");
  // Overwrite keeps one member.
  REQUIRE(deployment.SetInt("/spec/replicas", 5).ok());
  CHECK(deployment.FindInt("/spec/replicas") == std::optional<int64_t>(5));

  SECTION("errors name the pointer") {
    absl::Status through_scalar = deployment.SetInt("/spec/replicas/x", 1);
    CHECK(through_scalar.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(through_scalar.message()).find("/spec/replicas") != std::string::npos);
    CHECK(deployment.SetInt("/spec/template/spec/containers/7/x", 1).code() ==
          absl::StatusCode::kInvalidArgument);
    CHECK(deployment.SetInt("no-slash", 1).code() == absl::StatusCode::kInvalidArgument);
    CHECK(deployment.SetInt("", 1).code() == absl::StatusCode::kInvalidArgument);
    CHECK(deployment.SetInt("/bad~escape", 1).code() == absl::StatusCode::kInvalidArgument);
  }
  SECTION("remove") {
    CHECK(deployment.Remove("/spec/template/spec/containers/0"));
    CHECK(deployment.FindString("/spec/template/spec/containers/0/name") ==
          std::optional<std::string_view>("s"));
    CHECK(deployment.Remove("/spec/paused"));
    CHECK_FALSE(deployment.Remove("/spec/paused"));
    CHECK_FALSE(deployment.Remove("/nowhere/x"));
    CHECK_FALSE(deployment.Remove(""));
  }
}

TEST_CASE("object: metadata setters", "[kubeapi][object]") {
  Object object("v1", "ConfigMap");
  object.SetName("cfg");
  object.SetNamespace("ns");
  object.SetLabel("a", "1");
  object.SetLabel("a", "2");
  object.SetAnnotation("k", "v");
  CHECK(object.AddFinalizer("f"));
  CHECK_FALSE(object.AddFinalizer("f"));
  object.SetOwnerReference({"apps/v1", "Deployment", "web", "u1", true, false});
  object.SetOwnerReference({"apps/v1", "Deployment", "web2", "u1", true, false});  // same uid
  object.SetResourceVersion("7");
  CHECK(object.ToJson() ==
        R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"ns","labels":{"a":"2"},"annotations":{"k":"v"},"finalizers":["f"],"ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"web2","uid":"u1","controller":true}],"resourceVersion":"7"}})");
  object.SetResourceVersion("");
  CHECK(object.resource_version().empty());
  CHECK(object.RemoveLabel("a"));
  CHECK_FALSE(object.RemoveLabel("a"));
  CHECK(object.RemoveAnnotation("k"));
  CHECK(object.RemoveFinalizer("f"));
  CHECK_FALSE(object.RemoveFinalizer("f"));
}

TEST_CASE("object: ClearServerFields keeps only what a client owns", "[kubeapi][object]") {
  Object pod = *Object::Parse(kPod);
  pod.ClearServerFields();
  CHECK(pod.uid().empty());
  CHECK(pod.resource_version().empty());
  CHECK(pod.generation() == 0);
  CHECK(pod.status() == nullptr);
  CHECK(pod.name() == "web-1");
  CHECK(pod.spec() != nullptr);
}

TEST_CASE("object: copies are deep and exactly sized, moves are cheap", "[kubeapi][object]") {
  Object original = *Object::Parse(kPod);
  Object copy = original;
  CHECK(copy == original);
  copy.SetLabel("app", "other");
  CHECK(original.label("app") == std::optional<std::string_view>("web"));
  CHECK_FALSE(copy == original);
  // A parsed object's pool is about as big as its content (here the JSON
  // text is ~700 bytes with whitespace; values and strings fit in far less
  // than the 64 KiB a default RapidJSON pool would take).
  CHECK(original.PoolBytes() < 2048);
  Object moved = std::move(copy);
  CHECK(moved.label("app") == std::optional<std::string_view>("other"));
  CHECK(copy.ToJson() == "{}");  // NOLINT: a moved-from object is empty and usable
  copy.SetName("reused");
  CHECK(copy.name() == "reused");
}

TEST_CASE("object: Compact gives back the bytes of removed fields", "[kubeapi][object]") {
  Object pod = *Object::Parse(kPod);
  Object built("v1", "Pod");
  built.SetName("web-1");
  REQUIRE(built.SetValue("/spec", *pod.spec()).ok());
  const size_t full = built.PoolBytes();
  REQUIRE(built.Remove("/spec"));
  CHECK(built.PoolBytes() == full);  // a pool only grows
  const std::string json = built.ToJson();
  built.Compact();
  CHECK(built.ToJson() == json);
  CHECK(built.PoolBytes() < full);
  CHECK(built.PoolBytes() <= Object(built).PoolBytes());
  built.SetLabel("app", "web");  // still writable
  CHECK(built.label("app") == std::optional<std::string_view>("web"));
}

TEST_CASE("object: bad input is a clear error", "[kubeapi][object]") {
  for (const char* json : {"", "nul", "[1,2]", "\"pod\"", "{\"a\":", "{\"a\":1}}"}) {
    CAPTURE(json);
    absl::StatusOr<Object> object = Object::Parse(json);
    REQUIRE_FALSE(object.ok());
    CHECK(object.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("object lists: items, resourceVersion and continue", "[kubeapi][object]") {
  absl::StatusOr<ObjectList> list = ParseObjectList(R"({"apiVersion":"v1","kind":"PodList",
    "metadata":{"resourceVersion":"100","continue":"tok","remainingItemCount":5},
    "items":[{"metadata":{"name":"a","labels":{"long-label-key-here":"long-label-value-here"}}},
             {"metadata":{"name":"b"}}]})");
  REQUIRE(list.ok());
  CHECK(list->kind == "PodList");
  CHECK(list->resource_version == "100");
  CHECK(list->continue_token == "tok");
  CHECK(list->remaining_item_count == std::optional<int64_t>(5));
  REQUIRE(list->items.size() == 2);
  // Items outlive the parsed body (strings were copied, not referenced).
  CHECK(list->items[0].label("long-label-key-here") ==
        std::optional<std::string_view>("long-label-value-here"));
  CHECK(list->items[1].name() == "b");

  CHECK(ParseObjectList(R"({"kind":"PodList","items":null})")->items.empty());
  CHECK(ParseObjectList(R"({"kind":"PodList"})")->items.empty());
  CHECK(ParseObjectList(R"({"items":{}})").status().code() == absl::StatusCode::kInvalidArgument);
  absl::StatusOr<ObjectList> bad_item = ParseObjectList(R"({"items":[{},3]})");
  CHECK(std::string(bad_item.status().message()).find("item 1") != std::string::npos);
  CHECK(ParseObjectList("{").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseObjectList("[]").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("json patch: built op by op", "[kubeapi][object]") {
  rapidjson::Document value;
  value.Parse(R"({"a":[1,2]})");
  JsonPatch patch;
  patch.Test("/metadata/resourceVersion", "42")
      .Replace("/spec/replicas", int64_t{5})
      .Add("/metadata/labels/x", "y")
      .Add("/spec/data", value)
      .Remove("/spec/paused")
      .Move("/spec/a", "/spec/b")
      .Copy("/spec/c", "/spec/d");
  CHECK(patch.size() == 7);
  CHECK(patch.ToJson() ==
        R"([{"op":"test","path":"/metadata/resourceVersion","value":"42"},)"
        R"({"op":"replace","path":"/spec/replicas","value":5},)"
        R"({"op":"add","path":"/metadata/labels/x","value":"y"},)"
        R"({"op":"add","path":"/spec/data","value":{"a":[1,2]}},)"
        R"({"op":"remove","path":"/spec/paused"},)"
        R"({"op":"move","from":"/spec/a","path":"/spec/b"},)"
        R"({"op":"copy","from":"/spec/c","path":"/spec/d"}])");
  CHECK(EscapePointerToken("a/b~c") == "a~1b~0c");
}

}  // namespace
}  // namespace mck8s::kubeapi
