// -----------------------------------------------------------------------------
// File: mck8s/sim/json.h
// -----------------------------------------------------------------------------
//
// Small helpers over RapidJSON used throughout the simulator: parsing with a
// clear error, compact serialization, navigation by field path, and the few
// mutations the API server makes on objects (set a string, make sure an
// object member exists, remove a member).
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(rapidjson::Document doc, ParseJson(body));
//   absl::string_view name = GetString(doc, {"metadata", "name"});
//   rapidjson::Value& meta = EnsureObject(doc, "metadata", doc.GetAllocator());
//   SetString(meta, "resourceVersion", "42", doc.GetAllocator());
//   std::string text = ToJson(doc);
//
// All functions are pure and thread-compatible: callers synchronize access to
// the documents they pass.

#ifndef MCK8S_SIM_JSON_H_
#define MCK8S_SIM_JSON_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace mck8s::sim {

using JsonAllocator = rapidjson::Document::AllocatorType;

// Parses `text` as one JSON value. InvalidArgument names the byte offset and
// the parser's reason when the text is not JSON.
absl::StatusOr<rapidjson::Document> ParseJson(absl::string_view text);

// Compact serialization (no spaces), the form objects are stored and served.
std::string ToJson(const rapidjson::Value& value);

// Appends the compact serialization of `value` to `out`.
void AppendJson(const rapidjson::Value& value, std::string& out);

// Appends `text` as a quoted JSON string (with escapes) to `out`.
void AppendJsonString(absl::string_view text, std::string& out);

// The member `key` of `object` (an object), or its MemberEnd(). Use these
// rather than rapidjson's FindMember(const char*), which needs a
// NUL-terminated key.
rapidjson::Value::ConstMemberIterator FindMemberOf(const rapidjson::Value& object,
                                                   absl::string_view key);
rapidjson::Value::MemberIterator FindMemberOf(rapidjson::Value& object, absl::string_view key);

// Follows object members along `path`; nullptr when a step is missing or is
// not an object.
const rapidjson::Value* Find(const rapidjson::Value& root,
                             std::initializer_list<absl::string_view> path);
rapidjson::Value* FindMutable(rapidjson::Value& root,
                              std::initializer_list<absl::string_view> path);

// Follows a dotted path ("spec.replicas"); same contract as Find.
const rapidjson::Value* FindDotted(const rapidjson::Value& root,
                                   absl::string_view dotted_path);

// The string at `path`, or `fallback` when missing or not a string. The view
// points into `root` and lives as long as it is not modified.
absl::string_view GetString(const rapidjson::Value& root,
                           std::initializer_list<absl::string_view> path,
                           absl::string_view fallback = {});

// The integer at `path` when it is an integral number.
std::optional<int64_t> GetInt(const rapidjson::Value& root,
                              std::initializer_list<absl::string_view> path);

// A Kubernetes quantity string as millicores or bytes; 0 when `value` is
// null, not a string or not a quantity (objects were validated on
// admission, so a model reading them needs no error path).
int64_t QuantityCpuMillis(const rapidjson::Value* value);
int64_t QuantityMemoryBytes(const rapidjson::Value* value);

// Whether the object's status.conditions has `type` with status "True".
bool ConditionTrue(const rapidjson::Value& object, absl::string_view type);

// A rapidjson string value copying `text`.
inline rapidjson::Value MakeString(absl::string_view text, JsonAllocator& alloc) {
  return rapidjson::Value(text.data(), static_cast<rapidjson::SizeType>(text.size()),
                          alloc);
}

// Sets member `key` of the object `object` to `value`, replacing any previous
// value. `object` must be an object.
void SetMember(rapidjson::Value& object, absl::string_view key,
               rapidjson::Value value, JsonAllocator& alloc);
void SetString(rapidjson::Value& object, absl::string_view key,
               absl::string_view value, JsonAllocator& alloc);
void SetInt(rapidjson::Value& object, absl::string_view key, int64_t value,
            JsonAllocator& alloc);

// Returns member `key` of `object`, creating it as an empty object when it is
// missing or not an object. `object` must be an object.
rapidjson::Value& EnsureObject(rapidjson::Value& object, absl::string_view key,
                               JsonAllocator& alloc);

// Removes member `key` when present; returns whether it was.
bool RemoveMember(rapidjson::Value& object, absl::string_view key);

// Deep copy of `value` into a document of its own.
rapidjson::Document CopyDocument(const rapidjson::Value& value);

// Deep equality: objects compare as unordered maps, numbers by value.
bool JsonEqual(const rapidjson::Value& a, const rapidjson::Value& b);

// A short human-readable rendering of a scalar for error messages, the way
// Kubernetes quotes values: strings in double quotes, numbers and booleans
// bare, objects and arrays as compact JSON.
std::string DescribeValue(const rapidjson::Value& value);

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_JSON_H_
