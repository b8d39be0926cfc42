// -----------------------------------------------------------------------------
// File: mck8s/apischema/field_error.h
// -----------------------------------------------------------------------------
//
// FieldError is one problem found in an object or a schema, named by the path
// of the field that holds it. Its shape and wording follow the field errors of
// kube-apiserver, so a server built on this library can return the same
// `Status` causes (`reason`, `message`, `field`) that kubectl users know:
//
//   spec.numberOfLocations: Invalid value: 0: spec.numberOfLocations in body
//   should be greater than or equal to 1
//
// is `FieldError{.type = kInvalid, .path = "spec.numberOfLocations",
// .message = "Invalid value: 0: spec.numberOfLocations in body should be
// greater than or equal to 1"}`.
//
// Usage:
//
//   std::vector<FieldError> errors = schema.Validate(object);
//   for (const FieldError& e : errors) {
//     cause.reason = FieldErrorReason(e.type);   // "FieldValueInvalid"
//     cause.field = e.path;                      // "spec.numberOfLocations"
//     cause.message = e.message;
//   }
//   std::string text = FormatFieldErrors(errors);  // "[a: ..., b: ...]"
//
// Everything here is a pure value; all functions are thread-safe.

#ifndef MCK8S_APISCHEMA_FIELD_ERROR_H_
#define MCK8S_APISCHEMA_FIELD_ERROR_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "rapidjson/document.h"

namespace mck8s::apischema {

// The kinds of field error, one for each `metav1.CauseType` that field
// validation produces.
enum class FieldErrorType {
  kNotFound,      // FieldValueNotFound, "Not found"
  kRequired,      // FieldValueRequired, "Required value"
  kDuplicate,     // FieldValueDuplicate, "Duplicate value"
  kInvalid,       // FieldValueInvalid, "Invalid value"
  kNotSupported,  // FieldValueNotSupported, "Unsupported value"
  kForbidden,     // FieldValueForbidden, "Forbidden"
  kTooLong,       // FieldValueTooLong, "Too long"
  kTooMany,       // FieldValueTooMany, "Too many"
  kInternal,      // InternalError, "Internal error"
  kTypeInvalid,   // FieldValueTypeInvalid, "Invalid value"
};

struct FieldError {
  FieldErrorType type = FieldErrorType::kInvalid;
  // Dotted path of the field, with `[i]` for list items:
  // "spec.template.spec.containers[0].image". Empty for the object itself.
  std::string path;
  // The offending value rendered as kube-apiserver prints it (`0`, `"foo"`,
  // `null`, compact JSON for objects and lists); empty when the error type
  // does not print a value (Required, Forbidden, Too long).
  std::string bad_value;
  // The explanation after the value, e.g. "supported values: \"a\", \"b\"".
  std::string detail;
  // The error body without the path: "Invalid value: 0: <detail>".
  std::string message;

  // "path: message", or just the message when the path is empty.
  std::string ToString() const;

  friend bool operator==(const FieldError&, const FieldError&) = default;
};

// Builds a FieldError and fills `message` from the other parts, the way
// kube-apiserver words it. `bad_value` is ignored for the types that print no
// value (Required, Forbidden, TooLong, Internal).
FieldError MakeFieldError(FieldErrorType type, std::string path,
                          std::optional<std::string> bad_value,
                          std::string detail);

// "Invalid value", "Required value", ... as printed in messages.
std::string_view FieldErrorTypeText(FieldErrorType type);

// "FieldValueInvalid", "FieldValueRequired", ... as used for
// `status.details.causes[].reason`.
std::string_view FieldErrorReason(FieldErrorType type);

// Renders a JSON value the way a field error prints its bad value: integers
// and booleans bare, numbers in shortest form, strings double-quoted and
// escaped, null as `null`, objects and arrays as compact JSON.
std::string RenderValue(const rapidjson::Value& value);

// Renders a number as Go's %v does: the shortest decimal that reads back
// exactly, plain when the exponent is in [-4, 21) ("1", "0.5", "100000"),
// otherwise "1e+21". Schema bounds are quoted this way in messages.
std::string RenderNumber(double value);

// Renders a string as a double-quoted, escaped literal ("a\"b").
std::string Quote(std::string_view text);

// kube-apiserver's aggregate wording: the single error's text, or
// "[first, second, ...]" for several. Empty for no errors.
std::string FormatFieldErrors(absl::Span<const FieldError> errors);

}  // namespace mck8s::apischema

#endif  // MCK8S_APISCHEMA_FIELD_ERROR_H_
