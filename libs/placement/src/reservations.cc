#include "mck8s/placement/reservations.h"

#include <algorithm>

namespace mck8s::placement {

std::vector<ClusterIndex> Deductions::Clusters() const {
  std::vector<ClusterIndex> clusters;
  clusters.reserve(by_cluster_.size());
  for (const auto& [cluster, nodes] : by_cluster_) clusters.push_back(cluster);
  std::sort(clusters.begin(), clusters.end());
  return clusters;
}

std::span<const NodeDeduction> Deductions::For(ClusterIndex cluster) const {
  auto it = by_cluster_.find(cluster);
  if (it == by_cluster_.end()) return {};
  return it->second;
}

void Deductions::Add(ClusterIndex cluster, int32_t node, const Resources& amount) {
  std::vector<NodeDeduction>& nodes = by_cluster_[cluster];
  auto it = std::lower_bound(nodes.begin(), nodes.end(), node,
                             [](const NodeDeduction& d, int32_t n) { return d.node < n; });
  if (it != nodes.end() && it->node == node) {
    it->amount += amount;
  } else {
    nodes.insert(it, {node, amount});
  }
}

void Deductions::Subtract(ClusterIndex cluster, int32_t node, const Resources& amount) {
  auto found = by_cluster_.find(cluster);
  if (found == by_cluster_.end()) return;
  std::vector<NodeDeduction>& nodes = found->second;
  auto it = std::lower_bound(nodes.begin(), nodes.end(), node,
                             [](const NodeDeduction& d, int32_t n) { return d.node < n; });
  if (it == nodes.end() || it->node != node) return;
  it->amount -= amount;
  if (it->amount.IsZero()) nodes.erase(it);
  if (nodes.empty()) by_cluster_.erase(found);
}

int64_t Reservations::OutstandingOf(const ClusterModel& model, const WorkloadKey& workload,
                                    const Entry& entry) {
  int64_t claimed = 0;
  for (const auto& claim : entry.claims) claimed += claim.second;
  int64_t ready = 0;
  if (std::optional<ClusterIndex> cluster = model.Find(entry.cluster)) {
    if (const WorkloadStats* stats = model.FindWorkload(*cluster, workload)) {
      ready = stats->ready_replicas;
    }
  }
  return std::clamp<int64_t>(entry.target - ready, 0, claimed);
}

std::vector<Reservations::Applied> Reservations::Resolve(const ClusterModel& model,
                                                         const WorkloadKey& workload,
                                                         const Entry& entry) {
  std::vector<Applied> applied;
  std::optional<ClusterIndex> cluster = model.Find(entry.cluster);
  if (!cluster.has_value()) return applied;
  int64_t left = OutstandingOf(model, workload, entry);
  for (const auto& [node_name, replicas] : entry.claims) {
    if (left <= 0) break;
    const int64_t taken = std::min<int64_t>(replicas, left);
    left -= taken;
    // A node gone from the snapshot holds nothing any more.
    if (std::optional<int32_t> node = model.FindNode(*cluster, node_name)) {
      applied.push_back({*cluster, *node, entry.per_replica.Times(taken)});
    }
  }
  return applied;
}

void Reservations::Unapply(Entry& entry) {
  for (const Applied& applied : entry.applied) {
    deductions_.Subtract(applied.cluster, applied.node, applied.amount);
  }
  entry.applied.clear();
}

void Reservations::Apply(const WorkloadKey& workload, Entry& entry) {
  if (deductions_.model_ == nullptr) return;
  entry.applied = Resolve(*deductions_.model_, workload, entry);
  for (const Applied& applied : entry.applied) {
    deductions_.Add(applied.cluster, applied.node, applied.amount);
  }
}

void Reservations::Record(const Decision& decision, int64_t expires_at) {
  std::vector<Entry> previous;
  if (auto it = entries_.find(decision.workload); it != entries_.end()) {
    previous = std::move(it->second);
    entries_.erase(it);
  }
  for (Entry& old : previous) Unapply(old);
  std::vector<Entry> entries;
  for (const auto& [cluster, replicas] : decision.ByCluster()) {
    Entry entry;
    entry.cluster = cluster;
    entry.target = replicas;
    entry.per_replica = decision.per_replica;
    entry.expires_at = expires_at;
    for (Entry& old : previous) {
      if (old.cluster == cluster) entry.claims = std::move(old.claims);
    }
    for (const NodeClaim& claim : decision.claims) {
      if (claim.cluster == cluster) entry.claims.emplace_back(claim.node, claim.replicas);
    }
    if (entry.claims.empty()) continue;
    Apply(decision.workload, entry);
    entries.push_back(std::move(entry));
  }
  if (!entries.empty()) entries_.emplace(decision.workload, std::move(entries));
}

void Reservations::Forget(const WorkloadKey& workload) {
  auto it = entries_.find(workload);
  if (it == entries_.end()) return;
  for (Entry& entry : it->second) Unapply(entry);
  entries_.erase(it);
}

void Reservations::Reconcile(std::shared_ptr<const ClusterModel> model, int64_t now) {
  model_ = std::move(model);
  deductions_ = Deductions();
  deductions_.model_ = model_.get();
  for (auto it = entries_.begin(); it != entries_.end();) {
    std::vector<Entry>& entries = it->second;
    std::erase_if(entries, [&](const Entry& entry) {
      return entry.expires_at <= now ||
             (model_ != nullptr && OutstandingOf(*model_, it->first, entry) == 0);
    });
    for (Entry& entry : entries) {
      entry.applied.clear();
      Apply(it->first, entry);
    }
    if (entries.empty()) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

Deductions Reservations::DeductionsFor(const ClusterModel& model) const {
  Deductions deductions;
  deductions.model_ = &model;
  for (const auto& [workload, entries] : entries_) {
    for (const Entry& entry : entries) {
      for (const Applied& applied : Resolve(model, workload, entry)) {
        deductions.Add(applied.cluster, applied.node, applied.amount);
      }
    }
  }
  return deductions;
}

int64_t Reservations::Outstanding(const ClusterModel& model, const WorkloadKey& workload,
                                  std::string_view cluster) const {
  auto it = entries_.find(workload);
  if (it == entries_.end()) return 0;
  for (const Entry& entry : it->second) {
    if (entry.cluster == cluster) return OutstandingOf(model, workload, entry);
  }
  return 0;
}

size_t Reservations::size() const {
  size_t total = 0;
  for (const auto& [workload, entries] : entries_) total += entries.size();
  return total;
}

}  // namespace mck8s::placement
