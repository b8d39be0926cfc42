#include "mck8s/placement/cluster_model.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/base/strings.h"
#include "mck8s/placement/fit.h"

namespace mck8s::placement {
namespace {

absl::Status CheckResources(const Resources& resources, const std::string& field) {
  const auto check = [&](std::string_view name, int64_t amount) -> absl::Status {
    if (amount < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".", ToAbsl(name), ": must not be negative, got ", amount));
    }
    return absl::OkStatus();
  };
  MCK8S_RETURN_IF_ERROR(check("cpu_millis", resources.cpu_millis));
  MCK8S_RETURN_IF_ERROR(check("memory_bytes", resources.memory_bytes));
  MCK8S_RETURN_IF_ERROR(check("pods", resources.pods));
  for (const auto& [name, amount] : resources.extended) {
    MCK8S_RETURN_IF_ERROR(check(name, amount));
  }
  return absl::OkStatus();
}

absl::Status CheckRate(const std::optional<double>& rate, const std::string& field) {
  if (rate.has_value() && !(std::isfinite(*rate) && *rate >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be a finite, non-negative number, got ", *rate));
  }
  return absl::OkStatus();
}

bool HardTainted(const Node& node) {
  return std::any_of(node.taints.begin(), node.taints.end(), [](const Taint& taint) {
    return taint.effect != TaintEffect::kPreferNoSchedule;
  });
}

double Clamped(int64_t amount) {
  return static_cast<double>(std::clamp<int64_t>(amount, 0, kMaxNodeAmount));
}

absl::Status ValidateCluster(const Cluster& cluster, size_t position) {
  const std::string field = absl::StrCat("clusters[", position, "]");
  if (cluster.name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".name: must not be empty"));
  }
  for (size_t t = 0; t < cluster.taints.size(); ++t) {
    MCK8S_RETURN_IF_ERROR(
        ValidateTaint(cluster.taints[t], absl::StrCat(field, ".taints[", t, "]")));
  }
  MCK8S_RETURN_IF_ERROR(
      CheckRate(cluster.receive_bytes_per_second, field + ".receive_bytes_per_second"));
  for (size_t n = 0; n < cluster.nodes.size(); ++n) {
    const Node& node = cluster.nodes[n];
    const std::string node_field = absl::StrCat(field, ".nodes[", n, "]");
    if (node.name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(node_field, ".name: must not be empty"));
    }
    MCK8S_RETURN_IF_ERROR(CheckResources(node.allocatable, node_field + ".allocatable"));
    MCK8S_RETURN_IF_ERROR(CheckResources(node.free, node_field + ".free"));
    for (size_t t = 0; t < node.taints.size(); ++t) {
      MCK8S_RETURN_IF_ERROR(
          ValidateTaint(node.taints[t], absl::StrCat(node_field, ".taints[", t, "]")));
    }
  }
  for (size_t w = 0; w < cluster.workloads.size(); ++w) {
    const WorkloadStats& stats = cluster.workloads[w];
    const std::string workload_field = absl::StrCat(field, ".workloads[", w, "]");
    if (stats.workload.name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(workload_field, ".name: must not be empty"));
    }
    if (stats.desired_replicas < 0 || stats.ready_replicas < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(workload_field, ": replica counts must not be negative"));
    }
    MCK8S_RETURN_IF_ERROR(
        CheckRate(stats.receive_bytes_per_second, workload_field + ".receive_bytes_per_second"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string WorkloadKey::String() const {
  return absl::StrCat(kind == WorkloadKind::kMultiClusterJob ? "mcj " : "mcd ", ns, "/", name);
}

std::string_view HealthName(Health health) {
  switch (health) {
    case Health::kReady:
      return "Ready";
    case Health::kDegraded:
      return "Degraded";
    case Health::kUnreachable:
      return "Unreachable";
    case Health::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

namespace {

// Sorts a validated cluster's nodes and workloads; InvalidArgument for a
// repeated name.
absl::StatusOr<std::shared_ptr<const Cluster>> SortCluster(Cluster cluster, size_t position) {
  std::stable_sort(cluster.nodes.begin(), cluster.nodes.end(),
                   [](const Node& a, const Node& b) { return a.name < b.name; });
  for (size_t n = 1; n < cluster.nodes.size(); ++n) {
    if (cluster.nodes[n].name == cluster.nodes[n - 1].name) {
      return absl::InvalidArgumentError(absl::StrCat(
          "clusters[", position, "].nodes: repeated node \"", cluster.nodes[n].name, "\""));
    }
  }
  std::stable_sort(
      cluster.workloads.begin(), cluster.workloads.end(),
      [](const WorkloadStats& a, const WorkloadStats& b) { return a.workload < b.workload; });
  for (size_t w = 1; w < cluster.workloads.size(); ++w) {
    if (cluster.workloads[w].workload == cluster.workloads[w - 1].workload) {
      return absl::InvalidArgumentError(absl::StrCat("clusters[", position,
                                                     "].workloads: repeated workload \"",
                                                     cluster.workloads[w].workload.String(), "\""));
    }
  }
  return std::make_shared<const Cluster>(std::move(cluster));
}

// Positions of `names` sorted by name; InvalidArgument for a repeated one.
template <typename NameOf>
absl::StatusOr<std::vector<size_t>> OrderByName(size_t count, NameOf name_of) {
  std::vector<size_t> order(count);
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return name_of(a) < name_of(b); });
  for (size_t k = 1; k < order.size(); ++k) {
    if (name_of(order[k]) == name_of(order[k - 1])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "clusters[", order[k], "].name: repeated cluster \"", name_of(order[k]), "\""));
    }
  }
  return order;
}

}  // namespace

absl::StatusOr<PreparedCluster> PreparedCluster::Prepare(Cluster cluster, size_t position) {
  MCK8S_RETURN_IF_ERROR(ValidateCluster(cluster, position));
  MCK8S_ASSIGN_OR_RETURN(std::shared_ptr<const Cluster> sorted,
                         SortCluster(std::move(cluster), position));
  return PreparedCluster(std::move(sorted));
}

absl::StatusOr<std::shared_ptr<const ClusterModel>> ClusterModel::Create(
    uint64_t revision, std::vector<Cluster> clusters, std::span<const RttEntry> rtt) {
  // Validate in the caller's order so that messages point at its positions.
  for (size_t i = 0; i < clusters.size(); ++i) {
    MCK8S_RETURN_IF_ERROR(ValidateCluster(clusters[i], i));
  }
  MCK8S_ASSIGN_OR_RETURN(std::vector<size_t> order,
                         OrderByName(clusters.size(), [&](size_t i) -> const std::string& {
                           return clusters[i].name;
                         }));
  std::vector<PreparedCluster> prepared;
  prepared.reserve(clusters.size());
  for (size_t position : order) {
    MCK8S_ASSIGN_OR_RETURN(std::shared_ptr<const Cluster> sorted,
                           SortCluster(std::move(clusters[position]), position));
    prepared.push_back(PreparedCluster(std::move(sorted)));
  }
  return CreateFromPrepared(revision, std::move(prepared), rtt);
}

absl::StatusOr<std::shared_ptr<const ClusterModel>> ClusterModel::CreateFromPrepared(
    uint64_t revision, std::vector<PreparedCluster> clusters, std::span<const RttEntry> rtt) {
  MCK8S_ASSIGN_OR_RETURN(std::vector<size_t> order,
                         OrderByName(clusters.size(), [&](size_t i) -> const std::string& {
                           return clusters[i].name();
                         }));
  std::shared_ptr<ClusterModel> model(new ClusterModel());
  model->revision_ = revision;
  model->clusters_.reserve(clusters.size());
  for (size_t position : order) model->clusters_.push_back(std::move(clusters[position]));

  const ClusterIndex count = model->size();
  model->index_by_name_.reserve(count);
  model->kinds_.reserve(count);
  model->healths_.reserve(count);
  for (ClusterIndex i = 0; i < count; ++i) {
    const Cluster& cluster = model->clusters_[i].get();
    model->index_by_name_.emplace(cluster.name, i);
    model->kinds_.push_back(cluster.kind);
    model->healths_.push_back(cluster.health);
    model->receive_rates_.push_back(cluster.receive_bytes_per_second.value_or(-1.0));
    model->any_cluster_taints_ |= !cluster.taints.empty();
    model->any_cloud_ |= cluster.kind == ClusterKind::kCloud;
    model->any_unhealthy_ |=
        cluster.health == Health::kUnreachable || cluster.health == Health::kUnknown;
  }

  // RTT: validate, resolve, then bucket per origin.
  struct Resolved {
    ClusterIndex from;
    ClusterIndex to;
    double rtt_ms;
    size_t position;
  };
  std::vector<Resolved> resolved;
  resolved.reserve(rtt.size());
  for (size_t k = 0; k < rtt.size(); ++k) {
    const RttEntry& entry = rtt[k];
    if (!(std::isfinite(entry.rtt_ms) && entry.rtt_ms >= 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rtt[", k, "].rtt_ms: must be a finite, non-negative number, got ", entry.rtt_ms));
    }
    if (entry.from_cluster == entry.to_cluster) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rtt[", k, "]: from_cluster and to_cluster are both \"", entry.from_cluster, "\""));
    }
    std::optional<ClusterIndex> from = model->Find(entry.from_cluster);
    std::optional<ClusterIndex> to = model->Find(entry.to_cluster);
    if (!from.has_value() || !to.has_value()) continue;
    resolved.push_back({*from, *to, entry.rtt_ms, k});
  }
  std::sort(resolved.begin(), resolved.end(), [](const Resolved& a, const Resolved& b) {
    if (a.from != b.from) return a.from < b.from;
    if (a.to != b.to) return a.to < b.to;
    return a.position < b.position;
  });
  for (size_t k = 1; k < resolved.size(); ++k) {
    if (resolved[k].from == resolved[k - 1].from && resolved[k].to == resolved[k - 1].to) {
      return absl::InvalidArgumentError(
          absl::StrCat("rtt[", resolved[k].position, "]: repeated pair \"",
                       model->clusters_[resolved[k].from].name(), "\" -> \"",
                       model->clusters_[resolved[k].to].name(), "\""));
    }
  }
  model->rtt_offsets_.assign(count + 1, 0);
  for (const Resolved& entry : resolved) ++model->rtt_offsets_[entry.from + 1];
  for (ClusterIndex i = 0; i < count; ++i) {
    model->rtt_offsets_[i + 1] += model->rtt_offsets_[i];
  }
  model->rtt_by_index_.reserve(resolved.size());
  for (const Resolved& entry : resolved) {
    model->rtt_by_index_.push_back({entry.to, entry.rtt_ms});
  }
  model->rtt_by_distance_ = model->rtt_by_index_;
  for (ClusterIndex i = 0; i < count; ++i) {
    std::sort(model->rtt_by_distance_.begin() + model->rtt_offsets_[i],
              model->rtt_by_distance_.begin() + model->rtt_offsets_[i + 1],
              [](const Neighbour& a, const Neighbour& b) {
                if (a.rtt_ms != b.rtt_ms) return a.rtt_ms < b.rtt_ms;
                return a.cluster < b.cluster;
              });
  }

  // Fit index: plain nodes in flat columns, totals, extremes, ratio-bucket
  // prefix sums, Pareto fronts.
  model->fit_.resize(count);
  model->ranges_.resize(count);
  model->bucket_sums_.resize(static_cast<size_t>(count) * (kRatioBuckets + 1));
  std::vector<FrontPoint> points;
  std::vector<BucketSum> per_bucket(kRatioBuckets);
  for (ClusterIndex i = 0; i < count; ++i) {
    ClusterFitIndex& fit = model->fit_[i];
    ClusterNodeRanges& ranges = model->ranges_[i];
    ranges.plain_begin = static_cast<uint32_t>(model->plain_.cpu_millis.size());
    points.clear();
    std::fill(per_bucket.begin(), per_bucket.end(), BucketSum{});
    bool first_plain = true;
    const std::vector<Node>& nodes = model->clusters_[i].get().nodes;
    for (size_t n = 0; n < nodes.size(); ++n) {
      const Node& node = nodes[n];
      if (!node.schedulable) continue;
      const double cpu = Clamped(node.free.cpu_millis);
      const double memory = Clamped(node.free.memory_bytes);
      const double pods = static_cast<double>(std::clamp<int64_t>(node.free.pods, 0, kMaxNodePods));
      ranges.schedulable_cpu_millis += cpu;
      ranges.schedulable_memory_bytes += memory;
      ranges.schedulable_pods += pods;
      if (HardTainted(node)) {
        fit.has_tainted_nodes = true;
        continue;
      }
      model->plain_.cpu_millis.push_back(cpu);
      model->plain_.memory_bytes.push_back(memory);
      model->plain_.pods.push_back(pods);
      model->plain_.node.push_back(static_cast<int32_t>(n));
      fit.plain_cpu_millis += cpu;
      fit.plain_memory_bytes += memory;
      fit.plain_pods += pods;
      fit.max_cpu_millis = std::max(fit.max_cpu_millis, cpu);
      fit.max_memory_bytes = std::max(fit.max_memory_bytes, memory);
      fit.min_pods = first_plain ? pods : std::min(fit.min_pods, pods);
      first_plain = false;
      ++fit.plain_nodes;
      BucketSum& bucket = per_bucket[RatioBucket(cpu, memory)];
      bucket.cpu_millis += cpu;
      bucket.memory_bytes += memory;
      if (pods >= 1) points.push_back({cpu, memory});
    }
    ranges.plain_end = static_cast<uint32_t>(model->plain_.cpu_millis.size());
    BucketSum running;
    for (int b = 0; b < kRatioBuckets; ++b) {
      running.cpu_millis += per_bucket[b].cpu_millis;
      running.memory_bytes += per_bucket[b].memory_bytes;
      model->bucket_sums_[static_cast<size_t>(b + 1) * count + i] = running;
    }
    std::sort(points.begin(), points.end(), [](const FrontPoint& a, const FrontPoint& b) {
      if (a.cpu_millis != b.cpu_millis) return a.cpu_millis > b.cpu_millis;
      return a.memory_bytes > b.memory_bytes;
    });
    ranges.front_begin = static_cast<uint32_t>(model->fronts_.size());
    double best_memory = -1;
    for (const FrontPoint& point : points) {
      if (point.memory_bytes > best_memory) {
        model->fronts_.push_back(point);
        best_memory = point.memory_bytes;
      }
    }
    ranges.front_end = static_cast<uint32_t>(model->fronts_.size());
  }
  return std::shared_ptr<const ClusterModel>(std::move(model));
}

std::optional<ClusterIndex> ClusterModel::Find(std::string_view name) const {
  auto it = index_by_name_.find(ToAbsl(name));
  if (it == index_by_name_.end()) return std::nullopt;
  return it->second;
}

std::optional<double> ClusterModel::Rtt(ClusterIndex from, ClusterIndex to) const {
  if (from < 0 || from >= size()) return std::nullopt;
  auto begin = rtt_by_index_.begin() + rtt_offsets_[from];
  auto end = rtt_by_index_.begin() + rtt_offsets_[from + 1];
  auto it = std::lower_bound(
      begin, end, to, [](const Neighbour& n, ClusterIndex target) { return n.cluster < target; });
  if (it == end || it->cluster != to) return std::nullopt;
  return it->rtt_ms;
}

std::span<const Neighbour> ClusterModel::NeighboursByRtt(ClusterIndex from) const {
  if (from < 0 || from >= size()) return {};
  return std::span<const Neighbour>(rtt_by_distance_)
      .subspan(rtt_offsets_[from], rtt_offsets_[from + 1] - rtt_offsets_[from]);
}

const WorkloadStats* ClusterModel::FindWorkload(ClusterIndex index,
                                                const WorkloadKey& workload) const {
  const std::vector<WorkloadStats>& workloads = clusters_[index].get().workloads;
  auto it = std::lower_bound(
      workloads.begin(), workloads.end(), workload,
      [](const WorkloadStats& stats, const WorkloadKey& key) { return stats.workload < key; });
  if (it == workloads.end() || it->workload != workload) return nullptr;
  return &*it;
}

std::optional<int32_t> ClusterModel::FindNode(ClusterIndex index, std::string_view name) const {
  const std::vector<Node>& nodes = clusters_[index].get().nodes;
  auto it = std::lower_bound(nodes.begin(), nodes.end(), name,
                             [](const Node& node, std::string_view n) { return node.name < n; });
  if (it == nodes.end() || it->name != name) return std::nullopt;
  return static_cast<int32_t>(it - nodes.begin());
}

}  // namespace mck8s::placement
