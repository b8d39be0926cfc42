// -----------------------------------------------------------------------------
// File: mck8s/gateway/service.h
// -----------------------------------------------------------------------------
//
// The mck8s.v1.ClusterState gRPC service over a Feed: GetSnapshot answers
// the newest snapshot, Watch streams it and its changes (see feed.h for the
// merging of a slow consumer's events).
//
// Usage:
//
//   Feed feed(NewIncarnation());
//   ClusterStateService service(feed, [&] { return shutting_down.load(); });
//   runtime.AddGrpcService(&service, v1::ClusterState::service_full_name());
//
// Thread safety: the gRPC server calls the handlers concurrently; each Watch
// call occupies one server thread for as long as the stream lasts.

#ifndef MCK8S_GATEWAY_SERVICE_H_
#define MCK8S_GATEWAY_SERVICE_H_

#include <google/protobuf/repeated_ptr_field.h>

#include <functional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mck8s/gateway/feed.h"
#include "mck8s/v1/cluster_state.grpc.pb.h"

namespace mck8s::gateway {

// The request's cluster names as a set. INVALID_ARGUMENT naming the field
// (`clusters[2]`) when a name is empty or repeated.
absl::StatusOr<std::set<std::string, std::less<>>> ValidateClusterNames(
    const google::protobuf::RepeatedPtrField<std::string>& clusters);

class ClusterStateService final : public v1::ClusterState::Service {
 public:
  // `shutting_down` is polled by open Watch streams (at `poll_interval`)
  // and by new calls; once it returns true they end with UNAVAILABLE.
  ClusterStateService(Feed& feed, std::function<bool()> shutting_down,
                      absl::Duration poll_interval = absl::Milliseconds(100));

  grpc::Status GetSnapshot(grpc::ServerContext* context, const v1::GetSnapshotRequest* request,
                           v1::GetSnapshotResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context, const v1::WatchRequest* request,
                     grpc::ServerWriter<v1::WatchEvent>* writer) override;

 private:
  Feed& feed_;
  const std::function<bool()> shutting_down_;
  const absl::Duration poll_interval_;
};

}  // namespace mck8s::gateway

#endif  // MCK8S_GATEWAY_SERVICE_H_
