#include "mck8s/placement/apportion.h"

#include <catch2/catch.hpp>
#include <numeric>

namespace mck8s::placement {
namespace {

TEST_CASE("apportion: Webster splits as the table says", "[placement][apportion]") {
  struct Case {
    int64_t total;
    std::vector<double> weights;
    std::vector<int64_t> caps;
    std::vector<int64_t> want;
  };
  const std::vector<Case> cases = {
      // Dynamic weights by available replicas (6/12/18 holds 12 as 2/4/6).
      {12, {6, 12, 18}, {6, 12, 18}, {2, 4, 6}},
      {1, {1, 1, 1}, {}, {1, 0, 0}},  // ties go to the lower index
      {3, {1, 1, 1}, {}, {1, 1, 1}},
      {10, {1, 1, 1}, {}, {4, 3, 3}},
      {5, {1, 0}, {}, {5, 0}},                       // no weight, no seats...
      {5, {1, 0}, {2, -1}, {2, 3}},                  // ...until the weighted are full
      {7, {0, 0, 0}, {}, {3, 2, 2}},                 // all zero: equal weights
      {100, {5, 3, 2}, {10, 10, 10}, {10, 10, 10}},  // capped: only 30 fit
      {4, {3, 3, 3}, {0, 5, 5}, {0, 2, 2}},
      {0, {1, 2}, {}, {0, 0}},
      {-3, {1, 2}, {}, {0, 0}},
      {9, {-1, 2}, {}, {0, 9}},  // negative weight counts as zero
      // Sainte-Laguë's textbook case: 8 seats for 100k/80k/30k/20k votes.
      {8, {100000, 80000, 30000, 20000}, {}, {3, 3, 1, 1}},
      {7, {53, 24, 23}, {}, {3, 2, 2}},
  };
  for (const Case& c : cases) {
    INFO("total " << c.total);
    CHECK(WebsterApportion(c.total, c.weights, c.caps) == c.want);
  }
}

TEST_CASE("apportion: no replica is lost and the method is house-monotone",
          "[placement][apportion]") {
  const std::vector<double> weights = {3.7, 1.2, 9.9, 0.4, 5.5};
  std::vector<int64_t> previous(weights.size(), 0);
  for (int64_t total = 1; total <= 500; ++total) {
    std::vector<int64_t> seats = WebsterApportion(total, weights);
    REQUIRE(std::accumulate(seats.begin(), seats.end(), int64_t{0}) == total);
    for (size_t i = 0; i < seats.size(); ++i) REQUIRE(seats[i] >= previous[i]);
    previous = seats;
  }
}

}  // namespace
}  // namespace mck8s::placement
