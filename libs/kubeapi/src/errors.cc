#include "mck8s/kubeapi/errors.h"

#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"

namespace mck8s::kubeapi {
namespace {

// The payload key under which an ApiError rides on an absl::Status.
constexpr char kPayloadUrl[] = "type.mck8s.dev/kubeapi.ApiError";
// Long bodies (an HTML error page) are cut in messages.
constexpr size_t kMaxBodyInMessage = 512;

std::string GetString(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return "";
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

int GetInt(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return 0;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsInt()) return 0;
  return it->value.GetInt();
}

absl::StatusCode CodeFor(std::string_view reason, int http_code) {
  if (reason == "NotFound") return absl::StatusCode::kNotFound;
  if (reason == "AlreadyExists") return absl::StatusCode::kAlreadyExists;
  if (reason == "Conflict") return absl::StatusCode::kAborted;
  if (reason == "Invalid" || reason == "BadRequest") return absl::StatusCode::kInvalidArgument;
  if (reason == "Forbidden") return absl::StatusCode::kPermissionDenied;
  if (reason == "Unauthorized") return absl::StatusCode::kUnauthenticated;
  if (reason == "Gone" || reason == "Expired") return absl::StatusCode::kOutOfRange;
  if (reason == "TooManyRequests") return absl::StatusCode::kResourceExhausted;
  if (reason == "MethodNotAllowed") return absl::StatusCode::kUnimplemented;
  if (reason == "Timeout" || reason == "ServerTimeout") return absl::StatusCode::kDeadlineExceeded;
  if (reason == "ServiceUnavailable") return absl::StatusCode::kUnavailable;
  if (reason == "InternalError") return absl::StatusCode::kInternal;
  if (http_code >= 400 && http_code < 500) return absl::StatusCode::kFailedPrecondition;
  if (http_code >= 500) return absl::StatusCode::kUnavailable;
  return absl::StatusCode::kUnknown;
}

std::string EncodePayload(const ApiError& error) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("code");
  w.Int(error.code);
  w.Key("reason");
  w.String(error.reason.data(), error.reason.size());
  w.Key("message");
  w.String(error.message.data(), error.message.size());
  w.Key("retryAfterSeconds");
  w.Int(error.retry_after_seconds);
  w.Key("details");
  w.StartObject();
  w.Key("name");
  w.String(error.name.data(), error.name.size());
  w.Key("group");
  w.String(error.group.data(), error.group.size());
  w.Key("kind");
  w.String(error.kind.data(), error.kind.size());
  w.Key("causes");
  w.StartArray();
  for (const StatusCause& cause : error.causes) {
    w.StartObject();
    w.Key("reason");
    w.String(cause.reason.data(), cause.reason.size());
    w.Key("message");
    w.String(cause.message.data(), cause.message.size());
    w.Key("field");
    w.String(cause.field.data(), cause.field.size());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Fills `error` from a Status object (or a payload, which has its shape).
// Returns false when `doc` is not a Status-shaped object.
bool DecodeStatusObject(const rapidjson::Value& doc, ApiError* error) {
  if (!doc.IsObject()) return false;
  const std::string kind = GetString(doc, "kind");
  const bool has_reason = doc.HasMember("reason");
  if (kind != "Status" && !has_reason) return false;
  error->reason = GetString(doc, "reason");
  error->message = GetString(doc, "message");
  if (int code = GetInt(doc, "code"); code != 0) error->code = code;
  error->retry_after_seconds = GetInt(doc, "retryAfterSeconds");
  auto details = doc.FindMember("details");
  if (details != doc.MemberEnd() && details->value.IsObject()) {
    const rapidjson::Value& d = details->value;
    error->name = GetString(d, "name");
    error->group = GetString(d, "group");
    error->kind = GetString(d, "kind");
    if (int retry = GetInt(d, "retryAfterSeconds"); retry > 0) error->retry_after_seconds = retry;
    auto causes = d.FindMember("causes");
    if (causes != d.MemberEnd() && causes->value.IsArray()) {
      for (const rapidjson::Value& c : causes->value.GetArray()) {
        if (!c.IsObject()) continue;
        error->causes.push_back(
            StatusCause{GetString(c, "reason"), GetString(c, "message"), GetString(c, "field")});
      }
    }
  }
  return true;
}

}  // namespace

std::string_view ReasonForHttpCode(int http_code) {
  switch (http_code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 406: return "NotAcceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "RequestEntityTooLarge";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return "";
  }
}

absl::Status StatusFromApiError(const ApiError& error, std::string_view context) {
  std::string message = error.message.empty()
                            ? absl::StrCat("the server answered ", error.code, " ", error.reason)
                            : error.message;
  if (!context.empty()) message = absl::StrCat(ToAbsl(context), ": ", message);
  absl::Status status(CodeFor(error.reason, error.code), message);
  status.SetPayload(kPayloadUrl, absl::Cord(EncodePayload(error)));
  return status;
}

absl::Status ErrorFromResponse(int http_code, std::string_view body, std::string_view context) {
  ApiError error;
  error.code = http_code;
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !DecodeStatusObject(doc, &error)) {
    std::string_view shown = body.substr(0, kMaxBodyInMessage);
    error.message = shown.empty()
                        ? absl::StrCat("the server answered HTTP ", http_code)
                        : absl::StrCat("the server answered HTTP ", http_code, ": ",
                                       ToAbsl(shown), body.size() > shown.size() ? "..." : "");
  }
  if (error.code == 0) error.code = http_code;
  if (error.reason.empty()) error.reason = std::string(ReasonForHttpCode(http_code));
  if (error.reason.empty()) error.reason = absl::StrCat("HTTP", http_code);
  return StatusFromApiError(error, context);
}

std::optional<ApiError> GetApiError(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  std::string text(*payload);
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  ApiError error;
  if (doc.HasParseError() || !DecodeStatusObject(doc, &error)) return std::nullopt;
  return error;
}

std::string ErrorText(const absl::Status& status) {
  if (status.ok()) return "OK";
  return absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message());
}

std::string Reason(const absl::Status& status) {
  std::optional<ApiError> error = GetApiError(status);
  return error.has_value() ? error->reason : "";
}

std::vector<StatusCause> Causes(const absl::Status& status) {
  std::optional<ApiError> error = GetApiError(status);
  return error.has_value() ? std::move(error->causes) : std::vector<StatusCause>{};
}

bool IsConflict(const absl::Status& status) { return Reason(status) == "Conflict"; }
bool IsInvalid(const absl::Status& status) { return Reason(status) == "Invalid"; }
bool IsForbidden(const absl::Status& status) { return Reason(status) == "Forbidden"; }
bool IsUnauthorized(const absl::Status& status) { return Reason(status) == "Unauthorized"; }
bool IsGone(const absl::Status& status) {
  const std::string reason = Reason(status);
  return reason == "Gone" || reason == "Expired";
}
bool IsTooManyRequests(const absl::Status& status) {
  return Reason(status) == "TooManyRequests";
}

}  // namespace mck8s::kubeapi
