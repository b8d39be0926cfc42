#include "fake_cluster_state.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "mck8s/k8stypes/quantity.h"
#include "mck8s/scheduler/cluster_state.h"

namespace mck8s::scheduler::testing {
namespace {

v1::TaintEffect Effect(const std::string& effect) {
  if (effect == "NoExecute") return v1::TAINT_EFFECT_NO_EXECUTE;
  if (effect == "PreferNoSchedule") return v1::TAINT_EFFECT_PREFER_NO_SCHEDULE;
  return v1::TAINT_EFFECT_NO_SCHEDULE;
}

void AddNodes(const std::string& cluster, const sim::NodeGroup& group, bool control_plane,
              v1::ClusterStatus* status) {
  const int64_t cpu = k8stypes::Quantity::Parse(group.cpu)->MilliValue();
  const int64_t memory = k8stypes::Quantity::Parse(group.memory)->Value();
  for (int i = 0; i < group.count; ++i) {
    v1::NodeStatus* node = status->add_nodes();
    node->set_name(control_plane ? absl::StrCat(cluster, "-control-plane")
                                 : absl::StrCat(cluster, "-", group.name, "-", i + 1));
    node->mutable_allocatable()->set_cpu_millis(cpu);
    node->mutable_allocatable()->set_memory_bytes(memory);
    *node->mutable_free() = node->allocatable();
    node->set_allocatable_pods(static_cast<int32_t>(group.pods));
    node->set_free_pods(static_cast<int32_t>(group.pods));
    node->set_schedulable(true);
    node->set_control_plane(control_plane);
    for (const auto& [key, value] : group.labels) (*node->mutable_labels())[key] = value;
    for (const sim::TestbedTaint& t : group.taints) {
      v1::Taint* taint = node->add_taints();
      taint->set_key(t.key);
      taint->set_value(t.value);
      taint->set_effect(Effect(t.effect));
    }
    if (control_plane) {
      (*node->mutable_labels())["node-role.kubernetes.io/control-plane"] = "";
      v1::Taint* taint = node->add_taints();
      taint->set_key("node-role.kubernetes.io/control-plane");
      taint->set_effect(v1::TAINT_EFFECT_NO_SCHEDULE);
    }
    status->mutable_allocatable()->set_cpu_millis(status->allocatable().cpu_millis() + cpu);
    status->mutable_allocatable()->set_memory_bytes(status->allocatable().memory_bytes() + memory);
  }
}

}  // namespace

sim::Testbed FogGuruTestbed() {
  absl::StatusOr<sim::Testbed> testbed =
      sim::LoadTestbed(std::string(MCK8S_SOURCE_DIR) + "/sim/testbeds/fogguru.yaml");
  if (!testbed.ok()) std::abort();
  return *std::move(testbed);
}

v1::Snapshot SnapshotFromTestbed(const sim::Testbed& testbed, const std::string& incarnation) {
  v1::Snapshot snapshot;
  snapshot.set_revision(1);
  snapshot.set_incarnation(incarnation);
  snapshot.mutable_taken_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  for (const sim::TestbedCluster& cluster : testbed.clusters) {
    if (cluster.name == testbed.management) continue;
    v1::ClusterStatus* status = snapshot.add_clusters();
    v1::ClusterIdentity* identity = status->mutable_identity();
    identity->set_name(cluster.name);
    identity->set_region(cluster.region);
    identity->set_zone(cluster.zone);
    identity->set_provider(cluster.provider);
    for (const auto& [key, value] : cluster.labels) (*identity->mutable_labels())[key] = value;
    for (const sim::TestbedTaint& t : cluster.taints) {
      v1::Taint* taint = identity->add_taints();
      taint->set_key(t.key);
      taint->set_value(t.value);
      taint->set_effect(Effect(t.effect));
    }
    identity->set_kind(cluster.cloud ? v1::CLUSTER_KIND_CLOUD : v1::CLUSTER_KIND_FOG);
    status->mutable_health()->set_state(v1::HEALTH_STATE_READY);
    if (cluster.control_plane.has_value()) {
      AddNodes(cluster.name, *cluster.control_plane, true, status);
    }
    for (const sim::NodeGroup& group : cluster.node_groups) {
      AddNodes(cluster.name, group, false, status);
    }
  }
  std::map<std::pair<std::string, std::string>, double> directed;
  for (const auto& [pair, rtt] : testbed.rtt_ms) {
    if (pair.first == testbed.management || pair.second == testbed.management) continue;
    directed[{pair.first, pair.second}] = rtt;
    directed[{pair.second, pair.first}] = rtt;
  }
  for (const auto& [pair, rtt] : directed) {
    v1::RttEntry* entry = snapshot.add_rtt();
    entry->set_from_cluster(pair.first);
    entry->set_to_cluster(pair.second);
    entry->set_rtt_ms(rtt);
    entry->set_source(v1::RTT_SOURCE_STATIC);
  }
  return snapshot;
}

FakeClusterState::FakeClusterState(v1::Snapshot snapshot) : snapshot_(std::move(snapshot)) {}

FakeClusterState::~FakeClusterState() { Stop(); }

absl::Status FakeClusterState::Start() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) return absl::UnavailableError("cannot serve");
  return absl::OkStatus();
}

void FakeClusterState::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server_.reset();
  }
}

void FakeClusterState::PublishDelta(v1::SnapshotDelta delta) {
  absl::MutexLock lock(&mu_);
  const uint64_t revision = snapshot_.revision() + 1;
  delta.set_base_revision(snapshot_.revision());
  (void)ApplySnapshotDelta(revision, delta, snapshot_);
  v1::WatchEvent event;
  event.set_revision(revision);
  *event.mutable_delta() = std::move(delta);
  events_.push_back(std::move(event));
}

void FakeClusterState::BreakStreams() {
  absl::MutexLock lock(&mu_);
  ++breaks_;
}

std::vector<v1::WatchRequest> FakeClusterState::watch_requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

uint64_t FakeClusterState::revision() const {
  absl::MutexLock lock(&mu_);
  return snapshot_.revision();
}

grpc::Status FakeClusterState::GetSnapshot(grpc::ServerContext*, const v1::GetSnapshotRequest*,
                                           v1::GetSnapshotResponse* response) {
  absl::MutexLock lock(&mu_);
  *response->mutable_snapshot() = snapshot_;
  return grpc::Status::OK;
}

grpc::Status FakeClusterState::Watch(grpc::ServerContext* context, const v1::WatchRequest* request,
                                     grpc::ServerWriter<v1::WatchEvent>* writer) {
  size_t next = 0;
  int64_t breaks = 0;
  {
    absl::MutexLock lock(&mu_);
    requests_.push_back(*request);
    breaks = breaks_;
    next = events_.size();
    const bool up_to_date = request->since_revision() != 0 &&
                            request->incarnation() == snapshot_.incarnation() &&
                            request->since_revision() == snapshot_.revision();
    if (!up_to_date) {
      v1::WatchEvent event;
      event.set_revision(snapshot_.revision());
      *event.mutable_snapshot() = snapshot_;
      mu_.Unlock();
      const bool written = writer->Write(event);
      mu_.Lock();
      if (!written) return grpc::Status::CANCELLED;
    }
  }
  for (;;) {
    std::vector<v1::WatchEvent> pending;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || breaks_ != breaks || events_.size() > next;
      };
      // Wakes now and then to notice a cancelled client.
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(50));
      if (stopping_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "shutting down");
      if (breaks_ != breaks) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream broken");
      while (next < events_.size()) pending.push_back(events_[next++]);
    }
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    for (const v1::WatchEvent& event : pending) {
      if (!writer->Write(event)) return grpc::Status::CANCELLED;
    }
  }
}

}  // namespace mck8s::scheduler::testing
