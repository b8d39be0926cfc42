// -----------------------------------------------------------------------------
// File: mck8s/sim/api_error.h
// -----------------------------------------------------------------------------
//
// Kubernetes API errors as absl::Status values. Every error the simulator
// returns to a client is a `Status` object (kind Status, apiVersion v1) with an
// HTTP code, a reason (`NotFound`, `AlreadyExists`, `Conflict`, `Invalid`,
// `Expired`, ...), a message worded as kube-apiserver words it (clients and
// people match on it) and optional details with causes naming fields.
//
// The simulator's layers pass errors as absl::Status with the canonical code
// closest to the HTTP code; the exact Kubernetes body travels as a payload so
// the HTTP layer can answer byte-for-byte what a real server answers.
//
// Usage:
//
//   if (!found) return NotFoundError({"apps", "deployments"}, name);
//   ...
//   HttpError error = ToHttpError(status);   // {404, "{\"kind\":\"Status\",...}"}
//
// Thread-safe (pure functions).

#ifndef MCK8S_SIM_API_ERROR_H_
#define MCK8S_SIM_API_ERROR_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mck8s::sim {

// A resource named by group and plural ("apps", "deployments"); core has "".
struct GroupResource {
  std::string group;
  std::string resource;
  // "deployments.apps", or "pods" for the core group.
  std::string String() const;
};

// A kind named by group ("apps", "Deployment").
struct GroupKind {
  std::string group;
  std::string kind;
  // "Deployment.apps", or "Pod" for the core group.
  std::string String() const;
};

// One field-level cause of an Invalid or BadRequest error.
struct StatusCause {
  std::string reason;   // FieldValueInvalid, FieldValueRequired, ...
  std::string message;  // "Invalid value: 0: must be greater than ..."
  std::string field;    // "spec.replicas"
};

struct ErrorDetails {
  std::string name;
  std::string group;
  std::string kind;
  std::string uid;
  std::vector<StatusCause> causes;
  int retry_after_seconds = 0;
};

// The general form: any HTTP code, reason and message.
absl::Status ApiError(int http_code, absl::string_view reason, std::string message,
                      ErrorDetails details = {});

// `deployments.apps "x" not found` (404 NotFound).
absl::Status NotFoundError(const GroupResource& resource, absl::string_view name);
// `deployments.apps "x" already exists` (409 AlreadyExists).
absl::Status AlreadyExistsError(const GroupResource& resource, absl::string_view name);
// `Operation cannot be fulfilled on deployments.apps "x": <why>` (409 Conflict).
absl::Status ConflictError(const GroupResource& resource, absl::string_view name,
                           absl::string_view why);
// The usual optimistic-concurrency conflict message.
absl::Status StaleResourceVersionError(const GroupResource& resource,
                                       absl::string_view name);
// `Deployment.apps "x" is invalid: spec.replicas: Invalid value: ...` (422).
absl::Status InvalidError(const GroupKind& kind, absl::string_view name,
                          std::vector<StatusCause> causes);
// 400 BadRequest with `message`.
absl::Status BadRequestError(std::string message);
// 403 Forbidden on `resource` "name": `... is forbidden: <why>`.
absl::Status ForbiddenError(const GroupResource& resource, absl::string_view name,
                            absl::string_view why);
// 405 MethodNotAllowed.
absl::Status MethodNotAllowedError(absl::string_view method, const GroupResource& resource);
// 410 Gone with reason Expired (a watch or continue token too old).
absl::Status ExpiredError(std::string message);
// 415 UnsupportedMediaType.
absl::Status UnsupportedMediaTypeError(absl::string_view content_type);
// 404 for a path that names no resource.
absl::Status PathNotFoundError();
// 500 InternalError.
absl::Status InternalApiError(std::string message);

// Builders for causes in Kubernetes' wording.
StatusCause FieldInvalid(std::string field, absl::string_view value_text,
                         absl::string_view detail);
StatusCause FieldRequired(std::string field, absl::string_view detail = {});
StatusCause FieldUnsupported(std::string field, absl::string_view value_text,
                             const std::vector<std::string>& supported);
StatusCause FieldForbidden(std::string field, absl::string_view detail);
StatusCause FieldDuplicate(std::string field, absl::string_view value_text);

// What the HTTP layer answers for `status`: the code and the JSON Status
// body. Errors built above keep their exact body; any other absl::Status is
// mapped from its canonical code (InvalidArgument -> 400 BadRequest,
// NotFound -> 404, ...), with its message.
struct HttpError {
  int code = 500;
  std::string body;
  int retry_after_seconds = 0;
};
HttpError ToHttpError(const absl::Status& status);

// The HTTP code and reason that `status` maps to (without building a body).
int HttpCodeOf(const absl::Status& status);
std::string ReasonOf(const absl::Status& status);

// A success Status body (`{"kind":"Status",...,"status":"Success"}`), as
// answered by deletes that remove an object at once.
std::string SuccessStatusBody(const ErrorDetails& details);

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_API_ERROR_H_
