// The CustomResourceDefinitions of deploy/helm/mck8s/crds/ and the
// manifests of examples/: every definition is one a cluster accepts, every
// example is valid against its definition, and invalid resources are
// refused with the field named.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "mck8s/apischema/crd.h"
#include "mck8s/apischema/field_error.h"
#include "mck8s/apischema/structural_schema.h"
#include "mck8s/apischema/yaml_json.h"
#include "rapidjson/document.h"
#include "rapidjson/pointer.h"

namespace mck8s::apischema {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = MCK8S_SOURCE_DIR;
const fs::path kCrdDir = kSourceDir / "deploy/helm/mck8s/crds";
const fs::path kExampleDir = kSourceDir / "examples";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  INFO(path.string());
  REQUIRE(in.good());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<fs::path> YamlFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

rapidjson::Document Yaml(const std::string& text) {
  absl::StatusOr<rapidjson::Document> doc = ParseYamlDocument(text);
  INFO(text);
  if (!doc.ok()) FAIL(doc.status().message());
  return std::move(doc).value();
}

// Every CRD of the chart, read once, by kind.
const std::map<std::string, CustomResourceDefinition>& Crds() {
  static const auto* crds = [] {
    auto* out = new std::map<std::string, CustomResourceDefinition>();
    for (const fs::path& file : YamlFiles(kCrdDir)) {
      absl::StatusOr<rapidjson::Document> doc =
          ParseYamlDocument(ReadFile(file));
      if (!doc.ok()) continue;
      absl::StatusOr<CustomResourceDefinition> crd =
          ReadCustomResourceDefinition(*doc);
      if (crd.ok()) (*out)[crd->kind] = *std::move(crd);
    }
    return out;
  }();
  return *crds;
}

const CrdVersion& SchemaOf(const std::string& kind) {
  auto it = Crds().find(kind);
  INFO(kind);
  REQUIRE(it != Crds().end());
  return it->second.StorageVersion();
}

TEST_CASE("every CRD file is an acceptable v1 CustomResourceDefinition",
          "[crds]") {
  std::vector<fs::path> files = YamlFiles(kCrdDir);
  REQUIRE(files.size() == 6);
  for (const fs::path& file : files) {
    INFO(file.filename().string());
    absl::StatusOr<std::vector<rapidjson::Document>> docs =
        ParseYamlStream(ReadFile(file));
    REQUIRE(docs.ok());
    REQUIRE(docs->size() == 1);
    const rapidjson::Document& doc = (*docs)[0];
    CHECK(std::string(doc["apiVersion"].GetString()) ==
          "apiextensions.k8s.io/v1");
    CHECK(std::string(doc["kind"].GetString()) == "CustomResourceDefinition");
    std::vector<FieldError> errors = ValidateCustomResourceDefinition(doc);
    INFO(FormatFieldErrors(errors));
    CHECK(errors.empty());
    absl::StatusOr<CustomResourceDefinition> crd =
        ReadCustomResourceDefinition(doc);
    REQUIRE(crd.ok());
    CHECK(crd->name == crd->plural + "." + crd->group);
    CHECK(file.filename().string() == crd->name + ".yaml");
    CHECK(crd->group == "fogguru.eu");
    int storage = 0;
    for (const CrdVersion& v : crd->versions) storage += v.storage ? 1 : 0;
    CHECK(storage == 1);
    for (size_t i = 0; i < crd->versions.size(); ++i) {
      INFO("version " << crd->versions[i].name);
      const rapidjson::Value* schema = rapidjson::Pointer(
          ("/spec/versions/" + std::to_string(i) + "/schema/openAPIV3Schema")
              .c_str()).Get(doc);
      REQUIRE(schema != nullptr);
      CHECK(StructuralSchema::CheckStructural(*schema).empty());
      CHECK(crd->versions[i].served);
      CHECK(crd->versions[i].status_subresource);
    }
  }
}

TEST_CASE("the CRDs have the names, scopes and columns mck8s uses",
          "[crds]") {
  struct Expected {
    std::string kind;
    std::string plural;
    bool namespaced;
    std::vector<std::string> short_names;
    std::vector<std::string> columns;  // a prefix of the printer columns
  };
  const std::vector<Expected> expected = {
      {"MultiClusterDeployment", "multiclusterdeployments", true,
       {"mcd", "mcds"},
       {"Policy", "Locations", "Replicas", "Ready", "Unplaced", "Age"}},
      {"MultiClusterService", "multiclusterservices", true, {"mcs"},
       {"Type", "Locations", "Age"}},
      {"MultiClusterJob", "multiclusterjobs", true, {"mcj", "mcjs"},
       {"Policy", "Locations", "Active", "Succeeded", "Failed", "Age"}},
      {"MultiClusterHorizontalPodAutoscaler",
       "multiclusterhorizontalpodautoscalers", true, {"mchpa"},
       {"Reference", "MinPods", "MaxPods", "Replicas", "Age"}},
      {"CloudProvisioner", "cloudprovisioners", false, {"cp"},
       {"Cluster", "Provider", "Phase", "Nodes", "Age"}},
      {"MemberCluster", "memberclusters", false, {"mc"},
       {"Region", "Provider", "Cloud", "Ready", "Version", "Age"}},
  };
  REQUIRE(Crds().size() == expected.size());
  for (const Expected& e : expected) {
    INFO(e.kind);
    auto it = Crds().find(e.kind);
    REQUIRE(it != Crds().end());
    const CustomResourceDefinition& crd = it->second;
    CHECK(crd.plural == e.plural);
    CHECK(crd.namespaced == e.namespaced);
    CHECK(crd.short_names == e.short_names);
    CHECK(crd.list_kind == e.kind + "List");
    std::vector<std::string> columns;
    for (const PrinterColumn& c : crd.StorageVersion().printer_columns) {
      columns.push_back(c.name);
    }
    CHECK(columns == e.columns);
  }
  const CrdVersion& mcd = SchemaOf("MultiClusterDeployment");
  REQUIRE(mcd.scale.has_value());
  CHECK(mcd.scale->spec_replicas_path == ".spec.replicas");
  CHECK(mcd.scale->status_replicas_path == ".status.replicas");
  CHECK(mcd.scale->label_selector_path == ".status.selector");
  for (const char* kind :
       {"MultiClusterService", "MultiClusterJob",
        "MultiClusterHorizontalPodAutoscaler", "CloudProvisioner",
        "MemberCluster"}) {
    INFO(kind);
    CHECK_FALSE(SchemaOf(kind).scale.has_value());
  }
}

// kubectl explain shows descriptions: every field must have one.
void CollectUndescribed(const rapidjson::Value& schema, const std::string& path,
                        std::vector<std::string>& missing) {
  if (!schema.IsObject()) return;
  auto props = schema.FindMember("properties");
  if (props != schema.MemberEnd()) {
    for (const auto& member : props->value.GetObject()) {
      std::string child = path + "." + member.name.GetString();
      // The root's metadata may hold nothing but its type (ObjectMeta is
      // described by the API server itself).
      if (path.find('.') == std::string::npos &&
          std::string(member.name.GetString()) == "metadata") {
        continue;
      }
      auto d = member.value.FindMember("description");
      if (d == member.value.MemberEnd() || !d->value.IsString() ||
          d->value.GetStringLength() == 0) {
        missing.push_back(child);
      }
      CollectUndescribed(member.value, child, missing);
    }
  }
  for (const char* key : {"items", "additionalProperties"}) {
    auto sub = schema.FindMember(key);
    if (sub != schema.MemberEnd()) {
      CollectUndescribed(sub->value, path + "." + key, missing);
    }
  }
}

TEST_CASE("every field of every CRD has a description", "[crds]") {
  for (const auto& [kind, crd] : Crds()) {
    INFO(kind);
    const rapidjson::Value& schema = crd.StorageVersion().schema.json();
    CHECK(schema.HasMember("description"));
    std::vector<std::string> missing;
    CollectUndescribed(schema, kind, missing);
    INFO("undescribed: " << [&] {
      std::string all;
      for (const std::string& m : missing) all += m + " ";
      return all;
    }());
    CHECK(missing.empty());
  }
}

TEST_CASE("every example is valid against its CRD", "[crds][examples]") {
  std::vector<fs::path> files = YamlFiles(kExampleDir);
  REQUIRE(files.size() >= 10);
  std::map<std::string, int> kinds_seen;
  for (const fs::path& file : files) {
    INFO(file.filename().string());
    absl::StatusOr<std::vector<rapidjson::Document>> docs =
        ParseYamlStream(ReadFile(file));
    if (!docs.ok()) FAIL(docs.status().message());
    REQUIRE_FALSE(docs->empty());
    for (rapidjson::Document& doc : *docs) {
      REQUIRE(doc.IsObject());
      std::string kind = doc["kind"].GetString();
      std::string api_version = doc["apiVersion"].GetString();
      INFO(kind);
      ++kinds_seen[kind];
      auto it = Crds().find(kind);
      REQUIRE(it != Crds().end());
      CHECK(api_version == it->second.group + "/" +
                               it->second.StorageVersion().name);
      const StructuralSchema& schema = it->second.StorageVersion().schema;
      AdmissionResult result = AdmitObject(schema, doc, doc.GetAllocator());
      INFO("unknown fields: " << result.unknown_fields.size());
      CHECK(result.unknown_fields.empty());
      INFO(FormatFieldErrors(result.errors));
      CHECK(result.errors.empty());
    }
  }
  for (const auto& [kind, crd] : Crds()) {
    INFO("an example of " << kind);
    CHECK(kinds_seen[kind] > 0);
  }
  CHECK(fs::exists(kExampleDir / "README.md"));
}

TEST_CASE("the talk's manifests keep their meaning after defaulting",
          "[crds][examples]") {
  rapidjson::Document mcd = Yaml(ReadFile(kExampleDir / "mcd-hello.yaml"));
  AdmissionResult result = AdmitObject(SchemaOf("MultiClusterDeployment").schema,
                                       mcd, mcd.GetAllocator());
  REQUIRE(result.errors.empty());
  CHECK(mcd["spec"]["replicas"].GetInt() == 2);
  CHECK(mcd["spec"]["numberOfLocations"].GetInt() == 2);
  CHECK(std::string(mcd["spec"]["placementPolicy"].GetString()) ==
        "traffic-aware");
  CHECK(std::string(rapidjson::Pointer(
                        "/spec/template/spec/containers/0/ports/0/protocol")
                        .Get(mcd)
                        ->GetString()) == "TCP");
  CHECK(std::string(rapidjson::Pointer(
                        "/spec/template/spec/containers/0/resources/requests/cpu")
                        .Get(mcd)
                        ->GetString()) == "1000m");

  rapidjson::Document hpa = Yaml(ReadFile(kExampleDir / "mchpa-hello.yaml"));
  result = AdmitObject(SchemaOf("MultiClusterHorizontalPodAutoscaler").schema,
                       hpa, hpa.GetAllocator());
  REQUIRE(result.errors.empty());
  CHECK(hpa["spec"]["minReplicas"].GetInt() == 2);
  CHECK(hpa["spec"]["maxReplicas"].GetInt() == 10);

  rapidjson::Document defaults = Yaml(
      "apiVersion: fogguru.eu/v1\nkind: MultiClusterHorizontalPodAutoscaler\n"
      "metadata: {name: h}\nspec: {scaleTargetRef: {kind: "
      "MultiClusterDeployment, name: hello}}\n");
  result = AdmitObject(SchemaOf("MultiClusterHorizontalPodAutoscaler").schema,
                       defaults, defaults.GetAllocator());
  REQUIRE(result.errors.empty());
  CHECK(defaults["spec"]["minReplicas"].GetInt() == 1);
  CHECK(defaults["spec"]["maxReplicas"].GetInt() == 100);

  rapidjson::Document cp =
      Yaml(ReadFile(kExampleDir / "cloudprovisioner-cp1.yaml"));
  CHECK(std::string(cp["spec"]["cloudsYaml"].GetString()) ==
        "Y2xvdWRzOgogIG9wZW5zdGFjazoKICAgIGF1dGg6CiAgICAgIGF1dGg6");
  CHECK(std::string(cp["spec"]["certText"].GetString()) ==
        "W0dsb2JhbF0KYXV0aC11cmw9aHR0cDovLzEwLjE2LjYxLjIiNT01");

  rapidjson::Document member =
      Yaml(ReadFile(kExampleDir / "membercluster-nancy.yaml"));
  result = AdmitObject(SchemaOf("MemberCluster").schema, member,
                       member.GetAllocator());
  REQUIRE(result.errors.empty());
  CHECK(std::string(member["spec"]["kubeconfigSecretRef"]["key"].GetString()) ==
        "value");
}

// Replaces (or, with an empty YAML value, removes) the value at a JSON
// pointer of `doc`.
void Mutate(rapidjson::Document& doc, const std::string& pointer,
            const std::string& yaml_value) {
  rapidjson::Pointer p(pointer.c_str());
  REQUIRE(p.IsValid());
  if (yaml_value.empty()) {
    REQUIRE(p.Erase(doc));
    return;
  }
  rapidjson::Document value = Yaml("v: " + yaml_value);
  rapidjson::Value copy(value["v"], doc.GetAllocator());
  p.Set(doc, copy, doc.GetAllocator());
}

TEST_CASE("invalid MultiClusterDeployments are refused with the field named",
          "[crds][invalid]") {
  const StructuralSchema& schema = SchemaOf("MultiClusterDeployment").schema;
  const std::string hello = ReadFile(kExampleDir / "mcd-hello.yaml");
  struct Case {
    std::string name;
    std::vector<std::pair<std::string, std::string>> changes;
    std::string path;
    FieldErrorType type;
    std::string message;  // exact when not empty
  };
  using T = FieldErrorType;
  const std::string kContainer = "/spec/template/spec/containers/0";
  const std::vector<Case> cases = {
      {"numberOfLocations 0", {{"/spec/numberOfLocations", "0"}},
       "spec.numberOfLocations", T::kInvalid,
       "Invalid value: 0: spec.numberOfLocations in body should be greater "
       "than or equal to 1"},
      {"negative replicas", {{"/spec/replicas", "-1"}}, "spec.replicas",
       T::kInvalid,
       "Invalid value: -1: spec.replicas in body should be greater than or "
       "equal to 0"},
      {"unknown placement policy", {{"/spec/placementPolicy", "random"}},
       "spec.placementPolicy", T::kNotSupported,
       "Unsupported value: \"random\": supported values: \"worst-fit\", "
       "\"worst_fit\", \"best-fit\", \"best_fit\", \"traffic-aware\", "
       "\"most-traffic\", \"most_traffic\", \"cluster-affinity\", \"spread\""},
      {"missing image", {{kContainer + "/image", ""}},
       "spec.template.spec.containers[0].image", T::kRequired,
       "Required value"},
      {"empty image", {{kContainer + "/image", "''"}},
       "spec.template.spec.containers[0].image", T::kInvalid, ""},
      {"replicas as a word", {{"/spec/replicas", "two"}}, "spec.replicas",
       T::kTypeInvalid,
       "Invalid value: \"string\": spec.replicas in body must be of type "
       "integer: \"string\""},
      {"fractional numberOfLocations", {{"/spec/numberOfLocations", "1.5"}},
       "spec.numberOfLocations", T::kTypeInvalid, ""},
      {"spec is not an object", {{"/spec", "hello"}}, "spec",
       T::kTypeInvalid, ""},
      {"missing template", {{"/spec/template", ""}}, "spec.template",
       T::kRequired, ""},
      {"missing containers", {{"/spec/template/spec/containers", ""}},
       "spec.template.spec.containers", T::kRequired, ""},
      {"no containers", {{"/spec/template/spec/containers", "[]"}},
       "spec.template.spec.containers", T::kInvalid, ""},
      {"duplicate container names",
       {{"/spec/template/spec/containers/1", "{name: hello, image: x}"}},
       "spec.template.spec.containers[1]", T::kDuplicate,
       "Duplicate value: {\"name\":\"hello\"}"},
      {"container name not a DNS label", {{kContainer + "/name", "Hello_1"}},
       "spec.template.spec.containers[0].name", T::kInvalid, ""},
      {"cpu request not a quantity",
       {{kContainer + "/resources/requests/cpu", "lots"}},
       "spec.template.spec.containers[0].resources.requests.cpu", T::kInvalid,
       ""},
      {"memory limit as a boolean",
       {{kContainer + "/resources/limits/memory", "true"}},
       "spec.template.spec.containers[0].resources.limits.memory",
       T::kTypeInvalid, ""},
      {"container port out of range",
       {{kContainer + "/ports/0/containerPort", "70000"}},
       "spec.template.spec.containers[0].ports[0].containerPort", T::kInvalid,
       ""},
      {"upper-case location", {{"/spec/locations", "Nantes"}},
       "spec.locations", T::kInvalid, ""},
      {"locations with an empty entry", {{"/spec/locations", "nantes,,lille"}},
       "spec.locations", T::kInvalid, ""},
      {"negative replica override",
       {{"/spec/locations", "nantes"}, {"/spec/replicaOverrides", "[-1]"}},
       "spec.replicaOverrides[0]", T::kInvalid, ""},
      {"replica override not a number",
       {{"/spec/locations", "nantes"}, {"/spec/replicaOverrides", "[two]"}},
       "spec.replicaOverrides[0]", T::kInvalid, ""},
      {"replica overrides as one string",
       {{"/spec/locations", "nantes, lille"},
        {"/spec/replicaOverrides", "'2,3'"}},
       "spec.replicaOverrides", T::kTypeInvalid, ""},
      {"selector operator", 
       {{"/spec/selector/matchExpressions",
         "[{key: app, operator: Like, values: [hello]}]"}},
       "spec.selector.matchExpressions[0].operator", T::kNotSupported, ""},
      {"toleration effect", {{"/spec/tolerations", "[{key: a, effect: Evict}]"}},
       "spec.tolerations[0].effect", T::kNotSupported, ""},
      {"duplicate cluster names",
       {{"/spec/clusterAffinity", "{clusterNames: [nantes, nantes]}"}},
       "spec.clusterAffinity.clusterNames[1]", T::kDuplicate, ""},
      {"spread skew 0",
       {{"/spec/spreadConstraints", "[{topologyKey: region, maxSkew: 0}]"}},
       "spec.spreadConstraints[0].maxSkew", T::kInvalid, ""},
      {"condition status", 
       {{"/status/conditions",
         "[{type: Ready, status: Maybe, reason: Probed, message: '', "
         "lastTransitionTime: '2021-10-13T09:30:00Z'}]"}},
       "status.conditions[0].status", T::kNotSupported, ""},
      {"condition time", 
       {{"/status/conditions",
         "[{type: Ready, status: 'True', reason: Probed, message: '', "
         "lastTransitionTime: yesterday}]"}},
       "status.conditions[0].lastTransitionTime", T::kTypeInvalid, ""},
      {"negative unplaced replicas", {{"/status/unplacedReplicas", "-2"}},
       "status.unplacedReplicas", T::kInvalid, ""},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    rapidjson::Document doc = Yaml(hello);
    for (const auto& [pointer, value] : c.changes) Mutate(doc, pointer, value);
    AdmissionResult result = AdmitObject(schema, doc, doc.GetAllocator());
    INFO(FormatFieldErrors(result.errors));
    CHECK(result.unknown_fields.empty());
    bool found = false;
    for (const FieldError& e : result.errors) {
      if (e.path == c.path && e.type == c.type) {
        found = true;
        if (!c.message.empty()) CHECK(e.message == c.message);
      }
    }
    CHECK(found);
  }
}

TEST_CASE("unknown fields of a MultiClusterDeployment are named",
          "[crds][invalid]") {
  const StructuralSchema& schema = SchemaOf("MultiClusterDeployment").schema;
  struct Case {
    std::string pointer;
    std::string path;
  };
  const std::vector<Case> cases = {
      {"/spec/foo", "spec.foo"},
      {"/spec/numberOfLocation", "spec.numberOfLocation"},
      {"/spec/clusterAffinity/zones", "spec.clusterAffinity.zones"},
      {"/spec/template/spec/containers/0/ports/0/targetPort",
       "spec.template.spec.containers[0].ports[0].targetPort"},
      {"/extra", "extra"},
  };
  for (const Case& c : cases) {
    INFO(c.pointer);
    rapidjson::Document doc = Yaml(ReadFile(kExampleDir / "mcd-hello.yaml"));
    Mutate(doc, c.pointer, "1");
    CHECK(schema.UnknownFields(doc) == std::vector<std::string>{c.path});
    AdmissionResult result = AdmitObject(schema, doc, doc.GetAllocator());
    CHECK(result.unknown_fields == std::vector<std::string>{c.path});
    CHECK(result.errors.empty());
    CHECK(schema.UnknownFields(doc).empty());
  }
  // Pod spec fields the schema does not list are passed through.
  rapidjson::Document doc = Yaml(ReadFile(kExampleDir / "mcd-hello.yaml"));
  Mutate(doc, "/spec/template/spec/nodeSelector", "{disk: ssd}");
  Mutate(doc, "/spec/template/spec/containers/0/env", "[{name: A, value: b}]");
  CHECK(schema.UnknownFields(doc).empty());
}

TEST_CASE("invalid resources of the other kinds are refused", "[crds][invalid]") {
  struct Case {
    std::string kind;
    std::string yaml;
    std::string path;
    FieldErrorType type;
  };
  using T = FieldErrorType;
  const std::vector<Case> cases = {
      {"MultiClusterHorizontalPodAutoscaler",
       "spec: {scaleTargetRef: {kind: MultiClusterDeployment, name: hello}, "
       "maxReplicas: 0}",
       "spec.maxReplicas", T::kInvalid},
      {"MultiClusterHorizontalPodAutoscaler", "spec: {minReplicas: 1}",
       "spec.scaleTargetRef", T::kRequired},
      {"MultiClusterHorizontalPodAutoscaler",
       "spec: {scaleTargetRef: {kind: MultiClusterDeployment, name: hello}, "
       "metrics: [{type: Resource, resource: {name: cpu, target: {type: "
       "Percent}}}]}",
       "spec.metrics[0].resource.target.type", T::kNotSupported},
      {"MultiClusterHorizontalPodAutoscaler",
       "spec: {scaleTargetRef: {kind: MultiClusterDeployment, name: hello}, "
       "behavior: {scaleDown: {stabilizationWindowSeconds: 7200}}}",
       "spec.behavior.scaleDown.stabilizationWindowSeconds", T::kInvalid},
      {"MultiClusterService",
       "spec: {ports: [{port: 80}, {port: 80, protocol: TCP}]}",
       "spec.ports[1]", T::kDuplicate},
      {"MultiClusterService", "spec: {type: Headless}", "spec.type",
       T::kNotSupported},
      {"MultiClusterService", "spec: {ports: [{port: 80, targetPort: 1.5}]}",
       "spec.ports[0].targetPort", T::kTypeInvalid},
      {"MultiClusterJob",
       "spec: {backoffLimit: -1, template: {spec: {containers: [{name: a, "
       "image: b}]}}}",
       "spec.backoffLimit", T::kInvalid},
      {"MultiClusterJob",
       "spec: {template: {spec: {restartPolicy: Always, containers: [{name: "
       "a, image: b}]}}}",
       "spec.template.spec.restartPolicy", T::kNotSupported},
      {"CloudProvisioner", "spec: {gatewayIP: 10.0.0.1}",
       "spec.cloudClusterName", T::kRequired},
      {"CloudProvisioner",
       "spec: {cloudClusterName: cloud1, kubernetesVersion: '1.28'}",
       "spec.kubernetesVersion", T::kInvalid},
      {"CloudProvisioner", "spec: {cloudClusterName: cloud1, provider: ovh}",
       "spec.provider", T::kNotSupported},
      {"MemberCluster", "spec: {region: bretagne}", "spec.kubeconfigSecretRef",
       T::kRequired},
      {"MemberCluster",
       "spec: {kubeconfigSecretRef: {namespace: a, name: b}, taints: [{key: "
       "k, effect: Evict}]}",
       "spec.taints[0].effect", T::kNotSupported},
      {"MemberCluster",
       "spec: {kubeconfigSecretRef: {namespace: a, name: b}, cloud: 'yes'}",
       "spec.cloud", T::kTypeInvalid},
      {"MemberCluster",
       "spec: {kubeconfigSecretRef: {namespace: a, name: b}, prometheus: "
       "{url: prometheus:9090}}",
       "spec.prometheus.url", T::kInvalid},
  };
  for (const Case& c : cases) {
    INFO(c.kind << ": " << c.yaml);
    rapidjson::Document doc = Yaml("apiVersion: fogguru.eu/v1\nkind: " +
                                   c.kind + "\nmetadata: {name: x}\n" + c.yaml);
    AdmissionResult result =
        AdmitObject(SchemaOf(c.kind).schema, doc, doc.GetAllocator());
    INFO(FormatFieldErrors(result.errors));
    bool found = false;
    for (const FieldError& e : result.errors) {
      found |= e.path == c.path && e.type == c.type;
    }
    CHECK(found);
  }
}

}  // namespace
}  // namespace mck8s::apischema
