// Structural schemas: which schemas are structural, and validation,
// defaulting and pruning of objects with kube-apiserver's wording.

#include "mck8s/apischema/structural_schema.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mck8s/apischema/field_error.h"
#include "mck8s/apischema/yaml_json.h"
#include "rapidjson/document.h"

namespace mck8s::apischema {
namespace {

using T = FieldErrorType;

rapidjson::Document Yaml(const std::string& text) {
  absl::StatusOr<rapidjson::Document> doc = ParseYamlDocument(text);
  INFO(text);
  REQUIRE(doc.ok());
  return std::move(doc).value();
}

StructuralSchema CompileYaml(const std::string& text) {
  absl::StatusOr<StructuralSchema> schema =
      StructuralSchema::Compile(Yaml(text));
  INFO(text);
  if (!schema.ok()) FAIL(schema.status().message());
  return *schema;
}

// A schema exercising every validation keyword, under spec.
const char* const kSchema = R"(
type: object
properties:
  spec:
    type: object
    required: [name]
    properties:
      name: {type: string, minLength: 1, maxLength: 8, pattern: '^[a-z]+$'}
      count: {type: integer, minimum: 1, maximum: 10}
      ratio: {type: number, minimum: 0, maximum: 1, exclusiveMaximum: true}
      level: {type: number, minimum: 0, exclusiveMinimum: true}
      step: {type: integer, multipleOf: 5}
      mode: {type: string, enum: [fast, slow]}
      enabled: {type: boolean}
      when: {type: string, format: date-time}
      day: {type: string, format: date}
      blob: {type: string, format: byte}
      id: {type: string, format: uuid}
      port: {x-kubernetes-int-or-string: true}
      maybe: {type: string, nullable: true}
      tags:
        type: array
        minItems: 1
        maxItems: 3
        x-kubernetes-list-type: set
        items: {type: string}
      labels:
        type: object
        maxProperties: 2
        minProperties: 1
        additionalProperties: {type: string}
      entries:
        type: array
        x-kubernetes-list-type: map
        x-kubernetes-list-map-keys: [key]
        items:
          type: object
          required: [key]
          properties:
            key: {type: string}
            value: {type: integer}
      free: {type: object, x-kubernetes-preserve-unknown-fields: true}
      closed: {type: object, additionalProperties: false}
      either: {type: string, anyOf: [{pattern: '^a'}, {pattern: '^b'}]}
      one: {type: integer, oneOf: [{minimum: 10}, {maximum: 20}]}
      notx: {type: string, not: {enum: [forbidden]}}
      both: {type: string, allOf: [{minLength: 2}, {maxLength: 4}]}
)";

struct Expected {
  std::string path;
  T type;
  std::string message;  // exact when not empty
};

TEST_CASE("validation reports what kube-apiserver reports",
          "[apischema][validate]") {
  StructuralSchema schema = CompileYaml(kSchema);
  struct Case {
    std::string name;
    std::string spec;  // YAML of spec
    std::vector<Expected> errors;
  };
  const std::vector<Case> cases = {
      {"valid minimal object", "{name: abc}", {}},
      {"valid full object",
       "{name: abc, count: 10, ratio: 0.5, level: 0.1, step: 15, mode: slow, "
       "enabled: true, when: '2021-10-13T09:30:00Z', day: '2024-02-29', "
       "blob: aGVsbG8=, id: c95efff4-fd35-46f1-af1d-d65459fcebef, port: 80, "
       "maybe: null, tags: [a, b], labels: {a: x}, "
       "entries: [{key: a}, {key: b, value: 2}], free: {x: [1, {y: z}]}, "
       "closed: {}, either: bcd, one: 5, notx: fine, both: abc}",
       {}},
      {"required field missing",
       "{count: 2}",
       {{"spec.name", T::kRequired, "Required value"}}},
      {"minLength and pattern both fail on an empty string",
       "{name: ''}",
       {{"spec.name", T::kInvalid,
         "Invalid value: \"\": spec.name in body should be at least 1 chars "
         "long"},
        {"spec.name", T::kInvalid,
         "Invalid value: \"\": spec.name in body should match '^[a-z]+$'"}}},
      {"maxLength", "{name: abcdefghij}",
       {{"spec.name", T::kTooLong, "Too long: may not be longer than 8"}}},
      {"maxLength counts characters, not bytes", "{name: ééééé}",
       {{"spec.name", T::kInvalid, ""}}},  // only the pattern fails
      {"pattern", "{name: ABC}",
       {{"spec.name", T::kInvalid,
         "Invalid value: \"ABC\": spec.name in body should match "
         "'^[a-z]+$'"}}},
      {"wrong type", "{name: 5}",
       {{"spec.name", T::kTypeInvalid,
         "Invalid value: \"integer\": spec.name in body must be of type "
         "string: \"integer\""}}},
      {"null in a non-nullable field", "{name: null}",
       {{"spec.name", T::kTypeInvalid,
         "Invalid value: \"null\": spec.name in body must be of type "
         "string: \"null\""}}},
      {"minimum", "{name: a, count: 0}",
       {{"spec.count", T::kInvalid,
         "Invalid value: 0: spec.count in body should be greater than or "
         "equal to 1"}}},
      {"maximum", "{name: a, count: 11}",
       {{"spec.count", T::kInvalid,
         "Invalid value: 11: spec.count in body should be less than or equal "
         "to 10"}}},
      {"a fraction is not an integer", "{name: a, count: 2.5}",
       {{"spec.count", T::kTypeInvalid,
         "Invalid value: \"number\": spec.count in body must be of type "
         "integer: \"number\""}}},
      {"exclusive maximum", "{name: a, ratio: 1}",
       {{"spec.ratio", T::kInvalid,
         "Invalid value: 1: spec.ratio in body should be less than 1"}}},
      {"exclusive minimum", "{name: a, level: 0}",
       {{"spec.level", T::kInvalid,
         "Invalid value: 0: spec.level in body should be greater than 0"}}},
      {"multipleOf", "{name: a, step: 7}",
       {{"spec.step", T::kInvalid,
         "Invalid value: 7: spec.step in body should be a multiple of 5"}}},
      {"enum", "{name: a, mode: medium}",
       {{"spec.mode", T::kNotSupported,
         "Unsupported value: \"medium\": supported values: \"fast\", "
         "\"slow\""}}},
      {"boolean", "{name: a, enabled: 'yes'}",
       {{"spec.enabled", T::kTypeInvalid,
         "Invalid value: \"string\": spec.enabled in body must be of type "
         "boolean: \"string\""}}},
      {"date-time", "{name: a, when: yesterday}",
       {{"spec.when", T::kTypeInvalid,
         "Invalid value: \"yesterday\": spec.when in body must be of type "
         "date-time: \"yesterday\""}}},
      {"date-time with offset and fraction",
       "{name: a, when: '2021-10-13T09:30:00.123+02:00'}", {}},
      {"date out of range", "{name: a, day: '2023-02-29'}",
       {{"spec.day", T::kTypeInvalid, ""}}},
      {"byte", "{name: a, blob: 'not base64!'}",
       {{"spec.blob", T::kTypeInvalid, ""}}},
      {"uuid", "{name: a, id: 9cc0b5b7-222f-41bb-8960-98f5ccea14}",
       {{"spec.id", T::kTypeInvalid, ""}}},
      {"int-or-string takes a string", "{name: a, port: http}", {}},
      {"int-or-string rejects a boolean", "{name: a, port: true}",
       {{"spec.port", T::kTypeInvalid,
         "Invalid value: \"boolean\": spec.port in body must be of type "
         "integer,string: \"boolean\""}}},
      {"int-or-string rejects a fraction", "{name: a, port: 1.5}",
       {{"spec.port", T::kTypeInvalid, ""}}},
      {"minItems", "{name: a, tags: []}",
       {{"spec.tags", T::kInvalid,
         "Invalid value: []: spec.tags in body should have at least 1 "
         "items"}}},
      {"maxItems", "{name: a, tags: [a, b, c, d]}",
       {{"spec.tags", T::kTooMany, "Too many: 4: must have at most 3 items"}}},
      {"set items are unique", "{name: a, tags: [a, b, a]}",
       {{"spec.tags[2]", T::kDuplicate, "Duplicate value: \"a\""}}},
      {"additionalProperties schema", "{name: a, labels: {a: 1}}",
       {{"spec.labels.a", T::kTypeInvalid, ""}}},
      {"maxProperties", "{name: a, labels: {a: x, b: w, c: z}}",
       {{"spec.labels", T::kTooMany, "Too many: 3: must have at most 2 items"}}},
      {"minProperties", "{name: a, labels: {}}",
       {{"spec.labels", T::kInvalid,
         "Invalid value: {}: spec.labels in body should have at least 1 "
         "properties"}}},
      {"map list keys are unique",
       "{name: a, entries: [{key: a}, {key: b}, {key: a, value: 2}]}",
       {{"spec.entries[2]", T::kDuplicate,
         "Duplicate value: {\"key\":\"a\"}"}}},
      {"required inside list items", "{name: a, entries: [{value: 1}]}",
       {{"spec.entries[0].key", T::kRequired, "Required value"}}},
      {"additionalProperties false forbids every key",
       "{name: a, closed: {x: 1}}",
       {{"spec.closed.x", T::kForbidden, ""}}},
      {"anyOf", "{name: a, either: cde}",
       {{"spec.either", T::kInvalid,
         "Invalid value: \"cde\": spec.either in body must validate at least "
         "one schema (anyOf)"}}},
      {"oneOf with two matches", "{name: a, one: 15}",
       {{"spec.one", T::kInvalid,
         "Invalid value: 15: spec.one in body must validate one and only one "
         "schema (oneOf)"}}},
      {"not", "{name: a, notx: forbidden}",
       {{"spec.notx", T::kInvalid,
         "Invalid value: \"forbidden\": spec.notx in body must not validate "
         "the schema (not)"}}},
      {"allOf reports the failing branch and the summary",
       "{name: a, both: x}",
       {{"spec.both", T::kInvalid,
         "Invalid value: \"x\": spec.both in body should be at least 2 chars "
         "long"},
        {"spec.both", T::kInvalid,
         "Invalid value: \"x\": spec.both in body must validate all the "
         "schemas (allOf)"}}},
      {"unknown fields are not validation errors", "{name: a, extra: 1}", {}},
      {"every error is reported",
       "{count: 0, mode: x, tags: [a, a]}",
       {{"spec.name", T::kRequired, ""},
        {"spec.count", T::kInvalid, ""},
        {"spec.mode", T::kNotSupported, ""},
        {"spec.tags[1]", T::kDuplicate, ""}}},
  };
  for (const Case& c : cases) {
    INFO(c.name << ": spec: " << c.spec);
    rapidjson::Document object = Yaml("spec: " + c.spec);
    std::vector<FieldError> errors = schema.Validate(object);
    INFO("got: " << FormatFieldErrors(errors));
    REQUIRE(errors.size() == c.errors.size());
    for (size_t i = 0; i < errors.size(); ++i) {
      CHECK(errors[i].path == c.errors[i].path);
      CHECK(errors[i].type == c.errors[i].type);
      if (!c.errors[i].message.empty()) {
        CHECK(errors[i].message == c.errors[i].message);
      }
    }
  }
}

TEST_CASE("a wrong type stops validation of that field's children",
          "[apischema][validate]") {
  StructuralSchema schema = CompileYaml(kSchema);
  std::vector<FieldError> errors = schema.Validate(Yaml("spec: [1, 2]"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].ToString() ==
        "spec: Invalid value: \"array\": spec in body must be of type object: "
        "\"array\"");
}

TEST_CASE("integral JSON numbers count as integers", "[apischema][validate]") {
  StructuralSchema schema = CompileYaml(kSchema);
  rapidjson::Document object;
  object.Parse(R"({"spec": {"name": "a", "count": 3.0}})");
  REQUIRE_FALSE(object.HasParseError());
  CHECK(schema.Validate(object).empty());
}

TEST_CASE("field errors carry the Status cause reason",
          "[apischema][validate]") {
  CHECK(FieldErrorReason(T::kInvalid) == "FieldValueInvalid");
  CHECK(FieldErrorReason(T::kRequired) == "FieldValueRequired");
  CHECK(FieldErrorReason(T::kNotSupported) == "FieldValueNotSupported");
  CHECK(FieldErrorReason(T::kTypeInvalid) == "FieldValueTypeInvalid");
  CHECK(FieldErrorReason(T::kDuplicate) == "FieldValueDuplicate");
  CHECK(FieldErrorReason(T::kTooLong) == "FieldValueTooLong");
  CHECK(FieldErrorReason(T::kTooMany) == "FieldValueTooMany");
  CHECK(FieldErrorReason(T::kForbidden) == "FieldValueForbidden");

  std::vector<FieldError> two = {
      MakeFieldError(T::kRequired, "spec.a", std::nullopt, ""),
      MakeFieldError(T::kInvalid, "spec.b", "0", "too small")};
  CHECK(FormatFieldErrors(two) ==
        "[spec.a: Required value, spec.b: Invalid value: 0: too small]");
  CHECK(FormatFieldErrors({two[0]}) == "spec.a: Required value");
  CHECK(FormatFieldErrors({}).empty());
}

TEST_CASE("numbers and strings print as Go prints them",
          "[apischema][validate]") {
  struct Case {
    double value;
    std::string text;
  };
  const std::vector<Case> cases = {
      {1, "1"},         {0, "0"},          {-3, "-3"},
      {0.5, "0.5"},     {1.25, "1.25"},    {100000, "100000"},
      {1e20, "100000000000000000000"},     {1e21, "1e+21"},
      {0.0001, "0.0001"}, {0.00001, "1e-05"}, {1.5e-7, "1.5e-07"},
      {123456.789, "123456.789"},
  };
  for (const Case& c : cases) {
    INFO(c.value);
    CHECK(RenderNumber(c.value) == c.text);
  }
  CHECK(Quote("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\x01\"");
}

TEST_CASE("structural schemas are accepted", "[apischema][structural]") {
  const std::vector<std::string> good = {
      "{type: object}",
      "{type: object, properties: {spec: {type: object, properties: {a: "
      "{type: string}}}}}",
      "{type: object, properties: {p: {x-kubernetes-int-or-string: true}}}",
      "{type: object, properties: {p: {x-kubernetes-int-or-string: true, "
      "anyOf: [{type: integer}, {type: string}]}}}",
      "{type: object, properties: {p: {x-kubernetes-int-or-string: true, "
      "allOf: [{anyOf: [{type: integer}, {type: string}]}, {pattern: x}]}}}",
      "{type: object, properties: {p: {x-kubernetes-preserve-unknown-fields: "
      "true}}}",
      "{type: object, properties: {metadata: {type: object, properties: "
      "{name: {type: string, maxLength: 20}, generateName: {type: string}}}}}",
      "{type: object, properties: {apiVersion: {type: string}, kind: {type: "
      "string}}}",
      "{type: object, properties: {l: {type: array, x-kubernetes-list-type: "
      "map, x-kubernetes-list-map-keys: [k], items: {type: object, required: "
      "[k], properties: {k: {type: string}}}}}}",
      "{type: object, properties: {l: {type: array, x-kubernetes-list-type: "
      "map, x-kubernetes-list-map-keys: [k], items: {type: object, "
      "properties: {k: {type: string, default: x}}}}}}",
      "{type: object, properties: {s: {type: string, anyOf: [{pattern: a}, "
      "{maxLength: 3}]}}}",
      "{type: object, properties: {o: {type: object, properties: {a: {type: "
      "string}}, anyOf: [{required: [a]}, {properties: {a: {minLength: "
      "2}}}]}}}",
      "{type: object, properties: {m: {type: object, additionalProperties: "
      "{type: integer, default: 3}}}}",
      "{type: object, properties: {c: {type: object, additionalProperties: "
      "false}}}",
      "{type: object, properties: {e: {type: object, "
      "x-kubernetes-embedded-resource: true, "
      "x-kubernetes-preserve-unknown-fields: true}}}",
      "{type: object, properties: {d: {type: object, default: {a: 1}, "
      "properties: {a: {type: integer, minimum: 1}, b: {type: string, "
      "default: x}}}}}",
      "{type: object, x-kubernetes-validations: [{rule: 'self.a > 0'}]}",
  };
  for (const std::string& schema : good) {
    INFO(schema);
    std::vector<FieldError> errors =
        StructuralSchema::CheckStructural(Yaml(schema));
    INFO(FormatFieldErrors(errors));
    CHECK(errors.empty());
    CHECK(StructuralSchema::Compile(Yaml(schema)).ok());
  }
}

TEST_CASE("schemas that are not structural are rejected",
          "[apischema][structural]") {
  struct Case {
    std::string schema;
    std::string path;
    T type;
  };
  const std::string kRoot = "openAPIV3Schema";
  const std::string kP = kRoot + ".properties[p]";
  const std::vector<Case> cases = {
      {"{properties: {a: {type: string}}}", kRoot + ".type", T::kRequired},
      {"{type: string}", kRoot + ".type", T::kInvalid},
      {"{type: object, properties: {p: {description: untyped}}}", kP + ".type",
       T::kRequired},
      {"{type: object, properties: {p: {type: array}}}", kP + ".items",
       T::kRequired},
      {"{type: object, properties: {p: {type: array, items: {}}}}",
       kP + ".items.type", T::kRequired},
      {"{type: object, properties: {p: {type: array, items: [{type: "
       "string}]}}}",
       kP + ".items", T::kForbidden},
      {"{type: object, properties: {p: {type: map}}}", kP + ".type",
       T::kNotSupported},
      {"{type: object, properties: {p: {type: [string, 'null']}}}",
       kP + ".type", T::kTypeInvalid},
      {"{type: object, properties: {p: {type: object, properties: {a: {type: "
       "string}}, additionalProperties: {type: string}}}}",
       kP + ".additionalProperties", T::kForbidden},
      {"{type: object, properties: {p: {type: object, properties: {a: {type: "
       "string}}, additionalProperties: false}}}",
       kP + ".additionalProperties", T::kForbidden},
      {"{type: object, properties: {p: {type: string, "
       "x-kubernetes-int-or-string: true}}}",
       kP + ".type", T::kInvalid},
      {"{type: object, properties: {p: {type: string, anyOf: [{type: "
       "string}]}}}",
       kP + ".anyOf[0].type", T::kForbidden},
      {"{type: object, properties: {p: {type: string, allOf: [{description: "
       "x}]}}}",
       kP + ".allOf[0].description", T::kForbidden},
      {"{type: object, properties: {p: {type: string, oneOf: [{default: "
       "x}]}}}",
       kP + ".oneOf[0].default", T::kForbidden},
      {"{type: object, properties: {p: {type: string, not: {nullable: "
       "true}}}}",
       kP + ".not.nullable", T::kForbidden},
      {"{type: object, properties: {p: {type: object, anyOf: [{properties: "
       "{b: {minLength: 1}}}]}}}",
       kP + ".properties[b]", T::kRequired},
      {"{type: object, properties: {p: {type: object, allOf: "
       "[{x-kubernetes-preserve-unknown-fields: true}]}}}",
       kP + ".allOf[0].x-kubernetes-preserve-unknown-fields", T::kForbidden},
      {"{type: object, properties: {metadata: {type: object, properties: "
       "{labels: {type: object}}}}}",
       kRoot + ".properties[metadata].properties[labels]", T::kForbidden},
      {"{type: object, properties: {metadata: {type: object, required: "
       "[name]}}}",
       kRoot + ".properties[metadata].required", T::kForbidden},
      {"{type: object, properties: {metadata: {type: object, description: "
       "x}}}",
       kRoot + ".properties[metadata].description", T::kForbidden},
      {"{type: object, properties: {metadata: {type: object, properties: "
       "{name: {type: integer}}}}}",
       kRoot + ".properties[metadata].properties[name].type", T::kInvalid},
      {"{type: object, properties: {apiVersion: {type: integer}}}",
       kRoot + ".properties[apiVersion].type", T::kInvalid},
      {"{type: object, properties: {p: {type: object, "
       "x-kubernetes-preserve-unknown-fields: false}}}",
       kP + ".x-kubernetes-preserve-unknown-fields", T::kInvalid},
      {"{type: object, properties: {p: {type: string, "
       "x-kubernetes-preserve-unknown-fields: true}}}",
       kP + ".type", T::kInvalid},
      {"{type: object, properties: {p: {$ref: '#/definitions/x'}}}",
       kP + ".$ref", T::kForbidden},
      {"{type: object, properties: {p: {type: array, items: {type: string}, "
       "uniqueItems: true}}}",
       kP + ".uniqueItems", T::kForbidden},
      {"{type: object, properties: {p: {type: integer, minimun: 1}}}",
       kP + ".minimun", T::kForbidden},
      {"{type: object, properties: {p: {type: string, pattern: '('}}}",
       kP + ".pattern", T::kInvalid},
      {"{type: object, properties: {p: {type: string, minLength: -1}}}",
       kP + ".minLength", T::kInvalid},
      {"{type: object, properties: {p: {type: integer, minimum: one}}}",
       kP + ".minimum", T::kTypeInvalid},
      {"{type: object, properties: {p: {type: array, x-kubernetes-list-type: "
       "map, items: {type: object, properties: {k: {type: string}}}}}}",
       kP + ".x-kubernetes-list-map-keys", T::kRequired},
      {"{type: object, properties: {p: {type: array, x-kubernetes-list-type: "
       "map, x-kubernetes-list-map-keys: [k], items: {type: object, "
       "properties: {k: {type: string}}}}}}",
       kP + ".items.properties[k]", T::kRequired},
      {"{type: object, properties: {p: {type: array, x-kubernetes-list-type: "
       "set, items: {type: object}}}}",
       kP + ".items.type", T::kForbidden},
      {"{type: object, properties: {p: {type: string, x-kubernetes-list-type: "
       "set}}}",
       kP + ".x-kubernetes-list-type", T::kInvalid},
      {"{type: object, properties: {p: {type: array, items: {type: string}, "
       "x-kubernetes-list-map-keys: [a]}}}",
       kP + ".x-kubernetes-list-map-keys", T::kForbidden},
      {"{type: object, properties: {p: {type: integer, minimum: 1, default: "
       "0}}}",
       kP + ".default", T::kInvalid},
      {"{type: object, properties: {p: {type: object, properties: {a: {type: "
       "string}}, default: {a: x, b: y}}}}",
       kP + ".default", T::kInvalid},
      {"{type: object, properties: {p: {type: string, "
       "x-kubernetes-embedded-resource: true}}}",
       kP + ".type", T::kInvalid},
      {"{type: object, default: {}}", kRoot + ".default", T::kForbidden},
      {"[]", kRoot, T::kInvalid},
  };
  for (const Case& c : cases) {
    INFO(c.schema);
    std::vector<FieldError> errors =
        StructuralSchema::CheckStructural(Yaml("s: " + c.schema)["s"]);
    INFO(FormatFieldErrors(errors));
    bool found = false;
    for (const FieldError& e : errors) {
      found |= e.path == c.path && e.type == c.type;
    }
    CHECK(found);
    absl::StatusOr<StructuralSchema> compiled =
        StructuralSchema::Compile(Yaml("s: " + c.schema)["s"]);
    CHECK_FALSE(compiled.ok());
    if (!compiled.ok()) {
      CHECK(compiled.status().code() == absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST_CASE("structural violations use the caller's path prefix",
          "[apischema][structural]") {
  std::vector<FieldError> errors = StructuralSchema::CheckStructural(
      Yaml("{type: object, properties: {spec: {}}}"),
      "spec.versions[0].schema.openAPIV3Schema");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].ToString() ==
        "spec.versions[0].schema.openAPIV3Schema.properties[spec].type: "
        "Required value: must not be empty for specified object fields");
}

TEST_CASE("defaults fill missing fields top-down", "[apischema][default]") {
  StructuralSchema schema = CompileYaml(R"(
type: object
properties:
  spec:
    type: object
    properties:
      replicas: {type: integer, default: 1}
      policy: {type: string, default: worst-fit}
      note: {type: string}
      maybe: {type: string, nullable: true, default: x}
      strategy:
        type: object
        default: {}
        properties:
          maxSurge: {type: integer, default: 25}
      ports:
        type: array
        items:
          type: object
          properties:
            port: {type: integer}
            protocol: {type: string, default: TCP}
      limits:
        type: object
        additionalProperties:
          type: object
          properties:
            unit: {type: string, default: m}
)");
  struct Case {
    std::string in;
    std::string out;
  };
  const std::vector<Case> cases = {
      {"spec: {}",
       R"({"spec":{"replicas":1,"policy":"worst-fit","maybe":"x","strategy":{"maxSurge":25}}})"},
      {"spec: {replicas: 3, policy: spread, maybe: q, strategy: {maxSurge: 1}}",
       R"({"spec":{"replicas":3,"policy":"spread","maybe":"q","strategy":{"maxSurge":1}}})"},
      {"spec: {replicas: null, note: null, maybe: null}",
       R"({"spec":{"replicas":1,"maybe":null,"policy":"worst-fit","strategy":{"maxSurge":25}}})"},
      {"spec: {ports: [{port: 80}, {port: 53, protocol: UDP}]}",
       R"({"spec":{"ports":[{"port":80,"protocol":"TCP"},{"port":53,"protocol":"UDP"}],"replicas":1,"policy":"worst-fit","maybe":"x","strategy":{"maxSurge":25}}})"},
      {"spec: {limits: {cpu: {}, mem: {unit: Mi}}}",
       R"({"spec":{"limits":{"cpu":{"unit":"m"},"mem":{"unit":"Mi"}},"replicas":1,"policy":"worst-fit","maybe":"x","strategy":{"maxSurge":25}}})"},
      {"other: 1", R"({"other":1})"},
  };
  for (const Case& c : cases) {
    INFO(c.in);
    rapidjson::Document object = Yaml(c.in);
    schema.ApplyDefaults(object, object.GetAllocator());
    CHECK(ToJson(object) == c.out);
  }
}

TEST_CASE("pruning removes and reports unknown fields", "[apischema][prune]") {
  StructuralSchema schema = CompileYaml(R"(
type: object
properties:
  spec:
    type: object
    properties:
      name: {type: string}
      items:
        type: array
        items:
          type: object
          properties:
            a: {type: string}
      free:
        type: object
        x-kubernetes-preserve-unknown-fields: true
        properties:
          strict:
            type: object
            properties:
              k: {type: string}
      open:
        type: object
        additionalProperties: true
      map:
        type: object
        additionalProperties:
          type: object
          properties:
            v: {type: integer}
      nested:
        type: object
        x-kubernetes-embedded-resource: true
        properties:
          spec:
            type: object
            properties:
              x: {type: string}
)");
  const std::string input = R"(
apiVersion: fogguru.eu/v1
kind: Thing
metadata: {name: t, labels: {a: b}, whatever: kept}
spec:
  name: nn
  extra: 1
  items: [{a: x, b: y}, {c: z}]
  free: {anything: [1], strict: {k: v, drop: 1}}
  open: {any: thing}
  map: {one: {v: 1, w: 2}}
  nested: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {x: a, y: b}, status: {}}
status: {phase: Running}
top: 1
)";
  const std::vector<std::string> expected = {
      "spec.extra",
      "spec.items[0].b",
      "spec.items[1].c",
      "spec.free.strict.drop",
      "spec.map.one.w",
      "spec.nested.spec.y",
      "spec.nested.status",
      "status",
      "top",
  };
  rapidjson::Document object = Yaml(input);
  std::string before = ToJson(object);
  CHECK(schema.UnknownFields(object) == expected);
  CHECK(ToJson(object) == before);  // UnknownFields only reads

  CHECK(schema.Prune(object) == expected);
  CHECK(ToJson(object) ==
        R"({"apiVersion":"fogguru.eu/v1","kind":"Thing","metadata":{"name":"t","labels":{"a":"b"},"whatever":"kept"},)"
        R"("spec":{"name":"nn","items":[{"a":"x"},{}],"free":{"anything":[1],"strict":{"k":"v"}},)"
        R"("open":{"any":"thing"},"map":{"one":{"v":1}},)"
        R"("nested":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"x":"a"}}}})");
  CHECK(schema.UnknownFields(object).empty());
  CHECK(UnknownFieldMessage("spec.extra") == "unknown field \"spec.extra\"");
}

TEST_CASE("admission prunes, defaults, then validates", "[apischema][admit]") {
  StructuralSchema schema = CompileYaml(R"(
type: object
properties:
  spec:
    type: object
    required: [image]
    properties:
      image: {type: string, minLength: 1}
      replicas: {type: integer, minimum: 0, default: 1}
)");
  rapidjson::Document object = Yaml("spec: {image: nginx, typo: 3}");
  AdmissionResult result = AdmitObject(schema, object, object.GetAllocator());
  CHECK(result.unknown_fields == std::vector<std::string>{"spec.typo"});
  CHECK(result.errors.empty());
  CHECK(ToJson(object) == R"({"spec":{"image":"nginx","replicas":1}})");

  rapidjson::Document bad = Yaml("spec: {replicas: -1}");
  AdmissionResult rejected = AdmitObject(schema, bad, bad.GetAllocator());
  CHECK(rejected.unknown_fields.empty());
  CHECK(FormatFieldErrors(rejected.errors) ==
        "[spec.image: Required value, spec.replicas: Invalid value: -1: "
        "spec.replicas in body should be greater than or equal to 0]");
}

TEST_CASE("the default schema keeps everything", "[apischema][admit]") {
  StructuralSchema permissive;
  rapidjson::Document object = Yaml("spec: {a: 1}\nstatus: {b: [2]}\n");
  CHECK(permissive.UnknownFields(object).empty());
  CHECK(permissive.Validate(object).empty());
  CHECK(permissive.Validate(Yaml("[1]")).size() == 1);
}

TEST_CASE("long strings against a pattern do not exhaust the stack",
          "[apischema][validate]") {
  StructuralSchema schema = CompileYaml(
      "{type: object, properties: {s: {type: string, pattern: "
      "'^[a-z]+(,[a-z]+)*$'}}}");
  std::string long_value;
  for (int i = 0; i < 20000; ++i) long_value += "abcd,";
  long_value += "end";
  rapidjson::Document object(rapidjson::kObjectType);
  object.AddMember("s",
                   rapidjson::Value(long_value.c_str(), object.GetAllocator()),
                   object.GetAllocator());
  CHECK(schema.Validate(object).empty());
  object["s"].SetString("Abc", object.GetAllocator());
  CHECK(schema.Validate(object).size() == 1);
}

}  // namespace
}  // namespace mck8s::apischema
