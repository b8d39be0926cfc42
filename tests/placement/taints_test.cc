#include "mck8s/placement/taints.h"

#include <catch2/catch.hpp>

namespace mck8s::placement {
namespace {

TEST_CASE("taints: tolerations match as in Kubernetes", "[placement][taints]") {
  const Taint draining{"fogguru.eu/draining", "yes", TaintEffect::kNoSchedule};
  struct Case {
    std::string name;
    Toleration toleration;
    bool want;
  };
  const std::vector<Case> cases = {
      {"equal key and value", {.key = "fogguru.eu/draining", .value = "yes"}, true},
      {"equal key, other value", {.key = "fogguru.eu/draining", .value = "no"}, false},
      {"exists on the key",
       {.key = "fogguru.eu/draining", .op = TolerationOperator::kExists},
       true},
      {"exists on every key", {.op = TolerationOperator::kExists}, true},
      {"other key", {.key = "other", .op = TolerationOperator::kExists}, false},
      {"matching effect",
       {.key = "fogguru.eu/draining", .value = "yes", .effect = TaintEffect::kNoSchedule},
       true},
      {"other effect",
       {.key = "fogguru.eu/draining", .value = "yes", .effect = TaintEffect::kNoExecute},
       false},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(Tolerates(c.toleration, draining) == c.want);
  }
}

TEST_CASE("taints: verdicts by effect and time limit", "[placement][taints]") {
  const Toleration all{.op = TolerationOperator::kExists};
  const Toleration for_a_while{.op = TolerationOperator::kExists,
                               .effect = TaintEffect::kNoExecute,
                               .evict_after_seconds = 60};
  struct Case {
    TaintEffect effect;
    std::vector<Toleration> tolerations;
    TaintVerdict want;
  };
  const std::vector<Case> cases = {
      {TaintEffect::kNoSchedule, {}, TaintVerdict::kNoNew},
      {TaintEffect::kPreferNoSchedule, {}, TaintVerdict::kAvoid},
      {TaintEffect::kNoExecute, {}, TaintVerdict::kEvict},
      {TaintEffect::kNoExecute, {for_a_while}, TaintVerdict::kNoNew},
      {TaintEffect::kNoExecute, {for_a_while, all}, TaintVerdict::kTolerated},
      {TaintEffect::kNoSchedule, {all}, TaintVerdict::kTolerated},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    const Taint taint{"k", "", cases[i].effect};
    CHECK(JudgeTaint(cases[i].tolerations, taint) == cases[i].want);
  }
  const std::vector<Taint> taints = {{"a", "", TaintEffect::kPreferNoSchedule},
                                     {"b", "", TaintEffect::kNoExecute},
                                     {"c", "", TaintEffect::kNoSchedule}};
  const TaintJudgement worst = JudgeTaints({}, taints);
  CHECK(worst.verdict == TaintVerdict::kEvict);
  REQUIRE(worst.taint != nullptr);
  CHECK(worst.taint->key == "b");
  CHECK(JudgeTaints({}, {}).taint == nullptr);
}

TEST_CASE("taints: invalid tolerations and taints are named", "[placement][taints]") {
  struct Case {
    Toleration toleration;
    std::string message;  // empty: valid
  };
  const std::vector<Case> cases = {
      {{.key = "a"}, ""},
      {{.op = TolerationOperator::kExists}, ""},
      {{.value = "x"}, "t.key: must not be empty unless the operator is Exists"},
      {{.key = "a", .op = TolerationOperator::kExists, .value = "x"},
       "t.value: must be empty when the operator is Exists, got \"x\""},
      {{.key = "bad key!"}, "t.key: "},
      {{.key = "a", .effect = TaintEffect::kNoExecute, .evict_after_seconds = -1},
       "t.evict_after: must not be negative, got -1s"},
      {{.key = "a", .effect = TaintEffect::kNoSchedule, .evict_after_seconds = 5},
       "t.evict_after: only valid with the NoExecute effect, got NoSchedule"},
  };
  for (const Case& c : cases) {
    const absl::Status status = ValidateToleration(c.toleration, "t");
    INFO(status.ToString());
    if (c.message.empty()) {
      CHECK(status.ok());
    } else {
      CHECK(status.code() == absl::StatusCode::kInvalidArgument);
      CHECK_THAT(std::string(status.message()), Catch::StartsWith(c.message));
    }
  }
  CHECK(ValidateTaint({"", "", TaintEffect::kNoSchedule}, "x").message() ==
        "x.key: must not be empty");
  CHECK(ValidateTaint({"ok", "", TaintEffect::kNoSchedule}, "x").ok());
}

}  // namespace
}  // namespace mck8s::placement
