#include "mck8s/sim/api_error.h"

#include <optional>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mck8s/sim/json.h"
#include "rapidjson/document.h"

namespace mck8s::sim {
namespace {

constexpr absl::string_view kPayloadUrl = "type.mck8s.dev/kubernetes-status";

absl::StatusCode CanonicalCodeFor(int http_code, absl::string_view reason) {
  switch (http_code) {
    case 400: case 415: case 422: return absl::StatusCode::kInvalidArgument;
    case 401: return absl::StatusCode::kUnauthenticated;
    case 403: return absl::StatusCode::kPermissionDenied;
    case 404: return absl::StatusCode::kNotFound;
    case 405: return absl::StatusCode::kUnimplemented;
    case 409:
      return reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                       : absl::StatusCode::kAborted;
    case 410: return absl::StatusCode::kOutOfRange;
    case 429: return absl::StatusCode::kResourceExhausted;
    case 503: return absl::StatusCode::kUnavailable;
    case 504: return absl::StatusCode::kDeadlineExceeded;
    default: return absl::StatusCode::kInternal;
  }
}

std::string StatusBody(absl::string_view status_word, int http_code,
                       absl::string_view reason, absl::string_view message,
                       const ErrorDetails& details, bool with_details) {
  std::string out = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":)";
  AppendJsonString(status_word, out);
  if (!message.empty()) {
    out += ",\"message\":";
    AppendJsonString(message, out);
  }
  if (!reason.empty()) {
    out += ",\"reason\":";
    AppendJsonString(reason, out);
  }
  if (with_details) {
    out += ",\"details\":{";
    bool first = true;
    auto field = [&](absl::string_view key, absl::string_view value) {
      if (value.empty()) return;
      if (!first) out += ',';
      first = false;
      AppendJsonString(key, out);
      out += ':';
      AppendJsonString(value, out);
    };
    field("name", details.name);
    field("group", details.group);
    field("kind", details.kind);
    field("uid", details.uid);
    if (!details.causes.empty()) {
      if (!first) out += ',';
      first = false;
      out += "\"causes\":[";
      for (size_t i = 0; i < details.causes.size(); ++i) {
        const StatusCause& c = details.causes[i];
        if (i > 0) out += ',';
        out += "{\"reason\":";
        AppendJsonString(c.reason, out);
        out += ",\"message\":";
        AppendJsonString(c.message, out);
        if (!c.field.empty()) {
          out += ",\"field\":";
          AppendJsonString(c.field, out);
        }
        out += '}';
      }
      out += ']';
    }
    if (details.retry_after_seconds > 0) {
      if (!first) out += ',';
      absl::StrAppend(&out, "\"retryAfterSeconds\":", details.retry_after_seconds);
    }
    out += '}';
  }
  absl::StrAppend(&out, ",\"code\":", http_code, "}");
  return out;
}

bool HasDetails(const ErrorDetails& d) {
  return !d.name.empty() || !d.group.empty() || !d.kind.empty() || !d.uid.empty() ||
         !d.causes.empty() || d.retry_after_seconds > 0;
}

std::optional<std::string> PayloadOf(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

absl::string_view DefaultReasonFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument: return "BadRequest";
    case absl::StatusCode::kUnauthenticated: return "Unauthorized";
    case absl::StatusCode::kPermissionDenied: return "Forbidden";
    case absl::StatusCode::kNotFound: return "NotFound";
    case absl::StatusCode::kUnimplemented: return "MethodNotAllowed";
    case absl::StatusCode::kAlreadyExists: return "AlreadyExists";
    case absl::StatusCode::kAborted: return "Conflict";
    case absl::StatusCode::kFailedPrecondition: return "Conflict";
    case absl::StatusCode::kOutOfRange: return "Expired";
    case absl::StatusCode::kResourceExhausted: return "TooManyRequests";
    case absl::StatusCode::kUnavailable: return "ServiceUnavailable";
    case absl::StatusCode::kDeadlineExceeded: return "Timeout";
    default: return "InternalError";
  }
}

int DefaultHttpCodeFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kUnimplemented: return 405;
    case absl::StatusCode::kAlreadyExists: return 409;
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kFailedPrecondition: return 409;
    case absl::StatusCode::kOutOfRange: return 410;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

ErrorDetails DetailsFor(const GroupResource& resource, absl::string_view name) {
  ErrorDetails details;
  details.name = std::string(name);
  details.group = resource.group;
  details.kind = resource.resource;
  return details;
}

ErrorDetails DetailsFor(const GroupKind& kind, absl::string_view name,
                        std::vector<StatusCause> causes) {
  ErrorDetails details;
  details.name = std::string(name);
  details.group = kind.group;
  details.kind = kind.kind;
  details.causes = std::move(causes);
  return details;
}

}  // namespace

std::string GroupResource::String() const {
  return group.empty() ? resource : absl::StrCat(resource, ".", group);
}

std::string GroupKind::String() const {
  return group.empty() ? kind : absl::StrCat(kind, ".", group);
}

absl::Status ApiError(int http_code, absl::string_view reason, std::string message,
                      ErrorDetails details) {
  absl::Status status(CanonicalCodeFor(http_code, reason), message);
  status.SetPayload(kPayloadUrl,
                    absl::Cord(StatusBody("Failure", http_code, reason, message,
                                          details, HasDetails(details))));
  return status;
}

absl::Status NotFoundError(const GroupResource& resource, absl::string_view name) {
  return ApiError(404, "NotFound",
                  absl::StrCat(resource.String(), " \"", name, "\" not found"),
                  DetailsFor(resource, name));
}

absl::Status AlreadyExistsError(const GroupResource& resource, absl::string_view name) {
  return ApiError(409, "AlreadyExists",
                  absl::StrCat(resource.String(), " \"", name, "\" already exists"),
                  DetailsFor(resource, name));
}

absl::Status ConflictError(const GroupResource& resource, absl::string_view name,
                           absl::string_view why) {
  return ApiError(409, "Conflict",
                  absl::StrCat("Operation cannot be fulfilled on ", resource.String(),
                               " \"", name, "\": ", why),
                  DetailsFor(resource, name));
}

absl::Status StaleResourceVersionError(const GroupResource& resource,
                                       absl::string_view name) {
  return ConflictError(resource, name,
                       "the object has been modified; please apply your changes to "
                       "the latest version and try again");
}

absl::Status InvalidError(const GroupKind& kind, absl::string_view name,
                          std::vector<StatusCause> causes) {
  std::vector<std::string> parts;
  for (const StatusCause& c : causes) {
    parts.push_back(c.field.empty() ? c.message : absl::StrCat(c.field, ": ", c.message));
  }
  std::string summary = parts.size() == 1
                            ? parts[0]
                            : absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
  return ApiError(422, "Invalid",
                  absl::StrCat(kind.String(), " \"", name, "\" is invalid: ", summary),
                  DetailsFor(kind, name, std::move(causes)));
}

absl::Status BadRequestError(std::string message) {
  return ApiError(400, "BadRequest", std::move(message));
}

absl::Status ForbiddenError(const GroupResource& resource, absl::string_view name,
                            absl::string_view why) {
  return ApiError(403, "Forbidden",
                  absl::StrCat(resource.String(), " \"", name, "\" is forbidden: ", why),
                  DetailsFor(resource, name));
}

absl::Status MethodNotAllowedError(absl::string_view method, const GroupResource& resource) {
  return ApiError(405, "MethodNotAllowed",
                  absl::StrCat("the server does not allow this method on the "
                               "requested resource (", method, " ",
                               resource.String(), ")"));
}

absl::Status ExpiredError(std::string message) {
  return ApiError(410, "Expired", std::move(message));
}

absl::Status UnsupportedMediaTypeError(absl::string_view content_type) {
  return ApiError(415, "UnsupportedMediaType",
                  absl::StrCat("the body of the request was in an unknown format - "
                               "accepted media types include: application/json-patch+json, "
                               "application/merge-patch+json, "
                               "application/apply-patch+yaml (got \"",
                               content_type, "\")"));
}

absl::Status PathNotFoundError() {
  return ApiError(404, "NotFound", "the server could not find the requested resource");
}

absl::Status InternalApiError(std::string message) {
  return ApiError(500, "InternalError", std::move(message));
}

StatusCause FieldInvalid(std::string field, absl::string_view value_text,
                         absl::string_view detail) {
  std::string message = absl::StrCat("Invalid value: ", value_text);
  if (!detail.empty()) absl::StrAppend(&message, ": ", detail);
  return {"FieldValueInvalid", std::move(message), std::move(field)};
}

StatusCause FieldRequired(std::string field, absl::string_view detail) {
  std::string message = "Required value";
  if (!detail.empty()) absl::StrAppend(&message, ": ", detail);
  return {"FieldValueRequired", std::move(message), std::move(field)};
}

StatusCause FieldUnsupported(std::string field, absl::string_view value_text,
                             const std::vector<std::string>& supported) {
  std::vector<std::string> quoted;
  for (const std::string& s : supported) quoted.push_back(absl::StrCat("\"", s, "\""));
  return {"FieldValueNotSupported",
          absl::StrCat("Unsupported value: ", value_text,
                       ": supported values: ", absl::StrJoin(quoted, ", ")),
          std::move(field)};
}

StatusCause FieldForbidden(std::string field, absl::string_view detail) {
  return {"FieldValueForbidden", absl::StrCat("Forbidden: ", detail), std::move(field)};
}

StatusCause FieldDuplicate(std::string field, absl::string_view value_text) {
  return {"FieldValueDuplicate", absl::StrCat("Duplicate value: ", value_text),
          std::move(field)};
}

HttpError ToHttpError(const absl::Status& status) {
  HttpError error;
  if (std::optional<std::string> body = PayloadOf(status)) {
    error.body = std::move(*body);
    absl::StatusOr<rapidjson::Document> doc = ParseJson(error.body);
    if (doc.ok()) {
      if (auto code = GetInt(*doc, {"code"})) error.code = static_cast<int>(*code);
      if (auto retry = GetInt(*doc, {"details", "retryAfterSeconds"})) {
        error.retry_after_seconds = static_cast<int>(*retry);
      }
    }
    return error;
  }
  error.code = DefaultHttpCodeFor(status.code());
  error.body = StatusBody("Failure", error.code, DefaultReasonFor(status.code()),
                          status.message(), {}, false);
  return error;
}

int HttpCodeOf(const absl::Status& status) {
  if (status.ok()) return 200;
  if (PayloadOf(status).has_value()) return ToHttpError(status).code;
  return DefaultHttpCodeFor(status.code());
}

std::string ReasonOf(const absl::Status& status) {
  if (status.ok()) return "";
  if (std::optional<std::string> body = PayloadOf(status)) {
    absl::StatusOr<rapidjson::Document> doc = ParseJson(*body);
    if (doc.ok()) return std::string(GetString(*doc, {"reason"}));
  }
  return std::string(DefaultReasonFor(status.code()));
}

std::string SuccessStatusBody(const ErrorDetails& details) {
  return StatusBody("Success", 200, "", "", details, true);
}

}  // namespace mck8s::sim
