// The published snapshots and the Watch streams: revisions, subscription
// from a held revision, cluster filters, and the merging of a slow
// consumer's changes into its single pending event.
#include "mck8s/gateway/feed.h"

#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>

namespace mck8s::gateway {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

ClusterStatusPtr Status(const std::string& name, int64_t cpu) {
  auto status = std::make_shared<v1::ClusterStatus>();
  status->mutable_identity()->set_name(name);
  status->mutable_allocatable()->set_cpu_millis(cpu);
  return status;
}

v1::RttEntry Rtt(const std::string& from, const std::string& to, double ms) {
  v1::RttEntry entry;
  entry.set_from_cluster(from);
  entry.set_to_cluster(to);
  entry.set_rtt_ms(ms);
  entry.set_source(v1::RTT_SOURCE_STATIC);
  return entry;
}

FleetUpdate Changed(std::initializer_list<std::pair<std::string, int64_t>> clusters) {
  FleetUpdate update;
  for (const auto& [name, cpu] : clusters) update.changed[name] = Status(name, cpu);
  return update;
}

FleetUpdate Removed(std::initializer_list<std::string> clusters) {
  FleetUpdate update;
  update.removed = clusters;
  return update;
}

std::vector<std::string> ChangedNames(const v1::SnapshotDelta& delta) {
  std::vector<std::string> names;
  for (const v1::ClusterStatus& status : delta.changed_clusters()) {
    names.push_back(status.identity().name());
  }
  return names;
}

TEST_CASE("revisions increase by one per effective change and not otherwise") {
  Feed feed("inc-1");
  CHECK(feed.Current() == nullptr);
  CHECK(feed.Publish(Changed({{"a", 1000}, {"b", 2000}}), kT0) == 1);
  CHECK(feed.Publish(Changed({{"a", 1000}}), kT0) == 0);  // same status: no change
  CHECK(feed.Publish(Removed({"zzz"}), kT0) == 0);        // unknown: no change
  CHECK(feed.Publish(Changed({{"a", 1500}}), kT0 + absl::Seconds(1)) == 2);
  FleetStatePtr state = feed.Current();
  REQUIRE(state != nullptr);
  CHECK(state->revision == 2);
  CHECK(state->incarnation == "inc-1");
  CHECK(state->clusters.at("a")->allocatable().cpu_millis() == 1500);
  v1::Snapshot snapshot = ToSnapshot(*state, {});
  CHECK(snapshot.revision() == 2);
  CHECK(snapshot.taken_at().seconds() == 1700000001);
  REQUIRE(snapshot.clusters_size() == 2);
  CHECK(snapshot.clusters(0).identity().name() == "a");
  CHECK(snapshot.clusters(1).identity().name() == "b");
}

TEST_CASE("NextTo lends the published statuses to the event and takes them back") {
  Feed feed("inc");
  FleetUpdate first = Changed({{"a", 1000}, {"b", 2000}});
  first.rtt = RttTable{{{"a", "b"}, Rtt("a", "b", 2)}};
  feed.Publish(std::move(first), kT0);
  FleetStatePtr published = feed.Current();
  std::shared_ptr<WatchStream> stream = feed.Subscribe(0, "", {});
  std::shared_ptr<WatchStream> filtered = feed.Subscribe(0, "", {"b"});

  std::string snapshot_bytes;
  std::optional<bool> sent = stream->NextTo(absl::Seconds(1), [&](const v1::WatchEvent& event) {
    CHECK(event.snapshot().revision() == 1);
    CHECK(event.snapshot().incarnation() == "inc");
    REQUIRE(event.snapshot().clusters_size() == 2);
    // Lent, not copied: the event holds the published messages themselves.
    CHECK(&event.snapshot().clusters(0) == published->clusters.at("a").get());
    CHECK(event.snapshot().rtt_size() == 1);
    snapshot_bytes = event.SerializeAsString();
    return false;  // what send answers is what NextTo answers
  });
  CHECK(sent == std::optional<bool>(false));
  v1::WatchEvent copied;
  REQUIRE(copied.ParseFromString(snapshot_bytes));
  CHECK(google::protobuf::util::MessageDifferencer::Equals(copied.snapshot(),
                                                           ToSnapshot(*published, {})));
  std::optional<v1::WatchEvent> only_b = filtered->Next(absl::Seconds(1));
  REQUIRE(only_b.has_value());
  REQUIRE(only_b->snapshot().clusters_size() == 1);
  CHECK(only_b->snapshot().clusters(0).identity().name() == "b");

  feed.Publish(Changed({{"b", 2500}}), kT0 + absl::Seconds(1));
  sent = stream->NextTo(absl::Seconds(1), [&](const v1::WatchEvent& event) {
    CHECK(event.delta().base_revision() == 1);
    REQUIRE(event.delta().changed_clusters_size() == 1);
    CHECK(&event.delta().changed_clusters(0) == feed.Current()->clusters.at("b").get());
    return true;
  });
  CHECK(sent == std::optional<bool>(true));
  CHECK_FALSE(stream->NextTo(absl::Milliseconds(1), [](const v1::WatchEvent&) { return true; })
                  .has_value());
  // The statuses are intact and still owned by the states.
  CHECK(published->clusters.at("a")->allocatable().cpu_millis() == 1000);
  CHECK(feed.Current()->clusters.at("b")->allocatable().cpu_millis() == 2500);
  CHECK(feed.Current()->clusters.at("b")->identity().name() == "b");
  feed.Unsubscribe(stream);
  feed.Unsubscribe(filtered);
}

TEST_CASE("a forced first publish creates revision 1 even for an empty fleet") {
  Feed feed("inc");
  FleetUpdate update;
  update.force = true;
  CHECK(feed.Publish(std::move(update), kT0) == 1);
  CHECK(feed.Current()->clusters.empty());
}

TEST_CASE("RTT entries keep only registered ends and drop with a removed cluster") {
  Feed feed("inc");
  FleetUpdate update = Changed({{"a", 1}, {"b", 1}});
  update.rtt = RttTable{{{"a", "b"}, Rtt("a", "b", 2)},
                        {{"b", "a"}, Rtt("b", "a", 2)},
                        {{"a", "x"}, Rtt("a", "x", 9)},
                        {{"a", "a"}, Rtt("a", "a", 0)}};
  feed.Publish(std::move(update), kT0);
  CHECK(feed.Current()->rtt.size() == 2);
  auto stream = feed.Subscribe(1, "inc", {});
  feed.Publish(Removed({"b"}), kT0);
  std::optional<v1::WatchEvent> event = stream->Next(absl::Seconds(5));
  REQUIRE(event.has_value());
  REQUIRE(event->has_delta());
  CHECK(event->delta().removed_clusters_size() == 1);
  // Entries of a removed cluster go with it, not as removed_rtt.
  CHECK(event->delta().removed_rtt_size() == 0);
  CHECK(feed.Current()->rtt.empty());
}

TEST_CASE("a stream starts with a full snapshot unless the client holds the current revision") {
  Feed feed("inc");
  feed.Publish(Changed({{"a", 1}}), kT0);
  feed.Publish(Changed({{"a", 2}}), kT0);

  SECTION("nothing held") {
    auto stream = feed.Subscribe(0, "", {});
    std::optional<v1::WatchEvent> event = stream->Next(absl::Seconds(5));
    REQUIRE(event.has_value());
    CHECK(event->revision() == 2);
    REQUIRE(event->has_snapshot());
    CHECK(event->snapshot().revision() == 2);
    CHECK(event->snapshot().incarnation() == "inc");
  }
  SECTION("an older revision") {
    auto stream = feed.Subscribe(1, "inc", {});
    std::optional<v1::WatchEvent> event = stream->Next(absl::Seconds(5));
    REQUIRE(event.has_value());
    CHECK(event->has_snapshot());
  }
  SECTION("the current revision of another incarnation") {
    auto stream = feed.Subscribe(2, "other", {});
    std::optional<v1::WatchEvent> event = stream->Next(absl::Seconds(5));
    REQUIRE(event.has_value());
    CHECK(event->has_snapshot());
  }
  SECTION("up to date: the next change comes as a delta on the held revision") {
    auto stream = feed.Subscribe(2, "inc", {});
    CHECK_FALSE(stream->HasPending());
    feed.Publish(Changed({{"a", 3}}), kT0);
    std::optional<v1::WatchEvent> event = stream->Next(absl::Seconds(5));
    REQUIRE(event.has_value());
    CHECK(event->revision() == 3);
    REQUIRE(event->has_delta());
    CHECK(event->delta().base_revision() == 2);
    CHECK(ChangedNames(event->delta()) == std::vector<std::string>{"a"});
  }
}

TEST_CASE("a stream opened before the first snapshot waits for it") {
  Feed feed("inc");
  auto stream = feed.Subscribe(0, "", {});
  CHECK_FALSE(stream->Next(absl::Milliseconds(1)).has_value());
  feed.Publish(Changed({{"a", 1}}), kT0);
  std::optional<v1::WatchEvent> event = stream->Next(absl::Seconds(5));
  REQUIRE(event.has_value());
  CHECK(event->has_snapshot());
  CHECK(event->revision() == 1);
}

TEST_CASE("a slow consumer gets one merged event with the newest status of each cluster") {
  Feed feed("inc");
  feed.Publish(Changed({{"a", 1}, {"b", 1}, {"c", 1}}), kT0);
  auto stream = feed.Subscribe(1, "inc", {});
  // Many changes while the consumer is not reading.
  for (int i = 2; i <= 50; ++i) feed.Publish(Changed({{"a", i}}), kT0);
  feed.Publish(Changed({{"b", 7}}), kT0);
  CHECK(feed.Current()->revision == 51);

  std::optional<v1::WatchEvent> event = stream->Next(absl::Seconds(5));
  REQUIRE(event.has_value());
  CHECK(event->revision() == 51);
  REQUIRE(event->has_delta());
  CHECK(event->delta().base_revision() == 1);
  REQUIRE(event->delta().changed_clusters_size() == 2);
  CHECK(event->delta().changed_clusters(0).identity().name() == "a");
  CHECK(event->delta().changed_clusters(0).allocatable().cpu_millis() == 50);
  CHECK(event->delta().changed_clusters(1).identity().name() == "b");
  CHECK(event->delta().changed_clusters(1).allocatable().cpu_millis() == 7);
  // Exactly one event was pending.
  CHECK_FALSE(stream->Next(absl::Milliseconds(1)).has_value());

  // The next delta builds on the revision just delivered.
  feed.Publish(Changed({{"c", 2}}), kT0);
  event = stream->Next(absl::Seconds(5));
  REQUIRE(event.has_value());
  CHECK(event->delta().base_revision() == 51);
  CHECK(event->revision() == 52);
}

TEST_CASE("a cluster changed then removed while pending appears only as removed") {
  Feed feed("inc");
  FleetUpdate first = Changed({{"a", 1}, {"b", 1}});
  first.rtt = RttTable{{{"a", "b"}, Rtt("a", "b", 3)}};
  feed.Publish(std::move(first), kT0);
  auto stream = feed.Subscribe(1, "inc", {});
  FleetUpdate change = Changed({{"b", 9}});
  change.rtt = RttTable{{{"a", "b"}, Rtt("a", "b", 4)}};
  feed.Publish(std::move(change), kT0);
  feed.Publish(Removed({"b"}), kT0);
  std::optional<v1::WatchEvent> event = stream->Next(absl::Seconds(5));
  REQUIRE(event.has_value());
  REQUIRE(event->has_delta());
  CHECK(event->delta().changed_clusters_size() == 0);
  REQUIRE(event->delta().removed_clusters_size() == 1);
  CHECK(event->delta().removed_clusters(0) == "b");
  CHECK(event->delta().changed_rtt_size() == 0);
  CHECK(event->delta().removed_rtt_size() == 0);
}

TEST_CASE("a cluster removed then registered again while pending turns into a full snapshot") {
  Feed feed("inc");
  feed.Publish(Changed({{"a", 1}, {"b", 1}}), kT0);
  auto stream = feed.Subscribe(1, "inc", {});
  feed.Publish(Removed({"b"}), kT0);
  feed.Publish(Changed({{"b", 5}}), kT0);
  std::optional<v1::WatchEvent> event = stream->Next(absl::Seconds(5));
  REQUIRE(event.has_value());
  REQUIRE(event->has_snapshot());
  CHECK(event->revision() == 3);
  CHECK(event->snapshot().clusters_size() == 2);
}

TEST_CASE("RTT changes merge per pair: the newest value, or removed") {
  Feed feed("inc");
  FleetUpdate first = Changed({{"a", 1}, {"b", 1}, {"c", 1}});
  first.rtt = RttTable{{{"a", "b"}, Rtt("a", "b", 1)}, {{"a", "c"}, Rtt("a", "c", 1)}};
  feed.Publish(std::move(first), kT0);
  auto stream = feed.Subscribe(1, "inc", {});
  FleetUpdate second;
  second.rtt = RttTable{{{"a", "b"}, Rtt("a", "b", 2)}};  // a->c gone
  feed.Publish(std::move(second), kT0);
  FleetUpdate third;
  third.rtt = RttTable{{{"a", "b"}, Rtt("a", "b", 3)}, {{"b", "c"}, Rtt("b", "c", 4)}};
  feed.Publish(std::move(third), kT0);
  std::optional<v1::WatchEvent> event = stream->Next(absl::Seconds(5));
  REQUIRE(event.has_value());
  REQUIRE(event->has_delta());
  const v1::SnapshotDelta& delta = event->delta();
  REQUIRE(delta.changed_rtt_size() == 2);
  CHECK(delta.changed_rtt(0).from_cluster() == "a");
  CHECK(delta.changed_rtt(0).rtt_ms() == 3);
  CHECK(delta.changed_rtt(1).from_cluster() == "b");
  REQUIRE(delta.removed_rtt_size() == 1);
  CHECK(delta.removed_rtt(0).to_cluster() == "c");
}

TEST_CASE(
    "a filtered stream sees only its clusters, RTT with one watched end, and skips revisions") {
  Feed feed("inc");
  FleetUpdate first = Changed({{"a", 1}, {"b", 1}, {"c", 1}});
  first.rtt = RttTable{{{"a", "b"}, Rtt("a", "b", 1)}, {{"b", "c"}, Rtt("b", "c", 1)}};
  feed.Publish(std::move(first), kT0);
  auto stream = feed.Subscribe(0, "", {"a", "later"});
  std::optional<v1::WatchEvent> event = stream->Next(absl::Seconds(5));
  REQUIRE(event.has_value());
  REQUIRE(event->has_snapshot());
  REQUIRE(event->snapshot().clusters_size() == 1);
  CHECK(event->snapshot().clusters(0).identity().name() == "a");
  REQUIRE(event->snapshot().rtt_size() == 1);
  CHECK(event->snapshot().rtt(0).to_cluster() == "b");

  feed.Publish(Changed({{"b", 2}}), kT0);  // revision 2: not watched
  CHECK_FALSE(stream->HasPending());
  feed.Publish(Changed({{"later", 1}}), kT0);  // revision 3: registers a watched name
  event = stream->Next(absl::Seconds(5));
  REQUIRE(event.has_value());
  CHECK(event->revision() == 3);
  CHECK(event->delta().base_revision() == 1);
  CHECK(ChangedNames(event->delta()) == std::vector<std::string>{"later"});
}

TEST_CASE("closing the feed ends every stream") {
  Feed feed("inc");
  auto stream = feed.Subscribe(0, "", {});
  feed.CloseAll();
  CHECK(stream->closed());
  CHECK_FALSE(stream->Next(absl::Seconds(5)).has_value());
  CHECK(feed.Subscribe(0, "", {})->closed());
}

TEST_CASE("incarnations are random hex strings") {
  std::string a = NewIncarnation();
  std::string b = NewIncarnation();
  CHECK(a.size() == 16);
  CHECK(a != b);
}

}  // namespace
}  // namespace mck8s::gateway
