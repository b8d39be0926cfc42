// Specification of a simulated cluster's API semantics, in process: admission
// (schemas, strict field validation, built-in defaults and checks),
// subresources, patches, server-side apply and CustomResourceDefinitions.

#include "mck8s/sim/cluster.h"

#include <string>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mck8s/apischema/yaml_json.h"
#include "mck8s/sim/api_error.h"
#include "mck8s/sim/json.h"
#include "mck8s/sim/patch.h"

namespace mck8s::sim {
namespace {

rapidjson::Document Yaml(absl::string_view text) {
  absl::StatusOr<rapidjson::Document> doc =
      apischema::ParseYamlDocument(std::string_view(text.data(), text.size()));
  INFO(std::string(text));
  REQUIRE(doc.ok());
  return std::move(*doc);
}

const ResourceType& TypeOf(const Cluster& cluster, absl::string_view group,
                           absl::string_view plural) {
  static std::vector<std::shared_ptr<const ResourceCatalog>> keep;
  keep.push_back(cluster.catalog());
  for (const auto& t : keep.back()->types()) {
    if (t->group == group && t->plural == plural) return *t;
  }
  FAIL("no resource " << std::string(plural));
  return *keep.back()->types().front();
}

constexpr char kDeployment[] = R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
        resources:
          requests: {cpu: 0.5, memory: 64Mi}
)";

constexpr char kCrd[] = R"(
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1}
              replicas: {type: integer, default: 1}
              color: {type: string, enum: [red, blue]}
          status:
            type: object
            properties:
              replicas: {type: integer}
)";

constexpr char kWidget[] = R"(
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
spec: {size: 3}
)";

RequestOptions Strict() {
  RequestOptions options;
  options.field_validation = FieldValidation::kStrict;
  return options;
}

TEST_CASE("a new cluster serves the built-in kinds and its initial namespaces",
          "[sim][cluster]") {
  Cluster cluster({.name = "c"});
  auto catalog = cluster.catalog();
  for (absl::string_view plural : {"namespaces", "nodes", "pods", "services", "endpoints",
                                   "secrets", "configmaps", "events", "serviceaccounts"}) {
    CHECK(catalog->Find("", "v1", plural) != nullptr);
  }
  CHECK(catalog->Find("apps", "v1", "deployments") != nullptr);
  CHECK(catalog->Find("batch", "v1", "jobs") != nullptr);
  CHECK(catalog->Find("coordination.k8s.io", "v1", "leases") != nullptr);
  CHECK(catalog->Find("apiextensions.k8s.io", "v1", "customresourcedefinitions") != nullptr);
  for (const auto& type : catalog->types()) {
    INFO(type->kind);
    CHECK(type->schema != nullptr);
    CHECK(type->openapi_schema != nullptr);
  }
  const ResourceType& namespaces = TypeOf(cluster, "", "namespaces");
  for (absl::string_view ns : {"default", "kube-system"}) {
    absl::StatusOr<std::string> got = cluster.Get(namespaces, "", ns, "");
    REQUIRE(got.ok());
    CHECK(absl::StrContains(*got, R"("phase":"Active")"));
  }
}

TEST_CASE("deployments get defaults, canonical quantities and generation",
          "[sim][cluster]") {
  Cluster cluster({.name = "c"});
  const ResourceType& deployments = TypeOf(cluster, "apps", "deployments");
  auto created = cluster.Create(deployments, "default", Yaml(kDeployment), Strict());
  REQUIRE(created.ok());
  CHECK(created->created);
  rapidjson::Document doc = created->object->Parse();
  CHECK(GetString(doc, {"spec", "strategy", "type"}) == "RollingUpdate");
  CHECK(GetString(doc, {"spec", "strategy", "rollingUpdate", "maxSurge"}) == "25%");
  CHECK(GetInt(doc, {"spec", "revisionHistoryLimit"}) == 10);
  CHECK(GetString(doc, {"spec", "template", "spec", "restartPolicy"}) == "Always");
  const rapidjson::Value& container = doc["spec"]["template"]["spec"]["containers"][0];
  CHECK(GetString(container, {"imagePullPolicy"}) == "IfNotPresent");
  CHECK(GetString(container["ports"][0], {"protocol"}) == "TCP");
  CHECK(GetString(container, {"resources", "requests", "cpu"}) == "500m");
  CHECK(Find(doc, {"status"}) == nullptr);
  CHECK(GetInt(doc, {"metadata", "generation"}) == 1);
}

struct InvalidCase {
  const char* name;
  const char* yaml_patch;  // a merge patch over kDeployment
  int code;
  const char* message;  // a part of the message
};

TEST_CASE("invalid deployments are refused naming the field", "[sim][cluster]") {
  const std::vector<InvalidCase> cases = {
      {"unknown field under Strict", R"({"spec":{"foo":1}})", 400,
       R"(Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo")"},
      {"unknown metadata field", R"({"metadata":{"bogus":1}})", 400,
       R"(unknown field "metadata.bogus")"},
      {"negative replicas", R"({"spec":{"replicas":-1}})", 422,
       "spec.replicas: Invalid value: -1: must be greater than or equal to 0"},
      {"wrong type", R"({"spec":{"replicas":"two"}})", 422, "spec.replicas"},
      {"selector does not match the template",
       R"({"spec":{"selector":{"matchLabels":{"app":"other"}}}})", 422,
       "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: "
       "`selector` does not match template `labels`"},
      {"no image",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"web"}]}}}})", 422,
       "spec.template.spec.containers[0].image: Required value"},
      {"bad quantity",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"web","image":"x","resources":{"requests":{"cpu":"lots"}}}]}}}})",
       422, "spec.template.spec.containers[0].resources.requests[cpu]: Invalid value: \"lots\""},
      {"bad name", R"({"metadata":{"name":"Web_1"}})", 422,
       "metadata.name: Invalid value: \"Web_1\": a lowercase RFC 1123 subdomain"},
      {"restart policy", R"({"spec":{"template":{"spec":{"restartPolicy":"Never"}}}})", 422,
       "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: "
       "\"Always\""},
  };
  for (const InvalidCase& c : cases) {
    SECTION(c.name) {
      Cluster cluster({.name = "c"});
      const ResourceType& deployments = TypeOf(cluster, "apps", "deployments");
      rapidjson::Document body = Yaml(kDeployment);
      rapidjson::Document patch = Yaml(c.yaml_patch);
      REQUIRE(ApplyMergePatch(body, patch, body.GetAllocator()).ok());
      absl::Status s = cluster.Create(deployments, "default", std::move(body), Strict()).status();
      CHECK(HttpCodeOf(s) == c.code);
      CHECK_THAT(std::string(s.message()), Catch::Contains(c.message));
    }
  }
}

TEST_CASE("fieldValidation Warn prunes unknown fields with a warning", "[sim][cluster]") {
  Cluster cluster({.name = "c"});
  const ResourceType& deployments = TypeOf(cluster, "apps", "deployments");
  rapidjson::Document body = Yaml(kDeployment);
  SetInt(body["spec"], "foo", 1, body.GetAllocator());
  auto created = cluster.Create(deployments, "default", std::move(body), {});
  REQUIRE(created.ok());
  CHECK(created->warnings == std::vector<std::string>{"unknown field \"spec.foo\""});
  CHECK(Find(created->object->Parse(), {"spec", "foo"}) == nullptr);
}

TEST_CASE("status and scale subresources", "[sim][cluster]") {
  Cluster cluster({.name = "c"});
  const ResourceType& deployments = TypeOf(cluster, "apps", "deployments");
  REQUIRE(cluster.Create(deployments, "default", Yaml(kDeployment), {}).ok());

  // The main resource ignores status; /status takes only status.
  auto main = cluster.Patch(deployments, "default", "web", "", PatchType::kMerge,
                            R"({"status":{"replicas":7},"spec":{"paused":true}})", {});
  REQUIRE(main.ok());
  CHECK(Find(main->object->Parse(), {"status", "replicas"}) == nullptr);
  CHECK(GetInt(main->object->Parse(), {"metadata", "generation"}) == 2);
  auto status = cluster.Patch(deployments, "default", "web", "status", PatchType::kMerge,
                              R"({"status":{"replicas":2},"spec":{"replicas":9}})", {});
  REQUIRE(status.ok());
  rapidjson::Document after = status->object->Parse();
  CHECK(GetInt(after, {"status", "replicas"}) == 2);
  CHECK(GetInt(after, {"spec", "replicas"}) == 2);
  CHECK(GetInt(after, {"metadata", "generation"}) == 2);

  // Scale reads and writes spec.replicas.
  absl::StatusOr<std::string> scale = cluster.Get(deployments, "default", "web", "scale");
  REQUIRE(scale.ok());
  rapidjson::Document s = *ParseJson(*scale);
  CHECK(GetString(s, {"kind"}) == "Scale");
  CHECK(GetInt(s, {"spec", "replicas"}) == 2);
  CHECK(GetInt(s, {"status", "replicas"}) == 2);
  CHECK(GetString(s, {"status", "selector"}) == "app=web");
  auto scaled = cluster.Patch(deployments, "default", "web", "scale", PatchType::kMerge,
                              R"({"spec":{"replicas":5}})", {});
  REQUIRE(scaled.ok());
  CHECK(GetInt(scaled->object->Parse(), {"spec", "replicas"}) == 5);
  absl::Status negative = cluster.Patch(deployments, "default", "web", "scale",
                                        PatchType::kMerge, R"({"spec":{"replicas":-1}})", {})
                              .status();
  CHECK(HttpCodeOf(negative) == 422);
  // A stale resourceVersion in a Scale is a conflict.
  rapidjson::Document stale = *ParseJson(*scale);
  stale["spec"]["replicas"].SetInt(3);
  CHECK(HttpCodeOf(cluster.Update(deployments, "default", "web", "scale", std::move(stale), {})
                       .status()) == 409);
}

TEST_CASE("strategic merge patches are for built-in kinds only", "[sim][cluster]") {
  Cluster cluster({.name = "c"});
  REQUIRE(cluster.InstallCustomResourceDefinition(Yaml(kCrd)).ok());
  const ResourceType& widgets = TypeOf(cluster, "example.com", "widgets");
  REQUIRE(cluster.Create(widgets, "default", Yaml(kWidget), {}).ok());
  absl::Status s = cluster.Patch(widgets, "default", "w1", "", PatchType::kStrategic,
                                 R"({"spec":{"size":4}})", {})
                       .status();
  CHECK(HttpCodeOf(s) == 415);
}

TEST_CASE("a CRD's kinds are served at once and validated by its schema", "[sim][cluster]") {
  Cluster cluster({.name = "c"});
  const ResourceType& crds = TypeOf(cluster, "apiextensions.k8s.io", "customresourcedefinitions");
  auto crd = cluster.Create(crds, "", Yaml(kCrd), Strict());
  REQUIRE(crd.ok());
  rapidjson::Document crd_doc = crd->object->Parse();
  CHECK(GetString(crd_doc["status"]["conditions"][1], {"type"}) == "Established");
  CHECK(GetString(crd_doc, {"status", "acceptedNames", "kind"}) == "Widget");

  const ResourceType& widgets = TypeOf(cluster, "example.com", "widgets");
  CHECK(widgets.short_names == std::vector<std::string>{"wd"});
  auto created = cluster.Create(widgets, "default", Yaml(kWidget), Strict());
  REQUIRE(created.ok());
  CHECK(GetInt(created->object->Parse(), {"spec", "replicas"}) == 1);  // schema default

  rapidjson::Document zero = Yaml(kWidget);
  zero["metadata"]["name"].SetString("w2");
  zero["spec"]["size"].SetInt(0);
  absl::Status invalid = cluster.Create(widgets, "default", std::move(zero), Strict()).status();
  CHECK(HttpCodeOf(invalid) == 422);
  CHECK(invalid.message() ==
        "Widget.example.com \"w2\" is invalid: spec.size: Invalid value: 0: spec.size in body "
        "should be greater than or equal to 1");
  HttpError body = ToHttpError(invalid);
  CHECK_THAT(body.body, Catch::Contains(R"("causes":[{"reason":"FieldValueInvalid")"));
  CHECK_THAT(body.body, Catch::Contains(R"("field":"spec.size")"));

  rapidjson::Document color = Yaml(kWidget);
  color["metadata"]["name"].SetString("w3");
  SetString(color["spec"], "color", "green", color.GetAllocator());
  CHECK(HttpCodeOf(cluster.Create(widgets, "default", std::move(color), Strict()).status()) ==
        422);

  rapidjson::Document unknown = Yaml(kWidget);
  unknown["metadata"]["name"].SetString("w4");
  SetInt(unknown["spec"], "bogus", 1, unknown.GetAllocator());
  absl::Status strict = cluster.Create(widgets, "default", std::move(unknown), Strict()).status();
  CHECK(HttpCodeOf(strict) == 400);
  CHECK_THAT(std::string(strict.message()),
             Catch::Contains(R"(strict decoding error: unknown field "spec.bogus")"));
}

TEST_CASE("server-side apply creates when missing and updates after", "[sim][cluster]") {
  Cluster cluster({.name = "c"});
  REQUIRE(cluster.InstallCustomResourceDefinition(Yaml(kCrd)).ok());
  const ResourceType& widgets = TypeOf(cluster, "example.com", "widgets");
  RequestOptions apply = Strict();
  apply.field_manager = "kubectl";
  auto created = cluster.Patch(widgets, "default", "w1", "", PatchType::kApply,
                               "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\n"
                               "spec:\n  size: 2\n  color: red\n",
                               apply);
  REQUIRE(created.ok());
  CHECK(created->created);
  auto updated = cluster.Patch(widgets, "default", "w1", "", PatchType::kApply,
                               R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":3}})",
                               apply);
  REQUIRE(updated.ok());
  CHECK_FALSE(updated->created);
  rapidjson::Document doc = updated->object->Parse();
  CHECK(GetInt(doc, {"spec", "size"}) == 3);
  CHECK(Find(doc, {"spec", "color"}) == nullptr);

  RequestOptions no_manager = Strict();
  CHECK(HttpCodeOf(cluster.Patch(widgets, "default", "w1", "", PatchType::kApply, "{}", no_manager)
                       .status()) == 422);
}

TEST_CASE("deleting a CRD deletes its resources first, then stops serving it",
          "[sim][cluster]") {
  Cluster cluster({.name = "c"});
  REQUIRE(cluster.InstallCustomResourceDefinition(Yaml(kCrd)).ok());
  const ResourceType& crds = TypeOf(cluster, "apiextensions.k8s.io", "customresourcedefinitions");
  const ResourceType& widgets = TypeOf(cluster, "example.com", "widgets");
  REQUIRE(cluster.Create(widgets, "default", Yaml(kWidget), {}).ok());
  rapidjson::Document held = Yaml(kWidget);
  held["metadata"]["name"].SetString("held");
  rapidjson::Value finalizers(rapidjson::kArrayType);
  finalizers.PushBack("example.com/hold", held.GetAllocator());
  SetMember(held["metadata"], "finalizers", std::move(finalizers), held.GetAllocator());
  REQUIRE(cluster.Create(widgets, "default", std::move(held), {}).ok());

  auto deleted = cluster.Delete(crds, "", "widgets.example.com", {}, {});
  REQUIRE(deleted.ok());
  CHECK_FALSE(deleted->removed);
  CHECK(cluster.catalog()->Find("example.com", "v1", "widgets") != nullptr);
  CHECK(absl::IsNotFound(cluster.Get(widgets, "default", "w1", "").status()));

  REQUIRE(cluster.Patch(widgets, "default", "held", "", PatchType::kJson,
                        R"([{"op":"remove","path":"/metadata/finalizers"}])", {})
              .ok());
  CHECK(cluster.catalog()->Find("example.com", "v1", "widgets") == nullptr);
  CHECK(absl::IsNotFound(cluster.Get(crds, "", "widgets.example.com", "").status()));
}

TEST_CASE("services get a cluster IP that never changes", "[sim][cluster]") {
  Cluster cluster({.name = "c"});
  const ResourceType& services = TypeOf(cluster, "", "services");
  auto created = cluster.Create(
      services, "default",
      Yaml("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
           "spec: {selector: {app: web}, ports: [{port: 80}]}\n"),
      Strict());
  REQUIRE(created.ok());
  rapidjson::Document doc = created->object->Parse();
  std::string ip(GetString(doc, {"spec", "clusterIP"}));
  CHECK(absl::StartsWith(ip, "10.96."));
  CHECK(GetInt(doc["spec"]["ports"][0], {"targetPort"}) == 80);
  CHECK(GetString(doc, {"spec", "type"}) == "ClusterIP");
  auto patched = cluster.Patch(services, "default", "web", "", PatchType::kStrategic,
                               R"({"spec":{"ports":[{"port":80,"targetPort":8080}]}})", {});
  REQUIRE(patched.ok());
  CHECK(GetString(patched->object->Parse(), {"spec", "clusterIP"}) == ip);
  CHECK(HttpCodeOf(cluster.Patch(services, "default", "web", "", PatchType::kMerge,
                                 R"({"spec":{"clusterIP":"10.0.0.1"}})", {})
                       .status()) == 422);
}

TEST_CASE("jobs are selected by their own uid", "[sim][cluster]") {
  Cluster cluster({.name = "c"});
  const ResourceType& jobs = TypeOf(cluster, "batch", "jobs");
  auto created = cluster.Create(
      jobs, "default",
      Yaml("apiVersion: batch/v1\nkind: Job\nmetadata: {name: pi}\nspec:\n  template:\n"
           "    spec:\n      restartPolicy: Never\n      containers: [{name: pi, image: perl}]\n"),
      Strict());
  REQUIRE(created.ok());
  rapidjson::Document doc = created->object->Parse();
  CHECK(GetString(doc, {"spec", "selector", "matchLabels", "batch.kubernetes.io/controller-uid"}) ==
        created->object->uid);
  CHECK(GetString(doc, {"spec", "template", "metadata", "labels", "job-name"}) == "pi");
  CHECK(GetInt(doc, {"spec", "backoffLimit"}) == 6);
}

TEST_CASE("generateName makes a unique name", "[sim][cluster]") {
  Cluster cluster({.name = "c"});
  const ResourceType& configmaps = TypeOf(cluster, "", "configmaps");
  auto a = cluster.Create(configmaps, "default",
                          Yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: cfg-}\n"),
                          {});
  auto b = cluster.Create(configmaps, "default",
                          Yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: cfg-}\n"),
                          {});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->object->name.size() == 9);
  CHECK(absl::StartsWith(a->object->name, "cfg-"));
  CHECK(a->object->name != b->object->name);
}

TEST_CASE("dry runs answer without writing", "[sim][cluster]") {
  Cluster cluster({.name = "c"});
  const ResourceType& deployments = TypeOf(cluster, "apps", "deployments");
  RequestOptions dry;
  dry.dry_run = true;
  uint64_t rv = cluster.store().CurrentResourceVersion();
  auto created = cluster.Create(deployments, "default", Yaml(kDeployment), dry);
  REQUIRE(created.ok());
  CHECK(created->object->name == "web");
  CHECK(cluster.store().CurrentResourceVersion() == rv);
  CHECK(absl::IsNotFound(cluster.Get(deployments, "default", "web", "").status()));
}

}  // namespace
}  // namespace mck8s::sim
