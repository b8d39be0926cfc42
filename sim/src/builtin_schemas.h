// The YAML source of the built-in kinds' schemas (builtin_schemas.cc).

#ifndef MCK8S_SIM_SRC_BUILTIN_SCHEMAS_H_
#define MCK8S_SIM_SRC_BUILTIN_SCHEMAS_H_

#include "absl/strings/string_view.h"

namespace mck8s::sim::internal {

// A YAML document with two mappings: `definitions` (named fragments) and
// `kinds` (the schema of each built-in kind, without apiVersion, kind and
// metadata, which are added).
absl::string_view BuiltinSchemaYaml();

}  // namespace mck8s::sim::internal

#endif  // MCK8S_SIM_SRC_BUILTIN_SCHEMAS_H_
