// -----------------------------------------------------------------------------
// File: mck8s/k8stypes/field_selector.h
// -----------------------------------------------------------------------------
//
// Kubernetes field selectors, the `fieldSelector` query parameter
// (k8s.io/apimachinery/pkg/fields): a comma-separated conjunction of
// `field=value`, `field==value` or `field!=value` terms, for example
//
//   metadata.name=web-0,status.phase!=Running
//
// Rules, as the API server applies them:
//   * terms are split at commas not preceded by a backslash; empty terms are
//     skipped, so "" selects everything;
//   * each term splits at the first "!=", "==" or "=" (tried in that order at
//     every position); the field itself takes no escapes;
//   * in the value, "\\", "\," and "\=" stand for "\", "," and "="; any other
//     backslash sequence, and a bare "," or "=", are errors;
//   * no whitespace is trimmed: "a = b" compares field "a " with " b";
//   * a missing field reads as the empty string, so "spec.nodeName=" selects
//     unscheduled pods.
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(FieldSelector selector,
//                          FieldSelector::Parse("status.phase!=Running"));
//   std::map<std::string, std::string> fields = {{"status.phase", "Pending"}};
//   bool selected = selector.Matches(fields);  // true
//
// Field sets: any map keyed and valued by std::string with find()/end().
// Selectors are immutable values, safe to share across threads.

#ifndef MCK8S_K8STYPES_FIELD_SELECTOR_H_
#define MCK8S_K8STYPES_FIELD_SELECTOR_H_

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mck8s::k8stypes {

enum class FieldSelectorOperator {
  kEquals,        // "="
  kDoubleEquals,  // "==", the same test as "="
  kNotEquals,     // "!="
};

struct FieldRequirement {
  std::string field;
  FieldSelectorOperator op = FieldSelectorOperator::kEquals;
  std::string value;  // unescaped

  // `actual` is the object's value for `field` ("" when it has none).
  bool MatchesValue(std::string_view actual) const {
    return (op == FieldSelectorOperator::kNotEquals) != (actual == value);
  }

  friend bool operator==(const FieldRequirement&, const FieldRequirement&) = default;
};

class FieldSelector {
 public:
  // Selects everything.
  FieldSelector() = default;

  // InvalidArgument naming the selector and the term it cannot understand,
  // or the bad escape in a value.
  static absl::StatusOr<FieldSelector> Parse(std::string_view text);

  // In Kubernetes' order: the terms sorted as raw text.
  const std::vector<FieldRequirement>& requirements() const { return requirements_; }
  bool Empty() const { return requirements_.empty(); }

  template <typename FieldMap>
  bool Matches(const FieldMap& fields) const {
    for (const FieldRequirement& requirement : requirements_) {
      const auto it = fields.find(requirement.field);
      const std::string_view actual =
          it == fields.end() ? std::string_view() : std::string_view(it->second);
      if (!requirement.MatchesValue(actual)) return false;
    }
    return true;
  }

  // "a=b,c!=d" with values escaped ("==" prints as "="); Parse(String())
  // yields an equivalent selector.
  std::string String() const;

  friend bool operator==(const FieldSelector&, const FieldSelector&) = default;
  friend std::ostream& operator<<(std::ostream& os, const FieldSelector& s) {
    return os << s.String();
  }

 private:
  std::vector<FieldRequirement> requirements_;
};

// "\" -> "\\", "," -> "\,", "=" -> "\=": makes any string a valid value.
std::string EscapeFieldSelectorValue(std::string_view value);

// The inverse; InvalidArgument for an unknown escape, a trailing backslash, or
// a bare "," or "=".
absl::StatusOr<std::string> UnescapeFieldSelectorValue(std::string_view value);

}  // namespace mck8s::k8stypes

#endif  // MCK8S_K8STYPES_FIELD_SELECTOR_H_
