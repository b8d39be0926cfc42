// -----------------------------------------------------------------------------
// File: mck8s/sim/selectors.h
// -----------------------------------------------------------------------------
//
// The `labelSelector` and `fieldSelector` query parameters of list and watch,
// turned into one predicate over stored objects.
//
// Both selectors are parsed by mck8s::k8stypes (LabelSelector: equality and
// set-based; FieldSelector: `field=value`, `field==value`, `field!=value`).
// Only the fields a resource declares selectable may be used
// (metadata.name and metadata.namespace always; spec.nodeName and
// status.phase for pods, ...); any other is 400 BadRequest
// `field label not supported: <field>`, as kube-apiserver answers.
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(
//       ObjectPredicate predicate,
//       MakeSelectorPredicate("app=web,tier in (a,b)", "spec.nodeName=n1",
//                             type.selectable_fields));
//   store.List("pods", {.predicate = predicate});
//
// Pure and thread-safe; predicates are immutable and shareable.

#ifndef MCK8S_SIM_SELECTORS_H_
#define MCK8S_SIM_SELECTORS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mck8s/sim/object_store.h"

namespace mck8s::sim {

// A predicate for both selectors (either may be empty). Errors are 400
// BadRequest API errors (see api_error.h) naming the bad selector or field.
absl::StatusOr<ObjectPredicate> MakeSelectorPredicate(
    absl::string_view label_selector, absl::string_view field_selector,
    const std::vector<std::string>& selectable_fields);

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_SELECTORS_H_
