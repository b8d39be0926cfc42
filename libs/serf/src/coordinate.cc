#include "mck8s/serf/coordinate.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace mck8s::serf {
namespace {

bool Finite(const Coordinate& c) {
  if (!std::isfinite(c.adjustment) || !std::isfinite(c.height)) return false;
  return std::all_of(c.vec.begin(), c.vec.end(), [](double v) { return std::isfinite(v); });
}

}  // namespace

absl::StatusOr<int64_t> RttNanos(const Coordinate& a, const Coordinate& b) {
  if (a.vec.size() != b.vec.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("coordinate dimensionality differs: ", a.vec.size(), " vs ", b.vec.size()));
  }
  if (!Finite(a) || !Finite(b)) {
    return absl::InvalidArgumentError("coordinate has a non-finite component");
  }
  double sum = 0;
  for (size_t i = 0; i < a.vec.size(); ++i) {
    double d = a.vec[i] - b.vec[i];
    sum += d * d;
  }
  double dist = std::sqrt(sum) + a.height + b.height;
  double adjusted = dist + a.adjustment + b.adjustment;
  if (adjusted > 0.0) dist = adjusted;
  // Go converts float64 to Duration (int64) by truncation toward zero.
  return static_cast<int64_t>(dist * 1.0e9);
}

absl::StatusOr<double> RttMillis(const Coordinate& a, const Coordinate& b) {
  absl::StatusOr<int64_t> nanos = RttNanos(a, b);
  if (!nanos.ok()) return nanos.status();
  // time.Duration.Seconds() * 1000, as `serf rtt` computes it.
  int64_t sec = *nanos / 1000000000;
  int64_t nsec = *nanos % 1000000000;
  double seconds = static_cast<double>(sec) + static_cast<double>(nsec) / 1e9;
  return seconds * 1000.0;
}

absl::StatusOr<RttMatrix> RttMatrix::FromCoordinates(
    const std::map<std::string, Coordinate>& coordinates) {
  RttMatrix m;
  for (auto a = coordinates.begin(); a != coordinates.end(); ++a) {
    m.nodes_.push_back(a->first);
    for (auto b = std::next(a); b != coordinates.end(); ++b) {
      absl::StatusOr<double> ms = RttMillis(a->second, b->second);
      if (!ms.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("RTT between ", a->first, " and ", b->first, ": ", ms.status().message()));
      }
      m.rtt_[{a->first, b->first}] = *ms;
    }
  }
  return m;
}

std::optional<double> RttMatrix::Get(std::string_view a, std::string_view b) const {
  std::pair<std::string, std::string> key{std::string(std::min(a, b)), std::string(std::max(a, b))};
  auto it = rtt_.find(key);
  if (it == rtt_.end()) return std::nullopt;
  return it->second;
}

void RttMatrix::Set(const std::string& a, const std::string& b, double millis) {
  for (const std::string& n : {a, b}) {
    auto it = std::lower_bound(nodes_.begin(), nodes_.end(), n);
    if (it == nodes_.end() || *it != n) nodes_.insert(it, n);
  }
  rtt_[{std::min(a, b), std::max(a, b)}] = millis;
}

}  // namespace mck8s::serf
