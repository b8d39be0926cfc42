#include "mck8s/kubeapi/errors.h"

#include <catch2/catch.hpp>

namespace mck8s::kubeapi {
namespace {

TEST_CASE("errors: Status bodies keep their reason and map to canonical codes",
          "[kubeapi][errors]") {
  struct Row {
    int http;
    const char* reason;
    absl::StatusCode code;
  };
  const Row rows[] = {
      {404, "NotFound", absl::StatusCode::kNotFound},
      {409, "AlreadyExists", absl::StatusCode::kAlreadyExists},
      {409, "Conflict", absl::StatusCode::kAborted},
      {422, "Invalid", absl::StatusCode::kInvalidArgument},
      {400, "BadRequest", absl::StatusCode::kInvalidArgument},
      {403, "Forbidden", absl::StatusCode::kPermissionDenied},
      {401, "Unauthorized", absl::StatusCode::kUnauthenticated},
      {410, "Gone", absl::StatusCode::kOutOfRange},
      {410, "Expired", absl::StatusCode::kOutOfRange},
      {429, "TooManyRequests", absl::StatusCode::kResourceExhausted},
      {405, "MethodNotAllowed", absl::StatusCode::kUnimplemented},
      {504, "Timeout", absl::StatusCode::kDeadlineExceeded},
      {503, "ServiceUnavailable", absl::StatusCode::kUnavailable},
      {500, "InternalError", absl::StatusCode::kInternal},
      {418, "Teapot", absl::StatusCode::kFailedPrecondition},
  };
  for (const Row& row : rows) {
    CAPTURE(row.reason);
    const std::string body = std::string(R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"it failed","reason":")") +
                             row.reason + R"(","code":)" + std::to_string(row.http) + "}";
    absl::Status status = ErrorFromResponse(row.http, body, "GET /api/v1/pods/x");
    CHECK(status.code() == row.code);
    CHECK(Reason(status) == row.reason);
    CHECK(std::string(status.message()) == "GET /api/v1/pods/x: it failed");
  }
}

TEST_CASE("errors: predicates", "[kubeapi][errors]") {
  auto make = [](int http, const char* reason) {
    return ErrorFromResponse(http, std::string(R"({"kind":"Status","reason":")") + reason + "\"}");
  };
  CHECK(IsNotFound(make(404, "NotFound")));
  CHECK_FALSE(IsNotFound(make(409, "Conflict")));
  CHECK(IsConflict(make(409, "Conflict")));
  CHECK_FALSE(IsConflict(make(409, "AlreadyExists")));
  CHECK(IsAlreadyExists(make(409, "AlreadyExists")));
  CHECK(IsInvalid(make(422, "Invalid")));
  CHECK(IsForbidden(make(403, "Forbidden")));
  CHECK(IsGone(make(410, "Gone")));
  CHECK(IsGone(make(410, "Expired")));
  CHECK(IsTooManyRequests(make(429, "TooManyRequests")));
  CHECK(IsUnauthorized(make(401, "Unauthorized")));
  // Statuses that never saw a server carry no reason.
  CHECK(Reason(absl::NotFoundError("local")).empty());
  CHECK(Reason(absl::UnavailableError("connection refused")).empty());
}

TEST_CASE("errors: Invalid keeps its causes and details", "[kubeapi][errors]") {
  const std::string body = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
    "message":"Deployment.apps \"web\" is invalid","reason":"Invalid",
    "details":{"name":"web","group":"apps","kind":"Deployment","causes":[
      {"reason":"FieldValueRequired","message":"Required value","field":"spec.selector"},
      {"reason":"FieldValueInvalid","message":"must be >= 0","field":"spec.replicas"}]},
    "code":422})";
  absl::Status status = ErrorFromResponse(422, body);
  REQUIRE(IsInvalid(status));
  std::optional<ApiError> error = GetApiError(status);
  REQUIRE(error.has_value());
  CHECK(error->code == 422);
  CHECK(error->name == "web");
  CHECK(error->group == "apps");
  CHECK(error->kind == "Deployment");
  const std::vector<StatusCause> causes = Causes(status);
  REQUIRE(causes.size() == 2);
  CHECK(causes[0] == StatusCause{"FieldValueRequired", "Required value", "spec.selector"});
  CHECK(causes[1].field == "spec.replicas");
}

TEST_CASE("errors: bodies that are not a Status still give a reason", "[kubeapi][errors]") {
  absl::Status html = ErrorFromResponse(404, "<html>nope</html>");
  CHECK(IsNotFound(html));
  CHECK(std::string(html.message()).find("<html>nope</html>") != std::string::npos);
  absl::Status empty = ErrorFromResponse(503, "");
  CHECK(Reason(empty) == "ServiceUnavailable");
  CHECK(empty.code() == absl::StatusCode::kUnavailable);
  absl::Status odd = ErrorFromResponse(599, R"({"unexpected":true})");
  CHECK(Reason(odd) == "HTTP599");
  CHECK(odd.code() == absl::StatusCode::kUnavailable);
  // A huge body is cut in the message.
  absl::Status big = ErrorFromResponse(500, std::string(100000, 'x'));
  CHECK(big.message().size() < 1000);
  // Malformed causes are skipped, not fatal.
  absl::Status weird = ErrorFromResponse(
      422, R"({"kind":"Status","reason":"Invalid","details":{"causes":[1,"x",{"field":7}]}})");
  CHECK(IsInvalid(weird));
  REQUIRE(Causes(weird).size() == 1);
  CHECK(Causes(weird)[0].field.empty());
}

TEST_CASE("errors: retryAfterSeconds from details", "[kubeapi][errors]") {
  absl::Status status = ErrorFromResponse(
      429, R"({"kind":"Status","reason":"TooManyRequests","details":{"retryAfterSeconds":3}})");
  std::optional<ApiError> error = GetApiError(status);
  REQUIRE(error.has_value());
  CHECK(error->retry_after_seconds == 3);
}

}  // namespace
}  // namespace mck8s::kubeapi
