// Specification of FieldSelector: Kubernetes' term splitting, escaping and
// matching rules.

#include "mck8s/k8stypes/field_selector.h"

#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/status/status.h"

namespace mck8s::k8stypes {
namespace {

using Op = FieldSelectorOperator;

struct ParseCase {
  std::string input;
  std::vector<FieldRequirement> requirements;
  std::string canonical;
};

TEST_CASE("FieldSelector parses terms like Kubernetes", "[k8stypes][fields]") {
  const ParseCase cases[] = {
      {"", {}, ""},
      {",,", {}, ""},
      {"metadata.name=web-0", {{"metadata.name", Op::kEquals, "web-0"}}, "metadata.name=web-0"},
      {"metadata.name==web-0", {{"metadata.name", Op::kDoubleEquals, "web-0"}},
       "metadata.name=web-0"},
      {"status.phase!=Running", {{"status.phase", Op::kNotEquals, "Running"}},
       "status.phase!=Running"},
      // Terms are sorted as raw text, as Kubernetes does.
      {"status.phase!=Running,metadata.name=x",
       {{"metadata.name", Op::kEquals, "x"}, {"status.phase", Op::kNotEquals, "Running"}},
       "metadata.name=x,status.phase!=Running"},
      {"spec.nodeName=", {{"spec.nodeName", Op::kEquals, ""}}, "spec.nodeName="},
      {"a=b,", {{"a", Op::kEquals, "b"}}, "a=b"},
      {"=x", {{"", Op::kEquals, "x"}}, "=x"},
      {"a = b", {{"a ", Op::kEquals, " b"}}, "a = b"},
      {"a=!b", {{"a", Op::kEquals, "!b"}}, "a=!b"},
      {R"(a=x\,y)", {{"a", Op::kEquals, "x,y"}}, R"(a=x\,y)"},
      {R"(a=x\=y)", {{"a", Op::kEquals, "x=y"}}, R"(a=x\=y)"},
      {R"(a=x\\y)", {{"a", Op::kEquals, R"(x\y)"}}, R"(a=x\\y)"},
      {R"(a=x\\,b=y)", {{"a", Op::kEquals, R"(x\)"}, {"b", Op::kEquals, "y"}},
       R"(a=x\\,b=y)"},
  };
  for (const ParseCase& c : cases) {
    CAPTURE(c.input);
    const absl::StatusOr<FieldSelector> selector = FieldSelector::Parse(c.input);
    REQUIRE(selector.ok());
    CHECK(selector->requirements() == c.requirements);
    CHECK(selector->String() == c.canonical);
    CHECK(selector->Empty() == c.requirements.empty());
  }
}

TEST_CASE("FieldSelector rejects what Kubernetes rejects", "[k8stypes][fields]") {
  struct Case {
    std::string input;
    std::string message_part;
  };
  const Case cases[] = {
      {"metadata.name", "can't understand 'metadata.name'"},
      {"a=b,c", "can't understand 'c'"},
      {"a!==b", "unescaped character in value: '='"},
      {"a===b", "unescaped character in value: '='"},
      {R"(a=x\y)", R"(invalid escape sequence: '\\y')"},
      {R"(a=x\)", "invalid escape sequence: a trailing '\\'"},
      {"a=b=c", "unescaped character in value: '='"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.input);
    const absl::StatusOr<FieldSelector> selector = FieldSelector::Parse(c.input);
    REQUIRE_FALSE(selector.ok());
    CHECK(selector.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(selector.status().message()), Catch::Contains(c.message_part));
  }
}

TEST_CASE("FieldSelector matches, a missing field reading as empty", "[k8stypes][fields]") {
  const std::map<std::string, std::string> pod = {
      {"metadata.name", "web-0"}, {"metadata.namespace", "default"}, {"status.phase", "Pending"}};
  struct Case {
    std::string selector;
    bool matches;
  };
  const Case cases[] = {
      {"", true},
      {"metadata.name=web-0", true},
      {"metadata.name==web-0", true},
      {"metadata.name=web-1", false},
      {"status.phase!=Running", true},
      {"status.phase!=Pending", false},
      {"metadata.name=web-0,metadata.namespace=default", true},
      {"metadata.name=web-0,metadata.namespace=kube-system", false},
      {"spec.nodeName=", true},
      {"spec.nodeName!=", false},
      {"spec.nodeName=node-1", false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.selector);
    const absl::StatusOr<FieldSelector> selector = FieldSelector::Parse(c.selector);
    REQUIRE(selector.ok());
    CHECK(selector->Matches(pod) == c.matches);
  }
}

TEST_CASE("Field selector values escape and unescape", "[k8stypes][fields]") {
  const std::string raw = R"(a,b=c\d)";
  const std::string escaped = EscapeFieldSelectorValue(raw);
  CHECK(escaped == R"(a\,b\=c\\d)");
  CHECK(UnescapeFieldSelectorValue(escaped).value() == raw);
  CHECK(UnescapeFieldSelectorValue("plain").value() == "plain");
  CHECK_FALSE(UnescapeFieldSelectorValue("a,b").ok());
  const absl::StatusOr<FieldSelector> selector =
      FieldSelector::Parse("metadata.name=" + escaped);
  REQUIRE(selector.ok());
  CHECK(selector->requirements().at(0).value == raw);
  CHECK(FieldSelector::Parse(selector->String()).value() == *selector);
}

}  // namespace
}  // namespace mck8s::k8stypes
