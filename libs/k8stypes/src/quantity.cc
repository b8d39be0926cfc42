#include "mck8s/k8stypes/quantity.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"

namespace mck8s::k8stypes {
namespace {

using int128 = __int128;
using uint128 = unsigned __int128;

constexpr uint128 Pow10(int n) {
  uint128 result = 1;
  for (int i = 0; i < n; ++i) result *= 10;
  return result;
}

constexpr uint128 kNanoPerUnit = Pow10(9);
constexpr uint128 kNanoPerMilli = Pow10(6);
// Magnitudes stay below 10^29 units, i.e. 10^38 nano-units, which leaves
// int128 headroom for every intermediate step of Add and Sub.
constexpr uint128 kMaxNano = Pow10(38) - 1;
// Kubernetes caps binary-SI quantities at 2^63-1 units while parsing.
constexpr uint128 kMaxBinaryNano =
    static_cast<uint128>(std::numeric_limits<int64_t>::max()) * kNanoPerUnit;

// The three parse failures Kubernetes distinguishes, with its wording.
constexpr std::string_view kFormatWrong =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr std::string_view kSuffixWrong = "unable to parse quantity's suffix";
constexpr std::string_view kNumericWrong = "unable to parse numeric part of quantity";

// Quotes user input for an error message: escaped, and shortened so that a
// megabyte of garbage does not become a megabyte of log line.
std::string QuoteInput(std::string_view text) {
  constexpr size_t kMaxShown = 64;
  std::string quoted =
      absl::StrCat("\"", absl::CHexEscape(ToAbsl(text.substr(0, kMaxShown))), "\"");
  if (text.size() > kMaxShown) {
    absl::StrAppend(&quoted, "... (", text.size(), " bytes)");
  }
  return quoted;
}

absl::Status InvalidQuantity(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid quantity ", QuoteInput(text), ": ", ToAbsl(why)));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsSuffixLetter(char c) {
  return std::string_view("eEinumkKMGTP").find(c) != std::string_view::npos;
}

// strconv.ParseInt(s, 10, 64) acceptance: an optional sign, then one or more
// decimal digits, within the int64 range.
std::optional<int64_t> ParseDecimalInt64(std::string_view s) {
  bool negative = false;
  size_t i = 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return std::nullopt;
  const uint64_t limit =
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (negative ? 1 : 0);
  uint64_t magnitude = 0;
  for (; i < s.size(); ++i) {
    if (!IsDigit(s[i])) return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (magnitude > (limit - digit) / 10) return std::nullopt;
    magnitude = magnitude * 10 + digit;
  }
  if (!negative) return static_cast<int64_t>(magnitude);
  return magnitude == limit ? std::numeric_limits<int64_t>::min()
                            : -static_cast<int64_t>(magnitude);
}

// What a suffix means: value = number * 10^exponent10 * 2^binary_shift.
struct SuffixMeaning {
  Quantity::Format format = Quantity::Format::kDecimalSI;
  int64_t exponent10 = 0;
  int binary_shift = 0;
};

enum class SuffixError { kNone, kUnknown, kExponentRange };

SuffixError InterpretSuffix(std::string_view suffix, SuffixMeaning& meaning) {
  using Format = Quantity::Format;
  if (suffix.empty()) {
    meaning = {Format::kDecimalSI, 0, 0};
    return SuffixError::kNone;
  }
  if (suffix.size() == 1) {
    int64_t exponent = 0;
    switch (suffix[0]) {
      case 'n': exponent = -9; break;
      case 'u': exponent = -6; break;
      case 'm': exponent = -3; break;
      case 'k': exponent = 3; break;
      case 'M': exponent = 6; break;
      case 'G': exponent = 9; break;
      case 'T': exponent = 12; break;
      case 'P': exponent = 15; break;
      case 'E': exponent = 18; break;
      default: return SuffixError::kUnknown;  // includes a lone "e"
    }
    meaning = {Format::kDecimalSI, exponent, 0};
    return SuffixError::kNone;
  }
  if (suffix.size() == 2 && suffix[1] == 'i') {
    int shift = 0;
    switch (suffix[0]) {
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      case 'T': shift = 40; break;
      case 'P': shift = 50; break;
      case 'E': shift = 60; break;
      default: shift = 0; break;
    }
    if (shift != 0) {
      meaning = {Format::kBinarySI, 0, shift};
      return SuffixError::kNone;
    }
  }
  if (suffix[0] == 'e' || suffix[0] == 'E') {
    const std::optional<int64_t> exponent = ParseDecimalInt64(suffix.substr(1));
    if (!exponent.has_value()) return SuffixError::kUnknown;
    // Kubernetes truncates the exponent to int32 silently; refuse instead.
    if (*exponent < std::numeric_limits<int32_t>::min() ||
        *exponent > std::numeric_limits<int32_t>::max()) {
      return SuffixError::kExponentRange;
    }
    meaning = {Format::kDecimalExponent, *exponent, 0};
    return SuffixError::kNone;
  }
  return SuffixError::kUnknown;
}

// The integer and fraction digits of the mantissa seen as one sequence,
// without copying them.
class DigitSequence {
 public:
  DigitSequence(std::string_view integer, std::string_view fraction)
      : integer_(integer), fraction_(fraction) {}
  size_t size() const { return integer_.size() + fraction_.size(); }
  uint64_t at(size_t i) const {
    const char c = i < integer_.size() ? integer_[i] : fraction_[i - integer_.size()];
    return static_cast<uint64_t>(c - '0');
  }

 private:
  std::string_view integer_;
  std::string_view fraction_;
};

// acc = acc * 10 + digit, unless that passes kMaxNano.
bool AppendDigit(uint128& acc, uint64_t digit) {
  if (acc > (kMaxNano - digit) / 10) return false;
  acc = acc * 10 + digit;
  return true;
}

void AppendUnsigned(std::string& out, uint128 value) {
  char buffer[40];
  size_t length = 0;
  do {
    buffer[length++] = static_cast<char>('0' + static_cast<int>(value % 10));
    value /= 10;
  } while (value != 0);
  while (length > 0) out.push_back(buffer[--length]);
}

uint128 Magnitude(int128 value) {
  return value < 0 ? static_cast<uint128>(0) - static_cast<uint128>(value)
                   : static_cast<uint128>(value);
}

// ceil(|nano| / divisor) with the sign of nano; nullopt when outside int64.
std::optional<int64_t> ScaledAwayFromZero(int128 nano, uint128 divisor) {
  const uint128 magnitude = Magnitude(nano);
  const uint128 scaled = magnitude / divisor + (magnitude % divisor != 0 ? 1 : 0);
  const auto max = static_cast<uint128>(std::numeric_limits<int64_t>::max());
  if (nano >= 0) {
    if (scaled > max) return std::nullopt;
    return static_cast<int64_t>(scaled);
  }
  if (scaled > max + 1) return std::nullopt;
  return static_cast<int64_t>(-static_cast<int128>(scaled));
}

int64_t Saturate(int128 nano, uint128 divisor) {
  const std::optional<int64_t> scaled = ScaledAwayFromZero(nano, divisor);
  if (scaled.has_value()) return *scaled;
  return nano < 0 ? std::numeric_limits<int64_t>::min()
                  : std::numeric_limits<int64_t>::max();
}

std::string_view DecimalSuffix(int exponent) {
  switch (exponent) {
    case -9: return "n";
    case -6: return "u";
    case -3: return "m";
    case 3: return "k";
    case 6: return "M";
    case 9: return "G";
    case 12: return "T";
    case 15: return "P";
    case 18: return "E";
    default: return "";
  }
}

constexpr std::string_view kBinarySuffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};

}  // namespace

absl::StatusOr<Quantity> Quantity::Parse(std::string_view text) {
  if (text.empty()) return InvalidQuantity(text, kFormatWrong);

  // Scan: [sign] zeros digits [. digits] letters [sign] digits.
  const size_t end = text.size();
  size_t pos = 0;
  bool negative = false;
  if (text[0] == '-' || text[0] == '+') {
    negative = text[0] == '-';
    ++pos;
  }
  const size_t number_start = pos;
  while (pos < end && text[pos] == '0') ++pos;
  if (pos == end) return Quantity();  // "0", "-00", and also "-" and "+"
  const size_t integer_start = pos;
  while (pos < end && IsDigit(text[pos])) ++pos;
  const std::string_view integer = text.substr(integer_start, pos - integer_start);
  std::string_view fraction;
  if (pos < end && text[pos] == '.') {
    const size_t fraction_start = ++pos;
    while (pos < end && IsDigit(text[pos])) ++pos;
    fraction = text.substr(fraction_start, pos - fraction_start);
  }
  const bool has_digits =
      integer_start > number_start || !integer.empty() || !fraction.empty();
  const size_t suffix_start = pos;
  while (pos < end && IsSuffixLetter(text[pos])) ++pos;
  if (pos < end && (text[pos] == '+' || text[pos] == '-')) ++pos;
  while (pos < end && IsDigit(text[pos])) ++pos;
  if (pos != end) return InvalidQuantity(text, kFormatWrong);

  SuffixMeaning meaning;
  switch (InterpretSuffix(text.substr(suffix_start), meaning)) {
    case SuffixError::kNone:
      break;
    case SuffixError::kUnknown:
      return InvalidQuantity(text, kSuffixWrong);
    case SuffixError::kExponentRange:
      return InvalidQuantity(text, "the exponent must fit a 32-bit integer");
  }
  Format format = meaning.format;

  if (!has_digits) {
    // Kubernetes reads a digit-less number as zero on its fast path, and
    // rejects it on its arbitrary-precision path, which it takes for Pi, Ei
    // and exponents below e-9.
    if ((format == Format::kBinarySI && meaning.binary_shift >= 50) ||
        (format == Format::kDecimalExponent && meaning.exponent10 < -9)) {
      return InvalidQuantity(text, kNumericWrong);
    }
    return Quantity(0, format);
  }

  // value = digits * 10^scale * 2^shift, with leading and trailing zeros of
  // the digit string dropped (trailing ones move into the scale).
  const DigitSequence all(integer, fraction);
  size_t first = 0;
  while (first < all.size() && all.at(first) == 0) ++first;
  if (first == all.size()) return Quantity(0, format);  // "0.000", "0Ki"
  size_t last = all.size() - 1;
  while (all.at(last) == 0) --last;
  const size_t digit_count = last - first + 1;
  const int64_t scale = meaning.exponent10 - static_cast<int64_t>(fraction.size()) +
                        static_cast<int64_t>(all.size() - 1 - last);
  const uint64_t multiplier = uint64_t{1} << meaning.binary_shift;

  // nano = ceil(digits * multiplier * 10^(scale + 9)), away from zero.
  const int64_t nano_exponent = scale + 9;
  uint128 nano = 0;
  bool overflow = false;
  if (nano_exponent >= 0) {
    for (size_t i = first; i <= last && !overflow; ++i) {
      overflow = !AppendDigit(nano, all.at(i));
    }
    if (!overflow && nano > kMaxNano / multiplier) overflow = true;
    if (!overflow) nano *= multiplier;
    for (int64_t i = 0; i < nano_exponent && !overflow; ++i) {
      if (nano > kMaxNano / 10) {
        overflow = true;
      } else {
        nano *= 10;
      }
    }
  } else {
    // Split digits = whole * 10^t + rest, t = digits below one nano-unit.
    const uint64_t below_nano = static_cast<uint64_t>(-nano_exponent);
    const size_t whole_count =
        digit_count > below_nano ? digit_count - static_cast<size_t>(below_nano) : 0;
    uint128 whole = 0;
    for (size_t i = 0; i < whole_count && !overflow; ++i) {
      overflow = !AppendDigit(whole, all.at(first + i));
    }
    if (!overflow && whole > kMaxNano / multiplier) overflow = true;
    if (!overflow) whole *= multiplier;
    // floor(rest * multiplier / 10^t) by carrying from the last digit up;
    // the carry never exceeds the multiplier, so it fits 64 bits.
    uint64_t carry = 0;
    bool inexact = false;
    for (size_t i = digit_count; i > whole_count; --i) {
      const uint64_t x = all.at(first + i - 1) * multiplier + carry;
      inexact = inexact || x % 10 != 0;
      carry = x / 10;
    }
    // The zeros between the decimal point and the first significant digit.
    for (uint64_t zeros = below_nano - (digit_count - whole_count);
         zeros > 0 && carry != 0; --zeros) {
      inexact = inexact || carry % 10 != 0;
      carry /= 10;
    }
    if (!overflow) {
      const uint128 rounded = whole + carry + (inexact ? 1 : 0);
      if (rounded > kMaxNano) {
        overflow = true;
      } else {
        nano = rounded;
      }
    }
  }

  if (format == Format::kBinarySI) {
    if (overflow || nano > kMaxBinaryNano) {
      nano = kMaxBinaryNano;
    } else if (nano < kNanoPerUnit) {
      format = Format::kDecimalSI;  // a fraction of a byte reads better so
    }
  } else if (overflow) {
    return InvalidQuantity(text, "the magnitude must stay below 1e29");
  }
  const int128 value = static_cast<int128>(nano);
  return Quantity(negative ? -value : value, format);
}

Quantity Quantity::FromMilli(int64_t milli_units, Format format) {
  return Quantity(static_cast<int128>(milli_units) * static_cast<int128>(kNanoPerMilli),
                  format);
}

Quantity Quantity::FromValue(int64_t units, Format format) {
  return Quantity(static_cast<int128>(units) * static_cast<int128>(kNanoPerUnit), format);
}

int64_t Quantity::MilliValue() const { return Saturate(nano_, kNanoPerMilli); }

int64_t Quantity::Value() const { return Saturate(nano_, kNanoPerUnit); }

absl::StatusOr<int64_t> Quantity::CheckedMilliValue() const {
  const std::optional<int64_t> milli = ScaledAwayFromZero(nano_, kNanoPerMilli);
  if (!milli.has_value()) {
    return absl::OutOfRangeError(
        absl::StrCat("quantity ", String(), " does not fit an int64 in milli-units"));
  }
  return *milli;
}

absl::StatusOr<int64_t> Quantity::CheckedValue() const {
  const std::optional<int64_t> units = ScaledAwayFromZero(nano_, kNanoPerUnit);
  if (!units.has_value()) {
    return absl::OutOfRangeError(
        absl::StrCat("quantity ", String(), " does not fit an int64"));
  }
  return *units;
}

double Quantity::AsApproximateDouble() const {
  return static_cast<double>(nano_) / static_cast<double>(kNanoPerUnit);
}

std::string Quantity::String() const {
  if (nano_ == 0) return "0";
  std::string out;
  if (nano_ < 0) out.push_back('-');
  const uint128 magnitude = Magnitude(nano_);

  Format format = format_;
  if (format == Format::kBinarySI &&
      (magnitude < 1024 * kNanoPerUnit || magnitude % kNanoPerUnit != 0 ||
       magnitude > kMaxBinaryNano)) {
    // Below 1Ki, or not a whole number of units, as in Kubernetes. Beyond
    // 2^63-1 too, unlike Kubernetes, whose "8Ei" would parse back capped.
    format = Format::kDecimalSI;
  }
  if (format == Format::kBinarySI) {
    uint128 units = magnitude / kNanoPerUnit;
    size_t power = 0;
    while (power + 1 < std::size(kBinarySuffixes) && units % 1024 == 0) {
      units /= 1024;
      ++power;
    }
    AppendUnsigned(out, units);
    out.append(kBinarySuffixes[power]);
    return out;
  }

  // mantissa * 10^exponent with the exponent the largest multiple of three
  // that keeps the mantissa whole. Starting from -9 (a multiple of three), the
  // second loop never restores more zeros than the first removed.
  uint128 mantissa = magnitude;
  int exponent = -9;
  while (mantissa % 10 == 0) {
    mantissa /= 10;
    ++exponent;
  }
  while (exponent % 3 != 0) {
    mantissa *= 10;
    --exponent;
  }
  AppendUnsigned(out, mantissa);
  if (format == Format::kDecimalSI && exponent <= 18) {
    out.append(DecimalSuffix(exponent));
  } else if (exponent != 0) {
    // Also decimal SI past "E": there is no larger suffix to use.
    absl::StrAppend(&out, "e", exponent);
  }
  return out;
}

absl::StatusOr<Quantity> Quantity::Add(const Quantity& other) const {
  const auto max = static_cast<int128>(kMaxNano);
  if ((other.nano_ > 0 && nano_ > max - other.nano_) ||
      (other.nano_ < 0 && nano_ < -max - other.nano_)) {
    return absl::OutOfRangeError(absl::StrCat(
        "quantity arithmetic overflow: ", String(), " + ", other.String(),
        " reaches 1e29"));
  }
  return Quantity(nano_ + other.nano_, IsZero() ? other.format_ : format_);
}

absl::StatusOr<Quantity> Quantity::Sub(const Quantity& other) const {
  return Add(-other);
}

Quantity Quantity::operator-() const { return Quantity(-nano_, format_); }

absl::StatusOr<int64_t> ParseCpuMillis(std::string_view text) {
  absl::StatusOr<Quantity> quantity = Quantity::Parse(text);
  if (!quantity.ok()) return quantity.status();
  if (quantity->Sign() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cpu quantity ", QuoteInput(text), " must not be negative"));
  }
  return quantity->CheckedMilliValue();
}

absl::StatusOr<int64_t> ParseMemoryBytes(std::string_view text) {
  absl::StatusOr<Quantity> quantity = Quantity::Parse(text);
  if (!quantity.ok()) return quantity.status();
  if (quantity->Sign() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("memory quantity ", QuoteInput(text), " must not be negative"));
  }
  return quantity->CheckedValue();
}

}  // namespace mck8s::k8stypes
