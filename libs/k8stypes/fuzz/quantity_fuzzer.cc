// libFuzzer target for Quantity::Parse. Beyond "never crash", it checks the
// invariants the rest of mck8s relies on:
//   * String() of a parsed quantity parses back to the same value, and the
//     text is a fixpoint (at once for decimal formats, from the second round
//     for binary ones);
//   * negation, addition and the integer accessors agree with each other;
//   * the exact constructors round-trip any int64.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "mck8s/k8stypes/quantity.h"

namespace {

using mck8s::k8stypes::Quantity;

void Check(bool condition, const char* what, std::string_view input) {
  if (condition) return;
  std::fprintf(stderr, "invariant violated: %s (input of %zu bytes: \"%.*s\")\n", what,
               input.size(), static_cast<int>(input.size()), input.data());
  std::abort();
}

void CheckParsed(const Quantity& q, std::string_view input) {
  const std::string text = q.String();
  const absl::StatusOr<Quantity> again = Quantity::Parse(text);
  Check(again.ok(), "String() must parse", input);
  Check(*again == q, "Parse(String(q)) == q", input);
  // A binary quantity that is no multiple of 1024 prints as a plain number,
  // which reads back as decimal SI ("1234000" -> "1234k"), so the text is
  // only stable from the second round on.
  const std::string second = again->String();
  const absl::StatusOr<Quantity> third = Quantity::Parse(second);
  Check(third.ok() && *third == q && third->String() == second,
        "String() is stable after one round trip", input);
  if (q.format() != Quantity::Format::kBinarySI) {
    Check(second == text, "decimal String() is a fixpoint", input);
  }

  const Quantity negated = -q;
  Check(-negated == q, "double negation", input);
  Check(q.IsZero() ? negated.String() == "0"
                   : (q.Sign() > 0 ? negated.String() == "-" + text
                                   : "-" + negated.String() == text),
        "negation only flips the sign of the text", input);
  const int64_t milli_value = q.MilliValue();
  if (milli_value != INT64_MIN && milli_value != INT64_MAX) {
    Check(negated.MilliValue() == -milli_value, "MilliValue is symmetric", input);
  }

  const absl::StatusOr<Quantity> zero = q.Sub(q);
  Check(zero.ok() && zero->IsZero(), "q - q == 0", input);
  const absl::StatusOr<Quantity> doubled = q.Add(q);
  if (doubled.ok()) {
    const absl::StatusOr<Quantity> back = doubled->Sub(q);
    Check(back.ok() && *back == q, "(q + q) - q == q", input);
  }
  Check((q <=> Quantity()) == (q.Sign() <=> 0), "ordering agrees with Sign", input);

  const absl::StatusOr<int64_t> milli = q.CheckedMilliValue();
  if (milli.ok()) {
    Check(*milli == q.MilliValue(), "CheckedMilliValue agrees", input);
    const Quantity from_milli = Quantity::FromMilli(*milli);
    Check(q.Sign() >= 0 ? from_milli >= q : from_milli <= q,
          "MilliValue rounds away from zero", input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<Quantity> parsed = Quantity::Parse(input);
  if (parsed.ok()) {
    CheckParsed(*parsed, input);
  } else {
    Check(!parsed.status().message().empty(), "errors carry a message", input);
  }

  if (size >= sizeof(int64_t)) {
    int64_t value = 0;
    std::memcpy(&value, data, sizeof(value));
    Check(Quantity::FromMilli(value).MilliValue() == value, "FromMilli round trip", input);
    Check(Quantity::FromValue(value).Value() == value, "FromValue round trip", input);
    for (Quantity::Format format : {Quantity::Format::kDecimalSI, Quantity::Format::kBinarySI,
                                    Quantity::Format::kDecimalExponent}) {
      const Quantity q = Quantity::FromValue(value, format);
      const absl::StatusOr<Quantity> again = Quantity::Parse(q.String());
      Check(again.ok() && *again == q, "FromValue String round trip", input);
      CheckParsed(q, input);
    }
  }
  return 0;
}
