#include "mck8s/sim/json.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "mck8s/base/strings.h"
#include "mck8s/k8stypes/quantity.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mck8s::sim {
namespace {

// A rapidjson output stream appending to a std::string, so serialization
// writes straight into the caller's buffer.
class StringAppender {
 public:
  using Ch = char;
  explicit StringAppender(std::string& out) : out_(out) {}
  void Put(char c) { out_.push_back(c); }
  void Flush() {}

 private:
  std::string& out_;
};

}  // namespace

rapidjson::Value::ConstMemberIterator FindMemberOf(const rapidjson::Value& object,
                                                   absl::string_view key) {
  rapidjson::Value name(
      rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size())));
  return object.FindMember(name);
}

rapidjson::Value::MemberIterator FindMemberOf(rapidjson::Value& object, absl::string_view key) {
  rapidjson::Value name(
      rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size())));
  return object.FindMember(name);
}

absl::StatusOr<rapidjson::Document> ParseJson(absl::string_view text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON at offset ", doc.GetErrorOffset(), ": ",
                     rapidjson::GetParseError_En(doc.GetParseError())));
  }
  return doc;
}

void AppendJson(const rapidjson::Value& value, std::string& out) {
  StringAppender stream(out);
  rapidjson::Writer<StringAppender> writer(stream);
  value.Accept(writer);
}

std::string ToJson(const rapidjson::Value& value) {
  std::string out;
  AppendJson(value, out);
  return out;
}

void AppendJsonString(absl::string_view text, std::string& out) {
  StringAppender stream(out);
  rapidjson::Writer<StringAppender> writer(stream);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

const rapidjson::Value* Find(const rapidjson::Value& root,
                             std::initializer_list<absl::string_view> path) {
  const rapidjson::Value* current = &root;
  for (absl::string_view step : path) {
    if (!current->IsObject()) return nullptr;
    auto it = FindMemberOf(*current, step);
    if (it == current->MemberEnd()) return nullptr;
    current = &it->value;
  }
  return current;
}

rapidjson::Value* FindMutable(rapidjson::Value& root,
                              std::initializer_list<absl::string_view> path) {
  return const_cast<rapidjson::Value*>(Find(root, path));
}

const rapidjson::Value* FindDotted(const rapidjson::Value& root,
                                   absl::string_view dotted_path) {
  const rapidjson::Value* current = &root;
  for (absl::string_view step : absl::StrSplit(dotted_path, '.', absl::SkipEmpty())) {
    if (!current->IsObject()) return nullptr;
    auto it = FindMemberOf(*current, step);
    if (it == current->MemberEnd()) return nullptr;
    current = &it->value;
  }
  return current;
}

absl::string_view GetString(const rapidjson::Value& root,
                           std::initializer_list<absl::string_view> path,
                           absl::string_view fallback) {
  const rapidjson::Value* v = Find(root, path);
  if (v == nullptr || !v->IsString()) return fallback;
  return absl::string_view(v->GetString(), v->GetStringLength());
}

std::optional<int64_t> GetInt(const rapidjson::Value& root,
                              std::initializer_list<absl::string_view> path) {
  const rapidjson::Value* v = Find(root, path);
  if (v == nullptr || !v->IsInt64()) return std::nullopt;
  return v->GetInt64();
}

void SetMember(rapidjson::Value& object, absl::string_view key,
               rapidjson::Value value, JsonAllocator& alloc) {
  auto it = FindMemberOf(object, key);
  if (it != object.MemberEnd()) {
    it->value = std::move(value);
    return;
  }
  object.AddMember(MakeString(key, alloc), std::move(value), alloc);
}

void SetString(rapidjson::Value& object, absl::string_view key,
               absl::string_view value, JsonAllocator& alloc) {
  SetMember(object, key, MakeString(value, alloc), alloc);
}

void SetInt(rapidjson::Value& object, absl::string_view key, int64_t value,
            JsonAllocator& alloc) {
  SetMember(object, key, rapidjson::Value(value), alloc);
}

rapidjson::Value& EnsureObject(rapidjson::Value& object, absl::string_view key,
                               JsonAllocator& alloc) {
  auto it = FindMemberOf(object, key);
  if (it != object.MemberEnd()) {
    if (!it->value.IsObject()) it->value.SetObject();
    return it->value;
  }
  object.AddMember(MakeString(key, alloc), rapidjson::Value(rapidjson::kObjectType),
                   alloc);
  return (object.MemberEnd() - 1)->value;
}

bool RemoveMember(rapidjson::Value& object, absl::string_view key) {
  if (!object.IsObject()) return false;
  auto it = FindMemberOf(object, key);
  if (it == object.MemberEnd()) return false;
  object.EraseMember(it);
  return true;
}

rapidjson::Document CopyDocument(const rapidjson::Value& value) {
  rapidjson::Document doc;
  doc.CopyFrom(value, doc.GetAllocator());
  return doc;
}

bool JsonEqual(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (a.IsNumber() && b.IsNumber()) {
    if (a.IsInt64() && b.IsInt64()) return a.GetInt64() == b.GetInt64();
    if (a.IsUint64() && b.IsUint64()) return a.GetUint64() == b.GetUint64();
    return a.GetDouble() == b.GetDouble();
  }
  if (a.GetType() != b.GetType()) return false;
  switch (a.GetType()) {
    case rapidjson::kObjectType: {
      if (a.MemberCount() != b.MemberCount()) return false;
      for (auto it = a.MemberBegin(); it != a.MemberEnd(); ++it) {
        auto other = b.FindMember(it->name);
        if (other == b.MemberEnd() || !JsonEqual(it->value, other->value)) {
          return false;
        }
      }
      return true;
    }
    case rapidjson::kArrayType: {
      if (a.Size() != b.Size()) return false;
      for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
        if (!JsonEqual(a[i], b[i])) return false;
      }
      return true;
    }
    case rapidjson::kStringType:
      return a.GetStringLength() == b.GetStringLength() &&
             absl::string_view(a.GetString(), a.GetStringLength()) ==
                 absl::string_view(b.GetString(), b.GetStringLength());
    default:
      return true;  // null, true, false: same type means same value
  }
}

std::string DescribeValue(const rapidjson::Value& value) {
  return ToJson(value);
}

int64_t QuantityCpuMillis(const rapidjson::Value* value) {
  if (value == nullptr || !value->IsString()) return 0;
  absl::StatusOr<int64_t> millis = k8stypes::ParseCpuMillis(ToStd(GetString(*value, {})));
  return millis.ok() ? *millis : 0;
}

int64_t QuantityMemoryBytes(const rapidjson::Value* value) {
  if (value == nullptr || !value->IsString()) return 0;
  absl::StatusOr<int64_t> bytes = k8stypes::ParseMemoryBytes(ToStd(GetString(*value, {})));
  return bytes.ok() ? *bytes : 0;
}

bool ConditionTrue(const rapidjson::Value& object, absl::string_view type) {
  const rapidjson::Value* conditions = Find(object, {"status", "conditions"});
  if (conditions == nullptr || !conditions->IsArray()) return false;
  for (const rapidjson::Value& c : conditions->GetArray()) {
    if (GetString(c, {"type"}) == type) return GetString(c, {"status"}) == "True";
  }
  return false;
}

}  // namespace mck8s::sim
