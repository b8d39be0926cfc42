// Specification of list/watch selection by labelSelector and fieldSelector.

#include "mck8s/sim/selectors.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "mck8s/sim/api_error.h"

namespace mck8s::sim {
namespace {

StoredObject Pod(std::vector<std::pair<std::string, std::string>> labels, std::string node,
                 std::string phase) {
  StoredObject o;
  o.name = "p";
  o.ns = "default";
  std::sort(labels.begin(), labels.end());
  o.labels = std::move(labels);
  o.fields = {{"metadata.name", "p"},
              {"metadata.namespace", "default"},
              {"spec.nodeName", std::move(node)},
              {"status.phase", std::move(phase)}};
  return o;
}

const std::vector<std::string> kPodFields = {"spec.nodeName", "status.phase"};

struct Case {
  const char* labels;
  const char* fields;
  bool selected;
};

TEST_CASE("selectors pick objects by labels and fields", "[sim][selectors]") {
  StoredObject pod = Pod({{"app", "web"}, {"tier", "front"}, {"rank", "3"}}, "n1", "Running");
  const std::vector<Case> cases = {
      {"", "", true},
      {"app=web", "", true},
      {"app==web", "", true},
      {"app!=web", "", false},
      {"app=db", "", false},
      {"app in (web,db)", "", true},
      {"app notin (web)", "", false},
      {"tier", "", true},
      {"!tier", "", false},
      {"!canary", "", true},
      {"rank>2", "", true},
      {"rank<2", "", false},
      {"app=web,tier=back", "", false},
      {"", "spec.nodeName=n1", true},
      {"", "spec.nodeName!=n1", false},
      {"", "spec.nodeName=", false},
      {"", "status.phase=Running,metadata.name=p", true},
      {"", "metadata.namespace=other", false},
      {"app=web", "status.phase==Running", true},
      {"app=web", "status.phase=Pending", false},
  };
  for (const Case& c : cases) {
    INFO("labels=" << c.labels << " fields=" << c.fields);
    absl::StatusOr<ObjectPredicate> predicate =
        MakeSelectorPredicate(c.labels, c.fields, kPodFields);
    REQUIRE(predicate.ok());
    bool selected = !*predicate || (*predicate)(pod);
    CHECK(selected == c.selected);
  }
}

TEST_CASE("an unscheduled pod matches an empty nodeName", "[sim][selectors]") {
  StoredObject pending = Pod({}, "", "Pending");
  absl::StatusOr<ObjectPredicate> predicate =
      MakeSelectorPredicate("", "spec.nodeName=", kPodFields);
  REQUIRE(predicate.ok());
  CHECK((*predicate)(pending));
}

TEST_CASE("bad selectors are 400 BadRequest", "[sim][selectors]") {
  absl::Status unsupported = MakeSelectorPredicate("", "spec.foo=1", kPodFields).status();
  CHECK(HttpCodeOf(unsupported) == 400);
  CHECK(unsupported.message() == "field label not supported: spec.foo");
  CHECK(HttpCodeOf(MakeSelectorPredicate("", "nonsense", kPodFields).status()) == 400);
  CHECK(HttpCodeOf(MakeSelectorPredicate("a in (", "", kPodFields).status()) == 400);
  CHECK(HttpCodeOf(MakeSelectorPredicate("", "spec.nodeName=n1", {}).status()) == 400);
}

}  // namespace
}  // namespace mck8s::sim
