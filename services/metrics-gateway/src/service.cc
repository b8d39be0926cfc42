#include "mck8s/gateway/service.h"

#include <map>

#include "absl/strings/str_cat.h"

namespace mck8s::gateway {

namespace {
const char kShuttingDown[] =
    "the gateway is shutting down; reconnect with the last revision "
    "and incarnation received";
}  // namespace

absl::StatusOr<std::set<std::string, std::less<>>> ValidateClusterNames(
    const google::protobuf::RepeatedPtrField<std::string>& clusters) {
  std::map<std::string, int, std::less<>> first_index;
  for (int i = 0; i < clusters.size(); ++i) {
    const std::string& name = clusters.Get(i);
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("clusters[", i, "]: must not be empty"));
    }
    auto [it, inserted] = first_index.emplace(name, i);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat("clusters[", i, "]: duplicate name \"", name,
                                                     "\" (also clusters[", it->second, "])"));
    }
  }
  std::set<std::string, std::less<>> names;
  for (const auto& [name, index] : first_index) names.insert(name);
  return names;
}

ClusterStateService::ClusterStateService(Feed& feed, std::function<bool()> shutting_down,
                                         absl::Duration poll_interval)
    : feed_(feed), shutting_down_(std::move(shutting_down)), poll_interval_(poll_interval) {}

grpc::Status ClusterStateService::GetSnapshot(grpc::ServerContext*,
                                              const v1::GetSnapshotRequest* request,
                                              v1::GetSnapshotResponse* response) {
  absl::StatusOr<std::set<std::string, std::less<>>> clusters =
      ValidateClusterNames(request->clusters());
  if (!clusters.ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        std::string(clusters.status().message()));
  }
  if (shutting_down_()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDown);
  FleetStatePtr state = feed_.Current();
  if (state == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "no snapshot yet: the first collection round has not finished; retry "
                        "once /readyz reports ready");
  }
  *response->mutable_snapshot() = ToSnapshot(*state, *clusters);
  return grpc::Status::OK;
}

grpc::Status ClusterStateService::Watch(grpc::ServerContext* context,
                                        const v1::WatchRequest* request,
                                        grpc::ServerWriter<v1::WatchEvent>* writer) {
  absl::StatusOr<std::set<std::string, std::less<>>> clusters =
      ValidateClusterNames(request->clusters());
  if (!clusters.ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        std::string(clusters.status().message()));
  }
  if (shutting_down_()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDown);
  std::shared_ptr<WatchStream> stream =
      feed_.Subscribe(request->since_revision(), request->incarnation(), *std::move(clusters));
  grpc::Status result = grpc::Status::OK;
  while (true) {
    if (context->IsCancelled()) {
      result = grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
      break;
    }
    if (shutting_down_() || stream->closed()) {
      result = grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDown);
      break;
    }
    // Write blocks while the client is slow; meanwhile newer changes merge
    // into the stream's single pending event.
    std::optional<bool> written = stream->NextTo(
        poll_interval_, [writer](const v1::WatchEvent& event) { return writer->Write(event); });
    if (!written.has_value()) continue;
    if (!*written) {
      result = grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
      break;
    }
  }
  feed_.Unsubscribe(stream);
  return result;
}

}  // namespace mck8s::gateway
