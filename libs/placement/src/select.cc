#include "select.h"

#include <algorithm>
#include <functional>
#include <limits>

namespace mck8s::placement {

Ranker::Ranker(const CycleState& state, std::span<const ScorePlugin* const> scorers,
               std::vector<ClusterIndex> candidates)
    : state_(state) {
  for (const ScorePlugin* scorer : scorers) {
    if (scorer->AppliesTo(state)) active_.push_back(scorer);
  }
  first_fit_scorer_ = active_.size();
  for (size_t j = 0; j < active_.size(); ++j) {
    if (active_[j]->NeedsFit()) {
      first_fit_scorer_ = j;
      break;
    }
  }
  if (active_.size() > 1) rest_.resize(candidates.size() * (active_.size() - 1));
  // Entries are keyed in place: building one on the stack and copying it
  // stalls on store forwarding, which costs more than the key itself.
  pool_.resize(candidates.size());
  // One scorer that needs the fit (worst-fit, best-fit): its bounds come
  // from one loop over the fleet (ScoreBoundAll).
  const bool bulk = active_.size() == 1 && first_fit_scorer_ == 0;
  if (bulk) {
    first_keys_.resize(candidates.size());
    active_[0]->ScoreBoundAll(state_, candidates, first_keys_);
  }
  uint32_t kept = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const ClusterIndex cluster = candidates[i];
    Entry& entry = pool_[kept];
    entry.cluster = cluster;
    entry.slot = kept;
    const double floor = floor_;
    if (bulk) {
      // As Key: the bound, or the exact score once the fit is known.
      if (state_.NewFitKnown(cluster)) {
        entry.first = active_[0]->Score(state_, cluster);
        entry.exact = true;
        floor_ = std::max(floor_, entry.first);
      } else {
        entry.first = first_keys_[i];
        entry.exact = false;
      }
    } else {
      Key(entry, /*exact=*/false);
    }
    // A cluster whose bound settled that no new replica fits would reach the
    // top only to be rejected by the fit filters (under best-fit, ranking by
    // least room, all of them come first): settle that now, which costs
    // nothing once the fit is known, and leave it out.
    if (entry.exact && state_.NewFitKnown(cluster) && state_.NewFit(cluster) == 0 &&
        state_.Outcome(cluster) != FilterOutcome::kPass) {
      floor_ = floor;
      continue;
    }
    ++kept;
  }
  pool_.resize(kept);
  if (bulk && active_[0]->ScoreAboveIsCheap()) Tighten();
  Refill();
}

void Ranker::Tighten() {
  // Small pools are cheap to rank as they are.
  if (pool_.size() <= 2 * batch_) return;
  size_t best = 0;
  for (size_t i = 1; i < pool_.size(); ++i) {
    if (pool_[i].first >= pool_[best].first && Before(pool_[i], pool_[best])) best = i;
  }
  Entry& top = pool_[best];
  if (!top.exact) {
    const double floor = floor_;
    floor_ = -std::numeric_limits<double>::infinity();
    Key(top, /*exact=*/true);
    floor_ = std::max(floor, floor_);
  }
  // The floor must be the key of a cluster that may come first.
  if (!top.exact || state_.Outcome(top.cluster) != FilterOutcome::kPass) return;
  bool dropped = false;
  for (Entry& entry : pool_) {
    if (entry.exact || !(entry.first > floor_)) continue;
    const double floor = floor_;
    Key(entry, /*exact=*/true);
    // As in the constructor: a cluster found to hold nothing is left out
    // when the fit filters reject it.
    if (entry.exact && state_.NewFit(entry.cluster) == 0 &&
        state_.Outcome(entry.cluster) != FilterOutcome::kPass) {
      floor_ = floor;
      entry.cluster = -1;
      dropped = true;
    }
  }
  if (!dropped) return;
  size_t kept = 0;
  for (const Entry& entry : pool_) {
    if (entry.cluster < 0) continue;
    pool_[kept] = entry;
    pool_[kept].slot = static_cast<uint32_t>(kept);
    ++kept;
  }
  pool_.resize(kept);
}

void Ranker::Refill() {
  const auto after = [this](const Entry& a, const Entry& b) { return Before(b, a); };
  const size_t before = heap_.size();
  // Small pools, and decisions that already needed several batches, take
  // everything at once.
  if (pool_.size() <= 2 * batch_) {
    heap_.insert(heap_.end(), pool_.begin(), pool_.end());
    pool_.clear();
  } else if (active_.size() <= 1) {
    // One key: the batch_-th highest first key is the threshold, and ties
    // with it move too (what stays outside ranks strictly lower).
    double threshold;
    if (batch_ <= 64) {
      // A small heap of the batch_ highest keys: most keys fail one
      // comparison with its front.
      first_keys_.clear();
      for (const Entry& entry : pool_) {
        if (first_keys_.size() < batch_) {
          first_keys_.push_back(entry.first);
          std::push_heap(first_keys_.begin(), first_keys_.end(), std::greater<>());
        } else if (entry.first > first_keys_.front()) {
          std::pop_heap(first_keys_.begin(), first_keys_.end(), std::greater<>());
          first_keys_.back() = entry.first;
          std::push_heap(first_keys_.begin(), first_keys_.end(), std::greater<>());
        }
      }
      threshold = first_keys_.front();
    } else {
      // Larger batches: selection in linear time.
      first_keys_.resize(pool_.size());
      for (size_t i = 0; i < pool_.size(); ++i) first_keys_[i] = pool_[i].first;
      const auto nth = first_keys_.begin() + static_cast<std::ptrdiff_t>(batch_ - 1);
      std::nth_element(first_keys_.begin(), nth, first_keys_.end(), std::greater<>());
      threshold = *nth;
    }
    size_t kept = 0;
    bool have_best = false;
    for (const Entry& entry : pool_) {
      if (entry.first >= threshold) {
        heap_.push_back(entry);
      } else {
        if (!have_best || Before(entry, pool_best_)) {
          pool_best_ = entry;
          have_best = true;
        }
        pool_[kept++] = entry;
      }
    }
    pool_.resize(kept);
  } else {
    // Several keys (the first is often a tier most clusters share): the
    // batch_ best-ranked entries by the whole key, with a small heap whose
    // front is the worst of them (the threshold).
    const auto worse = [this](const Entry& a, const Entry& b) { return Before(a, b); };
    scratch_.clear();
    for (const Entry& entry : pool_) {
      if (scratch_.size() < batch_) {
        scratch_.push_back(entry);
        std::push_heap(scratch_.begin(), scratch_.end(), worse);
      } else if (Before(entry, scratch_.front())) {
        std::pop_heap(scratch_.begin(), scratch_.end(), worse);
        scratch_.back() = entry;
        std::push_heap(scratch_.begin(), scratch_.end(), worse);
      }
    }
    const Entry threshold = scratch_.front();
    // The threshold and everything ranking before it move; the best of the
    // rest is what the heap must beat.
    size_t kept = 0;
    bool have_best = false;
    for (const Entry& entry : pool_) {
      if (!Before(threshold, entry)) {
        heap_.push_back(entry);
      } else {
        if (!have_best || Before(entry, pool_best_)) {
          pool_best_ = entry;
          have_best = true;
        }
        pool_[kept++] = entry;
      }
    }
    pool_.resize(kept);
  }
  if (heap_.size() - before > before) {
    std::make_heap(heap_.begin(), heap_.end(), after);
  } else {
    for (size_t i = before + 1; i <= heap_.size(); ++i) {
      std::push_heap(heap_.begin(), heap_.begin() + static_cast<std::ptrdiff_t>(i), after);
    }
  }
  batch_ *= 4;
}

void Ranker::Key(Entry& entry, bool exact) {
  const size_t k = active_.size();
  if (k == 0) {
    entry.exact = true;
    return;
  }
  double* rest = k > 1 ? rest_.data() + static_cast<size_t>(entry.slot) * (k - 1) : nullptr;
  const auto set = [&](size_t j, double value) {
    if (j == 0) {
      entry.first = value;
    } else {
      rest[j - 1] = value;
    }
  };
  const ClusterIndex cluster = entry.cluster;
  size_t j = 0;
  for (; j < first_fit_scorer_; ++j) set(j, active_[j]->Score(state_, cluster));
  if (j < k && !exact && !state_.NewFitKnown(cluster)) {
    set(j, active_[j]->ScoreBound(state_, cluster));
    // The bound may have settled the fit (a cluster no node fits).
    if (!state_.NewFitKnown(cluster)) {
      for (++j; j < k; ++j) set(j, std::numeric_limits<double>::infinity());
      entry.exact = false;
      return;
    }
  }
  if (j == 0 && k > 0 && exact && floor_ > -std::numeric_limits<double>::infinity()) {
    bool got_exact = true;
    const double score = active_[0]->ScoreAbove(state_, cluster, floor_, &got_exact);
    entry.first = score;
    if (!got_exact) {
      for (j = 1; j < k; ++j) set(j, std::numeric_limits<double>::infinity());
      entry.exact = false;
      return;
    }
    j = 1;
  }
  for (; j < k; ++j) set(j, active_[j]->Score(state_, cluster));
  entry.exact = true;
  floor_ = std::max(floor_, entry.first);
}

bool Ranker::BeforeOnRest(const Entry& a, const Entry& b) const {
  const size_t rest = active_.size() - 1;
  const double* key_a = rest_.data() + static_cast<size_t>(a.slot) * rest;
  const double* key_b = rest_.data() + static_cast<size_t>(b.slot) * rest;
  for (size_t j = 0; j < rest; ++j) {
    if (key_a[j] != key_b[j]) return key_a[j] > key_b[j];
  }
  if (a.exact != b.exact) return !a.exact;
  return a.cluster < b.cluster;
}

std::optional<ClusterIndex> Ranker::Next() {
  const auto after = [this](const Entry& a, const Entry& b) { return Before(b, a); };
  while (true) {
    if (heap_.empty()) {
      if (pool_.empty()) return std::nullopt;
      Refill();
      continue;
    }
    // The heap's best may come next only if it ranks before everything
    // outside.
    if (!pool_.empty() && !Before(heap_.front(), pool_best_)) {
      Refill();
      continue;
    }
    std::pop_heap(heap_.begin(), heap_.end(), after);
    Entry& entry = heap_.back();
    if (!entry.exact) {
      Key(entry, /*exact=*/true);
      std::push_heap(heap_.begin(), heap_.end(), after);
      continue;
    }
    const ClusterIndex cluster = entry.cluster;
    heap_.pop_back();
    // The floor may have been this entry's key.
    floor_ = -std::numeric_limits<double>::infinity();
    if (state_.Outcome(cluster) != FilterOutcome::kPass) continue;
    return cluster;
  }
}

std::vector<double> Ranker::ExactScores(const CycleState& state,
                                        std::span<const ScorePlugin* const> scorers,
                                        ClusterIndex cluster) {
  std::vector<double> scores;
  scores.reserve(scorers.size());
  for (const ScorePlugin* scorer : scorers) {
    scores.push_back(scorer->AppliesTo(state) ? scorer->Score(state, cluster) : 0.0);
  }
  return scores;
}

bool Ranker::RanksBefore(const CycleState& state, std::span<const ScorePlugin* const> scorers,
                         ClusterIndex a, ClusterIndex b) {
  for (const ScorePlugin* scorer : scorers) {
    if (!scorer->AppliesTo(state)) continue;
    const double score_a = scorer->Score(state, a);
    const double score_b = scorer->Score(state, b);
    if (score_a != score_b) return score_a > score_b;
  }
  return a < b;
}

}  // namespace mck8s::placement
