#include "mck8s/placement/apportion.h"

#include <algorithm>
#include <queue>

namespace mck8s::placement {
namespace {

struct Candidate {
  double priority;
  size_t index;
  // The heap's top is the highest priority; ties go to the lower index.
  bool operator<(const Candidate& other) const {
    if (priority != other.priority) return priority < other.priority;
    return index > other.index;
  }
};

// Hands out up to `remaining` seats among `eligible` parties with Webster's
// divisors (seats + 0.5), respecting caps.
int64_t Distribute(int64_t remaining, const std::vector<double>& weights,
                   const std::vector<int64_t>& caps, const std::vector<size_t>& eligible,
                   std::vector<int64_t>& seats) {
  std::priority_queue<Candidate> heap;
  for (size_t i : eligible) {
    if (caps[i] < 0 || seats[i] < caps[i]) {
      heap.push({weights[i] / (static_cast<double>(seats[i]) + 0.5), i});
    }
  }
  while (remaining > 0 && !heap.empty()) {
    Candidate top = heap.top();
    heap.pop();
    ++seats[top.index];
    --remaining;
    if (caps[top.index] < 0 || seats[top.index] < caps[top.index]) {
      heap.push({weights[top.index] / (static_cast<double>(seats[top.index]) + 0.5), top.index});
    }
  }
  return remaining;
}

}  // namespace

std::vector<int64_t> WebsterApportion(int64_t total, std::span<const double> weights,
                                      std::span<const int64_t> caps) {
  const size_t n = weights.size();
  std::vector<int64_t> seats(n, 0);
  if (n == 0 || total <= 0) return seats;
  std::vector<double> w(n);
  std::vector<int64_t> c(n, -1);
  for (size_t i = 0; i < n; ++i) {
    w[i] = std::max(0.0, weights[i]);
    if (i < caps.size()) c[i] = caps[i];
  }
  std::vector<size_t> positive, zero;
  for (size_t i = 0; i < n; ++i) {
    if (c[i] == 0) continue;
    (w[i] > 0 ? positive : zero).push_back(i);
  }
  int64_t remaining = Distribute(total, w, c, positive, seats);
  if (remaining > 0 && !zero.empty()) {
    // Parties without weight share what the weighted ones could not take.
    std::vector<double> equal(n, 1.0);
    Distribute(remaining, equal, c, zero, seats);
  }
  return seats;
}

}  // namespace mck8s::placement
