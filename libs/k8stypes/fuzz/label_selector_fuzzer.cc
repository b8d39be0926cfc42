// libFuzzer target for LabelSelector::Parse and FieldSelector::Parse: never
// crash, and String() of anything parsed must parse back to the same
// selector (label selectors exactly; field selectors up to term order and the
// "==" vs "=" spelling, which Kubernetes treats alike).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "mck8s/k8stypes/field_selector.h"
#include "mck8s/k8stypes/label_selector.h"

namespace {

using mck8s::k8stypes::FieldRequirement;
using mck8s::k8stypes::FieldSelector;
using mck8s::k8stypes::FieldSelectorOperator;
using mck8s::k8stypes::LabelSelector;

void Check(bool condition, const char* what, std::string_view input) {
  if (condition) return;
  std::fprintf(stderr, "invariant violated: %s (input of %zu bytes: \"%.*s\")\n", what,
               input.size(), static_cast<int>(input.size()), input.data());
  std::abort();
}

std::vector<std::tuple<std::string, bool, std::string>> Normalized(const FieldSelector& s) {
  std::vector<std::tuple<std::string, bool, std::string>> terms;
  for (const FieldRequirement& r : s.requirements()) {
    terms.emplace_back(r.field, r.op == FieldSelectorOperator::kNotEquals, r.value);
  }
  std::sort(terms.begin(), terms.end());
  return terms;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const absl::StatusOr<LabelSelector> labels = LabelSelector::Parse(input);
  if (labels.ok()) {
    const std::string text = labels->String();
    const absl::StatusOr<LabelSelector> again = LabelSelector::Parse(text);
    Check(again.ok(), "LabelSelector String() must parse", input);
    Check(*again == *labels, "LabelSelector Parse(String(s)) == s", input);
    Check(again->String() == text, "LabelSelector String() is a fixpoint", input);
    // Label sets drawn from the selector's own keys and values.
    std::map<std::string, std::string> present;
    for (const auto& requirement : labels->requirements()) {
      present[requirement.key()] =
          requirement.values().empty() ? std::string("1") : requirement.values().back();
    }
    labels->Matches(present);
    Check(labels->Matches(std::map<std::string, std::string>{}) ||
              !labels->requirements().empty(),
          "the empty selector matches the empty label set", input);
  } else {
    Check(!labels.status().message().empty(), "label errors carry a message", input);
  }

  const absl::StatusOr<FieldSelector> fields = FieldSelector::Parse(input);
  if (fields.ok()) {
    const absl::StatusOr<FieldSelector> again = FieldSelector::Parse(fields->String());
    Check(again.ok(), "FieldSelector String() must parse", input);
    Check(Normalized(*again) == Normalized(*fields), "FieldSelector round trip", input);
    std::map<std::string, std::string> object;
    for (const auto& requirement : fields->requirements()) {
      object[requirement.field] = requirement.value;
    }
    fields->Matches(object);
  }
  return 0;
}
