#include "mck8s/gateway/feed.h"

#include <google/protobuf/util/message_differencer.h>

#include <random>

#include "absl/strings/str_format.h"

namespace mck8s::gateway {

void SetTimestamp(absl::Time time, google::protobuf::Timestamp* timestamp) {
  const int64_t nanos = absl::ToUnixNanos(time);
  int64_t seconds = nanos / 1000000000;
  int64_t rest = nanos % 1000000000;
  if (rest < 0) {
    rest += 1000000000;
    --seconds;
  }
  timestamp->set_seconds(seconds);
  timestamp->set_nanos(static_cast<int32_t>(rest));
}

std::string NewIncarnation() {
  std::random_device device;
  std::mt19937_64 engine((static_cast<uint64_t>(device()) << 32) ^ device() ^
                         static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())));
  return absl::StrFormat("%016x", engine());
}

bool Watched(const std::set<std::string, std::less<>>& clusters, std::string_view name) {
  return clusters.empty() || clusters.find(name) != clusters.end();
}

v1::Snapshot ToSnapshot(const FleetState& state,
                        const std::set<std::string, std::less<>>& clusters) {
  v1::Snapshot snapshot;
  snapshot.set_revision(state.revision);
  snapshot.set_incarnation(state.incarnation);
  SetTimestamp(state.taken_at, snapshot.mutable_taken_at());
  if (clusters.empty()) {
    for (const auto& [name, status] : state.clusters) *snapshot.add_clusters() = *status;
  } else {
    for (const std::string& name : clusters) {
      auto it = state.clusters.find(name);
      if (it != state.clusters.end()) *snapshot.add_clusters() = *it->second;
    }
  }
  for (const auto& [key, entry] : state.rtt) {
    if (Watched(clusters, key.first) || Watched(clusters, key.second)) {
      *snapshot.add_rtt() = entry;
    }
  }
  return snapshot;
}

// --- WatchStream ---

WatchStream::WatchStream(std::set<std::string, std::less<>> clusters)
    : clusters_(std::move(clusters)) {}

bool WatchStream::WatchedRtt(const RttKey& key) const {
  return Watched(clusters_, key.first) || Watched(clusters_, key.second);
}

void WatchStream::SetHeld(uint64_t revision) {
  absl::MutexLock lock(&mu_);
  held_ = revision;
}

void WatchStream::OfferSnapshot(FleetStatePtr state) {
  absl::MutexLock lock(&mu_);
  pending_.emplace();
  pending_->full = true;
  pending_->state = std::move(state);
}

void WatchStream::Offer(const FleetChange& change) {
  bool relevant = false;
  for (const std::string& name : change.changed) relevant |= Watched(clusters_, name);
  for (const std::string& name : change.removed) relevant |= Watched(clusters_, name);
  for (const RttKey& key : change.changed_rtt) relevant |= WatchedRtt(key);
  for (const RttKey& key : change.removed_rtt) relevant |= WatchedRtt(key);

  absl::MutexLock lock(&mu_);
  if (closed_) return;
  if (!pending_.has_value() && held_ == 0) {
    // The client holds nothing yet (subscribed before the first snapshot).
    pending_.emplace();
    pending_->full = true;
    pending_->state = change.state;
    return;
  }
  if (!relevant) {
    if (pending_.has_value()) pending_->state = change.state;
    return;
  }
  if (!pending_.has_value()) pending_.emplace();
  Pending& pending = *pending_;
  pending.state = change.state;
  if (pending.full) return;

  for (const std::string& name : change.changed) {
    if (!Watched(clusters_, name)) continue;
    if (pending.removed.count(name) != 0) {
      // Removed and registered again before the client read the removal:
      // the RTT entries dropped with the removal cannot be expressed in one
      // delta, so the client gets the whole state instead.
      Pending full;
      full.full = true;
      full.state = change.state;
      pending = std::move(full);
      return;
    }
    pending.changed[name] = change.state->clusters.at(name);
  }
  for (const std::string& name : change.removed) {
    if (!Watched(clusters_, name)) continue;
    pending.changed.erase(name);
    pending.removed.insert(name);
    for (auto it = pending.changed_rtt.begin(); it != pending.changed_rtt.end();) {
      it = (it->first.first == name || it->first.second == name) ? pending.changed_rtt.erase(it)
                                                                 : std::next(it);
    }
    for (auto it = pending.removed_rtt.begin(); it != pending.removed_rtt.end();) {
      it =
          (it->first == name || it->second == name) ? pending.removed_rtt.erase(it) : std::next(it);
    }
  }
  for (const RttKey& key : change.changed_rtt) {
    if (!WatchedRtt(key)) continue;
    pending.removed_rtt.erase(key);
    pending.changed_rtt[key] = change.state->rtt.at(key);
  }
  for (const RttKey& key : change.removed_rtt) {
    if (!WatchedRtt(key)) continue;
    pending.changed_rtt.erase(key);
    pending.removed_rtt.insert(key);
  }
}

std::optional<v1::WatchEvent> WatchStream::Next(absl::Duration timeout) {
  std::optional<v1::WatchEvent> copy;
  NextTo(timeout, [&copy](const v1::WatchEvent& event) {
    copy = event;  // a deep copy: the borrowed statuses are given back
    return true;
  });
  return copy;
}

namespace {

// Lends shared statuses to a message's repeated field without copying
// them, and takes them back before the message is destroyed (the pattern
// RepeatedPtrField documents for UnsafeArenaAddAllocated). Serialising a
// message only reads it, so a status may be lent to several streams at
// once.
class Lender {
 public:
  Lender() = default;
  Lender(const Lender&) = delete;
  Lender& operator=(const Lender&) = delete;
  ~Lender() {
    for (auto* field : fields_) field->UnsafeArenaExtractSubrange(0, field->size(), nullptr);
  }
  void Lend(google::protobuf::RepeatedPtrField<v1::ClusterStatus>* field,
            const ClusterStatusPtr& status) {
    if (fields_.empty() || fields_.back() != field) fields_.push_back(field);
    field->UnsafeArenaAddAllocated(const_cast<v1::ClusterStatus*>(status.get()));
  }

 private:
  std::vector<google::protobuf::RepeatedPtrField<v1::ClusterStatus>*> fields_;
};

}  // namespace

std::optional<bool> WatchStream::NextTo(absl::Duration timeout,
                                        const std::function<bool(const v1::WatchEvent&)>& send) {
  std::optional<Pending> taken;
  uint64_t base = 0;
  {
    absl::MutexLock lock(&mu_);
    auto ready = [this]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_ || pending_.has_value(); };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (closed_ || !pending_.has_value()) return std::nullopt;
    taken = std::move(pending_);
    pending_.reset();
    base = held_;
    held_ = taken->state->revision;
  }
  // The event is assembled outside the lock, from statuses that `taken`
  // keeps alive until it has been sent. Declared after the event, the
  // lender takes its statuses back before the event is destroyed.
  v1::WatchEvent event;
  Lender lender;
  const FleetState& state = *taken->state;
  event.set_revision(state.revision);
  if (taken->full) {
    v1::Snapshot* snapshot = event.mutable_snapshot();
    snapshot->set_revision(state.revision);
    snapshot->set_incarnation(state.incarnation);
    SetTimestamp(state.taken_at, snapshot->mutable_taken_at());
    if (clusters_.empty()) {
      for (const auto& [name, status] : state.clusters) {
        lender.Lend(snapshot->mutable_clusters(), status);
      }
    } else {
      for (const std::string& name : clusters_) {
        auto it = state.clusters.find(name);
        if (it != state.clusters.end()) lender.Lend(snapshot->mutable_clusters(), it->second);
      }
    }
    for (const auto& [key, entry] : state.rtt) {
      if (WatchedRtt(key)) *snapshot->add_rtt() = entry;
    }
    return send(event);
  }
  v1::SnapshotDelta* delta = event.mutable_delta();
  delta->set_base_revision(base);
  SetTimestamp(state.taken_at, delta->mutable_taken_at());
  for (const auto& [name, status] : taken->changed) {
    lender.Lend(delta->mutable_changed_clusters(), status);
  }
  for (const std::string& name : taken->removed) delta->add_removed_clusters(name);
  for (const auto& [key, entry] : taken->changed_rtt) *delta->add_changed_rtt() = entry;
  for (const RttKey& key : taken->removed_rtt) {
    v1::ClusterPair* pair = delta->add_removed_rtt();
    pair->set_from_cluster(key.first);
    pair->set_to_cluster(key.second);
  }
  return send(event);
}

void WatchStream::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

bool WatchStream::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

bool WatchStream::HasPending() const {
  absl::MutexLock lock(&mu_);
  return pending_.has_value();
}

// --- Feed ---

Feed::Feed(std::string incarnation) : incarnation_(std::move(incarnation)) {}

uint64_t Feed::Publish(FleetUpdate update, absl::Time now) {
  absl::MutexLock lock(&mu_);
  static const FleetState kEmpty;
  const FleetState& old = current_ != nullptr ? *current_ : kEmpty;
  auto next = std::make_shared<FleetState>();
  next->clusters = old.clusters;
  FleetChange change;
  change.base_revision = old.revision;

  for (auto& [name, status] : update.changed) {
    auto it = next->clusters.find(name);
    if (it != next->clusters.end() &&
        google::protobuf::util::MessageDifferencer::Equals(*it->second, *status)) {
      continue;
    }
    next->clusters[name] = std::move(status);
    change.changed.push_back(name);
  }
  for (const std::string& name : update.removed) {
    if (next->clusters.erase(name) != 0) change.removed.push_back(name);
  }
  const RttTable& source = update.rtt.has_value() ? *update.rtt : old.rtt;
  for (const auto& [key, entry] : source) {
    if (key.first == key.second) continue;
    if (next->clusters.count(key.first) == 0 || next->clusters.count(key.second) == 0) continue;
    next->rtt.emplace(key, entry);
  }
  const std::set<std::string> removed(change.removed.begin(), change.removed.end());
  for (const auto& [key, entry] : next->rtt) {
    auto it = old.rtt.find(key);
    if (it == old.rtt.end() ||
        !google::protobuf::util::MessageDifferencer::Equals(it->second, entry)) {
      change.changed_rtt.push_back(key);
    }
  }
  for (const auto& [key, entry] : old.rtt) {
    if (next->rtt.count(key) != 0) continue;
    if (removed.count(key.first) != 0 || removed.count(key.second) != 0) continue;
    change.removed_rtt.push_back(key);
  }

  const bool first = current_ == nullptr;
  if (!(first && update.force) && change.changed.empty() && change.removed.empty() &&
      change.changed_rtt.empty() && change.removed_rtt.empty()) {
    return 0;
  }
  next->revision = old.revision + 1;
  next->incarnation = incarnation_;
  next->taken_at = now;
  current_ = next;
  change.state = std::move(next);
  for (const std::shared_ptr<WatchStream>& stream : streams_) stream->Offer(change);
  return current_->revision;
}

FleetStatePtr Feed::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

std::shared_ptr<WatchStream> Feed::Subscribe(uint64_t since_revision,
                                             const std::string& incarnation,
                                             std::set<std::string, std::less<>> clusters) {
  auto stream = std::make_shared<WatchStream>(std::move(clusters));
  absl::MutexLock lock(&mu_);
  if (closed_) {
    stream->Close();
    return stream;
  }
  if (current_ != nullptr) {
    if (since_revision != 0 && incarnation == incarnation_ &&
        since_revision == current_->revision) {
      stream->SetHeld(since_revision);
    } else {
      stream->OfferSnapshot(current_);
    }
  }
  streams_.insert(stream);
  return stream;
}

void Feed::Unsubscribe(const std::shared_ptr<WatchStream>& stream) {
  absl::MutexLock lock(&mu_);
  streams_.erase(stream);
}

void Feed::CloseAll() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (const std::shared_ptr<WatchStream>& stream : streams_) stream->Close();
}

size_t Feed::streams() const {
  absl::MutexLock lock(&mu_);
  return streams_.size();
}

}  // namespace mck8s::gateway
