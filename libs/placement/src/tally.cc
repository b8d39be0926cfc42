#include "tally.h"

#include <algorithm>
#include <tuple>

namespace mck8s::placement {

int64_t Tally::KeptLeft(ClusterIndex cluster) const {
  const int64_t current = state_.Current(cluster);
  if (current == 0 || state_.CheapOutcome(cluster) == FilterOutcome::kEvict) return 0;
  auto it = counts_.find(cluster);
  return current - (it == counts_.end() ? 0 : it->second.kept);
}

int64_t Tally::RoomLeft(ClusterIndex cluster) const {
  if (state_.Outcome(cluster) != FilterOutcome::kPass) return 0;
  auto it = counts_.find(cluster);
  return state_.NewFit(cluster) - (it == counts_.end() ? 0 : it->second.fresh);
}

int64_t Tally::TakeKept(ClusterIndex cluster, int64_t wanted, AssignmentReason reason, bool force) {
  if (wanted <= 0) return 0;
  int64_t left;
  if (force) {
    auto it = counts_.find(cluster);
    left = state_.Current(cluster) - (it == counts_.end() ? 0 : it->second.kept);
  } else {
    left = KeptLeft(cluster);
  }
  const int64_t taken = std::min(wanted, left);
  if (taken <= 0) return 0;
  Counts& counts = counts_[cluster];
  counts.kept += taken;
  counts.by_reason[static_cast<size_t>(reason)] += taken;
  return taken;
}

int64_t Tally::TakeRoom(ClusterIndex cluster, int64_t wanted, AssignmentReason reason) {
  if (wanted <= 0) return 0;
  const int64_t taken = std::min(wanted, RoomLeft(cluster));
  if (taken <= 0) return 0;
  Counts& counts = counts_[cluster];
  counts.fresh += taken;
  counts.by_reason[static_cast<size_t>(reason)] += taken;
  return taken;
}

void Tally::AddExternal(const std::string& cluster, int64_t replicas, AssignmentReason reason) {
  if (replicas <= 0) return;
  external_.push_back({cluster, static_cast<int32_t>(replicas), reason});
}

int64_t Tally::Assigned(ClusterIndex cluster) const {
  auto it = counts_.find(cluster);
  return it == counts_.end() ? 0 : it->second.kept + it->second.fresh;
}

int64_t Tally::NewOn(ClusterIndex cluster) const {
  auto it = counts_.find(cluster);
  return it == counts_.end() ? 0 : it->second.fresh;
}

void Tally::NoteOrigin(ClusterIndex cluster, ClusterIndex origin) {
  Counts& counts = counts_[cluster];
  if (counts.origin < 0) counts.origin = origin;
}

std::optional<ClusterIndex> Tally::OriginOf(ClusterIndex cluster) const {
  auto it = counts_.find(cluster);
  if (it == counts_.end() || it->second.origin < 0) return std::nullopt;
  return it->second.origin;
}

std::vector<Assignment> Tally::Assignments() const {
  std::vector<Assignment> assignments = external_;
  for (const auto& [cluster, counts] : counts_) {
    for (size_t reason = 0; reason < counts.by_reason.size(); ++reason) {
      if (counts.by_reason[reason] == 0) continue;
      assignments.push_back({state_.model().cluster(cluster).name,
                             static_cast<int32_t>(counts.by_reason[reason]),
                             static_cast<AssignmentReason>(reason)});
    }
  }
  std::sort(assignments.begin(), assignments.end(), [](const Assignment& a, const Assignment& b) {
    return std::tie(a.cluster, a.reason) < std::tie(b.cluster, b.reason);
  });
  // Merge duplicates (an external entry named like another one).
  std::vector<Assignment> merged;
  for (Assignment& assignment : assignments) {
    if (!merged.empty() && merged.back().cluster == assignment.cluster &&
        merged.back().reason == assignment.reason) {
      merged.back().replicas += assignment.replicas;
    } else {
      merged.push_back(std::move(assignment));
    }
  }
  return merged;
}

std::vector<std::pair<ClusterIndex, int64_t>> Tally::NewReplicas() const {
  std::vector<std::pair<ClusterIndex, int64_t>> fresh;
  for (const auto& [cluster, counts] : counts_) {
    if (counts.fresh > 0) fresh.emplace_back(cluster, counts.fresh);
  }
  std::sort(fresh.begin(), fresh.end());
  return fresh;
}

int64_t Tally::ClustersUsed() const {
  int64_t used = 0;
  for (const auto& [cluster, counts] : counts_) used += (counts.kept + counts.fresh) > 0;
  std::vector<std::string_view> names;
  for (const Assignment& assignment : external_) names.push_back(assignment.cluster);
  std::sort(names.begin(), names.end());
  used += std::unique(names.begin(), names.end()) - names.begin();
  return used;
}

}  // namespace mck8s::placement
