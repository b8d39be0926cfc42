// -----------------------------------------------------------------------------
// File: mck8s/k8stypes/label_selector.h
// -----------------------------------------------------------------------------
//
// Kubernetes label selectors: the string form used by `kubectl -l` and the
// `labelSelector` query parameter, and the matchLabels/matchExpressions form
// of Deployments, Services and mck8s' own resources. Both produce the same
// LabelSelector, a conjunction of requirements, with Kubernetes' semantics
// (k8s.io/apimachinery/pkg/labels).
//
// String grammar (whitespace between tokens is ignored):
//
//   selector    ::= "" | requirement ("," requirement)*
//   requirement ::= ["!"] KEY
//                 | KEY ("=" | "==" | "!=") [VALUE]
//                 | KEY ("in" | "notin") "(" [VALUE ("," [VALUE])*] ")"
//                 | KEY (">" | "<") INTEGER
//
//   env=prod, tier in (web,api), !canary, zone notin (a), gpu, rank>3
//
// KEY must be a qualified name and VALUE a valid label value (validation.h);
// values may be empty ("a=", "a in (,x)"). The empty selector matches every
// label set.
//
// Matching (per requirement): =, ==, in: the key is present with one of the
// values. !=, notin: the key is absent, or present with none of the values.
// KEY: present. !KEY: absent. >, <: present, its value parses as an int64 and
// the comparison holds.
//
// Differences from Kubernetes: errors carry the byte offset of the offending
// token; a NUL byte is an ordinary (invalid) character rather than an end of
// input; values are kept sorted and de-duplicated.
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(LabelSelector selector,
//                          LabelSelector::Parse("app=web,tier notin (db)"));
//   absl::flat_hash_map<std::string, std::string> labels = {{"app", "web"}};
//   bool selected = selector.Matches(labels);  // true
//
// Label sets: Matches() accepts any map keyed and valued by std::string with
// find()/end() (std::map, std::unordered_map, absl::flat_hash_map,
// absl::btree_map). Selectors are immutable values, safe to share across
// threads.

#ifndef MCK8S_K8STYPES_LABEL_SELECTOR_H_
#define MCK8S_K8STYPES_LABEL_SELECTOR_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace mck8s::k8stypes {

enum class SelectorOperator {
  kIn,
  kNotIn,
  kEquals,        // "="
  kDoubleEquals,  // "=="
  kNotEquals,     // "!="
  kExists,        // "key"
  kDoesNotExist,  // "!key"
  kGreaterThan,   // ">"
  kLessThan,      // "<"
};

// One term of a selector.
class LabelRequirement {
 public:
  // Validates as Kubernetes' NewRequirement: the key is a qualified name;
  // in/notin need at least one value; =, ==, != exactly one; exists and
  // does-not-exist none; > and < exactly one, an int64; every value a valid
  // label value. InvalidArgument naming the rule otherwise.
  static absl::StatusOr<LabelRequirement> Create(std::string key, SelectorOperator op,
                                                 std::vector<std::string> values);

  const std::string& key() const { return key_; }
  SelectorOperator op() const { return op_; }
  // Sorted, without duplicates.
  const std::vector<std::string>& values() const { return values_; }

  // Whether a label set whose value for key() is `*value` (nullptr: the key
  // is absent) satisfies this requirement.
  bool MatchesValue(const std::string* value) const;

  template <typename LabelMap>
  bool Matches(const LabelMap& labels) const {
    const auto it = labels.find(key_);
    return MatchesValue(it == labels.end() ? nullptr : &it->second);
  }

  // "key in (a,b)", "!key", "key!=v": Kubernetes' spelling.
  std::string String() const;

  friend bool operator==(const LabelRequirement&, const LabelRequirement&) = default;

 private:
  LabelRequirement(std::string key, SelectorOperator op, std::vector<std::string> values,
                   int64_t bound)
      : key_(std::move(key)), op_(op), values_(std::move(values)), bound_(bound) {}

  std::string key_;
  SelectorOperator op_ = SelectorOperator::kExists;
  std::vector<std::string> values_;
  int64_t bound_ = 0;  // the parsed value of > and <
};

// One matchExpressions entry as it appears in a manifest
// (metav1.LabelSelectorRequirement): operator "In", "NotIn", "Exists" or
// "DoesNotExist".
struct LabelSelectorExpression {
  std::string key;
  std::string op;
  std::vector<std::string> values;
};

class LabelSelector {
 public:
  // Matches everything.
  LabelSelector() = default;
  static LabelSelector Everything() { return LabelSelector(); }
  // Matches nothing: what Kubernetes makes of an absent (null) selector.
  static LabelSelector Nothing();

  // Parses the string form. InvalidArgument with the byte offset and what was
  // expected there, or the validation failure of a requirement.
  static absl::StatusOr<LabelSelector> Parse(std::string_view text);

  // Builds from matchLabels and matchExpressions as Kubernetes'
  // LabelSelectorAsSelector does: each label becomes `key=value`, each
  // expression a requirement; both empty selects everything. InvalidArgument
  // for an unknown operator, In/NotIn without values, Exists/DoesNotExist with
  // values, or an invalid key or value.
  template <typename StringMap>
  static absl::StatusOr<LabelSelector> FromMatch(
      const StringMap& match_labels,
      const std::vector<LabelSelectorExpression>& match_expressions) {
    std::vector<std::pair<std::string, std::string>> labels;
    for (const auto& [key, value] : match_labels) labels.emplace_back(key, value);
    return FromMatchEntries(std::move(labels), match_expressions);
  }
  static absl::StatusOr<LabelSelector> FromMatchEntries(
      std::vector<std::pair<std::string, std::string>> match_labels,
      const std::vector<LabelSelectorExpression>& match_expressions);

  // A conjunction of already validated requirements (sorted by key).
  static LabelSelector FromRequirements(std::vector<LabelRequirement> requirements);

  template <typename LabelMap>
  bool Matches(const LabelMap& labels) const {
    if (matches_nothing_) return false;
    for (const LabelRequirement& requirement : requirements_) {
      if (!requirement.Matches(labels)) return false;
    }
    return true;
  }

  // True when the selector matches every label set.
  bool Empty() const { return !matches_nothing_ && requirements_.empty(); }
  bool MatchesNothing() const { return matches_nothing_; }

  // Sorted by key (stable for equal keys).
  const std::vector<LabelRequirement>& requirements() const { return requirements_; }

  // The canonical string form: requirements sorted by key, joined by ",".
  // Parse(String()) yields an equal selector. Everything() and Nothing() both
  // print as "" (as in Kubernetes).
  std::string String() const;

  friend bool operator==(const LabelSelector&, const LabelSelector&) = default;
  friend std::ostream& operator<<(std::ostream& os, const LabelSelector& s) {
    return os << s.String();
  }

 private:
  std::vector<LabelRequirement> requirements_;
  bool matches_nothing_ = false;
};

}  // namespace mck8s::k8stypes

#endif  // MCK8S_K8STYPES_LABEL_SELECTOR_H_
