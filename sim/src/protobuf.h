// Request bodies in application/vnd.kubernetes.protobuf: what client-go's
// typed clients send for built-in kinds (kubectl's imperative generators,
// helm's release Secrets). client-go does not fall back to JSON after a 415
// for protobuf (only for CBOR), so the simulator reads them.
//
// The body is the Kubernetes envelope: the magic "k8s\0", then a
// runtime.Unknown {typeMeta {apiVersion, kind}, raw, contentEncoding,
// contentType} whose raw bytes are the object's generated protobuf message.
// Decoding follows a table of the field numbers of the built-in messages the
// simulator knows (k8s.io/api generated.proto) and yields the JSON object
// kube-apiserver would have decoded: empty strings, zero numbers and empty
// messages of non-pointer Go fields are left out (as encoding/json's
// omitempty would), zero values of pointer fields (replicas, immutable,
// ...) are kept; Quantity becomes its string, Time RFC 3339, IntOrString a
// number or a string, bytes base64. A status written with the main
// resource is dropped, as kube-apiserver's create and update strategies
// drop it.
//
// Kinds: v1 Namespace, ConfigMap, Secret, ServiceAccount, Pod, Service;
// apps/v1 Deployment; DeleteOptions of any group-version. A kind or a field
// outside the table is an UnsupportedMediaType error naming it, never silently
// dropped.

#ifndef MCK8S_SIM_SRC_PROTOBUF_H_
#define MCK8S_SIM_SRC_PROTOBUF_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace mck8s::sim::internal {

inline constexpr char kProtobufContentType[] = "application/vnd.kubernetes.protobuf";

// Errors: 415 UnsupportedMediaType API errors (api_error.h) for a kind or
// field outside the table, 400 BadRequest for a malformed message.
absl::StatusOr<rapidjson::Document> DecodeKubernetesProtobuf(absl::string_view body);

}  // namespace mck8s::sim::internal

#endif  // MCK8S_SIM_SRC_PROTOBUF_H_
