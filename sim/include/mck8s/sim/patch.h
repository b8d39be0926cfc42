// -----------------------------------------------------------------------------
// File: mck8s/sim/patch.h
// -----------------------------------------------------------------------------
//
// The four patch types of the Kubernetes API, applied to JSON objects:
//
//   application/merge-patch+json           RFC 7386 JSON merge patch
//   application/json-patch+json            RFC 6902 JSON patch
//   application/strategic-merge-patch+json strategic merge patch (built-ins)
//   application/apply-patch+yaml           server-side apply (simplified)
//
// Strategic merge patches follow the list strategies published in the
// kind's OpenAPI schema (`x-kubernetes-patch-strategy: merge` with
// `x-kubernetes-patch-merge-key`: containers and env by name, ports by
// containerPort or port, volumeMounts by mountPath, ...; other lists are
// replaced) and the directives kubectl sends: `$patch: replace|delete|merge`,
// `$retainKeys`, `$setElementOrder/<list>` and
// `$deleteFromPrimitiveList/<list>`.
//
// Server-side apply merges the applied configuration into the live object
// (maps recursively, lists by their x-kubernetes-list-type / merge keys,
// atomic lists replaced) and removes the fields the same manager applied
// before but no longer applies. Ownership is recorded per manager in
// metadata.managedFields (FieldsV1). Simplified: conflicts with other
// managers are not detected (force is implied) and fields set by updates
// are not tracked.
//
// Usage:
//
//   MCK8S_RETURN_IF_ERROR(ApplyMergePatch(object, patch, object.GetAllocator()));
//   MCK8S_RETURN_IF_ERROR(ApplyJsonPatch(object, operations));
//   MCK8S_RETURN_IF_ERROR(ApplyStrategicMergePatch(object, patch, &schema,
//                                                  object.GetAllocator()));
//   MCK8S_RETURN_IF_ERROR(ServerSideApply(object, applied, &schema, "kubectl",
//                                         "apps/v1", now));
//
// Pure functions; errors are InvalidArgument naming the offending part of
// the patch (callers turn them into 422 or 400 answers).

#ifndef MCK8S_SIM_PATCH_H_
#define MCK8S_SIM_PATCH_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mck8s/sim/json.h"
#include "rapidjson/document.h"

namespace mck8s::sim {

// RFC 7386: members of `patch` replace those of `target`, nulls delete, maps
// merge recursively; a non-object patch replaces the target.
absl::Status ApplyMergePatch(rapidjson::Value& target, const rapidjson::Value& patch,
                             JsonAllocator& alloc);

// RFC 6902: `operations` is an array of {op, path, value, from}. Errors name
// the failing operation's index and path; a failed `test` is an error.
absl::Status ApplyJsonPatch(rapidjson::Document& target, const rapidjson::Value& operations);

// Strategic merge patch of `target` (an object) by `patch` (an object).
// `schema` is the kind's OpenAPI schema (nullptr: every list is replaced, as
// a JSON merge patch would).
absl::Status ApplyStrategicMergePatch(rapidjson::Value& target, const rapidjson::Value& patch,
                                      const rapidjson::Value* schema, JsonAllocator& alloc);

// Server-side apply of `applied` (the manager's full intent) to `live`
// (modified in place; an empty object when creating). Updates
// metadata.managedFields for `manager` with `api_version` and `time`.
absl::Status ServerSideApply(rapidjson::Document& live, const rapidjson::Value& applied,
                             const rapidjson::Value* schema, absl::string_view manager,
                             absl::string_view api_version, absl::string_view time);

// The FieldsV1 set of `object` (as managedFields records it): every leaf
// field as "f:<name>", list items keyed "k:{...}" by their merge keys or
// "v:<value>" for sets. apiVersion, kind and the server-set metadata fields
// are left out.
rapidjson::Document FieldSetOf(const rapidjson::Value& object, const rapidjson::Value* schema);

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_PATCH_H_
