#include "proximity_walk.h"

#include <vector>

namespace mck8s::placement {

ProximityWalk::ProximityWalk(const CycleState& state, std::optional<ClusterIndex> origin,
                             ClusterKind kind, const ScorePlugin* by_room)
    : state_(state), origin_(origin), kind_(kind), by_room_(by_room) {
  if (origin_.has_value()) neighbours_ = state_.model().NeighboursByRtt(*origin_);
}

std::optional<ClusterIndex> ProximityWalk::Next() {
  const ClusterModel& model = state_.model();
  while (position_ < neighbours_.size()) {
    const ClusterIndex cluster = neighbours_[position_++].cluster;
    if (model.kind(cluster) != kind_) continue;
    if (state_.CheapOutcome(cluster) != FilterOutcome::kPass) continue;
    return cluster;
  }
  if (unknown_ == nullptr) {
    std::vector<uint8_t> known(static_cast<size_t>(model.size()), 0);
    for (const Neighbour& neighbour : neighbours_) known[neighbour.cluster] = 1;
    std::vector<ClusterIndex> candidates;
    for (ClusterIndex cluster = 0; cluster < model.size(); ++cluster) {
      if (known[cluster] != 0 || cluster == origin_) continue;
      if (model.kind(cluster) != kind_) continue;
      if (state_.CheapOutcome(cluster) != FilterOutcome::kPass) continue;
      candidates.push_back(cluster);
    }
    const ScorePlugin* const scorers[] = {by_room_};
    unknown_ = std::make_unique<Ranker>(state_, scorers, std::move(candidates));
  }
  return unknown_->Next();
}

}  // namespace mck8s::placement
