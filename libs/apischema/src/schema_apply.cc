// Validation, defaulting and pruning of JSON values against compiled
// schemas. Messages follow kube-apiserver's wording: the validator names the
// field ("spec.replicas in body ...") and the field error wraps it
// ("spec.replicas: Invalid value: -1: spec.replicas in body ...").

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "schema_node.h"

namespace mck8s::apischema::internal {
namespace {

// Restores a path string to its length at construction.
class PathMark {
 public:
  explicit PathMark(std::string& path) : path_(path), size_(path.size()) {}
  ~PathMark() { path_.resize(size_); }
  PathMark(const PathMark&) = delete;
  PathMark& operator=(const PathMark&) = delete;

 private:
  std::string& path_;
  size_t size_;
};

void AppendKey(std::string& path, absl::string_view key) {
  if (!path.empty()) path.push_back('.');
  path.append(key.data(), key.size());
}

void AppendIndex(std::string& path, size_t index) {
  absl::StrAppend(&path, "[", index, "]");
}

absl::string_view View(const rapidjson::Value& v) {
  return absl::string_view(v.GetString(), v.GetStringLength());
}

bool IsIntegral(const rapidjson::Value& v) {
  if (v.IsInt64() || v.IsUint64()) return true;
  if (!v.IsDouble()) return false;
  double d = v.GetDouble();
  return std::isfinite(d) && d == std::trunc(d);
}

absl::string_view ActualType(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "boolean";
    case rapidjson::kStringType:
      return "string";
    case rapidjson::kObjectType:
      return "object";
    case rapidjson::kArrayType:
      return "array";
    case rapidjson::kNumberType:
      return (v.IsInt64() || v.IsUint64()) ? "integer" : "number";
  }
  return "null";
}

bool TypeMatches(const SchemaNode& node, const rapidjson::Value& v) {
  switch (node.type) {
    case JsonType::kObject:
      return v.IsObject();
    case JsonType::kArray:
      return v.IsArray();
    case JsonType::kString:
      return v.IsString();
    case JsonType::kInteger:
      return v.IsNumber() && IsIntegral(v);
    case JsonType::kNumber:
      return v.IsNumber();
    case JsonType::kBoolean:
      return v.IsBool();
    case JsonType::kNone:
      if (node.int_or_string) {
        return v.IsString() || (v.IsNumber() && IsIntegral(v));
      }
      return true;
  }
  return true;
}

absl::string_view ExpectedType(const SchemaNode& node) {
  if (node.int_or_string && node.type == JsonType::kNone) {
    return "integer,string";
  }
  return node.type_name;
}

// Number of Unicode code points, as Go's utf8.RuneCountInString counts.
int64_t CharCount(absl::string_view s) {
  int64_t count = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++count;
  }
  return count;
}

bool Digits(absl::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

int Number(absl::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

bool ValidDate(absl::string_view s, size_t pos) {
  if (!Digits(s, pos, 4) || s.size() < pos + 10 || s[pos + 4] != '-' ||
      !Digits(s, pos + 5, 2) || s[pos + 7] != '-' || !Digits(s, pos + 8, 2)) {
    return false;
  }
  int year = Number(s, pos, 4);
  int month = Number(s, pos + 5, 2);
  int day = Number(s, pos + 8, 2);
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) {
    return false;
  }
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return !(month == 2 && day == 29 && !leap);
}

// RFC 3339 date-times and the ISO 8601 variants OpenAPI tooling accepts:
// "2021-10-13T09:30:00Z", "...00.123+02:00", "2021-10-13 09:30:00",
// "2021-10-13T09:30Z".
bool ValidDateTime(absl::string_view s) {
  if (s.size() < 16 || !ValidDate(s, 0)) return false;
  char sep = s[10];
  if (sep != 'T' && sep != 't' && sep != ' ') return false;
  if (!Digits(s, 11, 2) || s[13] != ':' || !Digits(s, 14, 2)) return false;
  if (Number(s, 11, 2) > 23 || Number(s, 14, 2) > 59) return false;
  size_t i = 16;
  if (i < s.size() && s[i] == ':') {
    if (!Digits(s, i + 1, 2) || Number(s, i + 1, 2) > 60) return false;
    i += 3;
    if (i < s.size() && s[i] == '.') {
      ++i;
      size_t start = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      if (i == start) return false;
    }
  }
  if (i == s.size()) return true;
  if (s[i] == 'Z' || s[i] == 'z') return i + 1 == s.size();
  if (s[i] != '+' && s[i] != '-') return false;
  ++i;
  if (!Digits(s, i, 2)) return false;
  i += 2;
  if (i < s.size() && s[i] == ':') ++i;
  if (!Digits(s, i, 2)) return false;
  return i + 2 == s.size();
}

bool ValidBase64(absl::string_view s) {
  if (s.size() % 4 != 0) return false;
  size_t padding = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                 (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (c == '=') {
      ++padding;
      if (i < s.size() - 2) return false;
    } else if (!alnum || padding > 0) {
      return false;
    }
  }
  return padding <= 2;
}

bool ValidUuid(absl::string_view s) {
  static constexpr int kGroups[] = {8, 4, 4, 4, 12};
  size_t i = 0;
  for (int g = 0; g < 5; ++g) {
    if (g > 0 && i < s.size() && s[i] == '-') ++i;
    for (int k = 0; k < kGroups[g]; ++k, ++i) {
      if (i >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i]))) {
        return false;
      }
    }
  }
  return i == s.size();
}

bool FormatMatches(Format format, absl::string_view s) {
  switch (format) {
    case Format::kNone:
      return true;
    case Format::kDateTime:
      return ValidDateTime(s);
    case Format::kDate:
      return s.size() == 10 && ValidDate(s, 0);
    case Format::kByte:
      return ValidBase64(s);
    case Format::kUuid:
      return ValidUuid(s);
  }
  return true;
}

class Validator {
 public:
  Validator(std::string& path, std::vector<FieldError>& errors)
      : path_(path), errors_(errors) {}

  void Validate(const SchemaNode& node, const rapidjson::Value& value) {
    if (value.IsNull()) {
      if (node.nullable) return;
      if (node.type == JsonType::kNone && !node.int_or_string) return;
      TypeError(node, value);
      return;
    }
    if (!TypeMatches(node, value)) {
      TypeError(node, value);
      return;
    }
    if (node.enum_values != nullptr) CheckEnum(node, value);
    if (value.IsNumber()) CheckNumber(node, value);
    if (value.IsString()) CheckString(node, value);
    if (value.IsArray()) CheckArray(node, value);
    if (value.IsObject()) CheckObject(node, value);
    CheckJunctors(node, value);
  }

 private:
  // kube-openapi names the field in its messages; the root has no name.
  std::string Name() const {
    return path_.empty() ? std::string("in body")
                         : absl::StrCat(path_, " in body");
  }

  void Add(FieldErrorType type, const rapidjson::Value& value,
           std::string detail) {
    errors_.push_back(
        MakeFieldError(type, path_, RenderValue(value), std::move(detail)));
  }

  void TypeError(const SchemaNode& node, const rapidjson::Value& value) {
    absl::string_view type = ActualType(value);
    std::string actual = Quote(std::string_view(type.data(), type.size()));
    errors_.push_back(MakeFieldError(
        FieldErrorType::kTypeInvalid, path_, actual,
        absl::StrCat(Name(), " must be of type ", ExpectedType(node), ": ",
                     actual)));
  }

  void CheckEnum(const SchemaNode& node, const rapidjson::Value& value) {
    for (const rapidjson::Value& allowed : node.enum_values->GetArray()) {
      if (allowed == value) return;
    }
    std::vector<std::string> rendered;
    for (const rapidjson::Value& allowed : node.enum_values->GetArray()) {
      rendered.push_back(allowed.IsString() ? RenderValue(allowed)
                                            : Quote(RenderValue(allowed)));
    }
    Add(FieldErrorType::kNotSupported, value,
        absl::StrCat("supported values: ", absl::StrJoin(rendered, ", ")));
  }

  void CheckNumber(const SchemaNode& node, const rapidjson::Value& value) {
    double v = value.GetDouble();
    if (node.minimum.has_value()) {
      double min = *node.minimum;
      if (node.exclusive_minimum ? !(v > min) : !(v >= min)) {
        Add(FieldErrorType::kInvalid, value,
            absl::StrCat(Name(),
                         node.exclusive_minimum
                             ? " should be greater than "
                             : " should be greater than or equal to ",
                         RenderNumber(min)));
      }
    }
    if (node.maximum.has_value()) {
      double max = *node.maximum;
      if (node.exclusive_maximum ? !(v < max) : !(v <= max)) {
        Add(FieldErrorType::kInvalid, value,
            absl::StrCat(Name(),
                         node.exclusive_maximum
                             ? " should be less than "
                             : " should be less than or equal to ",
                         RenderNumber(max)));
      }
    }
    if (node.multiple_of.has_value()) {
      double m = *node.multiple_of;
      bool ok;
      if (value.IsInt64() && m == std::trunc(m) && std::fabs(m) < 9e18) {
        ok = value.GetInt64() % static_cast<int64_t>(m) == 0;
      } else {
        double q = v / m;
        ok = std::isfinite(q) && std::fabs(q - std::round(q)) < 1e-9;
      }
      if (!ok) {
        Add(FieldErrorType::kInvalid, value,
            absl::StrCat(Name(), " should be a multiple of ", RenderNumber(m)));
      }
    }
  }

  void CheckString(const SchemaNode& node, const rapidjson::Value& value) {
    absl::string_view s = View(value);
    if (node.min_length.has_value() || node.max_length.has_value()) {
      int64_t length = CharCount(s);
      if (node.min_length.has_value() && length < *node.min_length) {
        Add(FieldErrorType::kInvalid, value,
            absl::StrCat(Name(), " should be at least ", *node.min_length,
                         " chars long"));
      }
      if (node.max_length.has_value() && length > *node.max_length) {
        errors_.push_back(MakeFieldError(
            FieldErrorType::kTooLong, path_, std::nullopt,
            absl::StrCat("may not be longer than ", *node.max_length)));
      }
    }
    if (node.pattern.has_value() &&
        !std::regex_search(s.begin(), s.end(), *node.pattern)) {
      Add(FieldErrorType::kInvalid, value,
          absl::StrCat(Name(), " should match '", node.pattern_text, "'"));
    }
    if (node.format != Format::kNone && !FormatMatches(node.format, s)) {
      Add(FieldErrorType::kTypeInvalid, value,
          absl::StrCat(Name(), " must be of type ", node.format_name, ": ",
                       Quote(std::string_view(s.data(), s.size()))));
    }
  }

  void CheckArray(const SchemaNode& node, const rapidjson::Value& value) {
    int64_t size = value.Size();
    if (node.min_items.has_value() && size < *node.min_items) {
      Add(FieldErrorType::kInvalid, value,
          absl::StrCat(Name(), " should have at least ", *node.min_items,
                       " items"));
    }
    if (node.max_items.has_value() && size > *node.max_items) {
      errors_.push_back(MakeFieldError(
          FieldErrorType::kTooMany, path_, absl::StrCat(size),
          absl::StrCat("must have at most ", *node.max_items, " items")));
    }
    if (node.list_type == ListType::kSet || node.list_type == ListType::kMap) {
      CheckUnique(node, value);
    }
    if (node.items != nullptr) {
      for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
        PathMark mark(path_);
        AppendIndex(path_, i);
        Validate(*node.items, value[i]);
      }
    }
  }

  void CheckUnique(const SchemaNode& node, const rapidjson::Value& value) {
    absl::flat_hash_map<std::string, rapidjson::SizeType> seen;
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      const rapidjson::Value& item = value[i];
      std::string key;
      std::string shown;
      if (node.list_type == ListType::kSet) {
        key = RenderValue(item);
        shown = key;
      } else {
        if (!item.IsObject()) continue;  // reported as a type error
        rapidjson::Document keys(rapidjson::kObjectType);
        for (const std::string& name : node.list_map_keys) {
          auto it = item.FindMember(name.c_str());
          rapidjson::Value k;
          if (it != item.MemberEnd()) k.CopyFrom(it->value, keys.GetAllocator());
          keys.AddMember(rapidjson::Value(name.c_str(), keys.GetAllocator()),
                         k, keys.GetAllocator());
        }
        key = RenderValue(keys);
        shown = key;
      }
      if (!seen.emplace(key, i).second) {
        PathMark mark(path_);
        AppendIndex(path_, i);
        errors_.push_back(MakeFieldError(FieldErrorType::kDuplicate, path_,
                                         shown, ""));
      }
    }
  }

  void CheckObject(const SchemaNode& node, const rapidjson::Value& value) {
    int64_t count = value.MemberCount();
    if (node.min_properties.has_value() && count < *node.min_properties) {
      Add(FieldErrorType::kInvalid, value,
          absl::StrCat(Name(), " should have at least ", *node.min_properties,
                       " properties"));
    }
    if (node.max_properties.has_value() && count > *node.max_properties) {
      errors_.push_back(MakeFieldError(
          FieldErrorType::kTooMany, path_, absl::StrCat(count),
          absl::StrCat("must have at most ", *node.max_properties, " items")));
    }
    for (const std::string& name : node.required) {
      if (!value.HasMember(name.c_str())) {
        PathMark mark(path_);
        AppendKey(path_, name);
        errors_.push_back(
            MakeFieldError(FieldErrorType::kRequired, path_, std::nullopt, ""));
      }
    }
    for (const auto& member : value.GetObject()) {
      absl::string_view name = View(member.name);
      const SchemaNode* child = node.Property(name);
      PathMark mark(path_);
      AppendKey(path_, name);
      if (child != nullptr) {
        Validate(*child, member.value);
      } else if (node.additional == Additional::kSchema) {
        Validate(*node.additional_properties, member.value);
      } else if (node.additional == Additional::kForbidAll) {
        errors_.push_back(MakeFieldError(
            FieldErrorType::kForbidden, path_, std::nullopt,
            absl::StrCat(path_, " in body is a forbidden property")));
      }
    }
  }

  // Whether `value` passes `node`, without recording errors.
  bool Passes(const SchemaNode& node, const rapidjson::Value& value) {
    std::vector<FieldError> scratch;
    std::string path = path_;
    Validator(path, scratch).Validate(node, value);
    return scratch.empty();
  }

  void CheckJunctors(const SchemaNode& node, const rapidjson::Value& value) {
    if (!node.all_of.empty()) {
      size_t before = errors_.size();
      for (const auto& sub : node.all_of) Validate(*sub, value);
      if (errors_.size() != before) {
        Add(FieldErrorType::kInvalid, value,
            absl::StrCat(Name(), " must validate all the schemas (allOf)"));
      }
    }
    if (!node.any_of.empty()) {
      bool any = false;
      for (const auto& sub : node.any_of) {
        if (Passes(*sub, value)) {
          any = true;
          break;
        }
      }
      if (!any) {
        Add(FieldErrorType::kInvalid, value,
            absl::StrCat(Name(),
                         " must validate at least one schema (anyOf)"));
      }
    }
    if (!node.one_of.empty()) {
      int passing = 0;
      for (const auto& sub : node.one_of) {
        if (Passes(*sub, value)) ++passing;
      }
      if (passing != 1) {
        Add(FieldErrorType::kInvalid, value,
            absl::StrCat(Name(),
                         " must validate one and only one schema (oneOf)"));
      }
    }
    if (node.not_schema != nullptr && Passes(*node.not_schema, value)) {
      Add(FieldErrorType::kInvalid, value,
          absl::StrCat(Name(), " must not validate the schema (not)"));
    }
  }

  std::string& path_;
  std::vector<FieldError>& errors_;
};

bool IsNonNullableNull(const rapidjson::Value& v, const SchemaNode& node) {
  return v.IsNull() && !node.nullable;
}

}  // namespace

void ValidateValue(const SchemaNode& node, const rapidjson::Value& value,
                   std::string& path, std::vector<FieldError>& errors) {
  Validator(path, errors).Validate(node, value);
}

void DefaultValue(const SchemaNode& node, rapidjson::Value& value,
                  JsonAllocator& allocator) {
  if (value.IsObject()) {
    // A null where the schema does not allow one is replaced by the default
    // or dropped, as kube-apiserver does before defaulting.
    for (const auto& [name, child] : node.properties) {
      auto it = value.FindMember(name.c_str());
      if (it == value.MemberEnd()) {
        if (child->default_value != nullptr) {
          rapidjson::Value copy(*child->default_value, allocator);
          value.AddMember(rapidjson::Value(name.c_str(), allocator), copy,
                          allocator);
        }
      } else if (IsNonNullableNull(it->value, *child)) {
        if (child->default_value != nullptr) {
          it->value.CopyFrom(*child->default_value, allocator);
        } else {
          value.EraseMember(it);
        }
      }
    }
    if (node.additional == Additional::kSchema) {
      const SchemaNode& child = *node.additional_properties;
      for (auto it = value.MemberBegin(); it != value.MemberEnd();) {
        if (node.Property(View(it->name)) == nullptr &&
            IsNonNullableNull(it->value, child)) {
          if (child.default_value != nullptr) {
            it->value.CopyFrom(*child.default_value, allocator);
          } else {
            it = value.EraseMember(it);
            continue;
          }
        }
        ++it;
      }
    }
    for (auto& member : value.GetObject()) {
      absl::string_view name = View(member.name);
      if (node.resource_root && name == "metadata") continue;
      if (const SchemaNode* child = node.Member(name)) {
        DefaultValue(*child, member.value, allocator);
      }
    }
  } else if (value.IsArray() && node.items != nullptr) {
    const SchemaNode& items = *node.items;
    for (rapidjson::Value& item : value.GetArray()) {
      if (IsNonNullableNull(item, items) && items.default_value != nullptr) {
        item.CopyFrom(*items.default_value, allocator);
      }
      DefaultValue(items, item, allocator);
    }
  }
}

void PruneValue(const SchemaNode& node, rapidjson::Value& value, bool remove,
                std::string& path, std::vector<std::string>& unknown) {
  if (value.IsObject()) {
    for (auto it = value.MemberBegin(); it != value.MemberEnd();) {
      absl::string_view name = View(it->name);
      if (node.resource_root &&
          (name == "apiVersion" || name == "kind" || name == "metadata")) {
        ++it;
        continue;
      }
      const SchemaNode* child = node.Member(name);
      if (child == nullptr && node.additional != Additional::kAllowAll &&
          !node.preserve_unknown_fields) {
        PathMark mark(path);
        AppendKey(path, name);
        unknown.push_back(path);
        if (remove) {
          it = value.EraseMember(it);
        } else {
          ++it;
        }
        continue;
      }
      if (child != nullptr) {
        PathMark mark(path);
        AppendKey(path, name);
        PruneValue(*child, it->value, remove, path, unknown);
      }
      ++it;
    }
  } else if (value.IsArray() && node.items != nullptr) {
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      PathMark mark(path);
      AppendIndex(path, i);
      PruneValue(*node.items, value[i], remove, path, unknown);
    }
  }
}

}  // namespace mck8s::apischema::internal
