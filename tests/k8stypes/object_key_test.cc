// Specification of ObjectKey and the group/version/kind/resource names.

#include "mck8s/k8stypes/object_key.h"

#include <set>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"

namespace mck8s::k8stypes {
namespace {

TEST_CASE("ObjectKey parses and prints namespace/name", "[k8stypes][object_key]") {
  struct Case {
    std::string text;
    ObjectKey key;
  };
  const Case cases[] = {
      {"default/web", {"default", "web"}},
      {"web", {"", "web"}},
      {"kube-system/coredns-5d78c9869d-abcde", {"kube-system", "coredns-5d78c9869d-abcde"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    const absl::StatusOr<ObjectKey> key = ObjectKey::Parse(c.text);
    REQUIRE(key.ok());
    CHECK(*key == c.key);
    CHECK(key->String() == c.text);
    CHECK(key->IsClusterScoped() == c.key.ns.empty());
  }
  for (const std::string bad : {"", "/", "/web", "default/", "a/b/c", "a//b"}) {
    CAPTURE(bad);
    const absl::StatusOr<ObjectKey> key = ObjectKey::Parse(bad);
    REQUIRE_FALSE(key.ok());
    CHECK(key.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(key.status().message()), Catch::Contains("invalid object key"));
  }
}

TEST_CASE("ObjectKey orders, hashes and prints as a value", "[k8stypes][object_key]") {
  const ObjectKey a{"default", "a"};
  const ObjectKey b{"default", "b"};
  const ObjectKey cluster{"", "z"};
  CHECK(a < b);
  CHECK(cluster < a);  // cluster-scoped keys sort first
  CHECK(a != b);
  const std::set<ObjectKey> ordered = {b, a, cluster};
  CHECK(ordered.begin()->name == "z");
  absl::flat_hash_set<ObjectKey> queue = {a, b, a, ObjectKey{"default", "a"}};
  CHECK(queue.size() == 2);
  const absl::Hash<ObjectKey> hash;
  CHECK(hash(a) == hash(ObjectKey{"default", "a"}));
  CHECK(hash(a) != hash(b));
  CHECK(hash(ObjectKey{"defaulta", ""}) != hash(ObjectKey{"default", "a"}));
  std::ostringstream os;
  os << a << " " << cluster;
  CHECK(os.str() == "default/a z");
}

TEST_CASE("GroupVersion parses apiVersion", "[k8stypes][object_key]") {
  struct Case {
    std::string api_version;
    GroupVersion gv;
  };
  const Case cases[] = {
      {"apps/v1", {"apps", "v1"}},
      {"v1", {"", "v1"}},
      {"fogguru.eu/v1", {"fogguru.eu", "v1"}},
      {"cluster.x-k8s.io/v1beta1", {"cluster.x-k8s.io", "v1beta1"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.api_version);
    const absl::StatusOr<GroupVersion> gv = GroupVersion::Parse(c.api_version);
    REQUIRE(gv.ok());
    CHECK(*gv == c.gv);
    CHECK(gv->String() == c.api_version);
  }
  for (const std::string bad : {"", "/", "apps/", "/v1", "a/b/c"}) {
    CAPTURE(bad);
    const absl::StatusOr<GroupVersion> gv = GroupVersion::Parse(bad);
    REQUIRE_FALSE(gv.ok());
    CHECK_THAT(std::string(gv.status().message()), Catch::Contains("invalid apiVersion"));
  }
}

TEST_CASE("GroupVersionKind and GroupVersionResource print like Kubernetes",
          "[k8stypes][object_key]") {
  const absl::StatusOr<GroupVersionKind> deployment =
      GroupVersionKind::FromApiVersionAndKind("apps/v1", "Deployment");
  REQUIRE(deployment.ok());
  CHECK(deployment->String() == "apps/v1, Kind=Deployment");
  CHECK(deployment->ApiVersion() == "apps/v1");
  const GroupVersionKind pod = GroupVersion{"", "v1"}.WithKind("Pod");
  CHECK(pod.String() == "/v1, Kind=Pod");
  CHECK(pod.ApiVersion() == "v1");
  CHECK(pod.GetGroupVersion() == GroupVersion{"", "v1"});

  const GroupVersionResource deployments = deployment->GetGroupVersion().WithResource("deployments");
  CHECK(deployments.String() == "apps/v1, Resource=deployments");
  CHECK(GroupVersionResource{"", "v1", "pods"}.String() == "/v1, Resource=pods");
  CHECK(deployments.ApiVersion() == "apps/v1");

  CHECK_FALSE(GroupVersionKind::FromApiVersionAndKind("apps/v1", "").ok());
  CHECK_FALSE(GroupVersionKind::FromApiVersionAndKind("apps/v1/x", "Deployment").ok());
  CHECK(GroupVersionKind{"", "v1", "Pod"} < GroupVersionKind{"apps", "v1", "Deployment"});
  const absl::flat_hash_set<GroupVersionKind> kinds = {
      pod, *deployment, GroupVersionKind{"apps", "v1", "Deployment"}};
  CHECK(kinds.size() == 2);
  const absl::flat_hash_set<GroupVersionResource> resources = {
      deployments, GroupVersionResource{"", "v1", "pods"}, deployments};
  CHECK(resources.size() == 2);
  const absl::flat_hash_set<GroupVersion> versions = {
      GroupVersion{"", "v1"}, GroupVersion{"apps", "v1"}, GroupVersion{"", "v1"}};
  CHECK(versions.size() == 2);
}

}  // namespace
}  // namespace mck8s::k8stypes
