#include "mck8s/placement/decision.h"

namespace mck8s::placement {

std::string_view AssignmentReasonName(AssignmentReason reason) {
  switch (reason) {
    case AssignmentReason::kPreferred:
      return "Preferred";
    case AssignmentReason::kOffloaded:
      return "Offloaded";
    case AssignmentReason::kBurst:
      return "Burst";
    case AssignmentReason::kCloud:
      return "Cloud";
  }
  return "Unknown";
}

int64_t Decision::ReplicasOn(std::string_view cluster) const {
  int64_t total = 0;
  for (const Assignment& assignment : assignments) {
    if (assignment.cluster == cluster) total += assignment.replicas;
  }
  return total;
}

int64_t Decision::PlacedReplicas() const {
  int64_t total = 0;
  for (const Assignment& assignment : assignments) total += assignment.replicas;
  return total;
}

CurrentPlacement Decision::ByCluster() const {
  CurrentPlacement placement;
  for (const Assignment& assignment : assignments) {
    placement[assignment.cluster] += assignment.replicas;
  }
  return placement;
}

}  // namespace mck8s::placement
