// -----------------------------------------------------------------------------
// File: mck8s/sim/builtin_types.h
// -----------------------------------------------------------------------------
//
// The built-in kinds every simulated cluster serves: core/v1 namespaces,
// nodes, pods, services, endpoints, secrets, configmaps, events and
// serviceaccounts; apps/v1 deployments; batch/v1 jobs; coordination.k8s.io/v1
// leases; rbac.authorization.k8s.io/v1 roles, clusterroles, rolebindings and
// clusterrolebindings; apiextensions.k8s.io/v1 customresourcedefinitions.
// Each comes with its discovery facts (short names, categories,
// subresources), its published OpenAPI v3 schema and a compiled structural
// schema for strict validation, defaulting and pruning.
//
// Usage:
//
//   registry.SetBuiltins(BuiltinResourceTypes());
//
// Thread-safe. The schemas are parsed and compiled once per process.

#ifndef MCK8S_SIM_BUILTIN_TYPES_H_
#define MCK8S_SIM_BUILTIN_TYPES_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "mck8s/sim/resource_registry.h"
#include "rapidjson/document.h"

namespace mck8s::sim {

std::vector<ResourceType> BuiltinResourceTypes();

// The OpenAPI v3 schema of ObjectMeta (for published documents).
const rapidjson::Value& ObjectMetaOpenApiSchema();

// The compiled schema of ObjectMeta: validates, prunes and reports unknown
// fields of `metadata`.
const apischema::StructuralSchema& ObjectMetaSchema();

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_BUILTIN_TYPES_H_
