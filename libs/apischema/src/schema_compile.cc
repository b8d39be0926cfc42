// Compiles an OpenAPI v3 schema into SchemaNodes and checks, on the way, the
// structural-schema rules of apiextensions.k8s.io/v1 (see
// structural_schema.h for the list).

#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "mck8s/apischema/structural_schema.h"
#include "schema_node.h"

namespace mck8s::apischema {
namespace internal {
namespace {

constexpr absl::string_view kNotStructural = "must be empty to be structural";
constexpr absl::string_view kMetadataOnlyName =
    "must not specify anything other than name and generateName, but "
    "metadata is implicitly specified";

// Where a node sits, which decides the rules that apply to it.
enum class Role {
  kRoot,
  kProperty,
  kAdditionalProperties,
  kItems,
  kJunctor,
  kRootMetadata,
  kMetadataName,
};

// What a junctor subtree may say about types: only the int-or-string
// pattern `anyOf: [{type: integer}, {type: string}]`.
enum class JunctorTypes { kNone, kIntOrStringAnyOf };

const absl::flat_hash_set<absl::string_view>& KnownKeywords() {
  static const auto* keywords = new absl::flat_hash_set<absl::string_view>{
      "id",
      "$schema",
      "$ref",
      "description",
      "type",
      "format",
      "title",
      "default",
      "maximum",
      "exclusiveMaximum",
      "minimum",
      "exclusiveMinimum",
      "maxLength",
      "minLength",
      "pattern",
      "maxItems",
      "minItems",
      "uniqueItems",
      "multipleOf",
      "enum",
      "maxProperties",
      "minProperties",
      "required",
      "items",
      "allOf",
      "oneOf",
      "anyOf",
      "not",
      "properties",
      "additionalProperties",
      "patternProperties",
      "dependencies",
      "additionalItems",
      "definitions",
      "externalDocs",
      "example",
      "nullable",
      "x-kubernetes-preserve-unknown-fields",
      "x-kubernetes-embedded-resource",
      "x-kubernetes-int-or-string",
      "x-kubernetes-list-map-keys",
      "x-kubernetes-list-type",
      "x-kubernetes-map-type",
      "x-kubernetes-validations",
  };
  return *keywords;
}

absl::string_view View(const rapidjson::Value& v) {
  return absl::string_view(v.GetString(), v.GetStringLength());
}

std::string QuoteView(absl::string_view s) {
  return Quote(std::string_view(s.data(), s.size()));
}

bool IsScalarType(const SchemaNode& node) {
  switch (node.type) {
    case JsonType::kString:
    case JsonType::kInteger:
    case JsonType::kNumber:
    case JsonType::kBoolean:
      return true;
    case JsonType::kNone:
      return node.int_or_string;
    default:
      return false;
  }
}

class Compiler {
 public:
  explicit Compiler(std::vector<FieldError>& errors) : errors_(errors) {}

  std::unique_ptr<SchemaNode> Compile(const rapidjson::Value& json,
                                      const std::string& path, Role role,
                                      JunctorTypes junctor_types) {
    auto node = std::make_unique<SchemaNode>();
    if (!json.IsObject()) {
      Error(FieldErrorType::kInvalid, path, RenderValue(json),
            "must be a schema object");
      return node;
    }
    const bool in_junctor = role == Role::kJunctor;
    node->resource_root = role == Role::kRoot;

    for (const auto& member : json.GetObject()) {
      absl::string_view key = View(member.name);
      std::string key_path = absl::StrCat(path, ".", key);
      if (!KnownKeywords().contains(key)) {
        Error(FieldErrorType::kForbidden, key_path, std::nullopt,
              "unknown schema keyword");
        continue;
      }
      if (key == "$ref" || key == "definitions" || key == "dependencies" ||
          key == "patternProperties" || key == "additionalItems" ||
          key == "id" || key == "$schema") {
        Error(FieldErrorType::kForbidden, key_path, std::nullopt,
              absl::StrCat(key, " is not supported"));
      }
      if (key == "uniqueItems" && member.value.IsBool() &&
          member.value.GetBool()) {
        Error(FieldErrorType::kForbidden, key_path, std::nullopt,
              "uniqueItems cannot be set to true since the runtime "
              "complexity becomes quadratic");
      }
      // kube-apiserver compares the rest of metadata's schema with an empty
      // one, so even a description is refused there.
      if (role == Role::kRootMetadata && key != "type" &&
          key != "properties") {
        Error(FieldErrorType::kForbidden, key_path, std::nullopt,
              kMetadataOnlyName);
      }
    }

    ReadExtensions(json, path, *node, in_junctor);
    ReadType(json, path, role, junctor_types, *node);
    ReadScalarKeywords(json, path, role, *node);
    ReadObjectKeywords(json, path, role, *node);
    ReadArrayKeywords(json, path, role, *node);
    ReadJunctors(json, path, *node);
    CheckListType(path, *node);
    ReadDefault(json, path, role, *node);
    return node;
  }

 private:
  void Error(FieldErrorType type, const std::string& path,
             std::optional<std::string> bad_value, absl::string_view detail) {
    errors_.push_back(MakeFieldError(type, path, std::move(bad_value),
                                     std::string(detail)));
  }

  const rapidjson::Value* Get(const rapidjson::Value& json,
                              absl::string_view key) {
    auto it = json.FindMember(
        rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
    return it == json.MemberEnd() ? nullptr : &it->value;
  }

  std::optional<bool> GetBool(const rapidjson::Value& json,
                              absl::string_view key, const std::string& path) {
    const rapidjson::Value* v = Get(json, key);
    if (v == nullptr) return std::nullopt;
    if (!v->IsBool()) {
      Error(FieldErrorType::kTypeInvalid, absl::StrCat(path, ".", key),
            RenderValue(*v), "must be a boolean");
      return std::nullopt;
    }
    return v->GetBool();
  }

  std::optional<double> GetNumber(const rapidjson::Value& json,
                                  absl::string_view key,
                                  const std::string& path) {
    const rapidjson::Value* v = Get(json, key);
    if (v == nullptr) return std::nullopt;
    if (!v->IsNumber()) {
      Error(FieldErrorType::kTypeInvalid, absl::StrCat(path, ".", key),
            RenderValue(*v), "must be a number");
      return std::nullopt;
    }
    return v->GetDouble();
  }

  std::optional<int64_t> GetCount(const rapidjson::Value& json,
                                  absl::string_view key,
                                  const std::string& path) {
    const rapidjson::Value* v = Get(json, key);
    if (v == nullptr) return std::nullopt;
    if (!v->IsInt64() || v->GetInt64() < 0) {
      Error(FieldErrorType::kInvalid, absl::StrCat(path, ".", key),
            RenderValue(*v), "must be a non-negative integer");
      return std::nullopt;
    }
    return v->GetInt64();
  }

  void ReadExtensions(const rapidjson::Value& json, const std::string& path,
                      SchemaNode& node, bool in_junctor) {
    static constexpr absl::string_view kExtensions[] = {
        "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-embedded-resource",
        "x-kubernetes-int-or-string",
        "x-kubernetes-list-map-keys",
        "x-kubernetes-list-type",
        "x-kubernetes-map-type",
        "x-kubernetes-validations",
    };
    if (in_junctor) {
      for (absl::string_view ext : kExtensions) {
        if (Get(json, ext) != nullptr) {
          Error(FieldErrorType::kForbidden, absl::StrCat(path, ".", ext),
                std::nullopt, kNotStructural);
        }
      }
      return;
    }
    if (std::optional<bool> p =
            GetBool(json, "x-kubernetes-preserve-unknown-fields", path)) {
      if (!*p) {
        Error(FieldErrorType::kInvalid,
              absl::StrCat(path, ".x-kubernetes-preserve-unknown-fields"),
              "false", "must be true or undefined");
      }
      node.preserve_unknown_fields = *p;
    }
    node.embedded_resource =
        GetBool(json, "x-kubernetes-embedded-resource", path).value_or(false);
    node.int_or_string =
        GetBool(json, "x-kubernetes-int-or-string", path).value_or(false);
    if (node.embedded_resource) node.resource_root = true;
  }

  void ReadType(const rapidjson::Value& json, const std::string& path,
                Role role, JunctorTypes junctor_types, SchemaNode& node) {
    const rapidjson::Value* type = Get(json, "type");
    std::string type_path = absl::StrCat(path, ".type");
    if (type != nullptr && !type->IsString()) {
      Error(FieldErrorType::kTypeInvalid, type_path, RenderValue(*type),
            "must be a string");
      type = nullptr;
    }
    absl::string_view name = type != nullptr ? View(*type) : "";
    if (!name.empty()) {
      static constexpr std::pair<absl::string_view, JsonType> kTypes[] = {
          {"object", JsonType::kObject},   {"array", JsonType::kArray},
          {"string", JsonType::kString},   {"integer", JsonType::kInteger},
          {"number", JsonType::kNumber},   {"boolean", JsonType::kBoolean},
      };
      bool known = false;
      for (const auto& [text, json_type] : kTypes) {
        if (name == text) {
          node.type = json_type;
          known = true;
        }
      }
      if (!known) {
        Error(FieldErrorType::kNotSupported, type_path, QuoteView(name),
              "supported values: \"array\", \"boolean\", \"integer\", "
              "\"number\", \"object\", \"string\"");
      }
      node.type_name = std::string(name);
    }

    if (role == Role::kJunctor) {
      bool int_or_string_branch =
          junctor_types == JunctorTypes::kIntOrStringAnyOf &&
          (name == "integer" || name == "string");
      if (type != nullptr && !int_or_string_branch) {
        Error(FieldErrorType::kForbidden, type_path, std::nullopt,
              kNotStructural);
      }
      return;
    }
    if (node.int_or_string) {
      if (!name.empty()) {
        Error(FieldErrorType::kInvalid, type_path, QuoteView(name),
              "must be empty if x-kubernetes-int-or-string is true");
      }
      return;
    }
    if (role == Role::kRoot && name != "object") {
      if (name.empty()) {
        Error(FieldErrorType::kRequired, type_path, std::nullopt,
              "must not be empty at the root");
      } else {
        Error(FieldErrorType::kInvalid, type_path, QuoteView(name),
              "must be object at the root");
      }
      return;
    }
    if (role == Role::kRootMetadata && !name.empty() && name != "object") {
      Error(FieldErrorType::kInvalid, type_path, QuoteView(name),
            "must be object");
    }
    if (role == Role::kMetadataName && name != "string") {
      Error(FieldErrorType::kInvalid, type_path, QuoteView(name),
            "must be string");
    }
    if (name.empty() && !node.preserve_unknown_fields) {
      Error(FieldErrorType::kRequired, type_path, std::nullopt,
            role == Role::kItems
                ? "must not be empty for specified array items"
                : "must not be empty for specified object fields");
    }
    if (node.preserve_unknown_fields && !name.empty() && name != "object") {
      Error(FieldErrorType::kInvalid, type_path, QuoteView(name),
            "must be object if x-kubernetes-preserve-unknown-fields is true");
    }
    if (node.embedded_resource && name != "object") {
      Error(FieldErrorType::kInvalid, type_path, QuoteView(name),
            "must be object if x-kubernetes-embedded-resource is true");
    }
  }

  void ReadScalarKeywords(const rapidjson::Value& json,
                          const std::string& path, Role role,
                          SchemaNode& node) {
    bool in_junctor = role == Role::kJunctor;
    for (absl::string_view key : {"description", "title"}) {
      if (const rapidjson::Value* v = Get(json, key)) {
        if (!v->IsString()) {
          Error(FieldErrorType::kTypeInvalid, absl::StrCat(path, ".", key),
                RenderValue(*v), "must be a string");
        } else if (in_junctor && key == "description") {
          Error(FieldErrorType::kForbidden, absl::StrCat(path, ".", key),
                std::nullopt, kNotStructural);
        }
      }
    }
    if (std::optional<bool> n = GetBool(json, "nullable", path)) {
      node.nullable = *n;
      if (in_junctor) {
        Error(FieldErrorType::kForbidden, absl::StrCat(path, ".nullable"),
              std::nullopt, kNotStructural);
      }
    }
    if (const rapidjson::Value* f = Get(json, "format")) {
      if (!f->IsString()) {
        Error(FieldErrorType::kTypeInvalid, absl::StrCat(path, ".format"),
              RenderValue(*f), "must be a string");
      } else {
        node.format_name = std::string(View(*f));
        if (node.format_name == "date-time") node.format = Format::kDateTime;
        if (node.format_name == "date") node.format = Format::kDate;
        if (node.format_name == "byte") node.format = Format::kByte;
        if (node.format_name == "uuid") node.format = Format::kUuid;
      }
    }
    node.minimum = GetNumber(json, "minimum", path);
    node.maximum = GetNumber(json, "maximum", path);
    node.exclusive_minimum =
        GetBool(json, "exclusiveMinimum", path).value_or(false);
    node.exclusive_maximum =
        GetBool(json, "exclusiveMaximum", path).value_or(false);
    node.multiple_of = GetNumber(json, "multipleOf", path);
    if (node.multiple_of.has_value() && !(*node.multiple_of > 0)) {
      Error(FieldErrorType::kInvalid, absl::StrCat(path, ".multipleOf"),
            RenderNumber(*node.multiple_of), "must be greater than zero");
      node.multiple_of.reset();
    }
    node.min_length = GetCount(json, "minLength", path);
    node.max_length = GetCount(json, "maxLength", path);
    node.min_items = GetCount(json, "minItems", path);
    node.max_items = GetCount(json, "maxItems", path);
    node.min_properties = GetCount(json, "minProperties", path);
    node.max_properties = GetCount(json, "maxProperties", path);
    if (const rapidjson::Value* p = Get(json, "pattern")) {
      if (!p->IsString()) {
        Error(FieldErrorType::kTypeInvalid, absl::StrCat(path, ".pattern"),
              RenderValue(*p), "must be a string");
      } else {
        node.pattern_text = std::string(View(*p));
        try {
          // Polynomial (breadth-first) matching: no back-references, as in
          // the Go engine the API server uses, and no recursion per input
          // character, so long strings cannot exhaust the stack.
          node.pattern.emplace(node.pattern_text,
                               std::regex::ECMAScript | std::regex::optimize |
                                   std::regex_constants::__polynomial);
        } catch (const std::regex_error& e) {
          Error(FieldErrorType::kInvalid, absl::StrCat(path, ".pattern"),
                Quote(node.pattern_text),
                absl::StrCat("must be a valid regular expression, but isn't: ",
                             e.what()));
        }
      }
    }
    if (const rapidjson::Value* e = Get(json, "enum")) {
      if (!e->IsArray()) {
        Error(FieldErrorType::kTypeInvalid, absl::StrCat(path, ".enum"),
              RenderValue(*e), "must be a list");
      } else {
        node.enum_values = e;
      }
    }
  }

  void ReadObjectKeywords(const rapidjson::Value& json,
                          const std::string& path, Role role,
                          SchemaNode& node) {
    bool in_junctor = role == Role::kJunctor;
    if (const rapidjson::Value* r = Get(json, "required")) {
      bool ok = r->IsArray();
      if (ok) {
        for (const rapidjson::Value& name : r->GetArray()) {
          if (!name.IsString()) {
            ok = false;
            break;
          }
          node.required.emplace_back(View(name));
        }
      }
      if (!ok) {
        Error(FieldErrorType::kTypeInvalid, absl::StrCat(path, ".required"),
              RenderValue(*r), "must be a list of strings");
      }
    }
    if (const rapidjson::Value* props = Get(json, "properties")) {
      if (!props->IsObject()) {
        Error(FieldErrorType::kTypeInvalid, absl::StrCat(path, ".properties"),
              RenderValue(*props), "must be an object of schemas");
      } else {
        for (const auto& member : props->GetObject()) {
          std::string name(View(member.name));
          std::string child_path =
              absl::StrCat(path, ".properties[", name, "]");
          Role child_role = in_junctor ? Role::kJunctor : Role::kProperty;
          if (role == Role::kRootMetadata) {
            if (name != "name" && name != "generateName") {
              Error(FieldErrorType::kForbidden, child_path, std::nullopt,
                    kMetadataOnlyName);
              continue;
            }
            child_role = Role::kMetadataName;
          } else if (role == Role::kRoot && name == "metadata") {
            child_role = Role::kRootMetadata;
          } else if (node.resource_root && name == "metadata") {
            // An embedded resource's metadata is ObjectMeta: any
            // restriction may be added, but it stays an object.
            const rapidjson::Value* t = Get(member.value, "type");
            if (member.value.IsObject() &&
                (t == nullptr || !t->IsString() || View(*t) != "object")) {
              Error(FieldErrorType::kInvalid, absl::StrCat(child_path, ".type"),
                    t == nullptr ? std::string("\"\"") : RenderValue(*t),
                    "must be object");
            }
          } else if (node.resource_root &&
                     (name == "apiVersion" || name == "kind")) {
            const rapidjson::Value* t = Get(member.value, "type");
            if (member.value.IsObject() &&
                (t == nullptr || !t->IsString() || View(*t) != "string")) {
              Error(FieldErrorType::kInvalid, absl::StrCat(child_path, ".type"),
                    t == nullptr ? std::string("\"\"") : RenderValue(*t),
                    "must be string");
            }
          }
          std::unique_ptr<SchemaNode> child = Compile(
              member.value, child_path, child_role, JunctorTypes::kNone);
          node.property_index[name] = child.get();
          node.properties.emplace_back(std::move(name), std::move(child));
        }
      }
    }
    if (const rapidjson::Value* ap = Get(json, "additionalProperties")) {
      std::string ap_path = absl::StrCat(path, ".additionalProperties");
      if (in_junctor) {
        Error(FieldErrorType::kForbidden, ap_path, std::nullopt,
              kNotStructural);
      }
      if (ap->IsBool()) {
        node.additional =
            ap->GetBool() ? Additional::kAllowAll : Additional::kForbidAll;
      } else if (ap->IsObject()) {
        node.additional = Additional::kSchema;
        node.additional_properties =
            Compile(*ap, ap_path,
                    in_junctor ? Role::kJunctor : Role::kAdditionalProperties,
                    JunctorTypes::kNone);
      } else {
        Error(FieldErrorType::kTypeInvalid, ap_path, RenderValue(*ap),
              "must be a schema object or a boolean");
      }
      if (!node.properties.empty() &&
          (node.additional == Additional::kSchema ||
           node.additional == Additional::kForbidAll)) {
        Error(FieldErrorType::kForbidden, ap_path, std::nullopt,
              "additionalProperties and properties are mutual exclusive");
      }
    }
    if (!in_junctor && node.type != JsonType::kObject &&
        node.type != JsonType::kNone &&
        (!node.properties.empty() || node.additional != Additional::kUnspecified)) {
      Error(FieldErrorType::kForbidden, absl::StrCat(path, ".properties"),
            std::nullopt, "must only be used with type object");
    }
  }

  void ReadArrayKeywords(const rapidjson::Value& json,
                         const std::string& path, Role role,
                         SchemaNode& node) {
    bool in_junctor = role == Role::kJunctor;
    const rapidjson::Value* items = Get(json, "items");
    std::string items_path = absl::StrCat(path, ".items");
    if (items != nullptr) {
      if (items->IsArray()) {
        Error(FieldErrorType::kForbidden, items_path, std::nullopt,
              "items must be a schema object and not an array");
      } else {
        node.items = Compile(*items, items_path,
                             in_junctor ? Role::kJunctor : Role::kItems,
                             JunctorTypes::kNone);
      }
    } else if (node.type == JsonType::kArray) {
      Error(FieldErrorType::kRequired, items_path, std::nullopt,
            "must be specified");
    }
    if (!in_junctor && items != nullptr && node.type != JsonType::kArray &&
        node.type != JsonType::kNone) {
      Error(FieldErrorType::kForbidden, items_path, std::nullopt,
            "must only be used with type array");
    }
    if (const rapidjson::Value* lt = Get(json, "x-kubernetes-list-type");
        lt != nullptr && !in_junctor) {
      std::string lt_path = absl::StrCat(path, ".x-kubernetes-list-type");
      absl::string_view v = lt->IsString() ? View(*lt) : "";
      if (v == "atomic") {
        node.list_type = ListType::kAtomic;
      } else if (v == "set") {
        node.list_type = ListType::kSet;
      } else if (v == "map") {
        node.list_type = ListType::kMap;
      } else {
        Error(FieldErrorType::kNotSupported, lt_path, RenderValue(*lt),
              "supported values: \"atomic\", \"map\", \"set\"");
      }
      if (node.type != JsonType::kArray) {
        Error(FieldErrorType::kInvalid, lt_path, RenderValue(*lt),
              "must only be used if type is array");
      }
    }
    if (const rapidjson::Value* keys = Get(json, "x-kubernetes-list-map-keys");
        keys != nullptr && !in_junctor) {
      std::string keys_path = absl::StrCat(path, ".x-kubernetes-list-map-keys");
      bool ok = keys->IsArray() && !keys->Empty();
      absl::flat_hash_set<std::string> seen;
      if (ok) {
        for (const rapidjson::Value& k : keys->GetArray()) {
          if (!k.IsString() || !seen.insert(std::string(View(k))).second) {
            ok = false;
            break;
          }
          node.list_map_keys.emplace_back(View(k));
        }
      }
      if (!ok) {
        Error(FieldErrorType::kInvalid, keys_path, RenderValue(*keys),
              "must be a non-empty list of unique property names");
      }
      if (node.list_type != ListType::kMap) {
        Error(FieldErrorType::kForbidden, keys_path, std::nullopt,
              "must only be used if x-kubernetes-list-type is map");
      }
    }
    if (const rapidjson::Value* mt = Get(json, "x-kubernetes-map-type");
        mt != nullptr && !in_junctor) {
      std::string mt_path = absl::StrCat(path, ".x-kubernetes-map-type");
      absl::string_view v = mt->IsString() ? View(*mt) : "";
      if (v != "atomic" && v != "granular") {
        Error(FieldErrorType::kNotSupported, mt_path, RenderValue(*mt),
              "supported values: \"atomic\", \"granular\"");
      }
      if (node.type != JsonType::kObject) {
        Error(FieldErrorType::kInvalid, mt_path, RenderValue(*mt),
              "must only be used if type is object");
      }
    }
  }

  void CheckListType(const std::string& path, const SchemaNode& node) {
    if (node.items == nullptr) return;
    const SchemaNode& items = *node.items;
    if (node.list_type == ListType::kSet) {
      if (!IsScalarType(items) && items.type != JsonType::kNone) {
        Error(FieldErrorType::kForbidden, absl::StrCat(path, ".items.type"),
              std::nullopt,
              "must be a scalar type if parent array's "
              "x-kubernetes-list-type is set");
      }
    }
    if (node.list_type == ListType::kMap) {
      std::string keys_path = absl::StrCat(path, ".x-kubernetes-list-map-keys");
      if (node.list_map_keys.empty()) {
        Error(FieldErrorType::kRequired, keys_path, std::nullopt,
              "must not be empty if x-kubernetes-list-type is map");
      }
      if (items.type != JsonType::kObject) {
        Error(FieldErrorType::kInvalid, absl::StrCat(path, ".items.type"),
              Quote(items.type_name),
              "must be object if parent array's x-kubernetes-list-type is "
              "map");
        return;
      }
      for (const std::string& key : node.list_map_keys) {
        const SchemaNode* key_node = items.Property(key);
        if (key_node == nullptr || !IsScalarType(*key_node)) {
          Error(FieldErrorType::kInvalid, keys_path, Quote(key),
                "entries must all be names of item properties of scalar "
                "type");
          continue;
        }
        bool required = false;
        for (const std::string& r : items.required) required |= r == key;
        if (!required && key_node->default_value == nullptr) {
          Error(FieldErrorType::kRequired,
                absl::StrCat(path, ".items.properties[", key, "]"),
                std::nullopt,
                "this property is in x-kubernetes-list-map-keys, so it must "
                "have a default or be a required property");
        }
      }
    }
  }

  void ReadJunctors(const rapidjson::Value& json, const std::string& path,
                    SchemaNode& node) {
    for (absl::string_view key : {"allOf", "anyOf", "oneOf"}) {
      const rapidjson::Value* list = Get(json, key);
      if (list == nullptr) continue;
      std::string list_path = absl::StrCat(path, ".", key);
      if (!list->IsArray()) {
        Error(FieldErrorType::kTypeInvalid, list_path, RenderValue(*list),
              "must be a list of schemas");
        continue;
      }
      auto& target = key == "allOf"   ? node.all_of
                     : key == "anyOf" ? node.any_of
                                      : node.one_of;
      JunctorTypes types = JunctorTypes::kNone;
      if (node.int_or_string && key == "anyOf") {
        types = JunctorTypes::kIntOrStringAnyOf;
      }
      for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
        std::string item_path = absl::StrCat(list_path, "[", i, "]");
        const rapidjson::Value& sub = (*list)[i];
        // allOf: [{anyOf: [{type: integer}, {type: string}]}, ...] is the
        // other accepted int-or-string spelling.
        if (node.int_or_string && key == "allOf" && sub.IsObject()) {
          if (const rapidjson::Value* inner = Get(sub, "anyOf");
              inner != nullptr && inner->IsArray()) {
            auto wrapper = std::make_unique<SchemaNode>();
            for (rapidjson::SizeType j = 0; j < inner->Size(); ++j) {
              wrapper->any_of.push_back(
                  Compile((*inner)[j],
                          absl::StrCat(item_path, ".anyOf[", j, "]"),
                          Role::kJunctor, JunctorTypes::kIntOrStringAnyOf));
            }
            target.push_back(std::move(wrapper));
            continue;
          }
        }
        target.push_back(Compile(sub, item_path, Role::kJunctor, types));
        CheckSkeleton(*target.back(), node, item_path, path);
      }
    }
    if (const rapidjson::Value* n = Get(json, "not")) {
      std::string not_path = absl::StrCat(path, ".not");
      node.not_schema =
          Compile(*n, not_path, Role::kJunctor, JunctorTypes::kNone);
      CheckSkeleton(*node.not_schema, node, not_path, path);
    }
  }

  // Fields and items named inside a junctor must exist outside it too.
  void CheckSkeleton(const SchemaNode& inner, const SchemaNode& outer,
                     const std::string& inner_path,
                     const std::string& outer_path) {
    for (const auto& [name, child] : inner.properties) {
      const SchemaNode* outer_child = outer.Member(name);
      std::string child_inner = absl::StrCat(inner_path, ".properties[", name, "]");
      if (outer_child == nullptr) {
        Error(FieldErrorType::kRequired,
              absl::StrCat(outer_path, ".properties[", name, "]"),
              std::nullopt,
              absl::StrCat("must be specified because it is specified in ",
                           child_inner));
        continue;
      }
      CheckSkeleton(*child, *outer_child, child_inner,
                    absl::StrCat(outer_path, ".properties[", name, "]"));
    }
    if (inner.items != nullptr) {
      std::string items_inner = absl::StrCat(inner_path, ".items");
      if (outer.items == nullptr) {
        Error(FieldErrorType::kRequired, absl::StrCat(outer_path, ".items"),
              std::nullopt,
              absl::StrCat("must be specified because it is specified in ",
                           items_inner));
      } else {
        CheckSkeleton(*inner.items, *outer.items, items_inner,
                      absl::StrCat(outer_path, ".items"));
      }
    }
  }

  void ReadDefault(const rapidjson::Value& json, const std::string& path,
                   Role role, SchemaNode& node) {
    const rapidjson::Value* d = Get(json, "default");
    if (d == nullptr) return;
    std::string default_path = absl::StrCat(path, ".default");
    if (role == Role::kJunctor) {
      Error(FieldErrorType::kForbidden, default_path, std::nullopt,
            kNotStructural);
      return;
    }
    if (role == Role::kRoot || role == Role::kRootMetadata ||
        role == Role::kMetadataName) {
      Error(FieldErrorType::kForbidden, default_path, std::nullopt,
            "must not be set at the root or in metadata");
      return;
    }
    // The default must survive pruning unchanged and, with the defaults
    // nested in it applied, validate.
    rapidjson::Document copy;
    copy.CopyFrom(*d, copy.GetAllocator());
    std::string prune_path = "default";
    std::vector<std::string> unknown;
    PruneValue(node, copy, /*remove=*/false, prune_path, unknown);
    for (const std::string& field : unknown) {
      Error(FieldErrorType::kInvalid, default_path, RenderValue(*d),
            absl::StrCat("must not have unknown fields, but has ", field));
    }
    DefaultValue(node, copy, copy.GetAllocator());
    std::vector<FieldError> problems;
    std::string validate_path = "default";
    ValidateValue(node, copy, validate_path, problems);
    for (FieldError& problem : problems) {
      errors_.push_back(MakeFieldError(problem.type, default_path,
                                       problem.bad_value.empty()
                                           ? std::nullopt
                                           : std::optional(problem.bad_value),
                                       problem.detail.empty()
                                           ? problem.path
                                           : problem.detail));
    }
    node.default_value = d;
  }

  std::vector<FieldError>& errors_;
};

}  // namespace
}  // namespace internal

namespace {

using internal::CompiledSchema;

std::shared_ptr<CompiledSchema> CompileWithErrors(
    const rapidjson::Value& schema, std::string_view path_prefix,
    std::vector<FieldError>& errors) {
  auto compiled = std::make_shared<CompiledSchema>();
  compiled->json.CopyFrom(schema, compiled->json.GetAllocator());
  internal::Compiler compiler(errors);
  compiled->root =
      compiler.Compile(compiled->json, std::string(path_prefix),
                       internal::Role::kRoot, internal::JunctorTypes::kNone);
  return compiled;
}

std::shared_ptr<const CompiledSchema> PermissiveSchema() {
  static const auto* schema = [] {
    rapidjson::Document json;
    json.Parse(R"({"type":"object","x-kubernetes-preserve-unknown-fields":true})");
    std::vector<FieldError> errors;
    return new std::shared_ptr<const CompiledSchema>(
        CompileWithErrors(json, "openAPIV3Schema", errors));
  }();
  return *schema;
}

}  // namespace

StructuralSchema::StructuralSchema() : compiled_(PermissiveSchema()) {}

absl::StatusOr<StructuralSchema> StructuralSchema::Compile(
    const rapidjson::Value& schema) {
  std::vector<FieldError> errors;
  std::shared_ptr<CompiledSchema> compiled =
      CompileWithErrors(schema, "openAPIV3Schema", errors);
  if (!errors.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "schema is not structural: ", FormatFieldErrors(errors)));
  }
  return StructuralSchema(std::move(compiled));
}

std::vector<FieldError> StructuralSchema::CheckStructural(
    const rapidjson::Value& schema, std::string_view path_prefix) {
  std::vector<FieldError> errors;
  CompileWithErrors(schema, path_prefix, errors);
  return errors;
}

std::vector<FieldError> StructuralSchema::Validate(
    const rapidjson::Value& object) const {
  std::vector<FieldError> errors;
  std::string path;
  internal::ValidateValue(*compiled_->root, object, path, errors);
  return errors;
}

void StructuralSchema::ApplyDefaults(rapidjson::Value& object,
                                     JsonAllocator& allocator) const {
  internal::DefaultValue(*compiled_->root, object, allocator);
}

std::vector<std::string> StructuralSchema::Prune(
    rapidjson::Value& object) const {
  std::vector<std::string> unknown;
  std::string path;
  internal::PruneValue(*compiled_->root, object, /*remove=*/true, path,
                       unknown);
  return unknown;
}

std::vector<std::string> StructuralSchema::UnknownFields(
    const rapidjson::Value& object) const {
  std::vector<std::string> unknown;
  std::string path;
  // With remove=false PruneValue only reads.
  internal::PruneValue(*compiled_->root, const_cast<rapidjson::Value&>(object),
                       /*remove=*/false, path, unknown);
  return unknown;
}

const rapidjson::Value& StructuralSchema::json() const {
  return compiled_->json;
}

AdmissionResult AdmitObject(const StructuralSchema& schema,
                            rapidjson::Value& object,
                            JsonAllocator& allocator) {
  AdmissionResult result;
  result.unknown_fields = schema.Prune(object);
  schema.ApplyDefaults(object, allocator);
  result.errors = schema.Validate(object);
  return result;
}

std::string UnknownFieldMessage(std::string_view path) {
  return absl::StrCat("unknown field \"",
                      absl::string_view(path.data(), path.size()), "\"");
}

}  // namespace mck8s::apischema
