// Request bodies in application/vnd.kubernetes.protobuf, encoded here as
// client-go encodes them (the "k8s\0" envelope around a runtime.Unknown,
// non-pointer fields always present, pointer fields only when set), and
// what the simulator stores from them.

#include <cstdint>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "mck8s/sim/cluster.h"
#include "mck8s/sim/cluster_api.h"
#include "mck8s/sim/json.h"

namespace mck8s::sim {
namespace {

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
  return out;
}
std::string Bytes(int field, const std::string& value) {
  return absl::StrCat(Varint(static_cast<uint64_t>(field) << 3 | 2), Varint(value.size()), value);
}
std::string Int(int field, int64_t value) {
  return absl::StrCat(Varint(static_cast<uint64_t>(field) << 3),
                      Varint(static_cast<uint64_t>(value)));
}
std::string MapEntry(int field, const std::string& key, const std::string& value) {
  return Bytes(field, absl::StrCat(Bytes(1, key), Bytes(2, value)));
}
std::string Envelope(const std::string& api_version, const std::string& kind,
                     const std::string& raw) {
  return absl::StrCat(std::string("k8s\0", 4),
                      Bytes(1, absl::StrCat(Bytes(1, api_version), Bytes(2, kind))), Bytes(2, raw),
                      Bytes(3, ""), Bytes(4, ""));
}
// ObjectMeta as gogo-protobuf writes it: every non-pointer field, empty.
std::string Meta(const std::string& name, const std::string& labels = "") {
  return absl::StrCat(Bytes(1, name), Bytes(2, ""), Bytes(3, ""), Bytes(4, ""), Bytes(5, ""),
                      Bytes(6, ""), Int(7, 0), Bytes(8, ""), labels);
}

class Api {
 public:
  Api() : cluster_(Cluster::Options{.name = "c"}), api_(cluster_, {.path_prefix = "/clusters/c"}) {}
  ApiResponse Post(const std::string& path, const std::string& body) {
    ApiRequest request;
    request.method = "POST";
    request.path = path;
    request.content_type = "application/vnd.kubernetes.protobuf";
    request.accept = "application/vnd.kubernetes.protobuf, */*";
    request.body = body;
    return api_.Handle(request);
  }
  rapidjson::Document Json(const ApiResponse& response) {
    absl::StatusOr<rapidjson::Document> doc = ParseJson(response.body);
    INFO(response.body);
    REQUIRE(doc.ok());
    return std::move(*doc);
  }

 private:
  Cluster cluster_;
  ClusterApi api_;
};

TEST_CASE("a protobuf Deployment as kubectl create deployment sends it", "[sim][protobuf]") {
  Api api;
  const std::string labels = MapEntry(11, "app", "web");
  const std::string container = absl::StrCat(
      Bytes(1, "nginx"), Bytes(2, "nginx"), Bytes(5, ""),
      Bytes(6, absl::StrCat(Bytes(1, ""), Int(2, 0), Int(3, 80), Bytes(4, "TCP"), Bytes(5, ""))),
      Bytes(8, ""), Bytes(13, ""), Bytes(14, ""), Int(16, 0), Int(17, 0), Int(18, 0),
      Bytes(20, ""));
  const std::string pod_spec =
      absl::StrCat(Bytes(2, container), Bytes(3, ""), Bytes(6, ""), Bytes(8, ""), Bytes(9, ""),
                   Bytes(10, ""), Int(11, 0), Int(12, 0), Int(13, 0), Bytes(16, ""), Bytes(17, ""),
                   Bytes(19, ""), Bytes(24, ""));
  const std::string strategy = absl::StrCat(
      Bytes(1, "RollingUpdate"),
      Bytes(2, absl::StrCat(Bytes(1, absl::StrCat(Int(1, 1), Int(2, 0), Bytes(3, "25%"))),
                            Bytes(2, absl::StrCat(Int(1, 0), Int(2, 2), Bytes(3, ""))))));
  const std::string spec =
      absl::StrCat(Int(1, 0),  // replicas: 0, a pointer set on purpose
                   Bytes(2, MapEntry(1, "app", "web")),
                   Bytes(3, absl::StrCat(Bytes(1, Meta("", labels)), Bytes(2, pod_spec))),
                   Bytes(4, strategy), Int(5, 0));
  const std::string status = absl::StrCat(Int(1, 0), Int(2, 0));
  ApiResponse created = api.Post(
      "/apis/apps/v1/namespaces/default/deployments",
      Envelope("apps/v1", "Deployment",
               absl::StrCat(Bytes(1, Meta("web", labels)), Bytes(2, spec), Bytes(3, status))));
  INFO(created.body);
  REQUIRE(created.status == 201);
  rapidjson::Document d = api.Json(created);
  CHECK(GetString(d, {"metadata", "name"}) == "web");
  CHECK(GetString(d, {"metadata", "labels", "app"}) == "web");
  CHECK_FALSE(Find(d, {"metadata", "generateName"}));  // empty: left out
  CHECK(GetInt(d, {"spec", "replicas"}) == 0);         // kept
  CHECK(GetString(d, {"spec", "selector", "matchLabels", "app"}) == "web");
  CHECK(ToJson(*Find(d, {"spec", "strategy", "rollingUpdate"})) ==
        R"({"maxUnavailable":"25%","maxSurge":2})");
  const rapidjson::Value& c = (*Find(d, {"spec", "template", "spec", "containers"}))[0];
  CHECK(GetString(c, {"image"}) == "nginx");
  CHECK(ToJson(c["ports"]) == R"([{"containerPort":80,"protocol":"TCP"}])");
  CHECK_FALSE(Find(d, {"spec", "template", "spec", "hostNetwork"}));
}

TEST_CASE("a protobuf Secret with bytes, and Quantity and Time fields", "[sim][protobuf]") {
  Api api;
  ApiResponse secret =
      api.Post("/api/v1/namespaces/default/secrets",
               Envelope("v1", "Secret",
                        absl::StrCat(Bytes(1, Meta("release", MapEntry(11, "owner", "helm"))),
                                     MapEntry(2, "release", std::string("\x00\xff", 2)),
                                     Bytes(3, "helm.sh/release.v1"), Int(5, 0))));
  INFO(secret.body);
  REQUIRE(secret.status == 201);
  rapidjson::Document s = api.Json(secret);
  CHECK(GetString(s, {"data", "release"}) == "AP8=");
  CHECK(GetString(s, {"type"}) == "helm.sh/release.v1");
  CHECK(Find(s, {"immutable"}) != nullptr);  // a pointer: false kept

  const std::string requests = Bytes(2, absl::StrCat(Bytes(1, "cpu"), Bytes(2, Bytes(1, "250m"))));
  const std::string time = Bytes(8, absl::StrCat(Int(1, 1800000000), Int(2, 0)));
  ApiResponse pod = api.Post(
      "/api/v1/namespaces/default/pods",
      Envelope("v1", "Pod",
               absl::StrCat(Bytes(1, absl::StrCat(Bytes(1, "p"), time)),
                            Bytes(2, Bytes(2, absl::StrCat(Bytes(1, "main"), Bytes(2, "busybox"),
                                                           Bytes(8, requests)))),
                            Bytes(3, Bytes(1, "Running")))));
  INFO(pod.body);
  REQUIRE(pod.status == 201);
  rapidjson::Document p = api.Json(pod);
  CHECK(GetString(p["spec"]["containers"][0], {"resources", "requests", "cpu"}) == "250m");
  // Status written with the object is not taken.
  CHECK(GetString(p, {"status", "phase"}) != "Running");
}

TEST_CASE("protobuf the simulator cannot read is refused, never half-read", "[sim][protobuf]") {
  Api api;
  ApiResponse unknown_field =
      api.Post("/api/v1/namespaces/default/configmaps",
               Envelope("v1", "ConfigMap", absl::StrCat(Bytes(1, Meta("cm")), Bytes(9, "x"))));
  CHECK(unknown_field.status == 415);
  CHECK_THAT(unknown_field.body, Catch::Contains("field 9 of ConfigMap"));
  ApiResponse unknown_kind = api.Post("/apis/batch/v1/namespaces/default/jobs",
                                      Envelope("batch/v1", "CronJob", Bytes(1, Meta("j"))));
  CHECK(unknown_kind.status == 415);
  CHECK_THAT(unknown_kind.body, Catch::Contains("kind batch/v1 CronJob"));
  CHECK(api.Post("/api/v1/namespaces/default/configmaps", "not protobuf").status == 400);
  CHECK(api.Post("/api/v1/namespaces/default/configmaps",
                 absl::StrCat(std::string("k8s\0", 4), "\x0a\x7f"))
            .status == 400);
}

}  // namespace
}  // namespace mck8s::sim
