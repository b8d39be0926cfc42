// YAML to JSON as kubectl and kube-apiserver see it: scalar resolution,
// streams, anchors and merges, and errors that point at the line.

#include "mck8s/apischema/yaml_json.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "rapidjson/document.h"

namespace mck8s::apischema {
namespace {

std::string ValueOf(const std::string& scalar) {
  absl::StatusOr<rapidjson::Document> doc =
      ParseYamlDocument("v: " + scalar + "\n");
  if (!doc.ok()) return "error: " + std::string(doc.status().message());
  return ToJson((*doc)["v"]);
}

TEST_CASE("plain scalars resolve like kubectl's YAML reader",
          "[apischema][yaml]") {
  struct Case {
    std::string yaml;
    std::string json;
  };
  const std::vector<Case> cases = {
      {"42", "42"},
      {"-7", "-7"},
      {"+5", "5"},
      {"0", "0"},
      {"0x1F", "31"},
      {"0o17", "15"},
      {"017", "15"},  // a leading zero means octal
      {"0b101", "5"},
      {"1_000", "1000"},
      {"9223372036854775807", "9223372036854775807"},
      {"18446744073709551615", "18446744073709553000.0"},  // a float64
      {"1.5", "1.5"},
      {".5", "0.5"},
      {"-2.25", "-2.25"},
      {"1e3", "1000"},  // integral numbers arrive as integers
      {"2.0", "2"},
      {"1e300", "1e300"},
      {"1024Mi", "\"1024Mi\""},
      {"1000m", "\"1000m\""},
      {"1.2.3", "\"1.2.3\""},
      {"2021-10-13", "\"2021-10-13\""},
      {"v1", "\"v1\""},
      {"true", "true"},
      {"True", "true"},
      {"yes", "true"},
      {"on", "true"},
      {"y", "true"},
      {"false", "false"},
      {"No", "false"},
      {"off", "false"},
      {"n", "false"},
      {"null", "null"},
      {"~", "null"},
      {"", "null"},
      {"'42'", "\"42\""},
      {"\"true\"", "\"true\""},
      {"\"null\"", "\"null\""},
      {"!!str 42", "\"42\""},
      {"!!str yes", "\"yes\""},
      {"!!int \"7\"", "7"},
      {"!!float 3", "3"},
      {"hello world", "\"hello world\""},
      {"gcr.io/google-samples/hello-go-gke:1.0",
       "\"gcr.io/google-samples/hello-go-gke:1.0\""},
      {"[1, two, 3.5]", "[1,\"two\",3.5]"},
      {"{a: 1, b: [x]}", "{\"a\":1,\"b\":[\"x\"]}"},
  };
  for (const Case& c : cases) {
    INFO("yaml: v: " << c.yaml);
    CHECK(ValueOf(c.yaml) == c.json);
  }
}

TEST_CASE("block scalars and quoted keys stay strings", "[apischema][yaml]") {
  absl::StatusOr<rapidjson::Document> doc = ParseYamlDocument(
      "literal: |\n  123\n  456\nfolded: >-\n  a\n  b\n1: one\non: two\n"
      "\"3\": three\n");
  REQUIRE(doc.ok());
  CHECK(ToJson(*doc) ==
        R"({"literal":"123\n456\n","folded":"a b","1":"one","on":"two","3":"three"})");
}

TEST_CASE("streams skip empty documents", "[apischema][yaml]") {
  absl::StatusOr<std::vector<rapidjson::Document>> docs = ParseYamlStream(
      "---\n# only a comment\n---\na: 1\n---\n---\nb: 2\n...\n");
  REQUIRE(docs.ok());
  REQUIRE(docs->size() == 2);
  CHECK(ToJson((*docs)[0]) == R"({"a":1})");
  CHECK(ToJson((*docs)[1]) == R"({"b":2})");

  absl::StatusOr<std::vector<rapidjson::Document>> empty =
      ParseYamlStream("# nothing\n");
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("a single document is required where one is expected",
          "[apischema][yaml]") {
  absl::StatusOr<rapidjson::Document> none = ParseYamlDocument("\n");
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(none.status().message()),
             Catch::Contains("no document"));

  absl::StatusOr<rapidjson::Document> two = ParseYamlDocument("a: 1\n---\nb: 2\n");
  REQUIRE_FALSE(two.ok());
  CHECK_THAT(std::string(two.status().message()),
             Catch::Contains("expected one document, found 2"));
}

TEST_CASE("JSON text reads as YAML", "[apischema][yaml]") {
  absl::StatusOr<rapidjson::Document> doc = ParseYamlDocument(
      R"({"kind": "MultiClusterDeployment", "spec": {"replicas": 2, "x": null, "ok": true}})");
  REQUIRE(doc.ok());
  CHECK(ToJson(*doc) ==
        R"({"kind":"MultiClusterDeployment","spec":{"replicas":2,"x":null,"ok":true}})");
}

TEST_CASE("anchors, aliases and merge keys expand", "[apischema][yaml]") {
  absl::StatusOr<rapidjson::Document> doc = ParseYamlDocument(R"(
base: &base
  cpu: 500m
  memory: 1Gi
small:
  <<: *base
  memory: 256Mi
list: &l [1, 2]
again: *l
multi:
  <<: [{a: 1}, {a: 2, b: 2}]
  c: 3
)");
  REQUIRE(doc.ok());
  CHECK(ToJson((*doc)["small"]) == R"({"memory":"256Mi","cpu":"500m"})");
  CHECK(ToJson((*doc)["again"]) == "[1,2]");
  CHECK(ToJson((*doc)["multi"]) == R"({"c":3,"a":1,"b":2})");
}

TEST_CASE("errors name the line and column", "[apischema][yaml]") {
  struct Case {
    std::string yaml;
    std::string contains;
  };
  const std::vector<Case> cases = {
      {"a: 1\nb: [1, 2\n", "line 3"},
      {"spec:\n  replicas: 1\n  replicas: 2\n",
       "line 3, column 3: key \"replicas\" already defined"},
      {"a: 1\n  b: 2\n", "line 2"},
      {"v: .inf\n", "line 1, column 4: value .inf cannot be represented"},
      {"v: -.Inf\n", "cannot be represented in JSON"},
      {"v: .nan\n", "cannot be represented in JSON"},
      {"? [a, b]\n: c\n", "mapping keys must be scalars"},
      {"v: !!int abc\n", "cannot decode \"abc\" as !!int"},
      {"v:\n  <<: 5\n", "map merge requires a mapping"},
      {"a: b: c\n", "line 1, column 5: illegal map value"},
      {"{a: 1\n", "line 2, column 1"},
      {"a:\n\t- b\n", "line 2"},
  };
  for (const Case& c : cases) {
    INFO("yaml: " << c.yaml);
    absl::StatusOr<std::vector<rapidjson::Document>> docs =
        ParseYamlStream(c.yaml);
    REQUIRE_FALSE(docs.ok());
    CHECK(docs.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(docs.status().message()),
               Catch::Contains(c.contains));
  }
}

TEST_CASE("limits stop hostile input", "[apischema][yaml]") {
  std::string deep;
  for (int i = 0; i < 50; ++i) deep += "[";
  for (int i = 0; i < 50; ++i) deep += "]";
  YamlLimits shallow;
  shallow.max_depth = 10;
  absl::StatusOr<rapidjson::Document> doc = ParseYamlDocument(deep, shallow);
  REQUIRE_FALSE(doc.ok());
  CHECK_THAT(std::string(doc.status().message()),
             Catch::Contains("nesting deeper than 10 levels"));

  // The parser itself refuses nesting that would exhaust its stack.
  std::string very_deep(100'000, '[');
  very_deep += std::string(100'000, ']');
  absl::StatusOr<rapidjson::Document> refused = ParseYamlDocument(very_deep);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Contains("nesting deeper than"));

  // Each level doubles the nodes through aliases.
  std::string bomb = "a0: &a0 [x, x]\n";
  for (int i = 1; i < 30; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + "]\n";
  }
  YamlLimits small;
  small.max_nodes = 100'000;
  absl::StatusOr<rapidjson::Document> exploded = ParseYamlDocument(bomb, small);
  REQUIRE_FALSE(exploded.ok());
  CHECK_THAT(std::string(exploded.status().message()),
             Catch::Contains("more than 100000 nodes"));
}

TEST_CASE("ToJson indents when asked", "[apischema][yaml]") {
  absl::StatusOr<rapidjson::Document> doc = ParseYamlDocument("a: [1]\n");
  REQUIRE(doc.ok());
  CHECK(ToJson(*doc, /*pretty=*/true) == "{\n  \"a\": [\n    1\n  ]\n}");
}

}  // namespace
}  // namespace mck8s::apischema
