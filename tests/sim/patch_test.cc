// Specification of the four patch types as the simulator applies them.

#include "mck8s/sim/patch.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"

#include "mck8s/sim/builtin_types.h"
#include "mck8s/sim/json.h"
#include "mck8s/sim/resource_registry.h"

namespace mck8s::sim {
namespace {

rapidjson::Document Json(absl::string_view text) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(text);
  INFO(text);
  REQUIRE(doc.ok());
  return std::move(*doc);
}

// The published schema of a built-in kind (it carries the list strategies).
const rapidjson::Value* SchemaOf(absl::string_view kind) {
  static const std::vector<ResourceType>* types =
      new std::vector<ResourceType>(BuiltinResourceTypes());
  for (const ResourceType& t : *types) {
    if (t.kind == kind) return t.openapi_schema.get();
  }
  FAIL("no built-in kind " << std::string(kind));
  return nullptr;
}

struct Case {
  const char* name;
  const char* original;
  const char* patch;
  const char* expected;  // nullptr: the patch is an error
};

TEST_CASE("JSON merge patch (RFC 7386)", "[sim][patch]") {
  const std::vector<Case> cases = {
      {"replace a member", R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {"add a member", R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {"null deletes", R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {"arrays are replaced", R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {"maps merge recursively", R"({"a":{"b":"c","d":1}})", R"({"a":{"b":"x"}})",
       R"({"a":{"b":"x","d":1}})"},
      {"nulls inside a new map are dropped", R"({})", R"({"a":{"bb":{"ccc":null}}})",
       R"({"a":{"bb":{}}})"},
      {"a non-object patch replaces", R"({"a":"foo"})", R"(["c"])", R"(["c"])"},
      {"spec.replicas as kubectl scale would", R"({"spec":{"replicas":1,"x":1}})",
       R"({"spec":{"replicas":3}})", R"({"spec":{"replicas":3,"x":1}})"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      rapidjson::Document target = Json(c.original);
      rapidjson::Document patch = Json(c.patch);
      REQUIRE(ApplyMergePatch(target, patch, target.GetAllocator()).ok());
      CHECK(JsonEqual(target, Json(c.expected)));
    }
  }
}

TEST_CASE("JSON patch (RFC 6902)", "[sim][patch]") {
  const std::vector<Case> cases = {
      {"add to an object", R"({"a":1})", R"([{"op":"add","path":"/b","value":2}])",
       R"({"a":1,"b":2})"},
      {"add inserts into an array", R"({"a":[1,3]})", R"([{"op":"add","path":"/a/1","value":2}])",
       R"({"a":[1,2,3]})"},
      {"add appends with -", R"({"a":[1]})", R"([{"op":"add","path":"/a/-","value":2}])",
       R"({"a":[1,2]})"},
      {"remove", R"({"a":1,"b":2})", R"([{"op":"remove","path":"/a"}])", R"({"b":2})"},
      {"remove from an array", R"({"a":[1,2,3]})", R"([{"op":"remove","path":"/a/0"}])",
       R"({"a":[2,3]})"},
      {"replace", R"({"a":{"b":1}})", R"([{"op":"replace","path":"/a/b","value":5}])",
       R"({"a":{"b":5}})"},
      {"move", R"({"a":1})", R"([{"op":"move","from":"/a","path":"/b"}])", R"({"b":1})"},
      {"copy", R"({"a":1})", R"([{"op":"copy","from":"/a","path":"/b"}])", R"({"a":1,"b":1})"},
      {"escaped keys", R"({"a/b":1,"m~n":2})",
       R"([{"op":"replace","path":"/a~1b","value":3},{"op":"remove","path":"/m~0n"}])",
       R"({"a/b":3})"},
      {"a passing test", R"({"a":1})",
       R"([{"op":"test","path":"/a","value":1},{"op":"add","path":"/b","value":2}])",
       R"({"a":1,"b":2})"},
      {"a failing test", R"({"a":1})", R"([{"op":"test","path":"/a","value":2}])", nullptr},
      {"removing what is missing", R"({"a":1})", R"([{"op":"remove","path":"/b"}])", nullptr},
      {"replacing what is missing", R"({})", R"([{"op":"replace","path":"/b","value":1}])",
       nullptr},
      {"an index out of bounds", R"({"a":[]})", R"([{"op":"add","path":"/a/3","value":1}])",
       nullptr},
      {"an unknown op", R"({})", R"([{"op":"frob","path":"/a"}])", nullptr},
      {"not an array", R"({})", R"({"op":"add"})", nullptr},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      rapidjson::Document target = Json(c.original);
      rapidjson::Document patch = Json(c.patch);
      absl::Status s = ApplyJsonPatch(target, patch);
      if (c.expected == nullptr) {
        CHECK(absl::IsInvalidArgument(s));
      } else {
        REQUIRE(s.ok());
        CHECK(JsonEqual(target, Json(c.expected)));
      }
    }
  }
}

struct SmpCase {
  const char* name;
  const char* kind;
  const char* original;
  const char* patch;
  const char* expected;
};

TEST_CASE("strategic merge patch follows the built-in kinds' merge keys", "[sim][patch]") {
  const std::vector<SmpCase> cases = {
      {"containers merge by name", "Deployment",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}}}})",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"b","image":"z"}]}}}})",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"z"}]}}}})"},
      {"a new container is appended", "Deployment",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x"}]}}}})",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"c","image":"w"}]}}}})",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x"},{"name":"c","image":"w"}]}}}})"},
      {"$patch: delete removes a container", "Deployment",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}}}})",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"a","$patch":"delete"}]}}}})",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"b","image":"y"}]}}}})"},
      {"env merges by name, ports by containerPort", "Pod",
       R"({"spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1"}],"ports":[{"containerPort":80,"name":"http"}]}]}})",
       R"({"spec":{"containers":[{"name":"a","env":[{"name":"Y","value":"2"}],"ports":[{"containerPort":80,"name":"web"},{"containerPort":443}]}]}})",
       R"({"spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],"ports":[{"containerPort":80,"name":"web"},{"containerPort":443}]}]}})"},
      {"volumeMounts merge by mountPath, volumes by name", "Pod",
       R"({"spec":{"volumes":[{"name":"v","emptyDir":{}}],"containers":[{"name":"a","volumeMounts":[{"name":"v","mountPath":"/a"}]}]}})",
       R"({"spec":{"volumes":[{"name":"w","emptyDir":{}}],"containers":[{"name":"a","volumeMounts":[{"name":"w","mountPath":"/b"}]}]}})",
       R"({"spec":{"volumes":[{"name":"v","emptyDir":{}},{"name":"w","emptyDir":{}}],"containers":[{"name":"a","volumeMounts":[{"name":"v","mountPath":"/a"},{"name":"w","mountPath":"/b"}]}]}})"},
      {"tolerations have no merge key: replaced", "Pod",
       R"({"spec":{"tolerations":[{"key":"a","operator":"Exists"}]}})",
       R"({"spec":{"tolerations":[{"key":"b","operator":"Exists"}]}})",
       R"({"spec":{"tolerations":[{"key":"b","operator":"Exists"}]}})"},
      {"Service ports merge by port", "Service",
       R"({"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443}]}})",
       R"({"spec":{"ports":[{"port":80,"targetPort":9090}]}})",
       R"({"spec":{"ports":[{"port":80,"targetPort":9090},{"port":443}]}})"},
      {"finalizers merge as a set", "Deployment",
       R"({"metadata":{"finalizers":["a","b"]}})", R"({"metadata":{"finalizers":["b","c"]}})",
       R"({"metadata":{"finalizers":["a","b","c"]}})"},
      {"$deleteFromPrimitiveList", "Deployment", R"({"metadata":{"finalizers":["a","b"]}})",
       R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})",
       R"({"metadata":{"finalizers":["b"]}})"},
      {"$setElementOrder reorders", "Deployment",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}}})",
       R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}],"containers":[{"name":"a","image":"n"}]}}}})",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"b"},{"name":"a","image":"n"}]}}}})"},
      {"$retainKeys drops other keys", "Deployment",
       R"({"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}})",
       R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})",
       R"({"spec":{"strategy":{"type":"Recreate"}}})"},
      {"$patch: replace on a map", "Deployment",
       R"({"spec":{"selector":{"matchLabels":{"a":"1","b":"2"}}}})",
       R"({"spec":{"selector":{"$patch":"replace","matchLabels":{"c":"3"}}}})",
       R"({"spec":{"selector":{"matchLabels":{"c":"3"}}}})"},
      {"null deletes a field", "Deployment", R"({"spec":{"paused":true,"replicas":1}})",
       R"({"spec":{"paused":null}})", R"({"spec":{"replicas":1}})"},
      {"labels merge as a map", "Deployment", R"({"metadata":{"labels":{"a":"1"}}})",
       R"({"metadata":{"labels":{"b":"2","a":null}}})", R"({"metadata":{"labels":{"b":"2"}}})"},
  };
  for (const SmpCase& c : cases) {
    SECTION(c.name) {
      rapidjson::Document target = Json(c.original);
      rapidjson::Document patch = Json(c.patch);
      REQUIRE(ApplyStrategicMergePatch(target, patch, SchemaOf(c.kind), target.GetAllocator())
                  .ok());
      CHECK(ToJson(target) == ToJson(Json(c.expected)));
    }
  }
}

TEST_CASE("strategic merge patch errors", "[sim][patch]") {
  rapidjson::Document target = Json(R"({"spec":{"containers":[{"name":"a"}]}})");
  SECTION("an item without its merge key") {
    rapidjson::Document patch = Json(R"({"spec":{"containers":[{"image":"x"}]}})");
    absl::Status s = ApplyStrategicMergePatch(target, patch, SchemaOf("Pod"), target.GetAllocator());
    CHECK(absl::IsInvalidArgument(s));
    CHECK(absl::StrContains(s.message(), "does not contain declared merge key: name"));
  }
  SECTION("an unknown directive") {
    rapidjson::Document patch = Json(R"({"spec":{"$patch":"explode"}})");
    CHECK(absl::IsInvalidArgument(
        ApplyStrategicMergePatch(target, patch, SchemaOf("Pod"), target.GetAllocator())));
  }
}

TEST_CASE("server-side apply creates, merges and removes what the manager dropped",
          "[sim][patch]") {
  const rapidjson::Value* schema = SchemaOf("Deployment");
  rapidjson::Document live;
  live.SetObject();
  rapidjson::Document first = Json(
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"a":"1","b":"2"}},
          "spec":{"replicas":2,"paused":false,"template":{"spec":{"containers":[{"name":"web","image":"x","env":[{"name":"A","value":"1"}]}]}}}})");
  REQUIRE(ServerSideApply(live, first, schema, "kubectl", "apps/v1", "2024-01-01T00:00:00Z").ok());
  CHECK(GetInt(live, {"spec", "replicas"}) == 2);
  const rapidjson::Value* managed = Find(live, {"metadata", "managedFields"});
  REQUIRE(managed != nullptr);
  REQUIRE(managed->Size() == 1);
  CHECK(GetString((*managed)[0], {"manager"}) == "kubectl");
  CHECK(GetString((*managed)[0], {"operation"}) == "Apply");
  CHECK(Find((*managed)[0], {"fieldsV1", "f:spec", "f:template", "f:spec", "f:containers",
                             "k:{\"name\":\"web\"}", "f:image"}) != nullptr);

  // Another writer adds a container and a label; the manager re-applies
  // without `paused`, label b and env A, and with a new image.
  rapidjson::Value& containers = live["spec"]["template"]["spec"]["containers"];
  rapidjson::Document sidecar = Json(R"({"name":"sidecar","image":"s"})");
  containers.PushBack(rapidjson::Value(sidecar, live.GetAllocator()), live.GetAllocator());
  SetString(live["metadata"]["labels"], "c", "3", live.GetAllocator());
  rapidjson::Document second = Json(
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"a":"1"}},
          "spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"y"}]}}}})");
  REQUIRE(ServerSideApply(live, second, schema, "kubectl", "apps/v1", "2024-01-01T00:00:01Z").ok());
  CHECK(Find(live, {"spec", "paused"}) == nullptr);
  CHECK(Find(live, {"metadata", "labels", "b"}) == nullptr);
  CHECK(GetString(live, {"metadata", "labels", "c"}) == "3");
  REQUIRE(live["spec"]["template"]["spec"]["containers"].Size() == 2);
  const rapidjson::Value& web = live["spec"]["template"]["spec"]["containers"][0];
  CHECK(GetString(web, {"image"}) == "y");
  CHECK(Find(web, {"env"}) == nullptr);
  CHECK(GetString(live["spec"]["template"]["spec"]["containers"][1], {"name"}) == "sidecar");
  CHECK(live["metadata"]["managedFields"].Size() == 1);
}

}  // namespace
}  // namespace mck8s::sim
