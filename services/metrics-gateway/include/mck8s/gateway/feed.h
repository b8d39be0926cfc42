// -----------------------------------------------------------------------------
// File: mck8s/gateway/feed.h
// -----------------------------------------------------------------------------
//
// The published side of the cluster-state feed: numbered, immutable fleet
// snapshots and the Watch streams that follow them (the semantics of
// mck8s.v1.ClusterState in proto/mck8s/v1/cluster_state.proto).
//
// A FleetState is the whole fleet at one revision. Cluster statuses are
// shared between consecutive states (std::shared_ptr<const>), so publishing
// a change to one cluster of a thousand copies a map of pointers, not the
// statuses, and the difference between two states is found by comparing
// pointers.
//
// Feed::Publish() turns a FleetUpdate (the clusters whose status changed,
// the clusters that went away, the complete RTT table) into the next state
// when it changes anything, and offers the change to every WatchStream.
// A stream holds at most one pending event: changes that arrive while an
// event waits are merged into it (newest status of each cluster wins; a
// cluster changed then removed is only removed), and when a merge would
// lose information (a cluster removed then registered again before the
// client read the removal) the pending event becomes a full snapshot.
//
// Usage:
//
//   Feed feed("a3f9c2");
//   FleetUpdate update;
//   update.changed["edge-1"] = std::make_shared<const v1::ClusterStatus>(status);
//   update.rtt = {...};
//   feed.Publish(std::move(update), absl::Now());
//
//   std::shared_ptr<WatchStream> stream = feed.Subscribe(since, incarnation, {});
//   while (std::optional<v1::WatchEvent> event = stream->Next(absl::Seconds(1))) {
//     Send(*event);
//   }
//   feed.Unsubscribe(stream);
//
// Thread safety: Feed and WatchStream are thread-safe. A stream has one
// consumer (the RPC that calls Next()).

#ifndef MCK8S_GATEWAY_FEED_H_
#define MCK8S_GATEWAY_FEED_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/v1/cluster_state.pb.h"

namespace mck8s::gateway {

using ClusterStatusPtr = std::shared_ptr<const v1::ClusterStatus>;
// A directed pair (from_cluster, to_cluster).
using RttKey = std::pair<std::string, std::string>;
using RttTable = std::map<RttKey, v1::RttEntry>;

// The fleet at one revision. Immutable once published.
struct FleetState {
  uint64_t revision = 0;
  std::string incarnation;
  absl::Time taken_at = absl::InfinitePast();
  std::map<std::string, ClusterStatusPtr, std::less<>> clusters;
  RttTable rtt;
};
using FleetStatePtr = std::shared_ptr<const FleetState>;

// What changed since the current state.
struct FleetUpdate {
  // Clusters added or whose status changed; an entry equal to the current
  // status is not a change.
  std::map<std::string, ClusterStatusPtr> changed;
  // Clusters deregistered.
  std::set<std::string> removed;
  // The complete RTT table, or nullopt to keep the current one. Entries
  // whose ends are not both registered clusters are dropped.
  std::optional<RttTable> rtt;
  // Publish a new revision even when nothing differs (the first snapshot).
  bool force = false;
};

// The difference between two consecutive states, as offered to streams.
struct FleetChange {
  uint64_t base_revision = 0;
  FleetStatePtr state;  // the resulting state
  std::vector<std::string> changed;
  std::vector<std::string> removed;
  std::vector<RttKey> changed_rtt;
  std::vector<RttKey> removed_rtt;  // not counting those of removed clusters
};

// Whether `name` is watched by a stream whose cluster list is `clusters`
// (empty: every cluster).
bool Watched(const std::set<std::string, std::less<>>& clusters, std::string_view name);

// The snapshot message of `state` restricted to `clusters` (empty: all):
// clusters by name, RTT entries with at least one end included.
v1::Snapshot ToSnapshot(const FleetState& state,
                        const std::set<std::string, std::less<>>& clusters);

// One Watch stream: its cluster filter, the revision its client holds, and
// at most one pending event.
class WatchStream {
 public:
  explicit WatchStream(std::set<std::string, std::less<>> clusters);

  // Merges `change` into the pending event (called by Feed::Publish).
  void Offer(const FleetChange& change);
  // Makes the pending event a full snapshot of `state` (subscription).
  void OfferSnapshot(FleetStatePtr state);
  // Marks the revision the client already holds (subscription when it is up
  // to date).
  void SetHeld(uint64_t revision);

  // Blocks up to `timeout` for the pending event and takes it; nullopt when
  // none came or the stream was closed.
  std::optional<v1::WatchEvent> Next(absl::Duration timeout);
  // As Next(), but hands the event to `send` and returns what it returned
  // (nullopt: no event). The event borrows the cluster statuses of the
  // state instead of copying them (a full snapshot of 1,000 clusters x 50
  // nodes is some 60 MiB of messages), so it is valid only during the call.
  std::optional<bool> NextTo(absl::Duration timeout,
                             const std::function<bool(const v1::WatchEvent&)>& send);
  // Wakes Next() for good.
  void Close();
  bool closed() const;
  // True when an event waits (for tests).
  bool HasPending() const;

 private:
  struct Pending {
    bool full = false;
    FleetStatePtr state;  // newest merged state
    std::map<std::string, ClusterStatusPtr> changed;
    std::set<std::string> removed;
    std::map<RttKey, v1::RttEntry> changed_rtt;
    std::set<RttKey> removed_rtt;
  };
  bool WatchedRtt(const RttKey& key) const;

  const std::set<std::string, std::less<>> clusters_;
  mutable absl::Mutex mu_;
  uint64_t held_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<Pending> pending_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

class Feed {
 public:
  explicit Feed(std::string incarnation);

  const std::string& incarnation() const { return incarnation_; }

  // Applies `update` at time `now`. Returns the new revision, or 0 when the
  // update changed nothing (and no revision was spent).
  uint64_t Publish(FleetUpdate update, absl::Time now);

  // The newest state; nullptr before the first Publish().
  FleetStatePtr Current() const;

  // A new stream for a client holding `since_revision` of `incarnation`.
  // It starts with a full snapshot unless that is the current revision of
  // this incarnation; before the first snapshot it waits for it.
  std::shared_ptr<WatchStream> Subscribe(uint64_t since_revision, const std::string& incarnation,
                                         std::set<std::string, std::less<>> clusters);
  void Unsubscribe(const std::shared_ptr<WatchStream>& stream);
  // Closes every stream (shutdown); later subscriptions start closed.
  void CloseAll();
  size_t streams() const;

 private:
  const std::string incarnation_;
  mutable absl::Mutex mu_;
  FleetStatePtr current_ ABSL_GUARDED_BY(mu_);
  std::set<std::shared_ptr<WatchStream>> streams_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// `time` as a protobuf Timestamp (UTC, nanosecond precision).
void SetTimestamp(absl::Time time, google::protobuf::Timestamp* timestamp);

// A new random incarnation identifier (hex).
std::string NewIncarnation();

}  // namespace mck8s::gateway

#endif  // MCK8S_GATEWAY_FEED_H_
