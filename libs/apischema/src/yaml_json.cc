#include "mck8s/apischema/yaml_json.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mck8s::apischema {
namespace {

constexpr absl::string_view kTagPrefix = "tag:yaml.org,2002:";

std::string Where(const YAML::Mark& mark) {
  if (mark.is_null()) return "";
  return absl::StrCat("line ", mark.line + 1, ", column ", mark.column + 1,
                      ": ");
}

// Go's strconv.ParseInt(s, 0, 64): optional sign, then 0x/0o/0b prefixes or
// a leading 0 for octal.
std::optional<int64_t> ParseGoInt(absl::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  int base = 10;
  if (s.size() >= 2 && s[0] == '0') {
    char p = s[1];
    if (p == 'x' || p == 'X') {
      base = 16;
      s.remove_prefix(2);
    } else if (p == 'o' || p == 'O') {
      base = 8;
      s.remove_prefix(2);
    } else if (p == 'b' || p == 'B') {
      base = 2;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
    if (s.empty()) return std::nullopt;
  }
  uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude,
                                   base);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  constexpr uint64_t kMaxPositive =
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (magnitude > kMaxPositive + 1) return std::nullopt;
    if (magnitude == kMaxPositive + 1) {
      return std::numeric_limits<int64_t>::min();
    }
    return -static_cast<int64_t>(magnitude);
  }
  if (magnitude > kMaxPositive) return std::nullopt;
  return static_cast<int64_t>(magnitude);
}

// The YAML 1.1 float syntax Go's YAML library accepts:
// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool LooksLikeFloat(absl::string_view s) {
  size_t i = 0;
  auto digits = [&]() {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

std::optional<double> ParseFloat(absl::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  double value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ptr != s.data() + s.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // Go returns ±Inf for overflow, which JSON cannot hold either.
    return std::nullopt;
  }
  if (ec != std::errc()) return std::nullopt;
  return value;
}

bool IsOneOf(absl::string_view s, std::initializer_list<absl::string_view> set) {
  for (absl::string_view candidate : set) {
    if (s == candidate) return true;
  }
  return false;
}

class Converter {
 public:
  Converter(const YamlLimits& limits,
            rapidjson::Document::AllocatorType& allocator)
      : limits_(limits), allocator_(allocator) {}

  long nodes_used() const { return nodes_; }

  absl::Status Convert(const YAML::Node& node, rapidjson::Value& out,
                       int depth) {
    if (depth > limits_.max_depth) {
      return absl::InvalidArgumentError(
          absl::StrCat("yaml: ", Where(node.Mark()), "nesting deeper than ",
                       limits_.max_depth, " levels"));
    }
    if (++nodes_ > limits_.max_nodes) {
      return absl::InvalidArgumentError(
          absl::StrCat("yaml: ", Where(node.Mark()), "more than ",
                       limits_.max_nodes,
                       " nodes after alias expansion"));
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        if (node.Tag() == absl::StrCat(kTagPrefix, "str")) {
          out.SetString("", 0, allocator_);
        } else {
          out.SetNull();
        }
        return absl::OkStatus();
      case YAML::NodeType::Scalar:
        return ConvertScalar(node, out);
      case YAML::NodeType::Sequence: {
        out.SetArray();
        out.Reserve(static_cast<rapidjson::SizeType>(node.size()), allocator_);
        for (const YAML::Node& item : node) {
          rapidjson::Value value;
          absl::Status status = Convert(item, value, depth + 1);
          if (!status.ok()) return status;
          out.PushBack(value, allocator_);
        }
        return absl::OkStatus();
      }
      case YAML::NodeType::Map:
        return ConvertMap(node, out, depth);
    }
    return absl::OkStatus();
  }

 private:
  absl::Status ConvertMap(const YAML::Node& node, rapidjson::Value& out,
                          int depth) {
    out.SetObject();
    absl::flat_hash_set<std::string> seen;
    std::vector<YAML::Node> merges;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node& key = it->first;
      if (key.Type() == YAML::NodeType::Map ||
          key.Type() == YAML::NodeType::Sequence) {
        return absl::InvalidArgumentError(absl::StrCat(
            "yaml: ", Where(key.Mark()),
            "mapping keys must be scalars, not a collection"));
      }
      std::string name =
          key.Type() == YAML::NodeType::Scalar ? key.Scalar() : "null";
      if (key.Type() == YAML::NodeType::Scalar && name == "<<" &&
          key.Tag() == "?") {
        merges.push_back(it->second);
        continue;
      }
      if (!seen.insert(name).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("yaml: ", Where(key.Mark()), "key \"", name,
                         "\" already defined in this mapping"));
      }
      rapidjson::Value value;
      absl::Status status = Convert(it->second, value, depth + 1);
      if (!status.ok()) return status;
      rapidjson::Value json_key(name.data(),
                                static_cast<rapidjson::SizeType>(name.size()),
                                allocator_);
      out.AddMember(json_key, value, allocator_);
    }
    // Merged mappings fill only the keys not given explicitly; with a list
    // of mappings, earlier ones win.
    for (const YAML::Node& merge : merges) {
      std::vector<YAML::Node> sources;
      if (merge.Type() == YAML::NodeType::Map) {
        sources.push_back(merge);
      } else if (merge.Type() == YAML::NodeType::Sequence) {
        for (const YAML::Node& item : merge) sources.push_back(item);
      }
      if (sources.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("yaml: ", Where(merge.Mark()),
                         "map merge requires a mapping or a list of mappings"));
      }
      for (const YAML::Node& source : sources) {
        if (source.Type() != YAML::NodeType::Map) {
          return absl::InvalidArgumentError(absl::StrCat(
              "yaml: ", Where(source.Mark()),
              "map merge requires a mapping or a list of mappings"));
        }
        rapidjson::Value merged;
        absl::Status status = ConvertMap(source, merged, depth + 1);
        if (!status.ok()) return status;
        for (auto& member : merged.GetObject()) {
          std::string name(member.name.GetString(),
                           member.name.GetStringLength());
          if (!seen.insert(name).second) continue;
          out.AddMember(member.name, member.value, allocator_);
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status ConvertScalar(const YAML::Node& node, rapidjson::Value& out) {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    if (tag == "?") return ResolvePlain(node, text, out);
    if (tag == "!" || tag.rfind("tag:yaml.org,2002:", 0) != 0) {
      // Quoted, block or custom-tagged scalars are strings.
      SetString(text, out);
      return absl::OkStatus();
    }
    absl::string_view kind = absl::string_view(tag).substr(kTagPrefix.size());
    if (kind == "str" || kind == "binary" || kind == "timestamp") {
      SetString(text, out);
      return absl::OkStatus();
    }
    rapidjson::Value resolved;
    absl::Status status = ResolvePlain(node, text, resolved);
    if (!status.ok()) return status;
    bool matches = (kind == "null" && resolved.IsNull()) ||
                   (kind == "bool" && resolved.IsBool()) ||
                   (kind == "int" && resolved.IsInt64()) ||
                   (kind == "float" && resolved.IsNumber());
    if (!matches) {
      return absl::InvalidArgumentError(
          absl::StrCat("yaml: ", Where(node.Mark()), "cannot decode \"", text,
                       "\" as !!", kind));
    }
    out = resolved;
    return absl::OkStatus();
  }

  absl::Status ResolvePlain(const YAML::Node& node, const std::string& text,
                            rapidjson::Value& out) {
    if (IsOneOf(text, {"", "~", "null", "Null", "NULL"})) {
      out.SetNull();
      return absl::OkStatus();
    }
    if (IsOneOf(text, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
                       "on", "On", "ON"})) {
      out.SetBool(true);
      return absl::OkStatus();
    }
    if (IsOneOf(text, {"n", "N", "no", "No", "NO", "false", "False", "FALSE",
                       "off", "Off", "OFF"})) {
      out.SetBool(false);
      return absl::OkStatus();
    }
    char first = text[0];
    bool numeric_hint = (first >= '0' && first <= '9') || first == '+' ||
                        first == '-' || first == '.';
    if (numeric_hint) {
      absl::string_view special = text;
      if (IsOneOf(special, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                            "-.inf", "-.Inf", "-.INF", ".nan", ".NaN",
                            ".NAN"})) {
        return absl::InvalidArgumentError(
            absl::StrCat("yaml: ", Where(node.Mark()), "value ", text,
                         " cannot be represented in JSON"));
      }
      std::string plain;
      plain.reserve(text.size());
      for (char c : text) {
        if (c != '_') plain.push_back(c);
      }
      if (first != '.') {
        if (std::optional<int64_t> i = ParseGoInt(plain)) {
          out.SetInt64(*i);
          return absl::OkStatus();
        }
      }
      if (LooksLikeFloat(plain)) {
        std::optional<double> d = ParseFloat(plain);
        if (!d.has_value()) {
          return absl::InvalidArgumentError(
              absl::StrCat("yaml: ", Where(node.Mark()), "value ", text,
                           " cannot be represented in JSON"));
        }
        SetNumber(*d, out);
        return absl::OkStatus();
      }
      if (first != '.' && plain[0] != '-') {
        // Go reads unsigned values above int64 as uint64; the API server
        // then stores them as float64.
        absl::string_view digits = plain;
        if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
        uint64_t u = 0;
        auto [ptr, ec] = std::from_chars(digits.data(),
                                         digits.data() + digits.size(), u);
        if (ec == std::errc() && ptr == digits.data() + digits.size()) {
          out.SetDouble(static_cast<double>(u));
          return absl::OkStatus();
        }
      }
    }
    SetString(text, out);
    return absl::OkStatus();
  }

  // kubectl sends the value as JSON and the API server reads a number
  // without fraction as an integer, so 1e3 and 2.0 arrive as integers.
  void SetNumber(double d, rapidjson::Value& out) {
    if (std::isfinite(d) && d == std::trunc(d) && d >= -9.2233720368547758e18 &&
        d < 9.2233720368547758e18) {
      out.SetInt64(static_cast<int64_t>(d));
    } else {
      out.SetDouble(d);
    }
  }

  void SetString(const std::string& text, rapidjson::Value& out) {
    out.SetString(text.data(), static_cast<rapidjson::SizeType>(text.size()),
                  allocator_);
  }

  const YamlLimits& limits_;
  rapidjson::Document::AllocatorType& allocator_;
  long nodes_ = 0;
};

absl::Status ParseError(const YAML::Exception& e) {
  return absl::InvalidArgumentError(
      absl::StrCat("yaml: ", Where(e.mark), e.msg));
}

}  // namespace

absl::StatusOr<std::vector<rapidjson::Document>> ParseYamlStream(
    std::string_view text, const YamlLimits& limits) {
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own guard against stack exhaustion; its message says only
    // "bad file".
    return absl::InvalidArgumentError(
        absl::StrCat("yaml: ", Where(e.mark), "nesting deeper than ",
                     e.depth(), " levels"));
  } catch (const YAML::Exception& e) {
    return ParseError(e);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("yaml: ", e.what()));
  }
  std::vector<rapidjson::Document> documents;
  long budget_used = 0;
  for (const YAML::Node& node : nodes) {
    if (!node.IsDefined() || node.IsNull()) continue;
    rapidjson::Document document;
    YamlLimits remaining = limits;
    remaining.max_nodes = limits.max_nodes - budget_used;
    Converter converter(remaining, document.GetAllocator());
    absl::Status status;
    try {
      status = converter.Convert(node, document, 0);
    } catch (const YAML::Exception& e) {
      return ParseError(e);
    }
    if (!status.ok()) return status;
    budget_used += converter.nodes_used();
    documents.push_back(std::move(document));
  }
  return documents;
}

absl::StatusOr<rapidjson::Document> ParseYamlDocument(
    std::string_view text, const YamlLimits& limits) {
  absl::StatusOr<std::vector<rapidjson::Document>> documents =
      ParseYamlStream(text, limits);
  if (!documents.ok()) return documents.status();
  if (documents->empty()) {
    return absl::InvalidArgumentError("yaml: the text holds no document");
  }
  if (documents->size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("yaml: expected one document, found ",
                     documents->size()));
  }
  return std::move(documents->front());
}

std::string ToJson(const rapidjson::Value& value, bool pretty) {
  rapidjson::StringBuffer buffer;
  if (pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    writer.SetIndent(' ', 2);
    value.Accept(writer);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace mck8s::apischema
