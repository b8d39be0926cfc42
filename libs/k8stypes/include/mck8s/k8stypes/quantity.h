// -----------------------------------------------------------------------------
// File: mck8s/k8stypes/quantity.h
// -----------------------------------------------------------------------------
//
// Kubernetes resource quantities ("500m", "2Gi", "1e3") as an exact value type.
//
// Every resource request, limit and capacity that crosses the Kubernetes API is
// a quantity string. The placement engine, the simulator and the client must
// agree with the API server on which strings are valid, what they are worth
// and how they are written back, so this type follows the Kubernetes rules
// (k8s.io/apimachinery/pkg/api/resource) rather than inventing its own:
//
//   <quantity>     ::= <signedNumber><suffix>
//   <number>       ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
//   <suffix>       ::= <binarySI> | <decimalExponent> | <decimalSI>
//   <binarySI>     ::= Ki | Mi | Gi | Ti | Pi | Ei
//   <decimalSI>    ::= n | u | m | "" | k | M | G | T | P | E
//   <decimalExp>   ::= "e" <signedNumber> | "E" <signedNumber>
//
// The value is held exactly, in nano-units (10^-9), as a 128-bit integer; no
// floating point is involved anywhere. Like Kubernetes, parsing rounds a value
// finer than 1n away from zero ("0.9n" and "0.000000000001Ki" become non-zero
// nano amounts), caps a binary-SI quantity at 2^63-1 ("8Ei" is 2^63-1), and
// remembers which family of suffix was used so that String() writes it back
// the same way.
//
// Canonical form (String()): no fractional digits, the largest suffix that
// loses nothing, the exponent a multiple of three. "1.5" -> "1500m",
// "1.5Gi" -> "1536Mi", "1024Mi" -> "1Gi", "1e4" -> "10e3", "0.1m" -> "100u",
// "1000E" -> "1e21". A binary quantity that is not a whole number of units,
// or lies strictly between -1024 and 1024, is written in decimal SI; one that
// is a whole number of units but no multiple of 1024 is written as a plain
// number ("1234000"), which reads back as decimal SI and so prints as
// "1234k" the next time. Parse(q.String()) == q always holds.
//
// Kubernetes quirks deliberately kept, because the API server accepts them:
//   * a number with no digits counts as zero: "-", "+", ".", "Gi", "m" and
//     ".e5" all parse as 0 (but "Pi", "Ei" and digit-less mantissas with an
//     exponent below e-9 are rejected, as Kubernetes rejects them);
//   * "1." and ".5" are valid; whitespace anywhere is not.
//
// Where this type differs from Kubernetes, on purpose:
//   * magnitudes are limited to below 10^29 units (Kubernetes' decimal
//     quantities are unbounded); a larger value is an InvalidArgument error,
//     as is an exponent outside the int32 range;
//   * String() always returns the canonical form. Kubernetes echoes some
//     inputs verbatim ("1.500", "+1", "01") and has an open bug to stop;
//   * a binary-SI value above 2^63-1 (reachable only by arithmetic or
//     FromBytes(INT64_MIN)) is written in decimal: Kubernetes writes "8Ei",
//     which its own parser caps to 2^63-1, so it would not round-trip;
//   * MilliValue()/Value() saturate at the int64 limits instead of wrapping,
//     and round negative values away from zero in every case.
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(Quantity request, Quantity::Parse("250m"));
//   int64_t millis = request.MilliValue();          // 250
//   MCK8S_ASSIGN_OR_RETURN(Quantity total, request.Add(Quantity::FromMilli(750)));
//   std::string text = total.String();               // "1"
//
//   MCK8S_ASSIGN_OR_RETURN(int64_t bytes, ParseMemoryBytes("512Mi"));
//
// Thread safety: Quantity is an immutable value; const methods are safe to
// call concurrently.

#ifndef MCK8S_K8STYPES_QUANTITY_H_
#define MCK8S_K8STYPES_QUANTITY_H_

#include <compare>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"

namespace mck8s::k8stypes {

class Quantity {
 public:
  // How String() writes the value; chosen by the suffix family at parse time.
  enum class Format {
    kDecimalSI,        // 12M, 500m
    kBinarySI,         // 12Mi
    kDecimalExponent,  // 12e6
  };

  // Zero, decimal SI.
  Quantity() = default;

  // Parses `text` exactly as Kubernetes' ParseQuantity does. Errors
  // (InvalidArgument, naming the input): empty input, text outside the
  // grammar above (spaces, unknown letters, "1.2.3", "1Zi"), an unknown suffix
  // ("1K", "1e", "++1"), a digit-less number the Kubernetes slow path rejects
  // ("Pi"), a magnitude of 10^29 units or more, an exponent beyond int32.
  static absl::StatusOr<Quantity> Parse(std::string_view text);

  // Exact constructors; they cannot fail. A binary-SI quantity below 1024 in
  // magnitude is still written in decimal SI by String().
  static Quantity FromMilli(int64_t milli_units, Format format = Format::kDecimalSI);
  static Quantity FromValue(int64_t units, Format format = Format::kDecimalSI);
  static Quantity FromBytes(int64_t bytes) { return FromValue(bytes, Format::kBinarySI); }

  // ceil(q * 1000), rounded away from zero; saturates at INT64_MIN/INT64_MAX.
  int64_t MilliValue() const;
  // ceil(q), rounded away from zero; saturates at INT64_MIN/INT64_MAX.
  int64_t Value() const;
  // As above, but OutOfRange instead of saturating.
  absl::StatusOr<int64_t> CheckedMilliValue() const;
  absl::StatusOr<int64_t> CheckedValue() const;
  // For ratios and scores only; never for decisions that need exactness.
  double AsApproximateDouble() const;

  // The canonical Kubernetes spelling (see the file comment).
  std::string String() const;

  Format format() const { return format_; }
  bool IsZero() const { return nano_ == 0; }
  int Sign() const { return nano_ < 0 ? -1 : (nano_ > 0 ? 1 : 0); }

  // Exact sum/difference. The result keeps this quantity's format, unless this
  // quantity is zero, in which case it takes `other`'s (as Kubernetes does).
  // OutOfRange when the magnitude would reach 10^29 units.
  absl::StatusOr<Quantity> Add(const Quantity& other) const;
  absl::StatusOr<Quantity> Sub(const Quantity& other) const;
  // Always representable: the range is symmetric.
  Quantity operator-() const;

  // Value comparisons; the format is ignored ("1Ki" == "1024"), as in
  // Kubernetes' Cmp and Equal.
  friend bool operator==(const Quantity& a, const Quantity& b) { return a.nano_ == b.nano_; }
  friend std::strong_ordering operator<=>(const Quantity& a, const Quantity& b) {
    return a.nano_ <=> b.nano_;
  }

  template <typename H>
  friend H AbslHashValue(H h, const Quantity& q) {
    const auto bits = static_cast<unsigned __int128>(q.nano_);
    return H::combine(std::move(h), static_cast<uint64_t>(bits >> 64),
                      static_cast<uint64_t>(bits));
  }

  friend std::ostream& operator<<(std::ostream& os, const Quantity& q) {
    return os << q.String();
  }

 private:
  Quantity(__int128 nano, Format format) : nano_(nano), format_(format) {}

  __int128 nano_ = 0;  // the value in units of 10^-9
  Format format_ = Format::kDecimalSI;
};

// Parses a CPU quantity ("250m", "2", "0.5") into millicores, rounding up like
// Kubernetes' MilliValue. InvalidArgument for an unparsable or negative
// quantity, OutOfRange when the millicores do not fit an int64.
absl::StatusOr<int64_t> ParseCpuMillis(std::string_view text);

// Parses a memory quantity ("512Mi", "1G", "1e9") into bytes, rounding up like
// Kubernetes' Value. InvalidArgument for an unparsable or negative quantity,
// OutOfRange when the bytes do not fit an int64.
absl::StatusOr<int64_t> ParseMemoryBytes(std::string_view text);

}  // namespace mck8s::k8stypes

#endif  // MCK8S_K8STYPES_QUANTITY_H_
