// Specification of server-side printing (the Tables kubectl get shows).

#include "mck8s/sim/tables.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"

#include "mck8s/apischema/yaml_json.h"
#include "mck8s/sim/cluster.h"
#include "mck8s/sim/cluster_api.h"
#include "mck8s/sim/json.h"

namespace mck8s::sim {
namespace {

TEST_CASE("human durations as kubectl prints ages", "[sim][tables]") {
  struct Case {
    absl::Duration d;
    const char* text;
  };
  const std::vector<Case> cases = {
      {absl::Seconds(-5), "<invalid>"},  {absl::Milliseconds(-300), "0s"},
      {absl::Seconds(0), "0s"},          {absl::Seconds(119), "119s"},
      {absl::Seconds(120), "2m"},        {absl::Seconds(185), "3m5s"},
      {absl::Minutes(10), "10m"},        {absl::Minutes(179), "179m"},
      {absl::Minutes(180), "3h"},        {absl::Minutes(190), "3h10m"},
      {absl::Hours(8), "8h"},            {absl::Hours(47), "47h"},
      {absl::Hours(48), "2d"},           {absl::Hours(50), "2d2h"},
      {absl::Hours(24 * 30), "30d"},     {absl::Hours(24 * 365 * 3 + 24 * 5), "3y5d"},
      {absl::Hours(24 * 365 * 9), "9y"},
  };
  for (const Case& c : cases) {
    INFO(absl::FormatDuration(c.d));
    CHECK(HumanDuration(c.d) == c.text);
  }
}

TEST_CASE("the JSONPath of printer columns", "[sim][tables]") {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(
      R"({"spec":{"replicas":3,"list":[1,2,3]},"status":{"conditions":[{"type":"Reachable","status":"False"},{"type":"Ready","status":"True"}]}})");
  REQUIRE(doc.ok());
  auto one = [&](absl::string_view path) {
    std::vector<const rapidjson::Value*> found = EvaluateJsonPath(*doc, path);
    return found.empty() ? std::string("<none>") : ToJson(*found[0]);
  };
  CHECK(one(".spec.replicas") == "3");
  CHECK(one("{.spec.replicas}") == "3");
  CHECK(one(".spec.list[1]") == "2");
  CHECK(one(".spec.list[-1]") == "3");
  CHECK(one(R"(.status.conditions[?(@.type=="Ready")].status)") == "\"True\"");
  CHECK(one(".status.conditions[?(@.type!='Ready')].type") == "\"Reachable\"");
  CHECK(EvaluateJsonPath(*doc, ".spec.list[*]").size() == 3);
  CHECK(one(".spec.missing") == "<none>");
  CHECK(one(".spec.list[9]") == "<none>");
}

TEST_CASE("kubectl get receives Tables when it asks for them", "[sim][tables]") {
  Cluster cluster({.name = "c"});
  ClusterApi api(cluster, {.path_prefix = "/clusters/c"});
  const ResourceType* pods = cluster.catalog()->Find("", "v1", "pods");
  absl::StatusOr<rapidjson::Document> pod = apischema::ParseYamlDocument(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n");
  REQUIRE(pod.ok());
  REQUIRE(cluster.Create(*pods, "default", std::move(*pod), {}).ok());

  ApiRequest request;
  request.method = "GET";
  request.path = "/api/v1/namespaces/default/pods";
  request.accept =
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
      "g=meta.k8s.io,application/json";
  ApiResponse response = api.Handle(request);
  REQUIRE(response.status == 200);
  CHECK(response.content_type == "application/json;as=Table;v=v1;g=meta.k8s.io");
  absl::StatusOr<rapidjson::Document> table = ParseJson(response.body);
  REQUIRE(table.ok());
  CHECK(GetString(*table, {"kind"}) == "Table");
  std::vector<std::string> columns;
  for (const rapidjson::Value& c : (*table)["columnDefinitions"].GetArray()) {
    columns.emplace_back(GetString(c, {"name"}));
  }
  CHECK(columns == std::vector<std::string>{"Name", "Ready", "Status", "Restarts", "Age", "IP",
                                            "Node", "Nominated Node", "Readiness Gates"});
  const rapidjson::Value& row = (*table)["rows"][0];
  CHECK(ToJson(row["cells"][0]) == "\"p\"");
  CHECK(ToJson(row["cells"][1]) == "\"0/1\"");
  CHECK(ToJson(row["cells"][2]) == "\"Pending\"");
  CHECK(GetString(row, {"object", "kind"}) == "PartialObjectMetadata");
  CHECK(GetString(row, {"object", "metadata", "name"}) == "p");

  request.accept = "application/json";
  ApiResponse plain = api.Handle(request);
  CHECK(absl::StrContains(plain.body, R"("kind":"PodList")"));
}

}  // namespace
}  // namespace mck8s::sim
