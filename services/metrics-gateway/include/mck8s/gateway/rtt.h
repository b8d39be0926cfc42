// -----------------------------------------------------------------------------
// File: mck8s/gateway/rtt.h
// -----------------------------------------------------------------------------
//
// Round-trip times between member clusters. An RttSource produces RTT
// entries (directed, milliseconds); the gateway asks its sources once per
// collection round.
//
// Static matrices are YAML, the shape of the `rtt:` section of a testbed
// (sim/testbeds/fogguru.yaml), either at the top level or under `rtt:`:
//
//   rtt:
//     rennes: {nantes: 2.16, lille: 23.26}
//     nantes: {lille: 22.21}
//
// The matrix is symmetric: `a: {b: x}` gives both a->b and b->a. A pair
// given in both directions must have the same value. Values are
// milliseconds, finite and not negative; a cluster paired with itself is
// an error.
//
// Precedence (CombineRtt): measured entries (Serf) first, then the static
// file (--rtt-file) replaces them pair by pair, then the ConfigMap
// (mck8s-system/mck8s-rtt, key rtt.yaml) replaces those pair by pair. So
// an operator pins a link's RTT by naming it in the ConfigMap, while every
// pair the ConfigMap leaves out keeps its file or measured value.
//
// Thread safety: implementations of RttSource must be thread-safe;
// StaticRttSource is.

#ifndef MCK8S_GATEWAY_RTT_H_
#define MCK8S_GATEWAY_RTT_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "mck8s/gateway/feed.h"

namespace mck8s::gateway {

// A registered member cluster as an RTT source sees it (from its
// MemberCluster object).
struct RttTarget {
  std::string cluster;
  // spec.serf.nodeName; empty when not declared.
  std::string serf_node;
  // spec.serf.rpcAddress; empty when not declared.
  std::string serf_rpc_address;
};

// A source of round-trip times.
class RttSource {
 public:
  virtual ~RttSource() = default;
  // The entries known now between `targets`; pairs with an end that is not
  // a target may be returned and are ignored. May block for network I/O.
  // An error leaves this source's entries out of the round's snapshot.
  virtual absl::StatusOr<RttTable> Fetch(const std::vector<RttTarget>& targets) = 0;
  // For logs and metrics, e.g. "static", "serf".
  virtual std::string Name() const = 0;
};

// Parses a static matrix (see the file comment); every entry has source
// RTT_SOURCE_STATIC. INVALID_ARGUMENT naming the entry (`rtt.rennes.nantes`)
// for a malformed value, a negative or self RTT, or a conflicting pair.
absl::StatusOr<RttTable> ParseRttYaml(std::string_view yaml);

// A fixed (replaceable) matrix.
class StaticRttSource : public RttSource {
 public:
  explicit StaticRttSource(RttTable table = {});
  void Set(RttTable table);
  absl::StatusOr<RttTable> Fetch(const std::vector<RttTarget>& targets) override;
  std::string Name() const override { return "static"; }

 private:
  mutable absl::Mutex mu_;
  RttTable table_ ABSL_GUARDED_BY(mu_);
};

// Layers the tables: later ones replace earlier ones pair by pair.
RttTable CombineRtt(const std::vector<const RttTable*>& layers);

}  // namespace mck8s::gateway

#endif  // MCK8S_GATEWAY_RTT_H_
