// -----------------------------------------------------------------------------
// File: mck8s/apischema/yaml_json.h
// -----------------------------------------------------------------------------
//
// YAML to JSON the way kubectl and kube-apiserver see it. Manifests are
// written in YAML but every Kubernetes API object is JSON; this header turns
// a YAML text (one document or a `---` separated stream) into RapidJSON
// documents with the value types the API server would store.
//
// Scalar resolution follows the YAML 1.1 rules of the Go YAML library that
// Kubernetes tooling uses, then the JSON round trip the API server applies:
//
//   plain scalar                         JSON value
//   -----------------------------------  -----------------------------------
//   ``, `~`, `null`, `Null`, `NULL`       null
//   `true` `yes` `on` `y` (any of the     true / false
//   usual capitalisations), `false` `no`
//   `off` `n`
//   `42`, `-7`, `0x1F`, `0o17`, `017`,    integer (underscores ignored;
//   `0b101`, `1_000`                      a leading 0 means octal)
//   `1.5`, `.5`, `1e3`                    number; an integral value that fits
//                                         in int64 becomes an integer (1e3 ->
//                                         1000), as after kubectl's JSON
//                                         encoding
//   `.inf`, `.nan`                        error: JSON cannot hold them
//   anything else, e.g. `1024Mi`, dates   string
//
// Quoted and block (`|`, `>`) scalars are always strings, and so is a scalar
// tagged `!!str`; `!!int`, `!!float`, `!!bool` and `!!null` force their type.
// Anchors and aliases are expanded, `<<` merge keys are applied (explicit keys
// win). Mapping keys must be scalars and are kept as their text (so `on:` is
// the key "on", where Go tooling would write "true"); a key repeated in one
// mapping is an error, as with kubectl's strict decoding.
//
// Usage:
//
//   absl::StatusOr<std::vector<rapidjson::Document>> docs =
//       ParseYamlStream(file_text);
//   if (!docs.ok()) return docs.status();   // "line 3, column 7: ..."
//   for (rapidjson::Document& d : *docs) Apply(d);
//
//   MCK8S_ASSIGN_OR_RETURN(rapidjson::Document crd, ParseYamlDocument(text));
//   std::string json = ToJson(crd);
//
// Errors are absl::InvalidArgumentError with a 1-based line and column.
// Every function is pure and thread-safe.

#ifndef MCK8S_APISCHEMA_YAML_JSON_H_
#define MCK8S_APISCHEMA_YAML_JSON_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "rapidjson/document.h"

namespace mck8s::apischema {

// Limits that keep hostile input (deep nesting, alias bombs) from exhausting
// the stack or memory.
struct YamlLimits {
  int max_depth = 512;
  // Nodes produced after alias expansion, over the whole stream.
  long max_nodes = 4'000'000;
};

// Converts every document of a YAML stream. Documents that are empty or only
// `null` are skipped, as kubectl does with stray `---` separators, so the
// result may be empty.
absl::StatusOr<std::vector<rapidjson::Document>> ParseYamlStream(
    std::string_view text, const YamlLimits& limits = {});

// Converts a text that holds exactly one non-empty YAML document. JSON text is
// YAML too, so this also reads JSON.
absl::StatusOr<rapidjson::Document> ParseYamlDocument(
    std::string_view text, const YamlLimits& limits = {});

// Serialises a value as JSON; `pretty` indents with two spaces.
std::string ToJson(const rapidjson::Value& value, bool pretty = false);

}  // namespace mck8s::apischema

#endif  // MCK8S_APISCHEMA_YAML_JSON_H_
