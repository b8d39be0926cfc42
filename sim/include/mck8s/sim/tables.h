// -----------------------------------------------------------------------------
// File: mck8s/sim/tables.h
// -----------------------------------------------------------------------------
//
// Server-side printing: meta.k8s.io Tables, as kubectl get asks for them
// (Accept: application/json;as=Table;v=v1;g=meta.k8s.io), with the columns
// kube-apiserver prints for the built-in kinds (pods: READY, STATUS,
// RESTARTS, AGE and, wide, IP and NODE; deployments: READY, UP-TO-DATE,
// AVAILABLE; nodes: STATUS, ROLES, VERSION; ...) and the
// additionalPrinterColumns of custom resources (evaluated with a small
// JSONPath). Rows carry PartialObjectMetadata unless includeObject says
// otherwise.
//
// Usage:
//
//   if (auto version = TableVersionRequested(accept)) {
//     body = RenderTable(type, items, {.version = *version, .now = absl::Now()}, rv, "");
//   }
//
// Pure functions; thread-safe.

#ifndef MCK8S_SIM_TABLES_H_
#define MCK8S_SIM_TABLES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mck8s/sim/object_store.h"
#include "mck8s/sim/resource_registry.h"
#include "rapidjson/document.h"

namespace mck8s::sim {

// The Table API version the Accept header asks for ("v1" or "v1beta1").
std::optional<std::string> TableVersionRequested(absl::string_view accept);

enum class IncludeObject { kNone, kMetadata, kObject };
// "None", "Metadata" (the default) or "Object".
IncludeObject ParseIncludeObject(absl::string_view text);

struct TableOptions {
  std::string version = "v1";
  IncludeObject include = IncludeObject::kMetadata;
  bool column_definitions = true;
  absl::Time now;
};

// A Table of `items`; list metadata (resourceVersion, continue) when given.
std::string RenderTable(const ResourceType& type, const std::vector<ObjectRef>& items,
                        const TableOptions& options, absl::string_view resource_version,
                        absl::string_view continue_token);

// Kubernetes' human duration ("5s", "3m20s", "5h", "2d3h", "3y20d").
std::string HumanDuration(absl::Duration d);

// A small JSONPath (".a.b[0].c", "[*]", "[?(@.type==\"Ready\")]") over `root`:
// the values it selects, in order.
std::vector<const rapidjson::Value*> EvaluateJsonPath(const rapidjson::Value& root,
                                                      absl::string_view path);

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_TABLES_H_
