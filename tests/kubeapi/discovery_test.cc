#include "mck8s/kubeapi/discovery.h"

#include <catch2/catch.hpp>

#include "mck8s/kubeapi/client.h"

namespace mck8s::kubeapi {
namespace {

TEST_CASE("discovery: aggregated documents", "[kubeapi][discovery]") {
  absl::StatusOr<std::vector<ApiResource>> resources = Discovery::ParseAggregated(R"({
    "kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","items":[
      {"metadata":{"name":""},"versions":[{"version":"v1","resources":[
        {"resource":"pods","responseKind":{"group":"","version":"v1","kind":"Pod"},
         "scope":"Namespaced","singularResource":"pod","verbs":["get","list","watch"],
         "shortNames":["po"],"subresources":[{"subresource":"status"}]},
        {"resource":"namespaces","responseKind":{"kind":"Namespace"},"scope":"Cluster"}]}]},
      {"metadata":{"name":"fogguru.eu"},"versions":[{"version":"v1","resources":[
        {"resource":"memberclusters","responseKind":{"kind":"MemberCluster"},"scope":"Cluster"},
        {"bogus":true}]}]},
      {"metadata":{"name":"broken"}}]})");
  REQUIRE(resources.ok());
  REQUIRE(resources->size() == 3);
  const ApiResource& pods = (*resources)[0];
  CHECK(pods.gvr == k8stypes::GroupVersionResource{"", "v1", "pods"});
  CHECK(pods.kind == "Pod");
  CHECK(pods.namespaced);
  CHECK(pods.singular == "pod");
  CHECK(pods.short_names == std::vector<std::string>{"po"});
  CHECK(pods.subresources == std::vector<std::string>{"status"});
  CHECK_FALSE((*resources)[1].namespaced);
  CHECK((*resources)[2].gvr == k8stypes::GroupVersionResource{"fogguru.eu", "v1", "memberclusters"});
  CHECK(Discovery::ParseAggregated("[]").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("discovery: legacy resource lists fold subresources in", "[kubeapi][discovery]") {
  absl::StatusOr<std::vector<ApiResource>> resources = Discovery::ParseResourceList(R"({
    "kind":"APIResourceList","groupVersion":"apps/v1","resources":[
      {"name":"deployments","singularName":"deployment","namespaced":true,"kind":"Deployment",
       "verbs":["get","patch"]},
      {"name":"deployments/scale","namespaced":true,"kind":"Scale"},
      {"name":"deployments/status","namespaced":true,"kind":"Deployment"}]})");
  REQUIRE(resources.ok());
  REQUIRE(resources->size() == 1);
  CHECK((*resources)[0].gvr == k8stypes::GroupVersionResource{"apps", "v1", "deployments"});
  CHECK((*resources)[0].subresources == std::vector<std::string>{"scale", "status"});
  CHECK(Discovery::ParseResourceList(R"({"groupVersion":""})").status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("resource paths", "[kubeapi][client]") {
  struct Row {
    k8stypes::GroupVersionResource gvr;
    const char* ns;
    const char* name;
    const char* sub;
    const char* path;
  };
  const Row rows[] = {
      {{"", "v1", "pods"}, "default", "", "", "/api/v1/namespaces/default/pods"},
      {{"", "v1", "pods"}, "", "", "", "/api/v1/pods"},
      {{"", "v1", "namespaces"}, "", "kube-system", "", "/api/v1/namespaces/kube-system"},
      {{"apps", "v1", "deployments"}, "a", "web", "scale",
       "/apis/apps/v1/namespaces/a/deployments/web/scale"},
      {{"fogguru.eu", "v1", "memberclusters"}, "", "edge-1", "status",
       "/apis/fogguru.eu/v1/memberclusters/edge-1/status"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.path);
    absl::StatusOr<std::string> path = ResourcePath(row.gvr, row.ns, row.name, row.sub);
    REQUIRE(path.ok());
    CHECK(*path == row.path);
  }
  CHECK_FALSE(ResourcePath({"", "v1", "pods"}, "a", "x/y").ok());
  CHECK_FALSE(ResourcePath({"", "v1", "pods"}, "a", "..").ok());
  CHECK_FALSE(ResourcePath({"", "v1", "pods"}, "a b", "x").ok());
  CHECK_FALSE(ResourcePath({"", "", "pods"}, "a", "x").ok());
  CHECK_FALSE(ResourcePath({"", "v1", ""}, "a", "x").ok());
  CHECK_FALSE(ResourcePath({"", "v1", "pods"}, "a", "", "status").ok());
}

}  // namespace
}  // namespace mck8s::kubeapi
