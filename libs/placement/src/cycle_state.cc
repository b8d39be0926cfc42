#include <algorithm>

#include "fit_bounds.h"
#include "mck8s/placement/framework.h"
#include "mck8s/placement/reservations.h"

namespace mck8s::placement {
namespace {

// A lower bound of PlainFit from the Pareto front alone: front points are
// distinct plain nodes, each holding at least what its free CPU and memory
// allow within the fewest free pod slots of any plain node (a front node has
// at least one). The totals' lower bound loses up to a replica per node to
// floors, which leaves it at 0 for most clusters when replicas are large;
// best-fit, which ranks on lower bounds, would then compute the exact fit of
// nearly every cluster. Floors here are those of the fit kernel (exact, see
// fit.h).
int64_t FrontLowerBound(const ClusterModel& model, ClusterIndex cluster, const FitQuery& query) {
  if (query.impossible) return 0;
  const ClusterNodeRanges& ranges = model.node_ranges(cluster);
  const std::span<const FrontPoint> fronts = model.fronts();
  const double slots = std::max(model.fit_index(cluster).min_pods, 1.0) * query.inverse_pods;
  const bool use_cpu = query.cpu_millis > 0;
  const bool use_memory = query.memory_bytes > 0;
  int64_t total = 0;
  for (uint32_t i = ranges.front_begin; i < ranges.front_end; ++i) {
    double replicas = slots;
    if (use_cpu) replicas = std::min(replicas, fronts[i].cpu_millis * query.inverse_cpu);
    if (use_memory) replicas = std::min(replicas, fronts[i].memory_bytes * query.inverse_memory);
    total += static_cast<int64_t>(replicas);
  }
  return total;
}

}  // namespace

void ScorePlugin::ScoreBoundAll(const CycleState& state, std::span<const ClusterIndex> clusters,
                                std::span<double> out) const {
  for (size_t i = 0; i < clusters.size(); ++i) out[i] = ScoreBound(state, clusters[i]);
}

void FilterPlugin::FilterAll(const CycleState& state, std::span<FilterOutcome> outcomes) const {
  for (size_t cluster = 0; cluster < outcomes.size(); ++cluster) {
    outcomes[cluster] = Filter(state, static_cast<ClusterIndex>(cluster));
  }
}

CycleState::CycleState(const ClusterModel& model, const CycleInput& input,
                       std::span<const FilterPlugin* const> filters, const Deductions* deductions)
    : model_(model),
      input_(input),
      query_(FitQuery::Prepare(*input.replica)),
      deductions_(deductions != nullptr && !deductions->empty() ? deductions : nullptr) {
  if (input_.current != nullptr) {
    for (const auto& [name, replicas] : *input_.current) {
      if (replicas <= 0) continue;
      if (std::optional<ClusterIndex> index = model.Find(name)) {
        current_[*index] = replicas;
        current_clusters_.push_back(*index);
      }
    }
    std::sort(current_clusters_.begin(), current_clusters_.end());
  }
  // Positions among the preferred clusters the snapshot has: only their
  // order matters.
  for (const std::string& name : input_.preferred) {
    if (std::optional<ClusterIndex> index = model.Find(name)) {
      preferred_.emplace(*index, static_cast<int32_t>(preferred_.size()));
    }
  }
  const ClusterConstraints& constraints = *input_.constraints;
  if (constraints.allowed.has_value() && !constraints.allowed->names.empty()) {
    allowed_names_.emplace();
    for (const std::string& name : constraints.allowed->names) {
      if (std::optional<ClusterIndex> index = model.Find(name)) allowed_names_->insert(*index);
    }
  }
  for (const std::string& name : constraints.excluded) {
    if (std::optional<ClusterIndex> index = model.Find(name)) excluded_.insert(*index);
  }

  for (const FilterPlugin* filter : filters) {
    if (!filter->AppliesTo(*this)) continue;
    (filter->NeedsFit() ? fit_filters_ : cheap_filters_).push_back(filter);
  }

  const size_t count = static_cast<size_t>(model.size());
  fit_.assign(count, -1);
  // Without cheap filters every cluster passes them: no need to ask.
  cheap_.assign(count,
                cheap_filters_.empty() ? static_cast<uint8_t>(FilterOutcome::kPass) : kUnknown);
  full_.assign(count, kUnknown);
  rejected_by_.assign(count, kUnknown);
  if (deductions_ != nullptr) {
    reserved_.assign(count, 0);
    deductions_->ForEachCluster([&](ClusterIndex cluster) { reserved_[cluster] = 1; });
  }
}

int32_t CycleState::Current(ClusterIndex cluster) const {
  if (current_.empty()) return 0;
  auto it = current_.find(cluster);
  return it == current_.end() ? 0 : it->second;
}

int32_t CycleState::PreferredPosition(ClusterIndex cluster) const {
  if (preferred_.empty()) return -1;
  auto it = preferred_.find(cluster);
  return it == preferred_.end() ? -1 : it->second;
}

bool CycleState::AllowedByName(ClusterIndex cluster) const {
  return !allowed_names_.has_value() || allowed_names_->contains(cluster);
}

std::span<const NodeDeduction> CycleState::DeductionsOn(ClusterIndex cluster) const {
  if (reserved_.empty() || reserved_[cluster] == 0) return {};
  return deductions_->For(cluster);
}

int64_t CycleState::NewFit(ClusterIndex cluster) const {
  if (fit_[cluster] >= 0) return fit_[cluster];
  const bool reserved = !reserved_.empty() && reserved_[cluster] != 0;
  int64_t fit;
  if (!query_.CanUsePlainPath(model_.fit_index(cluster))) {
    fit = NodePathFit(model_, cluster, *input_.replica, DeductionsOn(cluster));
  } else if (reserved) {
    fit = PlainFitWithDeductions(model_, cluster, query_, DeductionsOn(cluster));
  } else {
    fit = PlainFit(model_, cluster, query_);
  }
  fit_[cluster] = fit;
  return fit;
}

int64_t CycleState::NewFitUpTo(ClusterIndex cluster, int64_t limit, bool* exact) const {
  *exact = true;
  if (fit_[cluster] >= 0) return fit_[cluster];
  const bool reserved = !reserved_.empty() && reserved_[cluster] != 0;
  if (reserved || !query_.CanUsePlainPath(model_.fit_index(cluster))) return NewFit(cluster);
  const int64_t fit = PlainFit(model_, cluster, query_, std::max<int64_t>(limit, 0));
  if (fit > limit) {
    *exact = false;
    return fit;
  }
  fit_[cluster] = fit;
  return fit;
}

int64_t CycleState::NewFitUpperBound(ClusterIndex cluster) const {
  if (fit_[cluster] >= 0) return fit_[cluster];
  const ClusterFitIndex& index = model_.fit_index(cluster);
  // Reservations only take room away, so bounds without them stay upper
  // bounds.
  if (query_.CanUsePlainPath(index)) {
    const FitBounds bounds = PlainFitBounds(model_, cluster, query_, /*want_lower=*/false);
    if (bounds.upper == 0) fit_[cluster] = 0;
    return bounds.upper;
  }
  return FitUpperBound(model_, cluster, query_, /*plain_nodes_only=*/false);
}

void CycleState::NewFitUpperBounds(std::span<const ClusterIndex> clusters,
                                   std::span<double> out) const {
  for (size_t i = 0; i < clusters.size(); ++i) {
    const ClusterIndex cluster = clusters[i];
    int64_t bound = fit_[cluster];
    if (bound < 0) {
      if (query_.CanUsePlainPath(model_.fit_index(cluster))) {
        bound = PlainFitUpperBound(model_, cluster, query_);
        if (bound == 0) fit_[cluster] = 0;
      } else {
        bound = FitUpperBound(model_, cluster, query_, /*plain_nodes_only=*/false);
      }
    }
    out[i] = static_cast<double>(bound);
  }
}

int64_t CycleState::NewFitLowerBound(ClusterIndex cluster) const {
  if (fit_[cluster] >= 0) return fit_[cluster];
  if ((!reserved_.empty() && reserved_[cluster] != 0) ||
      !query_.CanUsePlainPath(model_.fit_index(cluster))) {
    return 0;
  }
  const FitBounds bounds = PlainFitBounds(model_, cluster, query_);
  if (bounds.upper == 0) {
    fit_[cluster] = 0;
    return 0;
  }
  const int64_t front = FrontLowerBound(model_, cluster, query_);
  // With one pod per replica every front node has a slot for one, so the
  // front bound is 0 exactly when no plain node holds one replica.
  if (front == 0 && query_.pods_per_replica == 1) {
    fit_[cluster] = 0;
    return 0;
  }
  return std::max(bounds.lower, front);
}

FilterOutcome CycleState::RunFilters(ClusterIndex cluster,
                                     std::span<const FilterPlugin* const> filters,
                                     size_t first_index, FilterOutcome start) const {
  FilterOutcome worst = start;
  for (size_t i = 0; i < filters.size(); ++i) {
    const FilterOutcome outcome = filters[i]->Filter(*this, cluster);
    if (outcome > worst) {
      worst = outcome;
      rejected_by_[cluster] = static_cast<uint8_t>(first_index + i);
      if (worst == FilterOutcome::kEvict) break;
    }
  }
  return worst;
}

FilterOutcome CycleState::ComputeCheap(ClusterIndex cluster) const {
  some_cheap_done_ = true;
  const FilterOutcome outcome = RunFilters(cluster, cheap_filters_, 0, FilterOutcome::kPass);
  cheap_[cluster] = static_cast<uint8_t>(outcome);
  return outcome;
}

void CycleState::EvaluateCheapFilters() const {
  if (all_cheap_done_ || cheap_filters_.empty()) return;
  all_cheap_done_ = true;
  const size_t count = cheap_.size();
  std::vector<FilterOutcome> outcomes(count);
  // Clusters evaluated one by one earlier keep their verdict.
  std::vector<uint8_t> fresh;
  if (some_cheap_done_) {
    fresh.resize(count);
    for (size_t cluster = 0; cluster < count; ++cluster)
      fresh[cluster] = cheap_[cluster] == kUnknown;
  }
  for (size_t i = 0; i < cheap_filters_.size(); ++i) {
    cheap_filters_[i]->FilterAll(*this, outcomes);
    const uint8_t filter = static_cast<uint8_t>(i);
    for (size_t cluster = 0; cluster < count; ++cluster) {
      if (!fresh.empty() && fresh[cluster] == 0) continue;
      const uint8_t outcome = static_cast<uint8_t>(outcomes[cluster]);
      if (i == 0) {
        // The worst verdict so far, first filter first.
        cheap_[cluster] = outcome;
        if (outcome != 0) rejected_by_[cluster] = filter;
      } else if (outcome > cheap_[cluster]) {
        cheap_[cluster] = outcome;
        rejected_by_[cluster] = filter;
      }
    }
  }
}

FilterOutcome CycleState::ComputeFull(ClusterIndex cluster) const {
  FilterOutcome outcome = CheapOutcome(cluster);
  // The fit filters only matter for clusters that could take new replicas.
  if (outcome == FilterOutcome::kPass && !fit_filters_.empty()) {
    outcome = RunFilters(cluster, fit_filters_, cheap_filters_.size(), outcome);
  }
  full_[cluster] = static_cast<uint8_t>(outcome);
  return outcome;
}

const FilterPlugin* CycleState::RejectedBy(ClusterIndex cluster) const {
  const uint8_t index = rejected_by_[cluster];
  if (index == kUnknown) return nullptr;
  if (index < cheap_filters_.size()) return cheap_filters_[index];
  return fit_filters_[index - cheap_filters_.size()];
}

}  // namespace mck8s::placement
