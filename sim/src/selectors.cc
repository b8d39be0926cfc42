#include "mck8s/sim/selectors.h"

#include <algorithm>
#include <memory>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "mck8s/k8stypes/field_selector.h"
#include "mck8s/k8stypes/label_selector.h"
#include "mck8s/sim/api_error.h"

namespace mck8s::sim {
absl::StatusOr<ObjectPredicate> MakeSelectorPredicate(
    absl::string_view label_selector, absl::string_view field_selector,
    const std::vector<std::string>& selectable_fields) {
  std::shared_ptr<const k8stypes::LabelSelector> labels;
  if (!label_selector.empty()) {
    absl::StatusOr<k8stypes::LabelSelector> parsed = k8stypes::LabelSelector::Parse(
        std::string_view(label_selector.data(), label_selector.size()));
    if (!parsed.ok()) {
      return BadRequestError(
          absl::StrCat("unable to parse requirement: ", parsed.status().message()));
    }
    if (!parsed->Empty()) {
      labels = std::make_shared<const k8stypes::LabelSelector>(std::move(*parsed));
    }
  }
  std::vector<k8stypes::FieldRequirement> fields;
  if (!field_selector.empty()) {
    absl::StatusOr<k8stypes::FieldSelector> parsed = k8stypes::FieldSelector::Parse(
        std::string_view(field_selector.data(), field_selector.size()));
    if (!parsed.ok()) return BadRequestError(std::string(parsed.status().message()));
    for (const k8stypes::FieldRequirement& r : parsed->requirements()) {
      if (r.field != "metadata.name" && r.field != "metadata.namespace" &&
          std::find(selectable_fields.begin(), selectable_fields.end(), r.field) ==
              selectable_fields.end()) {
        return BadRequestError(absl::StrCat("field label not supported: ", r.field));
      }
    }
    fields = parsed->requirements();
  }
  if (labels == nullptr && fields.empty()) return ObjectPredicate();
  return ObjectPredicate([labels, fields = std::move(fields)](const StoredObject& object) {
    for (const k8stypes::FieldRequirement& r : fields) {
      absl::string_view actual = object.Field(r.field);
      if (!r.MatchesValue(std::string_view(actual.data(), actual.size()))) return false;
    }
    if (labels != nullptr) {
      if (labels->MatchesNothing()) return false;
      for (const k8stypes::LabelRequirement& r : labels->requirements()) {
        if (!r.MatchesValue(object.Label(r.key()))) return false;
      }
    }
    return true;
  });
}

}  // namespace mck8s::sim
