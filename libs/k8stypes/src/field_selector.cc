#include "mck8s/k8stypes/field_selector.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"

namespace mck8s::k8stypes {
namespace {

std::string Quote(std::string_view text) {
  constexpr size_t kMaxShown = 200;
  std::string quoted =
      absl::StrCat("'", absl::CHexEscape(ToAbsl(text.substr(0, kMaxShown))), "'");
  if (text.size() > kMaxShown) absl::StrAppend(&quoted, "...");
  return quoted;
}

// Splits at commas that are not escaped; the escapes stay in the terms.
std::vector<std::string_view> SplitTerms(std::string_view selector) {
  std::vector<std::string_view> terms;
  if (selector.empty()) return terms;
  size_t start = 0;
  bool escaped = false;
  for (size_t i = 0; i < selector.size(); ++i) {
    if (escaped) {
      escaped = false;
    } else if (selector[i] == '\\') {
      escaped = true;
    } else if (selector[i] == ',') {
      terms.push_back(selector.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.push_back(selector.substr(start));
  return terms;
}

}  // namespace

std::string EscapeFieldSelectorValue(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == ',' || c == '=') escaped.push_back('\\');
    escaped.push_back(c);
  }
  return escaped;
}

absl::StatusOr<std::string> UnescapeFieldSelectorValue(std::string_view value) {
  std::string unescaped;
  unescaped.reserve(value.size());
  bool escaped = false;
  for (char c : value) {
    if (escaped) {
      if (c != '\\' && c != ',' && c != '=') {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid field selector: invalid escape sequence: ", Quote(std::string{'\\', c})));
      }
      unescaped.push_back(c);
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == ',' || c == '=') {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid field selector: unescaped character in value: ", Quote(std::string(1, c))));
    } else {
      unescaped.push_back(c);
    }
  }
  if (escaped) {
    return absl::InvalidArgumentError(
        "invalid field selector: invalid escape sequence: a trailing '\\'");
  }
  return unescaped;
}

absl::StatusOr<FieldSelector> FieldSelector::Parse(std::string_view text) {
  std::vector<std::string_view> terms = SplitTerms(text);
  std::sort(terms.begin(), terms.end());
  FieldSelector selector;
  for (std::string_view term : terms) {
    if (term.empty()) continue;
    size_t split = std::string_view::npos;
    size_t op_length = 0;
    FieldSelectorOperator op = FieldSelectorOperator::kEquals;
    for (size_t i = 0; i < term.size() && split == std::string_view::npos; ++i) {
      const std::string_view rest = term.substr(i);
      if (rest.substr(0, 2) == "!=") {
        op = FieldSelectorOperator::kNotEquals;
        op_length = 2;
        split = i;
      } else if (rest.substr(0, 2) == "==") {
        op = FieldSelectorOperator::kDoubleEquals;
        op_length = 2;
        split = i;
      } else if (rest[0] == '=') {
        op = FieldSelectorOperator::kEquals;
        op_length = 1;
        split = i;
      }
    }
    if (split == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("invalid field selector ", Quote(text),
                                                     ": can't understand ", Quote(term),
                                                     " (expected field=value, field==value "
                                                     "or field!=value)"));
    }
    absl::StatusOr<std::string> value = UnescapeFieldSelectorValue(term.substr(split + op_length));
    if (!value.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(value.status().message(), " (in ", Quote(text), ")"));
    }
    selector.requirements_.push_back(
        FieldRequirement{std::string(term.substr(0, split)), op, *std::move(value)});
  }
  return selector;
}

std::string FieldSelector::String() const {
  std::string out;
  for (const FieldRequirement& requirement : requirements_) {
    if (!out.empty()) out.push_back(',');
    absl::StrAppend(&out, requirement.field,
                    requirement.op == FieldSelectorOperator::kNotEquals ? "!=" : "=",
                    EscapeFieldSelectorValue(requirement.value));
  }
  return out;
}

}  // namespace mck8s::k8stypes
