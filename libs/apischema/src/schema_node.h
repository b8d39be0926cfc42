// Compiled form of a structural schema, shared by the compiler
// (schema_compile.cc) and the operations that apply it (schema_apply.cc).

#ifndef MCK8S_APISCHEMA_SRC_SCHEMA_NODE_H_
#define MCK8S_APISCHEMA_SRC_SCHEMA_NODE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "mck8s/apischema/field_error.h"
#include "mck8s/apischema/structural_schema.h"
#include "rapidjson/document.h"

namespace mck8s::apischema::internal {

enum class JsonType { kNone, kObject, kArray, kString, kInteger, kNumber, kBoolean };
enum class ListType { kNone, kAtomic, kSet, kMap };
enum class Format { kNone, kDateTime, kDate, kByte, kUuid };
enum class Additional { kUnspecified, kSchema, kAllowAll, kForbidAll };

struct SchemaNode {
  JsonType type = JsonType::kNone;
  std::string type_name;  // as written: "object", "integer", ...
  bool nullable = false;
  bool preserve_unknown_fields = false;
  bool int_or_string = false;
  bool embedded_resource = false;
  // True for the root and for embedded resources: apiVersion, kind and
  // metadata are implicitly specified there.
  bool resource_root = false;

  Format format = Format::kNone;
  std::string format_name;

  std::optional<double> minimum;
  std::optional<double> maximum;
  bool exclusive_minimum = false;
  bool exclusive_maximum = false;
  std::optional<double> multiple_of;
  std::optional<int64_t> min_length;
  std::optional<int64_t> max_length;
  std::optional<int64_t> min_items;
  std::optional<int64_t> max_items;
  std::optional<int64_t> min_properties;
  std::optional<int64_t> max_properties;
  std::optional<std::regex> pattern;
  std::string pattern_text;

  // Point into CompiledSchema::json, which outlives the node.
  const rapidjson::Value* enum_values = nullptr;
  const rapidjson::Value* default_value = nullptr;

  std::vector<std::string> required;
  // Schema order, for deterministic defaulting and messages.
  std::vector<std::pair<std::string, std::unique_ptr<SchemaNode>>> properties;
  absl::flat_hash_map<std::string, const SchemaNode*> property_index;

  Additional additional = Additional::kUnspecified;
  std::unique_ptr<SchemaNode> additional_properties;

  std::unique_ptr<SchemaNode> items;
  ListType list_type = ListType::kNone;
  std::vector<std::string> list_map_keys;

  std::vector<std::unique_ptr<SchemaNode>> all_of;
  std::vector<std::unique_ptr<SchemaNode>> any_of;
  std::vector<std::unique_ptr<SchemaNode>> one_of;
  std::unique_ptr<SchemaNode> not_schema;

  const SchemaNode* Property(absl::string_view name) const {
    auto it = property_index.find(name);
    return it == property_index.end() ? nullptr : it->second;
  }

  // The schema for a member `name` of an object: its property, else the
  // additionalProperties schema, else nullptr.
  const SchemaNode* Member(absl::string_view name) const {
    if (const SchemaNode* p = Property(name)) return p;
    if (additional == Additional::kSchema) return additional_properties.get();
    return nullptr;
  }
};

struct CompiledSchema {
  rapidjson::Document json;  // owned copy of the schema
  std::unique_ptr<SchemaNode> root;
};

// Appends the errors of `value` against `node`; `path` is the field path of
// `value` ("" for the root) and is restored before returning.
void ValidateValue(const SchemaNode& node, const rapidjson::Value& value,
                   std::string& path, std::vector<FieldError>& errors);

void DefaultValue(const SchemaNode& node, rapidjson::Value& value,
                  JsonAllocator& allocator);

// Collects unknown field paths of `value`; removes them when `remove`.
// `value` is only written when `remove` is true.
void PruneValue(const SchemaNode& node, rapidjson::Value& value, bool remove,
                std::string& path, std::vector<std::string>& unknown);

}  // namespace mck8s::apischema::internal

#endif  // MCK8S_APISCHEMA_SRC_SCHEMA_NODE_H_
