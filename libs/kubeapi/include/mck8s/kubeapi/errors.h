// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/errors.h
// -----------------------------------------------------------------------------
//
// Kubernetes API errors as absl::Status. The API server answers a failed
// request with a `Status` object (kind Status, apiVersion v1) carrying a
// machine-readable `reason` (NotFound, AlreadyExists, Conflict, Invalid, ...),
// details naming the object and, for validation failures, a list of causes
// (field, reason, message). Controllers branch on the reason, so it travels
// with the status: the canonical code says what kind of failure it is, and a
// payload keeps the whole decoded ApiError.
//
// Reason -> canonical code:
//
//   NotFound                 -> NOT_FOUND
//   AlreadyExists            -> ALREADY_EXISTS
//   Conflict                 -> ABORTED            (stale resourceVersion)
//   Invalid, BadRequest      -> INVALID_ARGUMENT
//   Forbidden                -> PERMISSION_DENIED
//   Unauthorized             -> UNAUTHENTICATED
//   Gone, Expired            -> OUT_OF_RANGE       (resourceVersion too old)
//   TooManyRequests          -> RESOURCE_EXHAUSTED
//   MethodNotAllowed         -> UNIMPLEMENTED
//   Timeout, ServerTimeout   -> DEADLINE_EXCEEDED
//   ServiceUnavailable       -> UNAVAILABLE
//   InternalError            -> INTERNAL
//   anything else            -> by HTTP code (4xx FAILED_PRECONDITION,
//                               5xx UNAVAILABLE), else UNKNOWN
//
// A body that is not a Status (a proxy's HTML page, plain text) still gives a
// reason, derived from the HTTP code as the API machinery does.
//
// Usage:
//
//   absl::StatusOr<Object> got = client.Get(kDeployments, "default", "web");
//   if (IsNotFound(got.status())) { ... create it ... }
//   if (IsInvalid(status)) {
//     for (const StatusCause& cause : Causes(status)) { ... cause.field ... }
//   }
//
// All functions are pure and thread-safe.

#ifndef MCK8S_KUBEAPI_ERRORS_H_
#define MCK8S_KUBEAPI_ERRORS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace mck8s::kubeapi {

// One entry of status.details.causes.
struct StatusCause {
  std::string reason;   // e.g. "FieldValueRequired"
  std::string message;  // e.g. "Required value"
  std::string field;    // e.g. "spec.replicas"
  friend bool operator==(const StatusCause&, const StatusCause&) = default;
};

// A decoded metav1.Status of a failed request.
struct ApiError {
  int code = 0;             // the HTTP status code
  std::string reason;       // e.g. "NotFound"; never empty once decoded
  std::string message;
  // status.details
  std::string name;
  std::string group;
  std::string kind;
  std::vector<StatusCause> causes;
  int retry_after_seconds = 0;
};

// Decodes a failed response (code >= 300) into an error status. `body` may be
// a Status object, any other JSON or not JSON at all. `context` (e.g.
// "GET /api/v1/namespaces/a/pods/b") prefixes the message when not empty.
absl::Status ErrorFromResponse(int http_code, std::string_view body,
                               std::string_view context = "");

// The status for an ApiError, with the payload attached.
absl::Status StatusFromApiError(const ApiError& error, std::string_view context = "");

// The ApiError carried by `status`; nullopt for statuses that did not come
// from an API server response (connection errors, local validation).
std::optional<ApiError> GetApiError(const absl::Status& status);

// The Kubernetes reason of `status` ("" when it has none).
std::string Reason(const absl::Status& status);
// status.details.causes (empty when none).
std::vector<StatusCause> Causes(const absl::Status& status);

// NotFound and AlreadyExists are the only reasons mapped to NOT_FOUND and
// ALREADY_EXISTS, and nothing else in kubeapi returns those codes for a
// request, so Abseil's code tests answer exactly "the server said NotFound /
// AlreadyExists". They are brought in here (rather than defined again, which
// would make every unqualified call ambiguous through argument-dependent
// lookup): IsNotFound(status) and kubeapi::IsNotFound(status) both work.
using absl::IsAlreadyExists;
using absl::IsNotFound;
bool IsConflict(const absl::Status& status);
bool IsInvalid(const absl::Status& status);
bool IsForbidden(const absl::Status& status);
bool IsUnauthorized(const absl::Status& status);
// Gone (410) or Expired: the resourceVersion asked for is too old; relist.
bool IsGone(const absl::Status& status);
bool IsTooManyRequests(const absl::Status& status);

// "NOT_FOUND: GET ...: pods \"x\" not found": code and message, without
// the payloads absl::Status::ToString() appends (for logs and messages).
std::string ErrorText(const absl::Status& status);

// The reason the API machinery uses for an HTTP code without a Status body
// ("NotFound" for 404, "" for 2xx/3xx and codes it has no name for).
std::string_view ReasonForHttpCode(int http_code);

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_ERRORS_H_
