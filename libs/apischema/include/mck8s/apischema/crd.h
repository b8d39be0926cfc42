// -----------------------------------------------------------------------------
// File: mck8s/apischema/crd.h
// -----------------------------------------------------------------------------
//
// A CustomResourceDefinition (`apiextensions.k8s.io/v1`) read into the facts
// a server needs to serve its resources: names, scope, versions with their
// compiled StructuralSchema, status and scale subresources and printer
// columns. Reading checks the definition the way kube-apiserver does when it
// is created (names consistent, one storage version, structural schemas...),
// so a definition that reads here would be accepted by a real cluster.
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(rapidjson::Document doc, ParseYamlDocument(text));
//   MCK8S_ASSIGN_OR_RETURN(CustomResourceDefinition crd,
//                          ReadCustomResourceDefinition(doc));
//   const CrdVersion* v = crd.FindVersion("v1");
//   AdmissionResult r = AdmitObject(v->schema, object, allocator);
//
// Values are immutable once read; all functions are pure and thread-safe.

#ifndef MCK8S_APISCHEMA_CRD_H_
#define MCK8S_APISCHEMA_CRD_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "mck8s/apischema/field_error.h"
#include "mck8s/apischema/structural_schema.h"
#include "rapidjson/document.h"

namespace mck8s::apischema {

struct PrinterColumn {
  std::string name;
  std::string type;  // integer, number, string, boolean or date
  std::string format;
  std::string description;
  std::string json_path;  // ".status.replicas"
  int priority = 0;
};

struct ScaleSubresource {
  std::string spec_replicas_path;    // ".spec.replicas"
  std::string status_replicas_path;  // ".status.replicas"
  std::string label_selector_path;   // ".status.selector"; may be empty
};

struct CrdVersion {
  std::string name;  // "v1"
  bool served = false;
  bool storage = false;
  bool deprecated = false;
  std::string deprecation_warning;
  StructuralSchema schema;
  bool status_subresource = false;
  std::optional<ScaleSubresource> scale;
  std::vector<PrinterColumn> printer_columns;
};

struct CustomResourceDefinition {
  std::string name;  // "<plural>.<group>"
  std::string group;
  std::string kind;
  std::string list_kind;
  std::string plural;
  std::string singular;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool namespaced = true;
  std::vector<CrdVersion> versions;

  // The version with `storage: true` (exactly one exists once read).
  const CrdVersion& StorageVersion() const;
  // The version named `name`, or nullptr.
  const CrdVersion* FindVersion(std::string_view name) const;
};

// Every problem kube-apiserver would report when creating `crd`, with paths
// like "spec.versions[0].schema.openAPIV3Schema.properties[spec].type".
// Empty when the definition is acceptable.
std::vector<FieldError> ValidateCustomResourceDefinition(
    const rapidjson::Value& crd);

// Reads a definition; InvalidArgumentError listing the problems found by
// ValidateCustomResourceDefinition when it is not acceptable.
absl::StatusOr<CustomResourceDefinition> ReadCustomResourceDefinition(
    const rapidjson::Value& crd);

}  // namespace mck8s::apischema

#endif  // MCK8S_APISCHEMA_CRD_H_
