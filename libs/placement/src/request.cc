#include "mck8s/placement/request.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/base/strings.h"
#include "mck8s/k8stypes/validation.h"

namespace mck8s::placement {
namespace {

absl::Status Invalid(std::string_view field, std::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(ToAbsl(field), ": ", ToAbsl(problem)));
}

absl::Status Prefixed(std::string_view field, const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat(ToAbsl(field), ": ", status.message()));
}

absl::Status ValidateWorkload(const WorkloadKey& workload) {
  if (workload.ns.empty()) return Invalid("workload.namespace", "must not be empty");
  if (absl::Status status = k8stypes::ValidateDns1123Label(workload.ns); !status.ok()) {
    return Prefixed("workload.namespace", status);
  }
  if (workload.name.empty()) return Invalid("workload.name", "must not be empty");
  if (absl::Status status = k8stypes::ValidateDns1123Subdomain(workload.name); !status.ok()) {
    return Prefixed("workload.name", status);
  }
  return absl::OkStatus();
}

absl::Status ValidateRequirements(const ReplicaRequirements& replica) {
  const Resources& requests = replica.requests;
  const auto negative = [](std::string_view field, int64_t amount) {
    return Invalid(field, absl::StrCat("must not be negative, got ", amount));
  };
  if (requests.cpu_millis < 0) return negative("replica.requests.cpu_millis", requests.cpu_millis);
  if (requests.memory_bytes < 0) {
    return negative("replica.requests.memory_bytes", requests.memory_bytes);
  }
  if (requests.pods < 0) return negative("replica.requests.pods", requests.pods);
  for (const auto& [name, amount] : requests.extended) {
    if (amount < 0) return negative(absl::StrCat("replica.requests[", name, "]"), amount);
  }
  for (const auto& [key, value] : replica.node_selector) {
    if (absl::Status status = k8stypes::ValidateLabelKey(key); !status.ok()) {
      return Prefixed(absl::StrCat("replica.node_selector[", key, "]"), status);
    }
    if (absl::Status status = k8stypes::ValidateLabelValue(value); !status.ok()) {
      return Prefixed(absl::StrCat("replica.node_selector[", key, "]"), status);
    }
  }
  for (size_t i = 0; i < replica.node_tolerations.size(); ++i) {
    MCK8S_RETURN_IF_ERROR(ValidateToleration(replica.node_tolerations[i],
                                             absl::StrCat("replica.node_tolerations[", i, "]")));
  }
  return absl::OkStatus();
}

absl::Status ValidateNames(const std::vector<std::string>& names, std::string_view field) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      return Invalid(absl::StrCat(ToAbsl(field), "[", i, "]"), "must not be empty");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateConstraints(const ClusterConstraints& constraints) {
  if (constraints.allowed.has_value()) {
    MCK8S_RETURN_IF_ERROR(ValidateNames(constraints.allowed->names, "constraints.allowed.names"));
    MCK8S_RETURN_IF_ERROR(
        ValidateNames(constraints.allowed->regions, "constraints.allowed.regions"));
  }
  MCK8S_RETURN_IF_ERROR(ValidateNames(constraints.excluded, "constraints.excluded"));
  for (size_t i = 0; i < constraints.tolerations.size(); ++i) {
    MCK8S_RETURN_IF_ERROR(ValidateToleration(constraints.tolerations[i],
                                             absl::StrCat("constraints.tolerations[", i, "]")));
  }
  return absl::OkStatus();
}

absl::Status ValidateCurrent(const CurrentPlacement& current) {
  for (const auto& [cluster, replicas] : current) {
    if (cluster.empty()) return Invalid("current_placement", "a cluster name is empty");
    if (replicas < 0) {
      return Invalid(absl::StrCat("current_placement[", cluster, "]"),
                     absl::StrCat("must not be negative, got ", replicas));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Policy> ParsePolicy(std::string_view name) {
  std::string normalized = absl::AsciiStrToLower(ToAbsl(name));
  for (char& c : normalized) {
    if (c == '_') c = '-';
  }
  if (normalized == "cluster-affinity") return Policy::kClusterAffinity;
  if (normalized == "worst-fit") return Policy::kWorstFit;
  if (normalized == "best-fit") return Policy::kBestFit;
  if (normalized == "traffic-aware" || normalized == "most-traffic") {
    return Policy::kTrafficAware;
  }
  if (normalized == "spread") return Policy::kSpread;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown placement policy \"", ToAbsl(name),
                   "\"; accepted: cluster-affinity, worst-fit (worst_fit), best-fit (best_fit), "
                   "traffic-aware (most-traffic, most_traffic), spread"));
}

std::string_view PolicyName(Policy policy) {
  switch (policy) {
    case Policy::kClusterAffinity:
      return "cluster-affinity";
    case Policy::kWorstFit:
      return "worst-fit";
    case Policy::kBestFit:
      return "best-fit";
    case Policy::kTrafficAware:
      return "traffic-aware";
    case Policy::kSpread:
      return "spread";
  }
  return "unknown";
}

std::string_view PolicyLabel(Policy policy) {
  switch (policy) {
    case Policy::kClusterAffinity:
      return "CLUSTER_AFFINITY";
    case Policy::kWorstFit:
      return "WORST_FIT";
    case Policy::kBestFit:
      return "BEST_FIT";
    case Policy::kTrafficAware:
      return "TRAFFIC_AWARE";
    case Policy::kSpread:
      return "SPREAD";
  }
  return "UNKNOWN";
}

absl::Status ValidatePlaceRequest(const PlaceRequest& request) {
  MCK8S_RETURN_IF_ERROR(ValidateWorkload(request.workload));
  MCK8S_RETURN_IF_ERROR(ValidateRequirements(request.replica));
  if (std::holds_alternative<std::monostate>(request.replica_count)) {
    return Invalid("replica_count", "must be set (replicas_per_location or locations)");
  }
  if (request.number_of_locations < 0) {
    return Invalid("number_of_locations",
                   absl::StrCat("must not be negative, got ", request.number_of_locations));
  }
  if (const auto* per_location = std::get_if<ReplicasPerLocation>(&request.replica_count)) {
    if (per_location->replicas < 0) {
      return Invalid("replicas_per_location",
                     absl::StrCat("must not be negative, got ", per_location->replicas));
    }
    if (request.policy == Policy::kClusterAffinity) {
      return Invalid("policy", "PLACEMENT_POLICY_CLUSTER_AFFINITY needs locations");
    }
    const int64_t total =
        int64_t{per_location->replicas} * std::max<int64_t>(request.number_of_locations, 1);
    if (total > kMaxReplicas) {
      return Invalid("replicas_per_location",
                     absl::StrCat("a total of ", total,
                                  " replicas (number_of_locations x replicas_per_location) "
                                  "exceeds the limit of ",
                                  kMaxReplicas));
    }
  } else {
    const Locations& locations = std::get<Locations>(request.replica_count);
    if (request.policy.has_value() && *request.policy != Policy::kClusterAffinity) {
      return Invalid("locations", absl::StrCat("only valid with the cluster-affinity policy, got ",
                                               ToAbsl(PolicyName(*request.policy))));
    }
    if (locations.clusters.empty()) return Invalid("locations.clusters", "must not be empty");
    absl::flat_hash_set<std::string_view> seen;
    int64_t total = 0;
    for (size_t i = 0; i < locations.clusters.size(); ++i) {
      const ClusterReplicas& entry = locations.clusters[i];
      if (entry.cluster.empty()) {
        return Invalid(absl::StrCat("locations.clusters[", i, "].cluster"), "must not be empty");
      }
      if (!seen.insert(entry.cluster).second) {
        return Invalid(absl::StrCat("locations.clusters[", i, "].cluster"),
                       absl::StrCat("repeated cluster \"", entry.cluster, "\""));
      }
      if (entry.replicas < 0) {
        return Invalid(absl::StrCat("locations.clusters[", i, "].replicas"),
                       absl::StrCat("must not be negative, got ", entry.replicas));
      }
      total += entry.replicas;
    }
    if (total > kMaxReplicas) {
      return Invalid("locations", absl::StrCat("a total of ", total,
                                               " replicas exceeds the limit of ", kMaxReplicas));
    }
  }
  MCK8S_RETURN_IF_ERROR(ValidateConstraints(request.constraints));
  absl::flat_hash_set<std::string_view> preferred;
  for (size_t i = 0; i < request.preferred_clusters.size(); ++i) {
    const std::string& name = request.preferred_clusters[i];
    if (name.empty()) {
      return Invalid(absl::StrCat("preferred_clusters[", i, "]"), "must not be empty");
    }
    if (!preferred.insert(name).second) {
      return Invalid(absl::StrCat("preferred_clusters[", i, "]"),
                     absl::StrCat("repeated cluster \"", name, "\""));
    }
  }
  return ValidateCurrent(request.current_placement);
}

absl::Status ValidateOffloadRequest(const OffloadRequest& request) {
  MCK8S_RETURN_IF_ERROR(ValidateWorkload(request.workload));
  if (request.from_cluster.empty()) return Invalid("from_cluster", "must not be empty");
  MCK8S_RETURN_IF_ERROR(ValidateRequirements(request.replica));
  MCK8S_RETURN_IF_ERROR(ValidateCurrent(request.current_placement));
  if (request.replicas < 1) {
    return Invalid("replicas", absl::StrCat("must be at least 1, got ", request.replicas));
  }
  auto it = request.current_placement.find(request.from_cluster);
  const int32_t held = it == request.current_placement.end() ? 0 : it->second;
  if (request.replicas > held) {
    return Invalid("replicas", absl::StrCat(request.replicas, " exceeds the ", held,
                                            " replicas current_placement holds on \"",
                                            request.from_cluster, "\""));
  }
  return ValidateConstraints(request.constraints);
}

absl::Status ValidateBurstRequest(const BurstRequest& request) {
  MCK8S_RETURN_IF_ERROR(ValidateWorkload(request.workload));
  if (request.near_cluster.empty()) return Invalid("near_cluster", "must not be empty");
  MCK8S_RETURN_IF_ERROR(ValidateRequirements(request.replica));
  MCK8S_RETURN_IF_ERROR(ValidateCurrent(request.current_placement));
  if (request.replicas < 1) {
    return Invalid("replicas", absl::StrCat("must be at least 1, got ", request.replicas));
  }
  if (request.replicas > kMaxReplicas) {
    return Invalid("replicas",
                   absl::StrCat(request.replicas, " exceeds the limit of ", kMaxReplicas));
  }
  return ValidateConstraints(request.constraints);
}

Policy EffectivePolicy(const PlaceRequest& request) {
  if (request.policy.has_value()) return *request.policy;
  return std::holds_alternative<Locations>(request.replica_count) ? Policy::kClusterAffinity
                                                                  : Policy::kWorstFit;
}

int64_t TotalReplicas(const PlaceRequest& request) {
  if (const auto* per_location = std::get_if<ReplicasPerLocation>(&request.replica_count)) {
    return int64_t{per_location->replicas} * std::max<int64_t>(request.number_of_locations, 1);
  }
  int64_t total = 0;
  if (const auto* locations = std::get_if<Locations>(&request.replica_count)) {
    for (const ClusterReplicas& entry : locations->clusters) total += entry.replicas;
  }
  return total;
}

}  // namespace mck8s::placement
