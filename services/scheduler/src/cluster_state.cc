#include "mck8s/scheduler/cluster_state.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/runtime/log.h"

namespace mck8s::scheduler {
namespace {

namespace rlog = runtime::log;

absl::StatusOr<placement::Taint> ConvertTaint(const v1::Taint& taint, const std::string& field) {
  placement::Taint out{.key = taint.key(), .value = taint.value()};
  switch (taint.effect()) {
    case v1::TAINT_EFFECT_NO_SCHEDULE:
      out.effect = placement::TaintEffect::kNoSchedule;
      break;
    case v1::TAINT_EFFECT_PREFER_NO_SCHEDULE:
      out.effect = placement::TaintEffect::kPreferNoSchedule;
      break;
    case v1::TAINT_EFFECT_NO_EXECUTE:
      out.effect = placement::TaintEffect::kNoExecute;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".effect: must be set (got ", taint.effect(), ")"));
  }
  return out;
}

placement::Health ConvertHealth(v1::HealthState state) {
  switch (state) {
    case v1::HEALTH_STATE_READY:
      return placement::Health::kReady;
    case v1::HEALTH_STATE_DEGRADED:
      return placement::Health::kDegraded;
    case v1::HEALTH_STATE_UNREACHABLE:
      return placement::Health::kUnreachable;
    default:
      return placement::Health::kUnknown;
  }
}

template <typename Map>
placement::Labels ConvertLabels(const Map& labels) {
  placement::Labels out;
  for (const auto& [key, value] : labels) out.emplace(key, value);
  return out;
}

std::optional<absl::Time> ToTime(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return std::nullopt;
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

absl::StatusOr<placement::Cluster> ConvertCluster(const v1::ClusterStatus& status,
                                                  const std::string& field) {
  placement::Cluster cluster;
  const v1::ClusterIdentity& identity = status.identity();
  cluster.name = identity.name();
  cluster.region = identity.region();
  cluster.zone = identity.zone();
  cluster.provider = identity.provider();
  cluster.labels = ConvertLabels(identity.labels());
  for (int t = 0; t < identity.taints_size(); ++t) {
    absl::StatusOr<placement::Taint> taint =
        ConvertTaint(identity.taints(t), absl::StrCat(field, ".identity.taints[", t, "]"));
    if (!taint.ok()) return taint.status();
    cluster.taints.push_back(*std::move(taint));
  }
  cluster.kind = identity.kind() == v1::CLUSTER_KIND_CLOUD ? placement::ClusterKind::kCloud
                                                           : placement::ClusterKind::kFog;
  cluster.health = ConvertHealth(status.health().state());
  cluster.health_reason = status.health().reason();
  cluster.nodes.reserve(status.nodes_size());
  for (int n = 0; n < status.nodes_size(); ++n) {
    const v1::NodeStatus& node_status = status.nodes(n);
    placement::Node node;
    node.name = node_status.name();
    node.allocatable.cpu_millis = node_status.allocatable().cpu_millis();
    node.allocatable.memory_bytes = node_status.allocatable().memory_bytes();
    node.allocatable.pods = node_status.allocatable_pods();
    node.free.cpu_millis = node_status.free().cpu_millis();
    node.free.memory_bytes = node_status.free().memory_bytes();
    node.free.pods = node_status.free_pods();
    node.schedulable = node_status.schedulable();
    node.control_plane = node_status.control_plane();
    node.labels = ConvertLabels(node_status.labels());
    for (int t = 0; t < node_status.taints_size(); ++t) {
      absl::StatusOr<placement::Taint> taint = ConvertTaint(
          node_status.taints(t), absl::StrCat(field, ".nodes[", n, "].taints[", t, "]"));
      if (!taint.ok()) return taint.status();
      node.taints.push_back(*std::move(taint));
    }
    cluster.nodes.push_back(std::move(node));
  }
  for (const v1::WorkloadStats& stats : status.workloads()) {
    placement::WorkloadStats workload;
    workload.workload.kind = stats.kind() == v1::WORKLOAD_KIND_MULTI_CLUSTER_JOB
                                 ? placement::WorkloadKind::kMultiClusterJob
                                 : placement::WorkloadKind::kMultiClusterDeployment;
    workload.workload.ns = stats.namespace_();
    workload.workload.name = stats.name();
    workload.desired_replicas = stats.desired_replicas();
    workload.ready_replicas = stats.ready_replicas();
    if (stats.has_usage()) {
      placement::Resources usage;
      usage.cpu_millis = stats.usage().cpu_millis();
      usage.memory_bytes = stats.usage().memory_bytes();
      workload.usage = usage;
    }
    if (stats.has_network_receive_bytes_per_second()) {
      workload.receive_bytes_per_second = stats.network_receive_bytes_per_second();
    }
    cluster.workloads.push_back(std::move(workload));
  }
  if (status.has_traffic()) {
    cluster.receive_bytes_per_second = status.traffic().receive_bytes_per_second();
  }
  return cluster;
}

std::vector<placement::RttEntry> ConvertRtt(const v1::Snapshot& snapshot) {
  std::vector<placement::RttEntry> rtt;
  rtt.reserve(snapshot.rtt_size());
  for (const v1::RttEntry& entry : snapshot.rtt()) {
    rtt.push_back({entry.from_cluster(), entry.to_cluster(), entry.rtt_ms()});
  }
  return rtt;
}

}  // namespace

std::vector<placement::WorkloadKey> ChangedWorkloads(const placement::ClusterModel* before,
                                                     const placement::ClusterModel& after) {
  std::set<placement::WorkloadKey> changed;
  // Workloads of `a` absent from `b` or with other figures there.
  auto differ = [&](const placement::Cluster* a, const placement::Cluster* b) {
    if (a == nullptr) return;
    for (const placement::WorkloadStats& stats : a->workloads) {
      const placement::WorkloadStats* other = nullptr;
      if (b != nullptr) {
        auto it =
            std::lower_bound(b->workloads.begin(), b->workloads.end(), stats.workload,
                             [](const placement::WorkloadStats& s,
                                const placement::WorkloadKey& key) { return s.workload < key; });
        if (it != b->workloads.end() && it->workload == stats.workload) other = &*it;
      }
      if (other == nullptr || other->desired_replicas != stats.desired_replicas ||
          other->ready_replicas != stats.ready_replicas) {
        changed.insert(stats.workload);
      }
    }
  };
  auto find = [](const placement::ClusterModel* model,
                 const std::string& name) -> const placement::Cluster* {
    if (model == nullptr) return nullptr;
    std::optional<placement::ClusterIndex> index = model->Find(name);
    return index.has_value() ? &model->cluster(*index) : nullptr;
  };
  for (placement::ClusterIndex i = 0; i < after.size(); ++i) {
    const placement::Cluster& now = after.cluster(i);
    const placement::Cluster* then = find(before, now.name);
    if (then == &now) continue;  // shared: unchanged
    differ(&now, then);
    differ(then, &now);
  }
  if (before != nullptr) {
    for (placement::ClusterIndex i = 0; i < before->size(); ++i) {
      const placement::Cluster& then = before->cluster(i);
      if (!after.Find(then.name).has_value()) differ(&then, nullptr);
    }
  }
  return std::vector<placement::WorkloadKey>(changed.begin(), changed.end());
}

absl::StatusOr<std::shared_ptr<const placement::ClusterModel>> SnapshotToModel(
    const v1::Snapshot& snapshot) {
  std::vector<placement::Cluster> clusters;
  clusters.reserve(snapshot.clusters_size());
  for (int i = 0; i < snapshot.clusters_size(); ++i) {
    MCK8S_ASSIGN_OR_RETURN(placement::Cluster cluster,
                           ConvertCluster(snapshot.clusters(i), absl::StrCat("clusters[", i, "]")));
    clusters.push_back(std::move(cluster));
  }
  return placement::ClusterModel::Create(snapshot.revision(), std::move(clusters),
                                         ConvertRtt(snapshot));
}

absl::Status ApplySnapshotDelta(uint64_t revision, const v1::SnapshotDelta& delta,
                                v1::Snapshot& snapshot) {
  if (delta.base_revision() != snapshot.revision()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "delta.base_revision: ", delta.base_revision(), " but holding ", snapshot.revision()));
  }
  std::map<std::string, v1::ClusterStatus> clusters;
  for (v1::ClusterStatus& status : *snapshot.mutable_clusters()) {
    std::string name = status.identity().name();
    clusters[name] = std::move(status);
  }
  std::set<std::string> removed(delta.removed_clusters().begin(), delta.removed_clusters().end());
  for (const std::string& name : removed) clusters.erase(name);
  for (const v1::ClusterStatus& status : delta.changed_clusters()) {
    clusters[status.identity().name()] = status;
  }
  snapshot.clear_clusters();
  for (auto& [name, status] : clusters) *snapshot.add_clusters() = std::move(status);

  std::map<std::pair<std::string, std::string>, v1::RttEntry> rtt;
  for (v1::RttEntry& entry : *snapshot.mutable_rtt()) {
    if (removed.contains(entry.from_cluster()) || removed.contains(entry.to_cluster())) continue;
    auto key = std::make_pair(entry.from_cluster(), entry.to_cluster());
    rtt[std::move(key)] = std::move(entry);
  }
  for (const v1::ClusterPair& pair : delta.removed_rtt()) {
    rtt.erase({pair.from_cluster(), pair.to_cluster()});
  }
  for (const v1::RttEntry& entry : delta.changed_rtt()) {
    rtt[{entry.from_cluster(), entry.to_cluster()}] = entry;
  }
  snapshot.clear_rtt();
  for (auto& [key, entry] : rtt) *snapshot.add_rtt() = std::move(entry);
  snapshot.set_revision(revision);
  *snapshot.mutable_taken_at() = delta.taken_at();
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const placement::ClusterModel>> ModelFollower::Reset(
    v1::Snapshot snapshot) {
  snapshot_ = std::move(snapshot);
  has_snapshot_ = true;
  prepared_.clear();
  rejected_.clear();
  Convert(nullptr);
  rtt_ = ConvertRtt(snapshot_);
  return Build();
}

absl::StatusOr<std::shared_ptr<const placement::ClusterModel>> ModelFollower::Apply(
    uint64_t revision, const v1::SnapshotDelta& delta) {
  if (!has_snapshot_) {
    return absl::FailedPreconditionError("delta before any snapshot");
  }
  MCK8S_RETURN_IF_ERROR(ApplySnapshotDelta(revision, delta, snapshot_));
  for (const std::string& name : delta.removed_clusters()) {
    prepared_.erase(name);
    rejected_.erase(name);
  }
  absl::flat_hash_set<std::string> changed;
  for (const v1::ClusterStatus& status : delta.changed_clusters()) {
    changed.insert(status.identity().name());
  }
  Convert(&changed);
  if (delta.removed_clusters_size() > 0 || delta.changed_rtt_size() > 0 ||
      delta.removed_rtt_size() > 0) {
    rtt_ = ConvertRtt(snapshot_);
  }
  return Build();
}

void ModelFollower::Convert(const absl::flat_hash_set<std::string>* names) {
  for (int i = 0; i < snapshot_.clusters_size(); ++i) {
    const v1::ClusterStatus& status = snapshot_.clusters(i);
    const std::string& name = status.identity().name();
    if (names != nullptr && !names->contains(name)) continue;
    const std::string field = absl::StrCat("clusters[", i, "]");
    absl::StatusOr<placement::Cluster> cluster = ConvertCluster(status, field);
    absl::StatusOr<placement::PreparedCluster> prepared =
        cluster.ok() ? placement::PreparedCluster::Prepare(*std::move(cluster), i)
                     : absl::StatusOr<placement::PreparedCluster>(cluster.status());
    prepared_.erase(name);
    rejected_.erase(name);
    if (prepared.ok()) {
      prepared_.emplace(name, *std::move(prepared));
    } else {
      rejected_.emplace(name, prepared.status());
    }
  }
}

absl::StatusOr<std::shared_ptr<const placement::ClusterModel>> ModelFollower::Build() {
  if (!rejected_.empty()) return rejected_.begin()->second;
  std::vector<placement::PreparedCluster> clusters;
  clusters.reserve(prepared_.size());
  for (const auto& [name, cluster] : prepared_) clusters.push_back(cluster);
  return placement::ClusterModel::CreateFromPrepared(snapshot_.revision(), std::move(clusters),
                                                     rtt_);
}

bool ClusterStateSource::WaitForModel(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration step = absl::Milliseconds(5);
  while (Current() == nullptr) {
    if (absl::Now() >= deadline) return false;
    // Polling with a deadline: sources publish from their own threads and
    // offer no condition to wait on across the interface.
    absl::SleepFor(std::min(step, deadline - absl::Now()));
    step = std::min(step * 2, absl::Milliseconds(100));
  }
  return true;
}

void StaticClusterStateSource::Set(std::shared_ptr<const placement::ClusterModel> model,
                                   std::optional<absl::Time> taken_at) {
  std::vector<Listener> listeners;
  {
    absl::MutexLock lock(&mu_);
    model_ = model;
    taken_at_ = taken_at;
    listeners = listeners_;
  }
  for (const Listener& listener : listeners) listener(model);
}

std::shared_ptr<const placement::ClusterModel> StaticClusterStateSource::Current() const {
  absl::MutexLock lock(&mu_);
  return model_;
}

std::optional<absl::Time> StaticClusterStateSource::TakenAt() const {
  absl::MutexLock lock(&mu_);
  return taken_at_;
}

void StaticClusterStateSource::AddListener(Listener listener) {
  absl::MutexLock lock(&mu_);
  listeners_.push_back(std::move(listener));
}

GrpcClusterStateSource::GrpcClusterStateSource(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::ClusterState::NewStub(std::move(channel))) {}

GrpcClusterStateSource::~GrpcClusterStateSource() { Stop(); }

void GrpcClusterStateSource::Start() {
  absl::MutexLock lock(&mu_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void GrpcClusterStateSource::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    if (active_ != nullptr) active_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const placement::ClusterModel> GrpcClusterStateSource::Current() const {
  absl::MutexLock lock(&mu_);
  return model_;
}

std::optional<absl::Time> GrpcClusterStateSource::TakenAt() const {
  absl::MutexLock lock(&mu_);
  return taken_at_;
}

void GrpcClusterStateSource::AddListener(Listener listener) {
  absl::MutexLock lock(&mu_);
  listeners_.push_back(std::move(listener));
}

int64_t GrpcClusterStateSource::connections() const {
  absl::MutexLock lock(&mu_);
  return connections_;
}

uint64_t GrpcClusterStateSource::revision() const {
  absl::MutexLock lock(&mu_);
  return revision_;
}

std::string GrpcClusterStateSource::incarnation() const {
  absl::MutexLock lock(&mu_);
  return incarnation_;
}

void GrpcClusterStateSource::Publish(std::shared_ptr<const placement::ClusterModel> model,
                                     std::optional<absl::Time> taken_at) {
  std::vector<Listener> listeners;
  {
    absl::MutexLock lock(&mu_);
    model_ = model;
    taken_at_ = taken_at;
    revision_ = follower_.snapshot().revision();
    incarnation_ = follower_.snapshot().incarnation();
    listeners = listeners_;
  }
  for (const Listener& listener : listeners) listener(model);
}

grpc::Status GrpcClusterStateSource::FollowOnce() {
  grpc::ClientContext context;
  v1::WatchRequest request;
  if (follower_.has_snapshot()) {
    request.set_since_revision(follower_.snapshot().revision());
    request.set_incarnation(follower_.snapshot().incarnation());
  }
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return grpc::Status::CANCELLED;
    active_ = &context;
    ++connections_;
  }
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = stub_->Watch(&context, request);
  v1::WatchEvent event;
  while (reader->Read(&event)) {
    absl::StatusOr<std::shared_ptr<const placement::ClusterModel>> model;
    if (event.has_snapshot()) {
      v1::Snapshot* snapshot = event.mutable_snapshot();
      snapshot->set_revision(event.revision());
      model = follower_.Reset(std::move(*snapshot));
    } else if (event.has_delta()) {
      if (!follower_.has_snapshot()) continue;
      model = follower_.Apply(event.revision(), event.delta());
      if (absl::IsFailedPrecondition(model.status())) {
        // Out of step: ask for a full snapshot on the next stream.
        rlog::Warn("cluster-state delta does not apply; resynchronising",
                   {{"error", std::string(model.status().message())}});
        follower_ = ModelFollower();
        context.TryCancel();
        break;
      }
    } else {
      continue;
    }
    if (!model.ok()) {
      rlog::Error("cluster-state snapshot rejected",
                  {{"revision", std::to_string(follower_.snapshot().revision())},
                   {"error", std::string(model.status().message())}});
      continue;
    }
    Publish(*std::move(model), ToTime(follower_.snapshot().taken_at()));
  }
  grpc::Status status = reader->Finish();
  absl::MutexLock lock(&mu_);
  active_ = nullptr;
  return status;
}

void GrpcClusterStateSource::Run() {
  absl::Duration backoff = absl::Milliseconds(100);
  for (;;) {
    const absl::Time started = absl::Now();
    grpc::Status status = FollowOnce();
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    rlog::Info("cluster-state stream ended; reconnecting",
               {{"code", std::to_string(status.error_code())}, {"error", status.error_message()}});
    // A stream that lived a while was healthy: start the backoff over.
    if (absl::Now() - started > absl::Seconds(10)) backoff = absl::Milliseconds(100);
    absl::MutexLock lock(&mu_);
    const absl::Time until = absl::Now() + backoff;
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithDeadline(absl::Condition(&stopping), until);
    if (stopping_) return;
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

}  // namespace mck8s::scheduler
