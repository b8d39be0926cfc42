// -----------------------------------------------------------------------------
// File: mck8s/serf/coordinate.h
// -----------------------------------------------------------------------------
//
// Serf's network coordinates (Vivaldi, with a height and an adjustment term)
// and the round-trip time they predict, computed exactly as Serf's
// coordinate.Coordinate.DistanceTo does, so a figure from here matches the
// one `serf rtt` prints for the same two coordinates:
//
//   raw      = |a.vec - b.vec| + a.height + b.height          (seconds)
//   adjusted = raw + a.adjustment + b.adjustment
//   rtt      = adjusted if adjusted > 0, else raw
//   truncated to whole nanoseconds (Go's time.Duration conversion).
//
// Usage:
//
//   absl::StatusOr<double> ms = RttMillis(coord_a, coord_b);
//
//   RttMatrix m = ...;           // from serf::BuildRttMatrix (client.h)
//   std::optional<double> ab = m.Get("a", "b");
//
// Thread-safety: plain values and pure functions.

#ifndef MCK8S_SERF_COORDINATE_H_
#define MCK8S_SERF_COORDINATE_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mck8s::serf {

// One node's coordinate as Serf reports it (get-coordinate's Coord).
// Units are seconds.
struct Coordinate {
  std::vector<double> vec;
  double error = 0;
  double adjustment = 0;
  double height = 0;

  friend bool operator==(const Coordinate&, const Coordinate&) = default;
};

// The predicted RTT between `a` and `b` in nanoseconds, as DistanceTo's
// time.Duration. InvalidArgument when the two vectors differ in
// dimensionality (Serf panics there) or a component is not finite.
absl::StatusOr<int64_t> RttNanos(const Coordinate& a, const Coordinate& b);
// The same in milliseconds (nanoseconds / 1e6), what `serf rtt` prints.
absl::StatusOr<double> RttMillis(const Coordinate& a, const Coordinate& b);

// RTTs between every pair of a set of nodes, in milliseconds. Symmetric;
// the diagonal is absent.
class RttMatrix {
 public:
  RttMatrix() = default;

  // Computes the matrix from a coordinate per node. Fails like RttMillis.
  static absl::StatusOr<RttMatrix> FromCoordinates(
      const std::map<std::string, Coordinate>& coordinates);

  // Node names, sorted.
  const std::vector<std::string>& nodes() const { return nodes_; }
  // The RTT between two distinct known nodes, in either order.
  std::optional<double> Get(std::string_view a, std::string_view b) const;
  void Set(const std::string& a, const std::string& b, double millis);

 private:
  std::vector<std::string> nodes_;
  std::map<std::pair<std::string, std::string>, double> rtt_;
};

}  // namespace mck8s::serf

#endif  // MCK8S_SERF_COORDINATE_H_
