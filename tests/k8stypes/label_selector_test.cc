// Specification of LabelSelector: Kubernetes' selector grammar, its canonical
// spelling, matching, and construction from matchLabels/matchExpressions.

#include "mck8s/k8stypes/label_selector.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"

namespace mck8s::k8stypes {
namespace {

using Labels = std::map<std::string, std::string>;

const std::string kLongName(63, 'a');

struct ParseCase {
  std::string input;
  std::string canonical;
};

const ParseCase kValidSelectors[] = {
    {"", ""},
    {"x=a", "x=a"},
    {"x==a", "x==a"},
    {"x!=a", "x!=a"},
    {"x", "x"},
    {"!x", "!x"},
    {"x in (a)", "x in (a)"},
    {"x in (b,a,b)", "x in (a,b)"},
    {"x notin (a)", "x notin (a)"},
    {"x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"},
    {"  x  =  a  ,  y  ", "x=a,y"},
    {"\tx\n=\ra", "x=a"},
    {"z=b,a=c", "a=c,z=b"},
    {"x=", "x="},
    {"x==", "x=="},
    {"x=,y=b", "x=,y=b"},
    {"a>1", "a>1"},
    {"a<10", "a<10"},
    {"a > 007", "a>007"},
    {"in in (in,notin)", "in in (in,notin)"},
    {"notin notin (in)", "notin notin (in)"},
    {"!in", "!in"},
    {"example.com/app=web", "example.com/app=web"},
    {"x in (a,)", "x in (,a)"},
    {"x in (,a)", "x in (,a)"},
    {"x in (a,,,)", "x in (,a)"},
    {"x in(a)", "x in (a)"},
    {"x in (a, b)", "x in (a,b)"},
    {"x=a,x!=b", "x=a,x!=b"},
    {"!x,y", "!x,y"},
    {"a.b-c_d=e.f-g_h", "a.b-c_d=e.f-g_h"},
    {kLongName + "=" + kLongName, kLongName + "=" + kLongName},
    {"app=web,tier notin (db,cache),!canary", "app=web,!canary,tier notin (cache,db)"},
};

TEST_CASE("LabelSelector parses Kubernetes selector strings", "[k8stypes][labels]") {
  for (const ParseCase& c : kValidSelectors) {
    CAPTURE(c.input);
    const absl::StatusOr<LabelSelector> selector = LabelSelector::Parse(c.input);
    REQUIRE(selector.ok());
    CHECK(selector->String() == c.canonical);
    const absl::StatusOr<LabelSelector> again = LabelSelector::Parse(selector->String());
    REQUIRE(again.ok());
    CHECK(*again == *selector);
  }
}

struct InvalidCase {
  std::string input;
  std::string message_part;
};

const InvalidCase kInvalidSelectors[] = {
    {",", "at offset 0: found ',', expected: !, identifier, or end of string"},
    {"x=a,", "at offset 4: found end of string, expected: identifier after ','"},
    {"x,,y", "at offset 2: found ',', expected: identifier after ','"},
    {"x in a", "at offset 5: found 'a', expected: '('"},
    {"x in (a", "at offset 7: found end of string, expected: ',' or ')'"},
    {"x in (a b)", "at offset 8: found 'b', expected: ',' or ')'"},
    {"x in (a,,)", "at offset 9: found ')', expected: ',' or identifier"},
    {"x in (a))", "at offset 8: found ')', expected: ',' or end of string"},
    {"x notin", "at offset 7: found end of string, expected: '('"},
    {"x in (=)", "at offset 6: found '=', expected: ',', ')' or identifier"},
    {"!x=a", "at offset 2: found '=', expected: ',' or end of string"},
    {"!", "at offset 1: found end of string, expected: identifier"},
    {"!!x", "at offset 1: found '!', expected: identifier"},
    {"x y", "at offset 2: found 'y', expected: in, notin, =, ==, !=, >, <"},
    {"x!y", "at offset 1: found '!', expected: in, notin, =, ==, !=, >, <"},
    {"=a", "at offset 0: found '=', expected: !, identifier, or end of string"},
    {"(x)", "at offset 0: found '('"},
    {"x=(a)", "at offset 2: found '(', expected: identifier"},
    {"x=a=b", "at offset 3: found '=', expected: ',' or end of string"},
    {"x==a==b", "at offset 4: found '==', expected: ',' or end of string"},
    {"x=a b", "at offset 4: found 'b', expected: ',' or end of string"},
    {"x>a", "must be an integer"},
    {"x>", "must be an integer"},
    {"x<99999999999999999999", "must be an integer"},
    {"x>-1", "label value \"-1\""},
    {"-x", "name part must consist of alphanumeric characters"},
    {"x=-a", "label value \"-a\""},
    {"x/y/z", "one '/'"},
    {"/x", "prefix part must be non-empty"},
    {"x/", "name part must be non-empty"},
    {"Example.com/x", "prefix part"},
    {kLongName + "a", "no more than 63 characters"},
    {"x=" + kLongName + "a", "no more than 63 characters"},
    {"x in (a,-b)", "label value \"-b\""},
    {std::string("x\0y", 3), "name part must consist"},
};

TEST_CASE("LabelSelector reports where a selector goes wrong", "[k8stypes][labels]") {
  for (const InvalidCase& c : kInvalidSelectors) {
    CAPTURE(c.input);
    const absl::StatusOr<LabelSelector> selector = LabelSelector::Parse(c.input);
    REQUIRE_FALSE(selector.ok());
    CHECK(selector.status().code() == absl::StatusCode::kInvalidArgument);
    const std::string message(selector.status().message());
    CHECK_THAT(message, Catch::StartsWith("invalid label selector \""));
    CHECK_THAT(message, Catch::Contains(c.message_part));
  }
}

struct MatchCase {
  std::string selector;
  Labels labels;
  bool matches;
};

const MatchCase kMatchCases[] = {
    {"", {}, true},
    {"", {{"a", "b"}}, true},
    {"env=prod", {{"env", "prod"}}, true},
    {"env==prod", {{"env", "prod"}, {"x", "y"}}, true},
    {"env=prod", {{"env", "dev"}}, false},
    {"env=prod", {}, false},
    {"env!=prod", {}, true},
    {"env!=prod", {{"env", "prod"}}, false},
    {"env!=prod", {{"env", "dev"}}, true},
    {"env in (a,b)", {{"env", "b"}}, true},
    {"env in (a,b)", {{"env", "c"}}, false},
    {"env in (a,b)", {}, false},
    {"env notin (a,b)", {}, true},
    {"env notin (a,b)", {{"env", "a"}}, false},
    {"env notin (a,b)", {{"env", "c"}}, true},
    {"env", {{"env", ""}}, true},
    {"env", {}, false},
    {"!env", {}, true},
    {"!env", {{"env", "x"}}, false},
    {"a=", {{"a", ""}}, true},
    {"a=", {}, false},
    {"a in (,x)", {{"a", ""}}, true},
    {"rank>3", {{"rank", "4"}}, true},
    {"rank>3", {{"rank", "3"}}, false},
    {"rank>3", {{"rank", "four"}}, false},
    {"rank>3", {}, false},
    {"rank<3", {{"rank", "-1"}}, true},
    {"rank<3", {{"rank", "+2"}}, true},
    {"rank<3", {{"rank", "99999999999999999999"}}, false},
    {"app=web,tier notin (db),!canary", {{"app", "web"}, {"tier", "frontend"}}, true},
    {"app=web,tier notin (db),!canary", {{"app", "web"}, {"canary", "yes"}}, false},
    {"app=web,tier notin (db),!canary", {{"app", "web"}, {"tier", "db"}}, false},
    {"app=web,tier notin (db),!canary", {{"tier", "frontend"}}, false},
};

TEST_CASE("LabelSelector matches like Kubernetes", "[k8stypes][labels]") {
  for (const MatchCase& c : kMatchCases) {
    CAPTURE(c.selector, c.labels);
    const absl::StatusOr<LabelSelector> selector = LabelSelector::Parse(c.selector);
    REQUIRE(selector.ok());
    CHECK(selector->Matches(c.labels) == c.matches);
    // Any string-to-string map will do.
    const absl::flat_hash_map<std::string, std::string> hashed(c.labels.begin(),
                                                               c.labels.end());
    CHECK(selector->Matches(hashed) == c.matches);
    const absl::btree_map<std::string, std::string> btree(c.labels.begin(), c.labels.end());
    CHECK(selector->Matches(btree) == c.matches);
  }
}

TEST_CASE("LabelSelector Everything and Nothing", "[k8stypes][labels]") {
  CHECK(LabelSelector::Everything().Empty());
  CHECK(LabelSelector::Everything().Matches(Labels{}));
  CHECK(LabelSelector().Matches(Labels{{"a", "b"}}));
  CHECK_FALSE(LabelSelector::Nothing().Empty());
  CHECK(LabelSelector::Nothing().MatchesNothing());
  CHECK_FALSE(LabelSelector::Nothing().Matches(Labels{}));
  CHECK_FALSE(LabelSelector::Nothing().Matches(Labels{{"a", "b"}}));
  CHECK(LabelSelector::Nothing().String().empty());
  CHECK_FALSE(LabelSelector::Nothing() == LabelSelector::Everything());
}

TEST_CASE("LabelSelector from matchLabels and matchExpressions", "[k8stypes][labels]") {
  const absl::StatusOr<LabelSelector> selector = LabelSelector::FromMatch(
      absl::flat_hash_map<std::string, std::string>{{"app", "web"}, {"zone", "a"}},
      {{"tier", "In", {"b", "a"}}, {"canary", "DoesNotExist", {}},
       {"gpu", "Exists", {}}, {"env", "NotIn", {"dev"}}});
  REQUIRE(selector.ok());
  CHECK(selector->String() == "app=web,!canary,env notin (dev),gpu,tier in (a,b),zone=a");
  CHECK(selector->Matches(Labels{{"app", "web"}, {"zone", "a"}, {"tier", "a"}, {"gpu", ""}}));
  CHECK_FALSE(selector->Matches(Labels{{"app", "web"}, {"zone", "a"}, {"tier", "a"}}));
  // The string form of a matchLabels/matchExpressions selector parses back.
  const absl::StatusOr<LabelSelector> reparsed = LabelSelector::Parse(selector->String());
  REQUIRE(reparsed.ok());
  CHECK(*reparsed == *selector);

  const absl::StatusOr<LabelSelector> empty = LabelSelector::FromMatch(Labels{}, {});
  REQUIRE(empty.ok());
  CHECK(empty->Empty());

  struct Invalid {
    Labels labels;
    std::vector<LabelSelectorExpression> expressions;
    std::string message_part;
  };
  const Invalid invalid[] = {
      {{}, {{"tier", "In", {}}}, "matchExpressions[0]: requirement on \"tier\": 'in' and "
                                 "'notin' need at least one value"},
      {{}, {{"a", "Exists", {}}, {"tier", "NotIn", {}}}, "matchExpressions[1]"},
      {{}, {{"tier", "Exists", {"a"}}}, "take no values"},
      {{}, {{"tier", "DoesNotExist", {"a"}}}, "take no values"},
      {{}, {{"tier", "in", {"a"}}}, "\"in\" is not a valid label selector operator"},
      {{}, {{"tier", "Gt", {"1"}}}, "not a valid label selector operator"},
      {{}, {{"bad key", "Exists", {}}}, "label key \"bad key\""},
      {{{"app", "a b"}}, {}, "matchLabels: requirement on \"app\": label value \"a b\""},
      {{{"", "x"}}, {}, "name part must be non-empty"},
  };
  for (const Invalid& c : invalid) {
    CAPTURE(c.message_part);
    const absl::StatusOr<LabelSelector> result = LabelSelector::FromMatch(c.labels, c.expressions);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(result.status().message()), Catch::Contains(c.message_part));
  }
}

TEST_CASE("LabelRequirement::Create validates operator arity", "[k8stypes][labels]") {
  CHECK(LabelRequirement::Create("a", SelectorOperator::kEquals, {"x"}).ok());
  CHECK_FALSE(LabelRequirement::Create("a", SelectorOperator::kEquals, {}).ok());
  CHECK_FALSE(LabelRequirement::Create("a", SelectorOperator::kNotEquals, {"x", "y"}).ok());
  CHECK(LabelRequirement::Create("a", SelectorOperator::kIn, {""}).ok());
  CHECK_FALSE(LabelRequirement::Create("a", SelectorOperator::kNotIn, {}).ok());
  CHECK(LabelRequirement::Create("a", SelectorOperator::kExists, {}).ok());
  CHECK_FALSE(LabelRequirement::Create("a", SelectorOperator::kDoesNotExist, {"x"}).ok());
  CHECK(LabelRequirement::Create("a", SelectorOperator::kGreaterThan, {"12"}).ok());
  CHECK_FALSE(LabelRequirement::Create("a", SelectorOperator::kLessThan, {"1", "2"}).ok());

  const absl::StatusOr<LabelRequirement> in =
      LabelRequirement::Create("a", SelectorOperator::kIn, {"z", "y", "z"});
  REQUIRE(in.ok());
  CHECK(in->values() == std::vector<std::string>{"y", "z"});
  CHECK(in->String() == "a in (y,z)");
  const std::string y = "y";
  CHECK(in->MatchesValue(&y));
  CHECK_FALSE(in->MatchesValue(nullptr));

  const LabelSelector selector = LabelSelector::FromRequirements(
      {*LabelRequirement::Create("b", SelectorOperator::kExists, {}), *in});
  CHECK(selector.String() == "a in (y,z),b");
}

}  // namespace
}  // namespace mck8s::k8stypes
