// The simulator in process, over real HTTP: the FogGuru fleet, discovery,
// OpenAPI, REST verbs, watches and authentication.

#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "http_client.h"
#include "mck8s/sim/fleet.h"
#include "mck8s/sim/http_server.h"
#include "mck8s/sim/json.h"
#include "mck8s/sim/testbed.h"
#include "process.h"

namespace mck8s::sim {
namespace {

using ::mck8s::testing::HttpRequest;
using ::mck8s::testing::HttpResult;
using ::mck8s::testing::SourcePath;

// The FogGuru fleet served on a free port.
class Served {
 public:
  explicit Served(Fleet::Options options = {}, HttpServer::Options server_options = {}) {
    absl::StatusOr<Testbed> testbed = LoadTestbed(SourcePath("sim/testbeds/fogguru.yaml"));
    REQUIRE(testbed.ok());
    if (options.crds_dir.empty()) options.crds_dir = SourcePath("deploy/helm/mck8s/crds");
    absl::StatusOr<std::unique_ptr<Fleet>> fleet = Fleet::Create(*testbed, options);
    INFO(fleet.status().ToString());
    REQUIRE(fleet.ok());
    fleet_ = std::move(*fleet);
    Fleet* raw = fleet_.get();
    server_ = std::make_unique<HttpServer>(server_options,
                                           [raw](absl::string_view n) { return raw->Api(n); });
    REQUIRE(server_->Start().ok());
    url_ = absl::StrCat("http://127.0.0.1:", server_->port());
    REQUIRE(fleet_->Register(url_).ok());
  }

  HttpResult Call(const std::string& method, const std::string& target,
                  const std::string& body = "",
                  std::map<std::string, std::string> headers = {}) {
    if (!body.empty() && headers.count("Content-Type") == 0) {
      headers["Content-Type"] = "application/json";
    }
    return HttpRequest("127.0.0.1", server_->port(), method, target, body, headers);
  }
  HttpResult Get(const std::string& target, std::map<std::string, std::string> headers = {}) {
    return Call("GET", target, "", std::move(headers));
  }

  Fleet& fleet() { return *fleet_; }
  const std::string& url() const { return url_; }

 private:
  std::unique_ptr<Fleet> fleet_;
  std::unique_ptr<HttpServer> server_;
  std::string url_;
};

rapidjson::Document Json(const std::string& text) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(text);
  INFO(text);
  REQUIRE(doc.ok());
  return std::move(*doc);
}

TEST_CASE("the FogGuru testbed: clusters, nodes and RTTs", "[sim][fleet]") {
  absl::StatusOr<Testbed> testbed = LoadTestbed(SourcePath("sim/testbeds/fogguru.yaml"));
  REQUIRE(testbed.ok());
  CHECK(testbed->management == "management");
  std::vector<std::string> names;
  for (const TestbedCluster& c : testbed->clusters) names.push_back(c.name);
  CHECK(names == std::vector<std::string>{"management", "rennes", "nantes", "lille", "grenoble",
                                          "luxembourg", "nancy"});
  for (const char* big : {"rennes", "luxembourg"}) {
    const TestbedCluster* c = testbed->Find(big);
    CHECK(c->node_groups[0].count == 5);
    CHECK(c->node_groups[0].cpu == "4");
    CHECK(c->node_groups[0].memory == "16Gi");
    CHECK(c->control_plane.has_value());
  }
  for (const char* small : {"nantes", "lille", "grenoble"}) {
    const TestbedCluster* c = testbed->Find(small);
    CHECK(c->node_groups[0].count == 5);
    CHECK(c->node_groups[0].cpu == "2");
    CHECK(c->node_groups[0].memory == "4Gi");
  }
  const TestbedCluster* nancy = testbed->Find("nancy");
  CHECK(nancy->cloud);
  CHECK(nancy->node_groups[0].count == 3);
  CHECK(nancy->node_groups[0].cpu == "8");
  CHECK(nancy->node_groups[0].memory == "32Gi");
  CHECK(testbed->Rtt("rennes", "nantes") == 2.16);
  CHECK(testbed->Rtt("nancy", "luxembourg") == 2.90);
  CHECK(testbed->Rtt("grenoble", "lille") == 12.06);
  CHECK(testbed->Rtt("rennes", "rennes") == 0.0);
}

TEST_CASE("testbed errors name the field", "[sim][fleet]") {
  struct Bad {
    const char* yaml;
    const char* message;
  };
  const std::vector<Bad> cases = {
      {"clusters: []", "clusters: must be a non-empty list"},
      {"clusters: [{name: a}]", "management: \"management\" is not one of the clusters"},
      {"management: a\nclusters: [{name: a}, {name: a}]", "duplicate cluster \"a\""},
      {"management: a\nclusters: [{name: a, nodeGroups: [{cpu: lots}]}]",
       "clusters[0].nodeGroups[0].cpu"},
      {"management: a\nclusters: [{name: a, taints: [{key: k, effect: Sometimes}]}]",
       "clusters[0].taints[0].effect"},
      {"management: a\nclusters: [{name: a}]\nrtt: {a: {b: 1}}", "rtt.a.b: names no cluster"},
  };
  for (const Bad& c : cases) {
    INFO(c.yaml);
    absl::StatusOr<Testbed> testbed = ParseTestbed(c.yaml);
    REQUIRE_FALSE(testbed.ok());
    CHECK_THAT(std::string(testbed.status().message()), Catch::Contains(c.message));
  }
}

TEST_CASE("the fleet registers members with nodes, secrets and MemberClusters",
          "[sim][fleet]") {
  Served served;
  HttpResult nodes = served.Get("/clusters/nantes/api/v1/nodes");
  REQUIRE(nodes.status == 200);
  rapidjson::Document list = Json(nodes.body);
  REQUIRE(list["items"].Size() == 6);
  const rapidjson::Value& master = list["items"][0];
  CHECK(GetString(master, {"metadata", "name"}) == "nantes-control-plane");
  CHECK(Find(master, {"metadata", "labels", "node-role.kubernetes.io/control-plane"}) != nullptr);
  CHECK(GetString(master["spec"]["taints"][0], {"effect"}) == "NoSchedule");
  const rapidjson::Value& worker = list["items"][1];
  CHECK(GetString(worker, {"status", "allocatable", "cpu"}) == "2");
  CHECK(GetString(worker, {"status", "allocatable", "memory"}) == "4Gi");
  CHECK(GetString(worker["status"]["conditions"][3], {"type"}) == "Ready");
  CHECK(GetString(worker["status"]["conditions"][3], {"status"}) == "True");

  HttpResult members = served.Get("/clusters/management/apis/fogguru.eu/v1/memberclusters");
  REQUIRE(members.status == 200);
  rapidjson::Document member_list = Json(members.body);
  CHECK(member_list["items"].Size() == 6);
  HttpResult nancy = served.Get("/clusters/management/apis/fogguru.eu/v1/memberclusters/nancy");
  REQUIRE(nancy.status == 200);
  rapidjson::Document nancy_doc = Json(nancy.body);
  CHECK(nancy_doc["spec"]["cloud"].IsTrue());
  CHECK(GetString(nancy_doc, {"spec", "kubeconfigSecretRef", "name"}) == "nancy-kubeconfig");
  CHECK(GetString(nancy_doc, {"spec", "region"}) == "grand-est");

  HttpResult secret =
      served.Get("/clusters/management/api/v1/namespaces/mck8s-system/secrets/nancy-kubeconfig");
  REQUIRE(secret.status == 200);
  std::string kubeconfig;
  REQUIRE(absl::Base64Unescape(GetString(Json(secret.body), {"data", "value"}), &kubeconfig));
  CHECK_THAT(kubeconfig, Catch::Contains(absl::StrCat(served.url(), "/clusters/nancy")));

  std::string all = served.fleet().Kubeconfig(served.url());
  CHECK_THAT(all, Catch::Contains("current-context: \"management\""));
  CHECK_THAT(all, Catch::Contains("- name: \"luxembourg\""));
}

TEST_CASE("discovery: aggregated when asked, legacy otherwise", "[sim][http]") {
  Served served;
  HttpResult version = served.Get("/clusters/rennes/version");
  REQUIRE(version.status == 200);
  CHECK(GetString(Json(version.body), {"gitVersion"}) == "v1.32.0-mck8s-sim");

  const std::string accept =
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/"
      "json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
  HttpResult apis = served.Get("/clusters/management/apis", {{"Accept", accept}});
  REQUIRE(apis.status == 200);
  CHECK(apis.headers["content-type"] ==
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  rapidjson::Document groups = Json(apis.body);
  CHECK(GetString(groups, {"kind"}) == "APIGroupDiscoveryList");
  bool found_mcd = false;
  for (const rapidjson::Value& group : groups["items"].GetArray()) {
    if (GetString(group, {"metadata", "name"}) != "fogguru.eu") continue;
    for (const rapidjson::Value& r : group["versions"][0]["resources"].GetArray()) {
      if (GetString(r, {"resource"}) != "multiclusterdeployments") continue;
      found_mcd = true;
      CHECK(GetString(r, {"scope"}) == "Namespaced");
      CHECK(GetString(r, {"responseKind", "kind"}) == "MultiClusterDeployment");
      CHECK(GetString(r["subresources"][1], {"subresource"}) == "scale");
    }
  }
  CHECK(found_mcd);

  HttpResult core = served.Get("/clusters/management/api");
  REQUIRE(core.status == 200);
  CHECK(GetString(Json(core.body), {"kind"}) == "APIVersions");
  HttpResult apps = served.Get("/clusters/management/apis/apps/v1");
  REQUIRE(apps.status == 200);
  CHECK_THAT(apps.body, Catch::Contains(R"("name":"deployments/scale")"));
  CHECK(served.Get("/clusters/management/apis/nope/v1").status == 404);
  CHECK(served.Get("/clusters/atlantis/api").status == 404);
}

TEST_CASE("OpenAPI v3 documents lead kubectl to server-side validation", "[sim][http]") {
  Served served;
  HttpResult root = served.Get("/clusters/management/openapi/v3");
  REQUIRE(root.status == 200);
  rapidjson::Document paths = Json(root.body);
  std::string url(GetString(paths, {"paths", "apis/fogguru.eu/v1", "serverRelativeURL"}));
  CHECK(absl::StartsWith(url, "/clusters/management/openapi/v3/apis/fogguru.eu/v1?hash="));
  HttpResult doc = served.Get(url);
  REQUIRE(doc.status == 200);
  rapidjson::Document openapi = Json(doc.body);
  const rapidjson::Value* patch =
      Find(openapi, {"paths",
                     "/apis/fogguru.eu/v1/namespaces/{namespace}/multiclusterdeployments/{name}",
                     "patch"});
  REQUIRE(patch != nullptr);
  CHECK(GetString(*patch, {"x-kubernetes-group-version-kind", "kind"}) == "MultiClusterDeployment");
  bool field_validation = false;
  for (const rapidjson::Value& p : (*patch)["parameters"].GetArray()) {
    field_validation = field_validation || GetString(p, {"name"}) == "fieldValidation";
  }
  CHECK(field_validation);
  const rapidjson::Value* schema =
      Find(openapi, {"components", "schemas", "eu.fogguru.v1.MultiClusterDeployment"});
  REQUIRE(schema != nullptr);
  CHECK(Find(*schema, {"properties", "spec", "properties", "numberOfLocations"}) != nullptr);
  CHECK(Find(*schema, {"properties", "metadata", "properties", "labels"}) != nullptr);

  HttpResult core = served.Get("/clusters/management/openapi/v3/api/v1");
  REQUIRE(core.status == 200);
  CHECK_THAT(core.body, Catch::Contains("io.k8s.api.core.v1.Pod"));
  CHECK_THAT(core.body, Catch::Contains(R"("x-kubernetes-patch-merge-key":"name")"));
}

TEST_CASE("REST verbs answer as kube-apiserver does", "[sim][http]") {
  Served served;
  const std::string base = "/clusters/rennes/api/v1/namespaces/default/configmaps";
  HttpResult created = served.Call("POST", base,
                                   R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1"}})");
  REQUIRE(created.status == 201);
  std::string rv(GetString(Json(created.body), {"metadata", "resourceVersion"}));

  HttpResult again = served.Call("POST", base,
                                 R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})");
  CHECK(again.status == 409);
  CHECK(GetString(Json(again.body), {"reason"}) == "AlreadyExists");

  HttpResult missing = served.Get(base + "/nope");
  CHECK(missing.status == 404);
  CHECK(missing.body ==
        R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"nope\" not found","reason":"NotFound","details":{"name":"nope","kind":"configmaps"},"code":404})");

  HttpResult put = served.Call("PUT", base + "/c",
                               absl::StrCat(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","resourceVersion":")",
                                            rv, R"("},"data":{"a":"2"}})"));
  CHECK(put.status == 200);
  HttpResult stale = served.Call("PUT", base + "/c",
                                 absl::StrCat(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","resourceVersion":")",
                                              rv, R"("},"data":{"a":"3"}})"));
  CHECK(stale.status == 409);
  CHECK(GetString(Json(stale.body), {"reason"}) == "Conflict");

  HttpResult patched = served.Call("PATCH", base + "/c", R"({"data":{"b":"x"}})",
                                   {{"Content-Type", "application/strategic-merge-patch+json"}});
  REQUIRE(patched.status == 200);
  CHECK(GetString(Json(patched.body), {"data", "b"}) == "x");
  CHECK(served.Call("PATCH", base + "/c", "{}", {{"Content-Type", "text/plain"}}).status == 415);

  HttpResult strict = served.Call(
      "POST", base + "?fieldValidation=Strict",
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"dta":{}})");
  CHECK(strict.status == 400);
  CHECK_THAT(strict.body, Catch::Contains(R"(unknown field \"dta\")"));
  HttpResult warned = served.Call(
      "POST", base, R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"dta":{}})");
  CHECK(warned.status == 201);
  CHECK(warned.headers["warning"] == R"(299 - "unknown field \"dta\"")");

  HttpResult dry = served.Call(
      "POST", base + "?dryRun=All",
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"e"}})");
  CHECK(dry.status == 201);
  CHECK(served.Get(base + "/e").status == 404);

  HttpResult list = served.Get(base + "?labelSelector=nope%3D1&limit=10");
  REQUIRE(list.status == 200);
  rapidjson::Document list_doc = Json(list.body);
  CHECK(GetString(list_doc, {"kind"}) == "ConfigMapList");
  CHECK(!GetString(list_doc, {"metadata", "resourceVersion"}).empty());
  CHECK(list_doc["items"].Size() == 0);

  HttpResult deleted = served.Call("DELETE", base + "/c", R"({"propagationPolicy":"Background"})");
  CHECK(deleted.status == 200);
  CHECK(GetString(Json(deleted.body), {"status"}) == "Success");
  CHECK(served.Get(base + "/c").status == 404);

  // An unbound pod is bound once.
  const std::string pods = "/clusters/rennes/api/v1/namespaces/default/pods";
  REQUIRE(served.Call("POST", pods,
                      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x"}]}})")
              .status == 201);
  const std::string binding =
      R"({"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"kind":"Node","name":"rennes-worker-2"}})";
  CHECK(served.Call("POST", pods + "/p/binding", binding).status == 201);
  CHECK(GetString(Json(served.Get(pods + "/p").body), {"spec", "nodeName"}) == "rennes-worker-2");
  HttpResult rebind = served.Call("POST", pods + "/p/binding", binding);
  CHECK(rebind.status == 409);
  CHECK_THAT(rebind.body, Catch::Contains("is already assigned to node"));

  HttpResult bad_field = served.Get("/clusters/rennes/api/v1/pods?fieldSelector=spec.foo%3Dx");
  CHECK(bad_field.status == 400);
  CHECK(GetString(Json(bad_field.body), {"message"}) == "field label not supported: spec.foo");
}

TEST_CASE("watches stream events and end at timeoutSeconds", "[sim][http]") {
  Served served;
  const std::string base = "/clusters/lille/api/v1/namespaces/default/configmaps";
  HttpResult created = served.Call(
      "POST", base, R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})");
  REQUIRE(created.status == 201);
  std::string rv(GetString(Json(created.body), {"metadata", "resourceVersion"}));
  REQUIRE(served.Call("PATCH", base + "/c", R"({"data":{"a":"1"}})",
                      {{"Content-Type", "application/merge-patch+json"}})
              .status == 200);
  HttpResult watch = served.Get(
      absl::StrCat(base, "?watch=true&resourceVersion=", std::stoull(rv) - 1, "&timeoutSeconds=1"));
  REQUIRE(watch.status == 200);
  CHECK(watch.headers["transfer-encoding"] == "chunked");
  std::vector<std::string> lines = absl::StrSplit(watch.body, '\n', absl::SkipEmpty());
  REQUIRE(lines.size() == 2);
  CHECK(GetString(Json(lines[0]), {"type"}) == "ADDED");
  CHECK(GetString(Json(lines[1]), {"type"}) == "MODIFIED");
  CHECK(GetString(Json(lines[1]), {"object", "data", "a"}) == "1");
}

TEST_CASE("watches carry bookmarks when allowed, and initial events when asked",
          "[sim][http]") {
  HttpServer::Options server_options;
  server_options.bookmark_interval = absl::Milliseconds(100);
  Served served({}, server_options);
  HttpResult watch = served.Get(
      "/clusters/nantes/api/v1/nodes?watch=true&allowWatchBookmarks=true&timeoutSeconds=1&"
      "sendInitialEvents=true&resourceVersionMatch=NotOlderThan");
  REQUIRE(watch.status == 200);
  std::vector<std::string> lines = absl::StrSplit(watch.body, '\n', absl::SkipEmpty());
  REQUIRE(lines.size() >= 8);
  for (int i = 0; i < 6; ++i) CHECK(GetString(Json(lines[i]), {"type"}) == "ADDED");
  rapidjson::Document end = Json(lines[6]);
  CHECK(GetString(end, {"type"}) == "BOOKMARK");
  CHECK(GetString(end, {"object", "kind"}) == "Node");
  CHECK(GetString(end, {"object", "metadata", "annotations", "k8s.io/initial-events-end"}) ==
        "true");
  // Periodic bookmarks follow.
  CHECK(GetString(Json(lines[7]), {"type"}) == "BOOKMARK");
}

TEST_CASE("a watch from beyond the history window gets a 410 Expired event", "[sim][http]") {
  Fleet::Options options;
  options.watch_history = 5;
  Served served(options);
  HttpResult watch =
      served.Get("/clusters/management/api/v1/namespaces?watch=true&resourceVersion=1");
  REQUIRE(watch.status == 200);
  rapidjson::Document event = Json(watch.body);
  CHECK(GetString(event, {"type"}) == "ERROR");
  CHECK(GetInt(event, {"object", "code"}) == 410);
  CHECK(GetString(event, {"object", "reason"}) == "Expired");
}

TEST_CASE("with a token, requests must carry it", "[sim][http]") {
  HttpServer::Options server_options;
  server_options.bearer_token = "s3cret";
  Fleet::Options options;
  options.token = "s3cret";
  Served served(options, server_options);
  CHECK(served.Get("/clusters/rennes/api/v1/nodes").status == 401);
  CHECK(served.Get("/clusters/rennes/api/v1/nodes", {{"Authorization", "Bearer wrong"}}).status ==
        401);
  CHECK(served.Get("/clusters/rennes/api/v1/nodes", {{"Authorization", "Bearer s3cret"}}).status ==
        200);
  CHECK(served.Get("/clusters/rennes/version").status == 200);
  CHECK_THAT(served.fleet().Kubeconfig(served.url()), Catch::Contains("token: \"s3cret\""));
}

}  // namespace
}  // namespace mck8s::sim
