#include "mck8s/serf/coordinate.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

namespace mck8s::serf {
namespace {

TEST_CASE("coordinate: RTT is the euclidean distance plus both heights, in seconds") {
  struct Case {
    Coordinate a, b;
    int64_t nanos;
  };
  const Case cases[] = {
      // 3-4-5 triangle: 5 ms, no heights.
      {{{0.003, 0}, 0, 0, 0}, {{0, 0.004}, 0, 0, 0}, 5'000'000},
      // Heights add: 5 ms + 0.1 ms + 0.2 ms.
      {{{0.003, 0}, 0, 0, 0.0001}, {{0, 0.004}, 0, 0, 0.0002}, 5'300'000},
      // Same point: only the heights.
      {{{0.001, 0.001}, 0, 0, 0.00001}, {{0.001, 0.001}, 0, 0, 0.00001}, 20'000},
      // Positive adjustments are added.
      {{{0.01}, 0, 0.001, 0}, {{0}, 0, 0.0005, 0}, 11'500'000},
      // Negative adjustments are added while the result stays positive.
      {{{0.01}, 0, -0.002, 0}, {{0}, 0, -0.003, 0}, 5'000'000},
      // ... and ignored when they would make it zero or negative.
      {{{0.01}, 0, -0.006, 0}, {{0}, 0, -0.004, 0}, 10'000'000},
      {{{0.01}, 0, -0.008, 0}, {{0}, 0, -0.004, 0}, 10'000'000},
      // Error does not enter the distance.
      {{{0.002}, 1.5, 0, 0}, {{0}, 0.1, 0, 0}, 2'000'000},
      // Empty vectors (zero dimensions): heights only.
      {{{}, 0, 0, 0.001}, {{}, 0, 0, 0.002}, 3'000'000},
  };
  for (const Case& c : cases) {
    absl::StatusOr<int64_t> ab = RttNanos(c.a, c.b);
    absl::StatusOr<int64_t> ba = RttNanos(c.b, c.a);
    REQUIRE(ab.ok());
    REQUIRE(ba.ok());
    // Within a nanosecond: the float sums above are not all exact.
    CHECK(std::llabs(*ab - c.nanos) <= 1);
    CHECK(*ab == *ba);
  }
}

TEST_CASE("coordinate: the result is truncated to nanoseconds like time.Duration") {
  // 1.9999999 ns -> 1 ns, and the millisecond figure derives from it.
  Coordinate a{{1.9999999e-9}, 0, 0, 0};
  Coordinate b{{0}, 0, 0, 0};
  CHECK(*RttNanos(a, b) == 1);
  CHECK(*RttMillis(a, b) == Approx(1e-6).epsilon(1e-12));
  // 8-dimensional, as Serf uses: 12.345678 ms along one axis.
  Coordinate c{{0, 0, 0, 0.012345678, 0, 0, 0, 0}, 0.5, 0, 0};
  Coordinate d{{0, 0, 0, 0, 0, 0, 0, 0}, 0.5, 0, 0};
  CHECK(*RttNanos(c, d) == 12'345'678);
  CHECK(*RttMillis(c, d) == Approx(12.345678).epsilon(1e-12));
}

TEST_CASE("coordinate: mismatched dimensions and non-finite components are errors") {
  Coordinate two{{0, 0}, 0, 0, 0};
  Coordinate three{{0, 0, 0}, 0, 0, 0};
  absl::StatusOr<int64_t> r = RttNanos(two, three);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(r.status().message()).find("dimensionality") != std::string::npos);
  Coordinate nan{{std::numeric_limits<double>::quiet_NaN(), 0}, 0, 0, 0};
  CHECK_FALSE(RttMillis(nan, two).ok());
  Coordinate inf_height{{0, 0}, 0, 0, std::numeric_limits<double>::infinity()};
  CHECK_FALSE(RttMillis(two, inf_height).ok());
}

TEST_CASE(
    "coordinate: the matrix holds every pair once, symmetric, without a "
    "diagonal") {
  std::map<std::string, Coordinate> coords = {
      {"a", {{0, 0}, 0, 0, 0}},
      {"b", {{0.003, 0}, 0, 0, 0}},
      {"c", {{0, 0.004}, 0, 0, 0.001}},
  };
  absl::StatusOr<RttMatrix> m = RttMatrix::FromCoordinates(coords);
  REQUIRE(m.ok());
  CHECK(m->nodes() == std::vector<std::string>{"a", "b", "c"});
  CHECK(*m->Get("a", "b") == Approx(3.0));
  CHECK(*m->Get("b", "a") == Approx(3.0));
  CHECK(*m->Get("a", "c") == Approx(5.0));
  CHECK(*m->Get("b", "c") == Approx(6.0));
  CHECK_FALSE(m->Get("a", "a").has_value());
  CHECK_FALSE(m->Get("a", "zz").has_value());

  coords["d"] = Coordinate{{0, 0, 0}, 0, 0, 0};
  absl::StatusOr<RttMatrix> bad = RttMatrix::FromCoordinates(coords);
  REQUIRE_FALSE(bad.ok());
  CHECK(std::string(bad.status().message()).find("\"d\"") == std::string::npos);
  CHECK(std::string(bad.status().message()).find("and d") != std::string::npos);

  RttMatrix set;
  set.Set("y", "x", 1.5);
  CHECK(set.nodes() == std::vector<std::string>{"x", "y"});
  CHECK(*set.Get("x", "y") == 1.5);
}

}  // namespace
}  // namespace mck8s::serf
