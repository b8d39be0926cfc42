#include "mck8s/placement/plugins/node_fit.h"

#include "absl/strings/str_cat.h"

namespace mck8s::placement {

FilterOutcome NodeFitFilter::Filter(const CycleState& state, ClusterIndex cluster) const {
  if (state.Current(cluster) > 0) return FilterOutcome::kPass;
  return state.NewFit(cluster) > 0 ? FilterOutcome::kPass : FilterOutcome::kNoNew;
}

std::string NodeFitFilter::Reason(const CycleState& state, ClusterIndex cluster) const {
  const std::string wanted = state.replica().requests.String();
  const Cluster& c = state.model().cluster(cluster);
  // Report the roomiest node the replica may use at all, by CPU then memory,
  // so the figures say how far off the request is.
  const Node* roomiest = nullptr;
  int usable = 0;
  const std::span<const NodeDeduction> deductions = state.DeductionsOn(cluster);
  for (const Node& node : c.nodes) {
    if (!NodeAccepts(node, state.replica())) continue;
    ++usable;
    if (roomiest == nullptr || node.free.cpu_millis > roomiest->free.cpu_millis ||
        (node.free.cpu_millis == roomiest->free.cpu_millis &&
         node.free.memory_bytes > roomiest->free.memory_bytes)) {
      roomiest = &node;
    }
  }
  if (usable == 0) {
    return absl::StrCat("no schedulable node accepts the replica (node selector, taints) among ",
                        c.nodes.size(), " nodes");
  }
  std::string text =
      absl::StrCat("no schedulable node can host one replica (", wanted, "); roomiest of ", usable,
                   " usable nodes: ", roomiest->name, " with ", roomiest->free.String(), " free");
  if (!deductions.empty()) absl::StrAppend(&text, ", before reservations");
  return text;
}

}  // namespace mck8s::placement
