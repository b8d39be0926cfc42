// Specification of Quantity: Kubernetes' parsing, rounding and canonical form.
// Expected values are Kubernetes' own (its quantity tests and serialization
// goldens), plus the grammar's edge cases read from its parser.

#include "mck8s/k8stypes/quantity.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"

namespace mck8s::k8stypes {
namespace {

using Format = Quantity::Format;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

struct ValidCase {
  std::string_view input;
  std::string_view canonical;
  int64_t milli;  // MilliValue(), saturated
  int64_t value;  // Value(), saturated
  Format format;
};

constexpr Format kDec = Format::kDecimalSI;
constexpr Format kBin = Format::kBinarySI;
constexpr Format kExp = Format::kDecimalExponent;

const ValidCase kValidCases[] = {
    // Plain numbers and the everyday suffixes.
    {"0", "0", 0, 0, kDec},
    {"1", "1", 1000, 1, kDec},
    {"-1", "-1", -1000, -1, kDec},
    {"100m", "100m", 100, 1, kDec},
    {"-100m", "-100m", -100, -1, kDec},
    {"0.5", "500m", 500, 1, kDec},
    {"1.5", "1500m", 1500, 2, kDec},
    {"-1.5", "-1500m", -1500, -2, kDec},
    {"0.1", "100m", 100, 1, kDec},
    {"9.01", "9010m", 9010, 10, kDec},
    {"1k", "1k", 1000000, 1000, kDec},
    {"50k", "50k", 50000000, 50000, kDec},
    {"1G", "1G", 1000000000000, 1000000000, kDec},
    {"1000M", "1G", 1000000000000, 1000000000, kDec},
    {"7M", "7M", 7000000000, 7000000, kDec},
    {"40T", "40T", 40000000000000000, 40000000000000, kDec},
    {"300T", "300T", 300000000000000000, 300000000000000, kDec},
    {"2P", "2P", 2000000000000000000, 2000000000000000, kDec},
    {"1E", "1E", kMax, 1000000000000000000, kDec},
    {"12E", "12E", kMax, kMax, kDec},
    {"100E", "100E", kMax, kMax, kDec},
    {"1000E", "1e21", kMax, kMax, kDec},
    {"100000E", "100e21", kMax, kMax, kDec},
    // Binary suffixes keep their family when exact.
    {"1Ki", "1Ki", 1024000, 1024, kBin},
    {"8Ki", "8Ki", 8192000, 8192, kBin},
    {"512Mi", "512Mi", 536870912000, 536870912, kBin},
    {"7Mi", "7Mi", 7340032000, 7340032, kBin},
    {"1024Mi", "1Gi", 1073741824000, 1073741824, kBin},
    {"2Gi", "2Gi", 2147483648000, 2147483648, kBin},
    {"6Gi", "6Gi", 6442450944000, 6442450944, kBin},
    {"1.5Gi", "1536Mi", 1610612736000, 1610612736, kBin},
    {"-9.5Gi", "-9728Mi", -10200547328000, -10200547328, kBin},
    {"100Ti", "100Ti", 109951162777600000, 109951162777600, kBin},
    {"4Pi", "4Pi", 4503599627370496000, 4503599627370496, kBin},
    {"1Ei", "1Ei", kMax, 1152921504606846976, kBin},
    {"3Ei", "3Ei", kMax, 3458764513820540928, kBin},
    {"0.5Mi", "512Ki", 524288000, 524288, kBin},
    // Fractional binary values that are not whole bytes print as decimal.
    {"100.035Ki", "102435840m", 102435840, 102436, kBin},
    {"0.05Gi", "53687091200m", 53687091200, 53687092, kBin},
    {".001Ki", "1024m", 1024, 2, kBin},
    {".000001Ki", "1024u", 2, 1, kDec},
    {".000000001Ki", "1024n", 1, 1, kDec},
    // Binary quantities are capped at 2^63-1 while parsing.
    {"9Ei", "9223372036854775807", kMax, kMax, kBin},
    {"9223372036854775807Ki", "9223372036854775807", kMax, kMax, kBin},
    {"-20Ei", "-9223372036854775807", kMin, -kMax, kBin},
    // Decimal exponents: the exponent is a multiple of three when printed.
    {"1e3", "1e3", 1000000, 1000, kExp},
    {"1E6", "1e6", 1000000000, 1000000, kExp},
    {"1e9", "1e9", 1000000000000, 1000000000, kExp},
    {"1E18", "1e18", kMax, 1000000000000000000, kExp},
    {"1e13", "10e12", 10000000000000000, 10000000000000, kExp},
    {"1e14", "100e12", 100000000000000000, 100000000000000, kExp},
    {"1E-3", "1e-3", 1, 1, kExp},
    {"1.2e3", "1200", 1200000, 1200, kExp},
    {"1.3E+6", "1300e3", 1300000000, 1300000, kExp},
    {"0.5e0", "500e-3", 500, 1, kExp},
    {"0.5e-1", "50e-3", 50, 1, kExp},
    {"0.5e-2", "5e-3", 5, 1, kExp},
    {"1e-0", "1", 1000, 1, kExp},
    // Non-canonical decimal input.
    {"100.035k", "100035", 100035000, 100035, kDec},
    {"10.035M", "10035k", 10035000000, 10035000, kDec},
    {"8.1k", "8100", 8100000, 8100, kDec},
    {"7.123456M", "7123456", 7123456000, 7123456, kDec},
    {"5.444T", "5444G", 5444000000000000, 5444000000000, kDec},
    {"2.5P", "2500T", 2500000000000000000, 2500000000000000, kDec},
    {"1.01E", "1010P", kMax, 1010000000000000000, kDec},
    {"0.0005k", "500m", 500, 1, kDec},
    {"0.00050k", "500m", 500, 1, kDec},
    {"0.001", "1m", 1, 1, kDec},
    {".001", "1m", 1, 1, kDec},
    {".0001k", "100m", 100, 1, kDec},
    {"1.", "1", 1000, 1, kDec},
    {"1.G", "1G", 1000000000000, 1000000000, kDec},
    {"1.441", "1441m", 1441, 2, kDec},
    {"1.500", "1500m", 1500, 2, kDec},
    {"1.000001", "1000001u", 1001, 2, kDec},
    {"+1", "1", 1000, 1, kDec},
    {"01", "1", 1000, 1, kDec},
    {"-0", "0", 0, 0, kDec},
    // Sub-milli and sub-nano values: rounded away from zero at nano precision.
    {"0.1m", "100u", 1, 1, kDec},
    {"-0.1m", "-100u", -1, -1, kDec},
    {"1n", "1n", 1, 1, kDec},
    {"5n", "5n", 1, 1, kDec},
    {"1u", "1u", 1, 1, kDec},
    {"4u", "4u", 1, 1, kDec},
    {"3m", "3m", 3, 1, kDec},
    {"3.001n", "4n", 1, 1, kDec},
    {"0.9n", "1n", 1, 1, kDec},
    {"0.0000000001", "1n", 1, 1, kDec},
    {"0.00000012345", "124n", 1, 1, kDec},
    {"0.000000000000001", "1n", 1, 1, kDec},
    {"1.1E-9", "2e-9", 1, 1, kExp},
    {"0.000000000001Ki", "2n", 1, 1, kDec},
    {"-9.5000000001Gi", "-10200547328107374183n", -10200547328108, -10200547329, kBin},
    {"1e-99999", "1e-9", 1, 1, kExp},
    // Zeros keep the family they were written in; String() is always "0".
    {"0Ki", "0", 0, 0, kBin},
    {"0Mi", "0", 0, 0, kBin},
    {"0m", "0", 0, 0, kDec},
    {"0.000", "0", 0, 0, kDec},
    {"0e5", "0", 0, 0, kExp},
    // Kubernetes reads a number without digits as zero.
    {"-", "0", 0, 0, kDec},
    {"+", "0", 0, 0, kDec},
    {".", "0", 0, 0, kDec},
    {"-.", "0", 0, 0, kDec},
    {"Gi", "0", 0, 0, kBin},
    {"Ti", "0", 0, 0, kBin},
    {"m", "0", 0, 0, kDec},
    {".e5", "0", 0, 0, kExp},
    // Values beyond int64.
    {"9223372036854775807", "9223372036854775807", kMax, kMax, kDec},
    {"9223372036854775808", "9223372036854775808", kMax, kMax, kDec},
    {"18446744073709551616", "18446744073709551616", kMax, kMax, kDec},
    {"-9223372036854775808", "-9223372036854775808", kMin, kMin, kDec},
    {"-9223372036854775809", "-9223372036854775809", kMin, kMin, kDec},
    {"99999999999999999999999999999", "99999999999999999999999999999", kMax, kMax, kDec},
    {"9223372036854775.807", "9223372036854775807m", kMax, 9223372036854776, kDec},
};

TEST_CASE("Quantity parses, rounds and prints like Kubernetes", "[k8stypes][quantity]") {
  for (const ValidCase& c : kValidCases) {
    CAPTURE(c.input);
    const absl::StatusOr<Quantity> q = Quantity::Parse(c.input);
    REQUIRE(q.ok());
    CHECK(q->String() == c.canonical);
    CHECK(q->MilliValue() == c.milli);
    CHECK(q->Value() == c.value);
    CHECK(q->format() == c.format);
    // The canonical form is a fixpoint and denotes the same value.
    const absl::StatusOr<Quantity> again = Quantity::Parse(q->String());
    REQUIRE(again.ok());
    CHECK(*again == *q);
    CHECK(again->String() == c.canonical);
  }
}

TEST_CASE("Quantity with an explicit sign parses like the unsigned text",
          "[k8stypes][quantity]") {
  for (const ValidCase& c : kValidCases) {
    if (c.input.empty() || c.input[0] == '-' || c.input[0] == '+') continue;
    CAPTURE(c.input);
    const absl::StatusOr<Quantity> plain = Quantity::Parse(c.input);
    const absl::StatusOr<Quantity> plus = Quantity::Parse("+" + std::string(c.input));
    const absl::StatusOr<Quantity> minus = Quantity::Parse("-" + std::string(c.input));
    REQUIRE(plain.ok());
    REQUIRE(plus.ok());
    REQUIRE(minus.ok());
    CHECK(*plus == *plain);
    CHECK(*minus == -*plain);
    CHECK(minus->format() == plain->format());
    if (!plain->IsZero()) CHECK(minus->String() == "-" + plain->String());
  }
}

struct InvalidCase {
  std::string_view input;
  std::string_view message_part;
};

constexpr std::string_view kRegexError =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr std::string_view kSuffixError = "unable to parse quantity's suffix";
constexpr std::string_view kNumericError = "unable to parse numeric part of quantity";
constexpr std::string_view kRangeError = "magnitude must stay below 1e29";

const InvalidCase kInvalidCases[] = {
    {"", kRegexError},
    {"abc", kRegexError},
    {"aoeu", kRegexError},
    {"Non-Numeric", kRegexError},
    {"1.2.3", kRegexError},
    {"1.1.M", kRegexError},
    {"1+1.0M", kRegexError},
    {"1Zi", kRegexError},
    {"1 Gi", kRegexError},
    {" 1", kRegexError},
    {"1 ", kRegexError},
    {"0.1am", kRegexError},
    {"1e1.5", kRegexError},
    {"1Gi\n", kRegexError},
    {"++1", kSuffixError},
    {"1e", kSuffixError},
    {"1e+", kSuffixError},
    {"-3.01e-", kSuffixError},
    {"1K", kSuffixError},
    {"1ki", kSuffixError},
    {"1i", kSuffixError},
    {".5i", kSuffixError},
    {"-3.01i", kSuffixError},
    {"0.1mi", kSuffixError},
    {"1Gi5", kSuffixError},
    {"1Ee3", kSuffixError},
    {"1e99999999999999999999", kSuffixError},
    {"Pi", kNumericError},
    {"Ei", kNumericError},
    {"-.Ei", kNumericError},
    {"e-10", kNumericError},
    {"1e29", kRangeError},
    {"1e100", kRangeError},
    {"100000000000000000000000000000", kRangeError},
    {"1e2147483648", "exponent must fit a 32-bit integer"},
};

TEST_CASE("Quantity rejects what Kubernetes rejects, naming the input",
          "[k8stypes][quantity]") {
  for (const InvalidCase& c : kInvalidCases) {
    CAPTURE(c.input);
    const absl::StatusOr<Quantity> q = Quantity::Parse(c.input);
    REQUIRE_FALSE(q.ok());
    CHECK(q.status().code() == absl::StatusCode::kInvalidArgument);
    const std::string message(q.status().message());
    CHECK_THAT(message, Catch::Contains(std::string(c.message_part)));
    CHECK_THAT(message, Catch::StartsWith("invalid quantity \""));
  }
}

TEST_CASE("Quantity error messages stay short for huge inputs", "[k8stypes][quantity]") {
  const std::string garbage(1 << 20, 'x');
  const absl::StatusOr<Quantity> q = Quantity::Parse(garbage);
  REQUIRE_FALSE(q.ok());
  CHECK(q.status().message().size() < 400);
  CHECK_THAT(std::string(q.status().message()), Catch::Contains("(1048576 bytes)"));
}

TEST_CASE("Quantity parses long digit strings exactly", "[k8stypes][quantity]") {
  // Many significant digits below the nano: rounded up once, exactly.
  const absl::StatusOr<Quantity> fine =
      Quantity::Parse("1." + std::string(5000, '0') + "1");
  REQUIRE(fine.ok());
  CHECK(fine->String() == "1000000001n");
  // Many trailing zeros after the point change nothing.
  const absl::StatusOr<Quantity> zeros = Quantity::Parse("2." + std::string(5000, '0') + "Mi");
  REQUIRE(zeros.ok());
  CHECK(zeros->String() == "2Mi");
  // Many leading zeros neither.
  const absl::StatusOr<Quantity> leading = Quantity::Parse(std::string(5000, '0') + "3k");
  REQUIRE(leading.ok());
  CHECK(leading->String() == "3k");
}

TEST_CASE("Quantity constructors print like Kubernetes' New*Quantity",
          "[k8stypes][quantity]") {
  struct Case {
    Quantity quantity;
    std::string_view canonical;
  };
  const Case cases[] = {
      {Quantity::FromMilli(1), "1m"},
      {Quantity::FromMilli(1000), "1"},
      {Quantity::FromMilli(1234000), "1234"},
      {Quantity::FromMilli(1024, kBin), "1024m"},
      {Quantity::FromMilli(1024 * 1024, kBin), "1048576m"},
      {Quantity::FromMilli(1000000, kExp), "1e3"},
      {Quantity::FromValue(1), "1"},
      {Quantity::FromValue(1000), "1k"},
      {Quantity::FromValue(1234000), "1234k"},
      {Quantity::FromValue(1024, kBin), "1Ki"},
      {Quantity::FromValue(1024 * 1024, kBin), "1Mi"},
      {Quantity::FromValue(1000000, kExp), "1e6"},
      {Quantity::FromValue(5, kBin), "5"},
      {Quantity::FromValue(1025, kBin), "1025"},
      {Quantity::FromValue(1001LL * 1024 * 1024 * 1024, kBin), "1001Gi"},
      {Quantity::FromValue(300 * 1024 * 1024, kBin), "300Mi"},
      {Quantity::FromMilli(500, kBin), "500m"},
      {Quantity::FromMilli(1234567, kBin), "1234567m"},
      {Quantity::FromMilli(80, kExp), "80e-3"},
      {Quantity::FromValue(300000000, kExp), "300e6"},
      {Quantity::FromValue(0, kExp), "0"},
      {Quantity::FromBytes(int64_t{8} << 30), "8Gi"},
      {Quantity::FromValue(kMin), "-9223372036854775808"},
      // 2^63 bytes is written in decimal: "-8Ei" would parse back capped.
      {Quantity::FromBytes(kMin), "-9223372036854775808"},
      {Quantity::FromBytes(kMax), "9223372036854775807"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.canonical);
    CHECK(c.quantity.String() == c.canonical);
    const absl::StatusOr<Quantity> again = Quantity::Parse(c.quantity.String());
    REQUIRE(again.ok());
    CHECK(*again == c.quantity);
  }
  // Whole bytes that are no multiple of 1024 print plainly, as in Kubernetes,
  // and read back as decimal SI: same value, shorter text the next time.
  const Quantity bytes = Quantity::FromBytes(1234000);
  CHECK(bytes.String() == "1234000");
  CHECK(Quantity::Parse(bytes.String())->String() == "1234k");
  CHECK(*Quantity::Parse(bytes.String()) == bytes);
  CHECK(Quantity::FromMilli(kMin).MilliValue() == kMin);
  CHECK(Quantity::FromMilli(kMax).MilliValue() == kMax);
  CHECK(Quantity::FromValue(kMax).Value() == kMax);
  CHECK(Quantity().String() == "0");
  CHECK(Quantity().IsZero());
}

TEST_CASE("Quantity Add and Sub are exact and pick the format like Kubernetes",
          "[k8stypes][quantity]") {
  const auto parse = [](std::string_view text) {
    absl::StatusOr<Quantity> q = Quantity::Parse(text);
    REQUIRE(q.ok());
    return *q;
  };
  struct Case {
    std::string_view a, b, sum, difference;
  };
  const Case cases[] = {
      {"10", "1e1", "20", "0"},
      {"10", "1Ki", "1034", "-1014"},
      {"1Ki", "1", "1025", "1023"},
      {"0", "1Gi", "1Gi", "-1Gi"},  // a zero takes the other's format
      {"100m", "0", "100m", "100m"},
      {"1Gi", "0", "1Gi", "1Gi"},
      {"250m", "750m", "1", "-500m"},
      {"1.5Gi", "512Mi", "2Gi", "1Gi"},
      {"1Gi", "0.5", "1073741824500m", "1073741823500m"},
      {"1n", "1n", "2n", "0"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.a, c.b);
    const absl::StatusOr<Quantity> sum = parse(c.a).Add(parse(c.b));
    const absl::StatusOr<Quantity> difference = parse(c.a).Sub(parse(c.b));
    REQUIRE(sum.ok());
    REQUIRE(difference.ok());
    CHECK(sum->String() == c.sum);
    CHECK(difference->String() == c.difference);
  }
  const Quantity big = parse("99999999999999999999999999999");
  const absl::StatusOr<Quantity> overflow = big.Add(parse("1"));
  CHECK(big.Add(parse("1n")).ok());  // 1n below the limit still fits
  REQUIRE_FALSE(overflow.ok());
  CHECK(overflow.status().code() == absl::StatusCode::kOutOfRange);
  const absl::StatusOr<Quantity> underflow = (-big).Sub(parse("1"));
  REQUIRE_FALSE(underflow.ok());
  CHECK(underflow.status().code() == absl::StatusCode::kOutOfRange);
  CHECK(big.Sub(big)->IsZero());
}

TEST_CASE("Quantity compares and hashes by value, ignoring the format",
          "[k8stypes][quantity]") {
  const auto parse = [](std::string_view text) { return *Quantity::Parse(text); };
  CHECK(parse("1Ki") == parse("1024"));
  CHECK(parse("1e3") == parse("1k"));
  CHECK(parse("100m") > parse("50m"));
  CHECK(parse("50m") < parse("100m"));
  CHECK(parse("10000T") > parse("100Gi"));
  CHECK(parse("-1") < parse("0"));
  CHECK(parse("0") == parse("-0"));
  CHECK(parse("1n") > parse("0"));
  absl::flat_hash_set<Quantity> set = {parse("1Ki"), parse("1024"), parse("1.024k")};
  CHECK(set.size() == 1);
  CHECK(parse("1Ki").Sign() == 1);
  CHECK(parse("-1m").Sign() == -1);
  CHECK(parse("0Gi").Sign() == 0);
  CHECK(parse("1.5").AsApproximateDouble() == Approx(1.5));
  CHECK(parse("2Gi").AsApproximateDouble() == Approx(2147483648.0));
}

TEST_CASE("Quantity checked accessors report overflow instead of saturating",
          "[k8stypes][quantity]") {
  const Quantity exa = *Quantity::Parse("1Ei");
  CHECK(exa.CheckedValue().value() == 1152921504606846976);
  const absl::StatusOr<int64_t> milli = exa.CheckedMilliValue();
  REQUIRE_FALSE(milli.ok());
  CHECK(milli.status().code() == absl::StatusCode::kOutOfRange);
  CHECK(exa.MilliValue() == kMax);
  CHECK((-exa).MilliValue() == kMin);
  CHECK((*Quantity::Parse("9223372036854775.807")).CheckedMilliValue().value() == kMax);
  CHECK_FALSE((*Quantity::Parse("9223372036854775.8071")).CheckedMilliValue().ok());
  CHECK((*Quantity::Parse("-9223372036854775.808")).CheckedMilliValue().value() == kMin);
}

TEST_CASE("ParseCpuMillis and ParseMemoryBytes", "[k8stypes][quantity]") {
  struct Case {
    std::string_view input;
    int64_t cpu_millis;
    int64_t memory_bytes;
  };
  const Case cases[] = {
      {"250m", 250, 1},      {"2", 2000, 2},
      {"0.5", 500, 1},       {"0.0001", 1, 1},
      {"512Mi", 536870912000, 536870912},
      {"1G", 1000000000000, 1000000000},
      {"1e9", 1000000000000, 1000000000},
      {"0", 0, 0},
  };
  for (const Case& c : cases) {
    CAPTURE(c.input);
    CHECK(ParseCpuMillis(c.input).value() == c.cpu_millis);
    CHECK(ParseMemoryBytes(c.input).value() == c.memory_bytes);
  }
  CHECK(ParseCpuMillis("-1").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseMemoryBytes("-1Mi").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseCpuMillis("1 core").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseCpuMillis("1E").status().code() == absl::StatusCode::kOutOfRange);
  CHECK(ParseMemoryBytes("16E").status().code() == absl::StatusCode::kOutOfRange);
  CHECK(ParseMemoryBytes("16Ei").value() == kMax);  // binary values are capped
}

}  // namespace
}  // namespace mck8s::k8stypes
