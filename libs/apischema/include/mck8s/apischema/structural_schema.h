// -----------------------------------------------------------------------------
// File: mck8s/apischema/structural_schema.h
// -----------------------------------------------------------------------------
//
// The OpenAPI v3 schemas of CustomResourceDefinitions, checked and applied as
// kube-apiserver does. A StructuralSchema is compiled once from the
// `openAPIV3Schema` of a CRD version and then validates, defaults and prunes
// any number of objects quickly (no re-parsing, regular expressions compiled
// once).
//
// Compiling enforces the structural-schema rules of `apiextensions.k8s.io/v1`:
//   * every node has a non-empty `type` (object, array, string, integer,
//     number, boolean), except a node with `x-kubernetes-int-or-string: true`
//     (which must leave it empty) or `x-kubernetes-preserve-unknown-fields:
//     true`; the root is an object; arrays have one `items` schema;
//   * `properties` and `additionalProperties` (a schema or false) exclude each
//     other;
//   * inside `allOf`/`anyOf`/`oneOf`/`not` only value validations appear: no
//     `type` (except the int-or-string pattern `anyOf: [{type: integer},
//     {type: string}]`), `description`, `default`, `nullable`,
//     `additionalProperties` or `x-kubernetes-*`; fields and items named there
//     are also specified outside;
//   * `metadata` at the root holds only `type: object` and restrictions of
//     `name` and `generateName` (not even a description); an embedded
//     resource's `metadata` is an object; `apiVersion`/`kind` are strings;
//   * `x-kubernetes-list-type` is atomic/set/map on arrays, `map` has
//     `x-kubernetes-list-map-keys` naming scalar item properties that are
//     required or defaulted, `set` items are scalars;
//   * `$ref`, `definitions`, `dependencies`, `patternProperties`,
//     `additionalItems`, `uniqueItems: true` and unknown keywords are refused;
//     patterns must compile (ECMAScript syntax); defaults must validate and
//     must not hold fields the schema would prune.
// `x-kubernetes-validations` (CEL rules) are accepted but not evaluated.
//
// Validation supports: type, nullable, enum, minimum/maximum (with
// exclusiveMinimum/exclusiveMaximum), multipleOf, minLength/maxLength
// (characters), pattern (unanchored search, like Go's regexp), format
// (date-time, date, byte and uuid are checked; int-or-string and unknown
// formats accept any value of the node's type),
// minItems/maxItems, min/maxProperties, required, properties,
// additionalProperties (schema or bool), items, x-kubernetes-int-or-string,
// x-kubernetes-preserve-unknown-fields, x-kubernetes-list-type set/map
// uniqueness, allOf/anyOf/oneOf/not. Messages match kube-apiserver's wording.
//
// The API server's order on create and update is Prune, ApplyDefaults,
// Validate; AdmitObject does the three.
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(StructuralSchema schema,
//                          StructuralSchema::Compile(version["schema"]
//                                                        ["openAPIV3Schema"]));
//   rapidjson::Document object = ...;
//   AdmissionResult r = AdmitObject(schema, object, object.GetAllocator());
//   if (strict && !r.unknown_fields.empty()) reject(r.unknown_fields);
//   if (!r.errors.empty()) reject(FormatFieldErrors(r.errors));
//
// A StructuralSchema is immutable and cheap to copy (shared state); all const
// methods are thread-safe. No function throws or aborts on bad input.

#ifndef MCK8S_APISCHEMA_STRUCTURAL_SCHEMA_H_
#define MCK8S_APISCHEMA_STRUCTURAL_SCHEMA_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "mck8s/apischema/field_error.h"
#include "rapidjson/document.h"

namespace mck8s::apischema {

using JsonAllocator = rapidjson::Document::AllocatorType;

namespace internal {
struct SchemaNode;
struct CompiledSchema;
}  // namespace internal

class StructuralSchema {
 public:
  // The schema that accepts anything and keeps every field:
  // `{type: object, x-kubernetes-preserve-unknown-fields: true}`, what CRDs
  // without validation use.
  StructuralSchema();

  // Checks `schema` (the JSON value of an `openAPIV3Schema`) and compiles it.
  // On violations returns InvalidArgumentError whose message lists them,
  // paths prefixed with "openAPIV3Schema".
  static absl::StatusOr<StructuralSchema> Compile(
      const rapidjson::Value& schema);

  // The structural violations of `schema` (empty when it is structural), with
  // paths under `path_prefix`, e.g.
  // "spec.versions[0].schema.openAPIV3Schema.properties[spec].type".
  static std::vector<FieldError> CheckStructural(
      const rapidjson::Value& schema,
      std::string_view path_prefix = "openAPIV3Schema");

  // Validates `object` (a whole custom resource, or any value the schema
  // describes) and returns every violation; empty means valid. Fields the
  // schema does not know are not errors here: see Prune.
  std::vector<FieldError> Validate(const rapidjson::Value& object) const;

  // Fills in `default`s top-down: a missing field with a default gets a copy
  // of it (and the defaults inside that copy), a `null` in a non-nullable
  // field gets its default or, without one, is removed. `allocator` must be
  // the allocator of the document that owns `object`.
  void ApplyDefaults(rapidjson::Value& object, JsonAllocator& allocator) const;

  // Removes fields the schema does not specify and returns their paths in
  // document order ("spec.foo", "spec.template.spec.containers[0].bar").
  // Subtrees under `x-kubernetes-preserve-unknown-fields: true` are kept;
  // `apiVersion`, `kind` and `metadata` of the root and of embedded resources
  // are always kept. With fieldValidation=Strict a server rejects the object
  // when the list is not empty (`unknown field "spec.foo"`).
  std::vector<std::string> Prune(rapidjson::Value& object) const;

  // The paths Prune would remove, without changing the object.
  std::vector<std::string> UnknownFields(const rapidjson::Value& object) const;

  // The original schema JSON, as compiled.
  const rapidjson::Value& json() const;

 private:
  explicit StructuralSchema(std::shared_ptr<const internal::CompiledSchema> c)
      : compiled_(std::move(c)) {}
  std::shared_ptr<const internal::CompiledSchema> compiled_;
};

struct AdmissionResult {
  std::vector<std::string> unknown_fields;  // pruned, in document order
  std::vector<FieldError> errors;           // validation of the pruned object
};

// Prune, ApplyDefaults, then Validate: what kube-apiserver does to a custom
// resource on create and update. `object` is modified in place.
AdmissionResult AdmitObject(const StructuralSchema& schema,
                            rapidjson::Value& object, JsonAllocator& allocator);

// kube-apiserver's message for a strictly rejected field:
// `unknown field "spec.foo"`.
std::string UnknownFieldMessage(std::string_view path);

}  // namespace mck8s::apischema

#endif  // MCK8S_APISCHEMA_STRUCTURAL_SCHEMA_H_
