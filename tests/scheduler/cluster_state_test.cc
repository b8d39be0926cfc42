// GrpcClusterStateSource against an in-process ClusterState server: the
// first snapshot, deltas, and reconnection with the revision and
// incarnation held.
#include "mck8s/scheduler/cluster_state.h"

#include <catch2/catch.hpp>

#include "fake_cluster_state.h"
#include "harness.h"

namespace mck8s::scheduler {
namespace {

using testing::FakeClusterState;
using testing::WaitFor;

TEST_CASE("cluster state feed: snapshot, deltas and resumption", "[scheduler][integration]") {
  FakeClusterState server(testing::SnapshotFromTestbed(testing::FogGuruTestbed(), "inc-a"));
  REQUIRE(server.Start().ok());
  GrpcClusterStateSource source(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
  std::atomic<int> notified{0};
  source.AddListener([&](const std::shared_ptr<const placement::ClusterModel>&) { ++notified; });
  source.Start();
  REQUIRE(source.WaitForModel(absl::Seconds(10)));
  CHECK(source.Current()->size() == 6);
  CHECK(source.Current()->revision() == 1);
  CHECK(source.TakenAt().has_value());
  CHECK(notified >= 1);

  v1::SnapshotDelta delta;
  delta.add_removed_clusters("lille");
  server.PublishDelta(delta);
  REQUIRE(WaitFor([&] { return source.Current()->revision() == 2; }, absl::Seconds(10)));
  CHECK(source.Current()->size() == 5);
  CHECK_FALSE(source.Current()->Find("lille").has_value());

  // A broken stream is resumed from the revision held, in the same
  // incarnation, so the gateway need not resend the whole snapshot.
  server.BreakStreams();
  REQUIRE(WaitFor([&] { return server.watch_requests().size() == 2; }, absl::Seconds(10)));
  const v1::WatchRequest resumed = server.watch_requests()[1];
  CHECK(resumed.since_revision() == 2);
  CHECK(resumed.incarnation() == "inc-a");

  v1::SnapshotDelta change;
  v1::RttEntry* rtt = change.add_changed_rtt();
  rtt->set_from_cluster("nantes");
  rtt->set_to_cluster("grenoble");
  rtt->set_rtt_ms(1.5);
  server.PublishDelta(change);
  REQUIRE(WaitFor([&] { return source.Current()->revision() == 3; }, absl::Seconds(10)));
  const placement::ClusterModel& model = *source.Current();
  CHECK(model.Rtt(*model.Find("nantes"), *model.Find("grenoble")) == 1.5);
  CHECK(source.connections() == 2);
  source.Stop();
}

}  // namespace
}  // namespace mck8s::scheduler
