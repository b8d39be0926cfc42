// -----------------------------------------------------------------------------
// File: mck8s/scheduler/scheduler_service.h
// -----------------------------------------------------------------------------
//
// The mck8s.v1.Scheduler gRPC service (proto/mck8s/v1/scheduler.proto):
// Place, Offload and Burst decided by the same Placer as the controllers.
//
// With dry_run the decision is returned and nothing is written (the
// workload need not exist). Otherwise the decision is recorded in the
// workload's status exactly as the workload controller records its own
// (placement, observedGeneration, the Scheduled condition), with the
// object's resourceVersion as a precondition; the controller then applies
// it to the member clusters, and a restart of the scheduler loses nothing.
//
// Errors follow the proto: INVALID_ARGUMENT naming the field by proto path,
// NOT_FOUND (workload missing when writing; Burst's near_cluster unknown),
// FAILED_PRECONDITION (no snapshot yet; uid mismatch; workload being
// deleted), ABORTED (the workload changed while recording), UNAVAILABLE
// (the API server did not answer).
//
// Usage:
//
//   SchedulerService service(placer, &management_client);
//   runtime.AddGrpcService(&service, "mck8s.v1.Scheduler");
//
// Thread safety: handlers run concurrently; the Placer serialises recorded
// decisions.

#ifndef MCK8S_SCHEDULER_SCHEDULER_SERVICE_H_
#define MCK8S_SCHEDULER_SCHEDULER_SERVICE_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/placement/request.h"
#include "mck8s/scheduler/placer.h"
#include "mck8s/v1/scheduler.grpc.pb.h"

namespace mck8s::scheduler {

// Proto -> engine conversions. INVALID_ARGUMENT naming the proto path for
// enum values this server does not know, an unset workload kind, a missing
// replica_count, or a malformed label selector or toleration; the rest is
// left to the engine's Validate*Request.
absl::StatusOr<placement::PlaceRequest> FromProto(const v1::PlaceRequest& request);
absl::StatusOr<placement::OffloadRequest> FromProto(const v1::OffloadRequest& request);
absl::StatusOr<placement::BurstRequest> FromProto(const v1::BurstRequest& request);

// Engine request -> proto, for clients (mck8sctl explain): the inverse of
// FromProto. dry_run and explain are left to the caller.
v1::PlaceRequest PlaceRequestToProto(const placement::PlaceRequest& request);

// Engine -> proto.
void ToProto(const placement::Decision& decision, bool explain, v1::Placement* placement,
             v1::Explanation* explanation);

class WorkerPool;

class SchedulerService final : public v1::Scheduler::CallbackService {
 public:
  // `management` may be null: every call must then be a dry run
  // (FAILED_PRECONDITION otherwise).
  SchedulerService(Placer& placer, kubeapi::Client* management);
  // Waits for the calls handed to the writer threads.
  ~SchedulerService() override;

  // Callback handlers: a dry run is decided on gRPC's own thread, which
  // costs no thread hand-over; a call that records its decision waits for
  // the API server, so it runs on one of the service's writer threads.
  grpc::ServerUnaryReactor* Place(grpc::CallbackServerContext* context,
                                  const v1::PlaceRequest* request,
                                  v1::PlaceResponse* response) override;
  grpc::ServerUnaryReactor* Offload(grpc::CallbackServerContext* context,
                                    const v1::OffloadRequest* request,
                                    v1::OffloadResponse* response) override;
  grpc::ServerUnaryReactor* Burst(grpc::CallbackServerContext* context,
                                  const v1::BurstRequest* request,
                                  v1::BurstResponse* response) override;
  // Reads, decides and writes one message at a time, so answers keep the
  // order of the requests; recorded decisions run on a writer thread.
  grpc::ServerBidiReactor<v1::PlaceRequest, v1::PlaceStreamResponse>* PlaceStream(
      grpc::CallbackServerContext* context) override;

 private:
  class PlaceStreamReactor;

  // Place's whole answer to one request.
  grpc::Status ServePlace(const v1::PlaceRequest& request, v1::PlaceResponse* response);
  // Runs `serve` inline for a dry run, on a writer thread otherwise, and
  // finishes the call with its status.
  template <typename Request>
  grpc::ServerUnaryReactor* Dispatch(grpc::CallbackServerContext* context, const Request& request,
                                     std::function<grpc::Status()> serve);

  // Reads the workload for a write (NOT_FOUND, FAILED_PRECONDITION).
  absl::StatusOr<kubeapi::Object> ReadForWrite(const v1::WorkloadRef& ref);
  // Writes the decision into the workload's status; returns whether it
  // changed anything (ABORTED on a conflict, UNAVAILABLE otherwise).
  absl::StatusOr<bool> Persist(kubeapi::Object object, const placement::Decision& decision,
                               int64_t requested);
  // What Place, Offload and Burst share: convert the request, read the
  // workload unless it is a dry run, decide with `decide(converted,
  // commit)`, answer, and persist the (decision, requested replicas) pair
  // `record(converted, decision)` makes of the decision.
  template <typename Request, typename Response, typename Decide, typename Record>
  grpc::Status Serve(const Request& request, Response* response, Decide decide, Record record);

  Placer& placer_;
  kubeapi::Client* management_;
  // Declared last: destroyed first, so queued calls still find the rest.
  std::unique_ptr<WorkerPool> writers_;
};

}  // namespace mck8s::scheduler

#endif  // MCK8S_SCHEDULER_SCHEDULER_SERVICE_H_
