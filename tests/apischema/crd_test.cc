// Reading CustomResourceDefinitions: the facts a server needs, and the
// problems kube-apiserver would refuse a definition for.

#include "mck8s/apischema/crd.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mck8s/apischema/yaml_json.h"
#include "rapidjson/document.h"

namespace mck8s::apischema {
namespace {

const char* const kWidgets = R"(
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.org
spec:
  group: example.org
  scope: Namespaced
  names:
    kind: Widget
    plural: widgets
    shortNames: [wd]
  versions:
    - name: v1beta1
      served: true
      storage: false
      deprecated: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
    - name: v1
      served: true
      storage: true
      subresources:
        status: {}
        scale:
          specReplicasPath: .spec.replicas
          statusReplicasPath: .status.replicas
          labelSelectorPath: .status.selector
      additionalPrinterColumns:
        - name: Replicas
          type: integer
          jsonPath: .spec.replicas
        - name: Age
          type: date
          jsonPath: .metadata.creationTimestamp
          priority: 1
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                replicas: {type: integer, minimum: 0}
            status:
              type: object
              properties:
                replicas: {type: integer}
                selector: {type: string}
)";

rapidjson::Document Yaml(const std::string& text) {
  absl::StatusOr<rapidjson::Document> doc = ParseYamlDocument(text);
  INFO(text);
  REQUIRE(doc.ok());
  return std::move(doc).value();
}

TEST_CASE("a definition reads into names, versions and subresources",
          "[apischema][crd]") {
  absl::StatusOr<CustomResourceDefinition> crd =
      ReadCustomResourceDefinition(Yaml(kWidgets));
  REQUIRE(crd.ok());
  CHECK(crd->name == "widgets.example.org");
  CHECK(crd->group == "example.org");
  CHECK(crd->kind == "Widget");
  CHECK(crd->list_kind == "WidgetList");
  CHECK(crd->plural == "widgets");
  CHECK(crd->singular == "widget");
  CHECK(crd->short_names == std::vector<std::string>{"wd"});
  CHECK(crd->namespaced);
  REQUIRE(crd->versions.size() == 2);
  CHECK(crd->versions[0].deprecated);
  CHECK(crd->StorageVersion().name == "v1");
  const CrdVersion* v1 = crd->FindVersion("v1");
  REQUIRE(v1 != nullptr);
  CHECK(crd->FindVersion("v2") == nullptr);
  CHECK(v1->status_subresource);
  REQUIRE(v1->scale.has_value());
  CHECK(v1->scale->spec_replicas_path == ".spec.replicas");
  CHECK(v1->scale->status_replicas_path == ".status.replicas");
  CHECK(v1->scale->label_selector_path == ".status.selector");
  REQUIRE(v1->printer_columns.size() == 2);
  CHECK(v1->printer_columns[1].name == "Age");
  CHECK(v1->printer_columns[1].type == "date");
  CHECK(v1->printer_columns[1].priority == 1);

  rapidjson::Document widget =
      Yaml("apiVersion: example.org/v1\nkind: Widget\nspec: {replicas: -1}\n");
  std::vector<FieldError> errors = v1->schema.Validate(widget);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].path == "spec.replicas");
  CHECK(crd->versions[0].schema.Validate(widget).empty());
}

TEST_CASE("definitions kube-apiserver would refuse are refused",
          "[apischema][crd]") {
  struct Case {
    std::string name;
    std::string from;  // text of kWidgets to replace
    std::string to;
    std::string path;
    FieldErrorType type;
  };
  const std::vector<Case> cases = {
      {"name does not match plural.group", "name: widgets.example.org",
       "name: gadgets.example.org", "metadata.name", FieldErrorType::kInvalid},
      {"wrong apiVersion", "apiVersion: apiextensions.k8s.io/v1",
       "apiVersion: apiextensions.k8s.io/v1beta1", "apiVersion",
       FieldErrorType::kNotSupported},
      {"group without a dot", "group: example.org", "group: example",
       "spec.group", FieldErrorType::kInvalid},
      {"unknown scope", "scope: Namespaced", "scope: Global", "spec.scope",
       FieldErrorType::kNotSupported},
      {"two storage versions", "storage: false", "storage: true",
       "spec.versions", FieldErrorType::kInvalid},
      {"no storage version", "storage: true", "storage: false",
       "spec.versions", FieldErrorType::kInvalid},
      {"duplicate version names", "name: v1beta1", "name: v1",
       "spec.versions[1].name", FieldErrorType::kDuplicate},
      {"upper-case plural", "plural: widgets", "plural: Widgets",
       "spec.names.plural", FieldErrorType::kInvalid},
      {"non-structural schema", "replicas: {type: integer, minimum: 0}",
       "replicas: {minimum: 0}",
       "spec.versions[1].schema.openAPIV3Schema.properties[spec].properties["
       "replicas].type",
       FieldErrorType::kRequired},
      {"scale path outside spec", "specReplicasPath: .spec.replicas",
       "specReplicasPath: .status.replicas",
       "spec.versions[1].subresources.scale.specReplicasPath",
       FieldErrorType::kInvalid},
      {"scale path of the wrong type", "selector: {type: string}",
       "selector: {type: integer}",
       "spec.versions[1].subresources.scale.labelSelectorPath",
       FieldErrorType::kInvalid},
      {"unknown printer column type", "type: date", "type: time",
       "spec.versions[1].additionalPrinterColumns[1].type",
       FieldErrorType::kNotSupported},
      {"unknown field in a version", "served: true\n      storage: true",
       "served: true\n      stored: true\n      storage: true",
       "spec.versions[1].stored", FieldErrorType::kForbidden},
      {"preserveUnknownFields true", "scope: Namespaced",
       "scope: Namespaced\n  preserveUnknownFields: true",
       "spec.preserveUnknownFields", FieldErrorType::kInvalid},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    std::string text = kWidgets;
    size_t at = text.find(c.from);
    REQUIRE(at != std::string::npos);
    text.replace(at, c.from.size(), c.to);
    std::vector<FieldError> errors =
        ValidateCustomResourceDefinition(Yaml(text));
    INFO(FormatFieldErrors(errors));
    bool found = false;
    for (const FieldError& e : errors) {
      found |= e.path == c.path && e.type == c.type;
    }
    CHECK(found);
    absl::StatusOr<CustomResourceDefinition> crd =
        ReadCustomResourceDefinition(Yaml(text));
    REQUIRE_FALSE(crd.ok());
    CHECK_THAT(std::string(crd.status().message()),
               Catch::Contains("is invalid: "));
  }
}

TEST_CASE("a definition with a repeated key does not parse",
          "[apischema][crd]") {
  // The shape of the original mck8s definition: `versions` given twice.
  absl::StatusOr<rapidjson::Document> doc = ParseYamlDocument(R"(
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: multiclusterdeployments.fogguru.eu
spec:
  scope: Namespaced
  group: fogguru.eu
  versions:
    - name: v1
      served: true
      storage: true
  names:
    kind: MultiClusterDeployment
    plural: multiclusterdeployments
  versions:
    - name: v1
      served: true
      storage: true
)");
  REQUIRE_FALSE(doc.ok());
  CHECK_THAT(std::string(doc.status().message()),
             Catch::Contains("line 16, column 3: key \"versions\" already "
                             "defined"));
}

}  // namespace
}  // namespace mck8s::apischema
