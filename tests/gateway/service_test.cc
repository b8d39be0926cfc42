// The ClusterState gRPC service over an in-process server: argument
// validation, the state before the first snapshot, filters, streaming, and
// shutdown.
#include "mck8s/gateway/service.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <catch2/catch.hpp>

namespace mck8s::gateway {
namespace {

ClusterStatusPtr Status(const std::string& name) {
  auto status = std::make_shared<v1::ClusterStatus>();
  status->mutable_identity()->set_name(name);
  return status;
}

FleetUpdate Changed(std::vector<ClusterStatusPtr> statuses) {
  FleetUpdate update;
  for (ClusterStatusPtr& status : statuses) update.changed[status->identity().name()] = status;
  return update;
}

class Harness {
 public:
  Harness()
      : feed_("inc"),
        service_(
            feed_, [this] { return shutting_down_.load(); }, absl::Milliseconds(20)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    REQUIRE(server_ != nullptr);
    stub_ = v1::ClusterState::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                                          grpc::InsecureChannelCredentials()));
  }
  ~Harness() {
    shutting_down_ = true;
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  Feed& feed() { return feed_; }
  v1::ClusterState::Stub& stub() { return *stub_; }
  void ShutDown() { shutting_down_ = true; }

 private:
  Feed feed_;
  std::atomic<bool> shutting_down_{false};
  ClusterStateService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::ClusterState::Stub> stub_;
};

void SetDeadline(grpc::ClientContext& context, int seconds = 10) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

TEST_CASE("cluster names are validated with the offending field named") {
  google::protobuf::RepeatedPtrField<std::string> names;
  CHECK(ValidateClusterNames(names).ok());
  *names.Add() = "a";
  *names.Add() = "b";
  REQUIRE(ValidateClusterNames(names).ok());
  CHECK(ValidateClusterNames(names)->size() == 2);
  *names.Add() = "";
  absl::Status empty = ValidateClusterNames(names).status();
  CHECK(empty.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(empty.message()) == "clusters[2]: must not be empty");
  names.Mutable(2)->assign("a");
  absl::Status repeated = ValidateClusterNames(names).status();
  CHECK(repeated.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(repeated.message()) == "clusters[2]: duplicate name \"a\" (also clusters[0])");
}

TEST_CASE("GetSnapshot fails with FAILED_PRECONDITION before the first snapshot") {
  Harness harness;
  grpc::ClientContext context;
  SetDeadline(context);
  v1::GetSnapshotResponse response;
  grpc::Status status = harness.stub().GetSnapshot(&context, {}, &response);
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_CASE("GetSnapshot and Watch reject empty and repeated names with INVALID_ARGUMENT") {
  Harness harness;
  harness.feed().Publish(Changed({Status("a")}), absl::Now());
  for (std::vector<std::string> names :
       {std::vector<std::string>{"a", ""}, std::vector<std::string>{"a", "b", "a"}}) {
    const std::string field = "clusters[" + std::to_string(names.size() - 1) + "]";
    {
      v1::GetSnapshotRequest request;
      for (const std::string& name : names) request.add_clusters(name);
      grpc::ClientContext context;
      SetDeadline(context);
      v1::GetSnapshotResponse response;
      grpc::Status status = harness.stub().GetSnapshot(&context, request, &response);
      CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
      CHECK(status.error_message().rfind(field, 0) == 0);
    }
    {
      v1::WatchRequest request;
      for (const std::string& name : names) request.add_clusters(name);
      grpc::ClientContext context;
      SetDeadline(context);
      auto reader = harness.stub().Watch(&context, request);
      v1::WatchEvent event;
      CHECK_FALSE(reader->Read(&event));
      grpc::Status status = reader->Finish();
      CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
      CHECK(status.error_message().rfind(field, 0) == 0);
    }
  }
}

TEST_CASE("GetSnapshot returns the newest snapshot restricted to the named clusters") {
  Harness harness;
  harness.feed().Publish(Changed({Status("a"), Status("b")}), absl::Now());
  v1::GetSnapshotRequest request;
  request.add_clusters("b");
  request.add_clusters("unknown");
  grpc::ClientContext context;
  SetDeadline(context);
  v1::GetSnapshotResponse response;
  REQUIRE(harness.stub().GetSnapshot(&context, request, &response).ok());
  CHECK(response.snapshot().revision() == 1);
  CHECK(response.snapshot().incarnation() == "inc");
  REQUIRE(response.snapshot().clusters_size() == 1);
  CHECK(response.snapshot().clusters(0).identity().name() == "b");
}

TEST_CASE("Watch opened before the first snapshot waits for it, then streams deltas") {
  Harness harness;
  grpc::ClientContext context;
  SetDeadline(context, 20);
  auto reader = harness.stub().Watch(&context, {});
  harness.feed().Publish(Changed({Status("a")}), absl::Now());
  v1::WatchEvent event;
  REQUIRE(reader->Read(&event));
  REQUIRE(event.has_snapshot());
  CHECK(event.revision() == 1);
  auto changed = std::make_shared<v1::ClusterStatus>(*Status("a"));
  changed->mutable_allocatable()->set_cpu_millis(5);
  harness.feed().Publish(Changed({changed}), absl::Now());
  REQUIRE(reader->Read(&event));
  REQUIRE(event.has_delta());
  CHECK(event.revision() == 2);
  CHECK(event.delta().base_revision() == 1);
  context.TryCancel();
  while (reader->Read(&event)) {
  }
  reader->Finish();
}

TEST_CASE("open Watch streams end with UNAVAILABLE when the gateway shuts down") {
  Harness harness;
  harness.feed().Publish(Changed({Status("a")}), absl::Now());
  grpc::ClientContext context;
  SetDeadline(context, 20);
  auto reader = harness.stub().Watch(&context, {});
  v1::WatchEvent event;
  REQUIRE(reader->Read(&event));
  harness.ShutDown();
  CHECK_FALSE(reader->Read(&event));
  CHECK(reader->Finish().error_code() == grpc::StatusCode::UNAVAILABLE);

  grpc::ClientContext again;
  SetDeadline(again);
  v1::GetSnapshotResponse response;
  CHECK(harness.stub().GetSnapshot(&again, {}, &response).error_code() ==
        grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace mck8s::gateway
