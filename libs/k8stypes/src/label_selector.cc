#include "mck8s/k8stypes/label_selector.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"
#include "absl/strings/str_join.h"
#include "mck8s/k8stypes/validation.h"

namespace mck8s::k8stypes {
namespace {

// strconv.ParseInt(s, 10, 64): optional sign, one or more digits, in range.
std::optional<int64_t> ParseInt64(std::string_view s) {
  bool negative = false;
  size_t i = 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return std::nullopt;
  const uint64_t limit =
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (negative ? 1 : 0);
  uint64_t magnitude = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    const auto digit = static_cast<uint64_t>(s[i] - '0');
    if (magnitude > (limit - digit) / 10) return std::nullopt;
    magnitude = magnitude * 10 + digit;
  }
  if (!negative) return static_cast<int64_t>(magnitude);
  return magnitude == limit ? std::numeric_limits<int64_t>::min()
                            : -static_cast<int64_t>(magnitude);
}

std::string Quote(std::string_view text) {
  constexpr size_t kMaxShown = 200;
  std::string quoted =
      absl::StrCat("\"", absl::CHexEscape(ToAbsl(text.substr(0, kMaxShown))), "\"");
  if (text.size() > kMaxShown) absl::StrAppend(&quoted, "...");
  return quoted;
}

// ---- Lexer ------------------------------------------------------------------

enum class Token {
  kEnd,
  kIdentifier,
  kIn,
  kNotIn,
  kOpenParen,
  kCloseParen,
  kComma,
  kNot,           // "!"
  kEquals,        // "="
  kDoubleEquals,  // "=="
  kNotEquals,     // "!="
  kGreaterThan,   // ">"
  kLessThan,      // "<"
};

struct Lexeme {
  Token token;
  std::string_view text;
  size_t offset;
};

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsSpecial(char c) {
  switch (c) {
    case '=': case '!': case '(': case ')': case ',': case '>': case '<':
      return true;
    default:
      return false;
  }
}

std::vector<Lexeme> Lex(std::string_view text) {
  std::vector<Lexeme> lexemes;
  size_t pos = 0;
  while (true) {
    while (pos < text.size() && IsWhitespace(text[pos])) ++pos;
    if (pos == text.size()) {
      lexemes.push_back({Token::kEnd, {}, pos});
      return lexemes;
    }
    const size_t start = pos;
    if (IsSpecial(text[pos])) {
      // The two-character operators win over their first character.
      const std::string_view two = text.substr(pos, 2);
      if (two == "!=" || two == "==") {
        lexemes.push_back({two == "!=" ? Token::kNotEquals : Token::kDoubleEquals, two, start});
        pos += 2;
        continue;
      }
      Token token = Token::kEnd;
      switch (text[pos]) {
        case '=': token = Token::kEquals; break;
        case '!': token = Token::kNot; break;
        case '(': token = Token::kOpenParen; break;
        case ')': token = Token::kCloseParen; break;
        case ',': token = Token::kComma; break;
        case '>': token = Token::kGreaterThan; break;
        default: token = Token::kLessThan; break;
      }
      lexemes.push_back({token, text.substr(pos, 1), start});
      ++pos;
      continue;
    }
    while (pos < text.size() && !IsSpecial(text[pos]) && !IsWhitespace(text[pos])) ++pos;
    const std::string_view word = text.substr(start, pos - start);
    Token token = Token::kIdentifier;
    if (word == "in") token = Token::kIn;
    if (word == "notin") token = Token::kNotIn;
    lexemes.push_back({token, word, start});
  }
}

// ---- Parser -----------------------------------------------------------------

// Where "in" and "notin" are read: as operators after a key, as plain
// identifiers where a key or a value is expected ("in in (in)" is valid).
enum class Context { kOperator, kValues };

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text), lexemes_(Lex(text)) {}

  absl::StatusOr<std::vector<LabelRequirement>> Parse() {
    std::vector<LabelRequirement> requirements;
    while (true) {
      const Lexeme& next = Peek(Context::kValues);
      if (next.token == Token::kEnd) return requirements;
      if (next.token != Token::kIdentifier && next.token != Token::kNot) {
        return Error(next, "!, identifier, or end of string");
      }
      absl::StatusOr<LabelRequirement> requirement = ParseRequirement();
      if (!requirement.ok()) return requirement.status();
      requirements.push_back(*std::move(requirement));
      const Lexeme after = Next(Context::kValues);
      if (after.token == Token::kEnd) return requirements;
      if (after.token != Token::kComma) return Error(after, "',' or end of string");
      const Lexeme& following = Peek(Context::kValues);
      if (following.token != Token::kIdentifier && following.token != Token::kNot) {
        return Error(following, "identifier after ','");
      }
    }
  }

 private:
  Lexeme Contextual(Lexeme lexeme, Context context) const {
    if (context == Context::kValues &&
        (lexeme.token == Token::kIn || lexeme.token == Token::kNotIn)) {
      lexeme.token = Token::kIdentifier;
    }
    return lexeme;
  }
  Lexeme Peek(Context context) const { return Contextual(lexemes_[position_], context); }
  Lexeme Next(Context context) {
    const Lexeme lexeme = Contextual(lexemes_[position_], context);
    if (lexeme.token != Token::kEnd) ++position_;
    return lexeme;
  }

  absl::Status Error(const Lexeme& found, std::string_view expected) const {
    const std::string what = found.token == Token::kEnd
                                 ? std::string("end of string")
                                 : absl::StrCat("'", absl::CHexEscape(ToAbsl(found.text)), "'");
    return absl::InvalidArgumentError(absl::StrCat("invalid label selector ", Quote(text_),
                                                   ": at offset ", found.offset, ": found ",
                                                   what, ", expected: ", ToAbsl(expected)));
  }

  absl::Status Invalid(const Lexeme& at, const absl::Status& why) const {
    return absl::InvalidArgumentError(absl::StrCat("invalid label selector ", Quote(text_),
                                                   ": at offset ", at.offset, ": ",
                                                   why.message()));
  }

  absl::StatusOr<LabelRequirement> ParseRequirement() {
    const Lexeme start = Peek(Context::kValues);
    bool negated = false;
    Lexeme key = Next(Context::kValues);
    if (key.token == Token::kNot) {
      negated = true;
      key = Next(Context::kValues);
    }
    if (key.token != Token::kIdentifier) return Error(key, "identifier");
    if (absl::Status status = ValidateLabelKey(key.text); !status.ok()) {
      return Invalid(key, status);
    }
    const Token after_key = Peek(Context::kValues).token;
    if (negated || after_key == Token::kEnd || after_key == Token::kComma) {
      // "!key" ends here; anything after it is reported by the caller.
      return Make(start, std::string(key.text),
                  negated ? SelectorOperator::kDoesNotExist : SelectorOperator::kExists, {});
    }

    const Lexeme op_lexeme = Next(Context::kOperator);
    SelectorOperator op = SelectorOperator::kExists;
    switch (op_lexeme.token) {
      case Token::kIn: op = SelectorOperator::kIn; break;
      case Token::kNotIn: op = SelectorOperator::kNotIn; break;
      case Token::kEquals: op = SelectorOperator::kEquals; break;
      case Token::kDoubleEquals: op = SelectorOperator::kDoubleEquals; break;
      case Token::kNotEquals: op = SelectorOperator::kNotEquals; break;
      case Token::kGreaterThan: op = SelectorOperator::kGreaterThan; break;
      case Token::kLessThan: op = SelectorOperator::kLessThan; break;
      default:
        return Error(op_lexeme, "in, notin, =, ==, !=, >, <");
    }

    std::vector<std::string> values;
    if (op == SelectorOperator::kIn || op == SelectorOperator::kNotIn) {
      absl::StatusOr<std::vector<std::string>> set = ParseValueSet();
      if (!set.ok()) return set.status();
      values = *std::move(set);
    } else {
      const Lexeme& next = Peek(Context::kValues);
      if (next.token == Token::kEnd || next.token == Token::kComma) {
        values.emplace_back();  // "key=" compares with the empty value
      } else {
        const Lexeme value = Next(Context::kValues);
        if (value.token != Token::kIdentifier) return Error(value, "identifier");
        values.emplace_back(value.text);
      }
    }
    return Make(start, std::string(key.text), op, std::move(values));
  }

  // "(" values ")". An empty position stands for the empty value: "()" is
  // {""}, "(a,)" and "(,a)" hold "" and "a". Kubernetes' own state machine is
  // followed to the letter, including its one oddity: an even run of commas
  // right before ')' ("(a,,)") is rejected while an odd one ("(a,,,)") is not.
  absl::StatusOr<std::vector<std::string>> ParseValueSet() {
    const Lexeme open = Next(Context::kValues);
    if (open.token != Token::kOpenParen) return Error(open, "'('");
    const Lexeme first = Peek(Context::kValues);
    if (first.token == Token::kCloseParen) {
      Next(Context::kValues);
      return std::vector<std::string>{""};
    }
    if (first.token != Token::kIdentifier && first.token != Token::kComma) {
      return Error(first, "',', ')' or identifier");
    }
    std::vector<std::string> values;
    while (true) {
      const Lexeme lexeme = Next(Context::kValues);
      if (lexeme.token == Token::kIdentifier) {
        values.emplace_back(lexeme.text);
        const Lexeme after = Peek(Context::kValues);
        if (after.token == Token::kCloseParen) break;
        if (after.token != Token::kComma) return Error(after, "',' or ')'");
        continue;
      }
      if (lexeme.token == Token::kComma) {
        if (values.empty()) values.emplace_back();  // "(,"
        const Lexeme after = Peek(Context::kValues);
        if (after.token == Token::kCloseParen) {
          values.emplace_back();  // ",)"
          break;
        }
        if (after.token == Token::kComma) {
          Next(Context::kValues);
          values.emplace_back();  // ",,"
        }
        continue;
      }
      return Error(lexeme, "',' or identifier");
    }
    Next(Context::kValues);  // the ')' seen above
    return values;
  }

  absl::StatusOr<LabelRequirement> Make(const Lexeme& at, std::string key,
                                        SelectorOperator op, std::vector<std::string> values) {
    absl::StatusOr<LabelRequirement> requirement =
        LabelRequirement::Create(std::move(key), op, std::move(values));
    if (!requirement.ok()) return Invalid(at, requirement.status());
    return requirement;
  }

  std::string_view text_;
  std::vector<Lexeme> lexemes_;
  size_t position_ = 0;
};

std::string_view OperatorSpelling(SelectorOperator op) {
  switch (op) {
    case SelectorOperator::kIn: return " in ";
    case SelectorOperator::kNotIn: return " notin ";
    case SelectorOperator::kEquals: return "=";
    case SelectorOperator::kDoubleEquals: return "==";
    case SelectorOperator::kNotEquals: return "!=";
    case SelectorOperator::kGreaterThan: return ">";
    case SelectorOperator::kLessThan: return "<";
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist: return "";
  }
  return "";
}

void SortByKey(std::vector<LabelRequirement>& requirements) {
  std::stable_sort(requirements.begin(), requirements.end(),
                   [](const LabelRequirement& a, const LabelRequirement& b) {
                     return a.key() < b.key();
                   });
}

}  // namespace

absl::StatusOr<LabelRequirement> LabelRequirement::Create(std::string key,
                                                          SelectorOperator op,
                                                          std::vector<std::string> values) {
  if (absl::Status status = ValidateLabelKey(key); !status.ok()) return status;
  int64_t bound = 0;
  switch (op) {
    case SelectorOperator::kIn:
    case SelectorOperator::kNotIn:
      if (values.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "requirement on ", Quote(key), ": 'in' and 'notin' need at least one value"));
      }
      break;
    case SelectorOperator::kEquals:
    case SelectorOperator::kDoubleEquals:
    case SelectorOperator::kNotEquals:
      if (values.size() != 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "requirement on ", Quote(key), ": '=', '==' and '!=' need exactly one value, got ",
            values.size()));
      }
      break;
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist:
      if (!values.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "requirement on ", Quote(key),
            ": exists and does-not-exist take no values, got ", values.size()));
      }
      break;
    case SelectorOperator::kGreaterThan:
    case SelectorOperator::kLessThan: {
      if (values.size() != 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "requirement on ", Quote(key), ": '>' and '<' need exactly one value, got ",
            values.size()));
      }
      const std::optional<int64_t> parsed = ParseInt64(values[0]);
      if (!parsed.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("requirement on ", Quote(key), ": the value ", Quote(values[0]),
                         " of '>' or '<' must be an integer"));
      }
      bound = *parsed;
      break;
    }
  }
  for (const std::string& value : values) {
    if (absl::Status status = ValidateLabelValue(value); !status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("requirement on ", Quote(key), ": ", status.message()));
    }
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return LabelRequirement(std::move(key), op, std::move(values), bound);
}

bool LabelRequirement::MatchesValue(const std::string* value) const {
  const auto contains = [this](const std::string& v) {
    return std::binary_search(values_.begin(), values_.end(), v);
  };
  switch (op_) {
    case SelectorOperator::kIn:
    case SelectorOperator::kEquals:
    case SelectorOperator::kDoubleEquals:
      return value != nullptr && contains(*value);
    case SelectorOperator::kNotIn:
    case SelectorOperator::kNotEquals:
      return value == nullptr || !contains(*value);
    case SelectorOperator::kExists:
      return value != nullptr;
    case SelectorOperator::kDoesNotExist:
      return value == nullptr;
    case SelectorOperator::kGreaterThan:
    case SelectorOperator::kLessThan: {
      if (value == nullptr) return false;
      const std::optional<int64_t> number = ParseInt64(*value);
      if (!number.has_value()) return false;
      return op_ == SelectorOperator::kGreaterThan ? *number > bound_ : *number < bound_;
    }
  }
  return false;
}

std::string LabelRequirement::String() const {
  switch (op_) {
    case SelectorOperator::kExists:
      return key_;
    case SelectorOperator::kDoesNotExist:
      return absl::StrCat("!", key_);
    case SelectorOperator::kIn:
    case SelectorOperator::kNotIn:
      return absl::StrCat(key_, ToAbsl(OperatorSpelling(op_)), "(", absl::StrJoin(values_, ","), ")");
    default:
      return absl::StrCat(key_, ToAbsl(OperatorSpelling(op_)), values_.empty() ? "" : values_[0]);
  }
}

LabelSelector LabelSelector::Nothing() {
  LabelSelector selector;
  selector.matches_nothing_ = true;
  return selector;
}

absl::StatusOr<LabelSelector> LabelSelector::Parse(std::string_view text) {
  absl::StatusOr<std::vector<LabelRequirement>> requirements = Parser(text).Parse();
  if (!requirements.ok()) return requirements.status();
  return FromRequirements(*std::move(requirements));
}

absl::StatusOr<LabelSelector> LabelSelector::FromMatchEntries(
    std::vector<std::pair<std::string, std::string>> match_labels,
    const std::vector<LabelSelectorExpression>& match_expressions) {
  std::vector<LabelRequirement> requirements;
  requirements.reserve(match_labels.size() + match_expressions.size());
  // Hash maps iterate in any order; sort so that errors and output do not.
  std::sort(match_labels.begin(), match_labels.end());
  for (auto& [key, value] : match_labels) {
    absl::StatusOr<LabelRequirement> requirement =
        LabelRequirement::Create(std::move(key), SelectorOperator::kEquals, {std::move(value)});
    if (!requirement.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("matchLabels: ", requirement.status().message()));
    }
    requirements.push_back(*std::move(requirement));
  }
  for (size_t i = 0; i < match_expressions.size(); ++i) {
    const LabelSelectorExpression& expression = match_expressions[i];
    SelectorOperator op = SelectorOperator::kExists;
    if (expression.op == "In") {
      op = SelectorOperator::kIn;
    } else if (expression.op == "NotIn") {
      op = SelectorOperator::kNotIn;
    } else if (expression.op == "Exists") {
      op = SelectorOperator::kExists;
    } else if (expression.op == "DoesNotExist") {
      op = SelectorOperator::kDoesNotExist;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "matchExpressions[", i, "]: ", Quote(expression.op),
          " is not a valid label selector operator (In, NotIn, Exists, DoesNotExist)"));
    }
    absl::StatusOr<LabelRequirement> requirement =
        LabelRequirement::Create(expression.key, op, expression.values);
    if (!requirement.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("matchExpressions[", i, "]: ",
                                                     requirement.status().message()));
    }
    requirements.push_back(*std::move(requirement));
  }
  return FromRequirements(std::move(requirements));
}

LabelSelector LabelSelector::FromRequirements(std::vector<LabelRequirement> requirements) {
  SortByKey(requirements);
  LabelSelector selector;
  selector.requirements_ = std::move(requirements);
  return selector;
}

std::string LabelSelector::String() const {
  return absl::StrJoin(requirements_, ",",
                       [](std::string* out, const LabelRequirement& requirement) {
                         out->append(requirement.String());
                       });
}

}  // namespace mck8s::k8stypes
