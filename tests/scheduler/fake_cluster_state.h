// -----------------------------------------------------------------------------
// File: tests/scheduler/fake_cluster_state.h
// -----------------------------------------------------------------------------
//
// An in-process mck8s.v1.ClusterState server for scheduler tests: it serves
// a Snapshot built from a simulator testbed (every member cluster with its
// nodes' allocatable room all free, the testbed's RTT table in both
// directions) and lets a test publish changes (full snapshots or deltas)
// and break the streams, as the metrics-gateway would.
//
// Usage:
//
//   FakeClusterState state(*SnapshotFromTestbed(testbed, "inc-1"));
//   REQUIRE(state.Start().ok());
//   ... --cluster-state-address 127.0.0.1:<state.port()> ...
//
// Thread safety: all methods are thread-safe.

#ifndef MCK8S_TESTS_SCHEDULER_FAKE_CLUSTER_STATE_H_
#define MCK8S_TESTS_SCHEDULER_FAKE_CLUSTER_STATE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "mck8s/sim/testbed.h"
#include "mck8s/v1/cluster_state.grpc.pb.h"

namespace mck8s::scheduler::testing {

// The member clusters of `testbed` (not its management cluster) as a
// Snapshot at revision 1.
v1::Snapshot SnapshotFromTestbed(const sim::Testbed& testbed, const std::string& incarnation);

// The FogGuru testbed of the source tree.
sim::Testbed FogGuruTestbed();

class FakeClusterState final : public v1::ClusterState::Service {
 public:
  explicit FakeClusterState(v1::Snapshot snapshot);
  ~FakeClusterState() override;

  // Serves on 127.0.0.1, port 0.
  absl::Status Start();
  void Stop();
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Publishes a delta at the next revision (applied to the served state).
  void PublishDelta(v1::SnapshotDelta delta);
  // Ends every open stream with UNAVAILABLE (clients reconnect).
  void BreakStreams();

  // Every WatchRequest received, in order.
  std::vector<v1::WatchRequest> watch_requests() const;
  uint64_t revision() const;

  grpc::Status GetSnapshot(grpc::ServerContext* context, const v1::GetSnapshotRequest* request,
                           v1::GetSnapshotResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context, const v1::WatchRequest* request,
                     grpc::ServerWriter<v1::WatchEvent>* writer) override;

 private:
  mutable absl::Mutex mu_;
  v1::Snapshot snapshot_ ABSL_GUARDED_BY(mu_);
  // Events after the initial snapshot: (revision, event).
  std::vector<v1::WatchEvent> events_ ABSL_GUARDED_BY(mu_);
  int64_t breaks_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<v1::WatchRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace mck8s::scheduler::testing

#endif  // MCK8S_TESTS_SCHEDULER_FAKE_CLUSTER_STATE_H_
