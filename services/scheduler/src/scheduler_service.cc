#include "mck8s/scheduler/scheduler_service.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/base/strings.h"
#include "mck8s/kubeapi/errors.h"
#include "mck8s/runtime/grpc_server.h"
#include "mck8s/scheduler/workload.h"
#include "worker_pool.h"

namespace mck8s::scheduler {
namespace {

using placement::WorkloadKind;

absl::Status Invalid(absl::string_view field, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

absl::StatusOr<placement::WorkloadKey> ConvertWorkload(const v1::WorkloadRef& ref) {
  placement::WorkloadKey key;
  switch (ref.kind()) {
    case v1::WORKLOAD_KIND_MULTI_CLUSTER_DEPLOYMENT:
      key.kind = WorkloadKind::kMultiClusterDeployment;
      break;
    case v1::WORKLOAD_KIND_MULTI_CLUSTER_JOB:
      key.kind = WorkloadKind::kMultiClusterJob;
      break;
    case v1::WORKLOAD_KIND_UNSPECIFIED:
      return Invalid("workload.kind", "must be set");
    default:
      return Invalid("workload.kind", absl::StrCat("unknown value ", ref.kind()));
  }
  key.ns = ref.namespace_();
  key.name = ref.name();
  return key;
}

absl::StatusOr<std::vector<placement::Toleration>> ConvertTolerations(
    const google::protobuf::RepeatedPtrField<v1::Toleration>& list, const std::string& field) {
  std::vector<placement::Toleration> out;
  for (int i = 0; i < list.size(); ++i) {
    const v1::Toleration& t = list[i];
    const std::string item = absl::StrCat(field, "[", i, "]");
    placement::Toleration toleration;
    toleration.key = t.key();
    toleration.value = t.value();
    switch (t.operator_()) {
      case v1::TOLERATION_OPERATOR_UNSPECIFIED:
      case v1::TOLERATION_OPERATOR_EQUAL:
        toleration.op = placement::TolerationOperator::kEqual;
        break;
      case v1::TOLERATION_OPERATOR_EXISTS:
        toleration.op = placement::TolerationOperator::kExists;
        break;
      default:
        return Invalid(absl::StrCat(item, ".operator"),
                       absl::StrCat("unknown value ", t.operator_()));
    }
    switch (t.effect()) {
      case v1::TAINT_EFFECT_UNSPECIFIED:
        break;
      case v1::TAINT_EFFECT_NO_SCHEDULE:
        toleration.effect = placement::TaintEffect::kNoSchedule;
        break;
      case v1::TAINT_EFFECT_PREFER_NO_SCHEDULE:
        toleration.effect = placement::TaintEffect::kPreferNoSchedule;
        break;
      case v1::TAINT_EFFECT_NO_EXECUTE:
        toleration.effect = placement::TaintEffect::kNoExecute;
        break;
      default:
        return Invalid(absl::StrCat(item, ".effect"), absl::StrCat("unknown value ", t.effect()));
    }
    if (t.has_evict_after()) toleration.evict_after_seconds = t.evict_after().seconds();
    out.push_back(std::move(toleration));
  }
  return out;
}

absl::StatusOr<placement::ReplicaRequirements> ConvertReplica(
    const v1::ReplicaRequirements& replica) {
  placement::ReplicaRequirements out;
  out.requests.cpu_millis = replica.requests().cpu_millis();
  out.requests.memory_bytes = replica.requests().memory_bytes();
  out.requests.pods = 1;
  for (const auto& [key, value] : replica.node_selector()) out.node_selector.emplace(key, value);
  absl::StatusOr<std::vector<placement::Toleration>> tolerations =
      ConvertTolerations(replica.node_tolerations(), "replica.node_tolerations");
  if (!tolerations.ok()) return tolerations.status();
  out.node_tolerations = *std::move(tolerations);
  return out;
}

absl::StatusOr<placement::ClusterConstraints> ConvertConstraints(
    const v1::ClusterConstraints& constraints, bool present) {
  placement::ClusterConstraints out;
  if (!present) return out;
  if (constraints.has_allowed()) {
    const v1::ClusterSelector& allowed = constraints.allowed();
    placement::ClusterSelector selector;
    selector.names.assign(allowed.names().begin(), allowed.names().end());
    selector.regions.assign(allowed.regions().begin(), allowed.regions().end());
    if (allowed.has_label_selector()) {
      const v1::LabelSelector& ls = allowed.label_selector();
      std::vector<k8stypes::LabelSelectorExpression> expressions;
      for (int i = 0; i < ls.match_expressions_size(); ++i) {
        const v1::LabelSelectorRequirement& r = ls.match_expressions(i);
        k8stypes::LabelSelectorExpression e;
        e.key = r.key();
        e.values.assign(r.values().begin(), r.values().end());
        switch (r.operator_()) {
          case v1::LABEL_SELECTOR_OPERATOR_IN:
            e.op = "In";
            break;
          case v1::LABEL_SELECTOR_OPERATOR_NOT_IN:
            e.op = "NotIn";
            break;
          case v1::LABEL_SELECTOR_OPERATOR_EXISTS:
            e.op = "Exists";
            break;
          case v1::LABEL_SELECTOR_OPERATOR_DOES_NOT_EXIST:
            e.op = "DoesNotExist";
            break;
          default:
            return Invalid(absl::StrCat("constraints.allowed.label_selector.match_expressions[", i,
                                        "].operator"),
                           absl::StrCat("unknown value ", r.operator_()));
        }
        if (absl::StatusOr<k8stypes::LabelSelector> one =
                k8stypes::LabelSelector::FromMatchEntries({}, {e});
            !one.ok()) {
          return Invalid(
              absl::StrCat("constraints.allowed.label_selector.match_expressions[", i, "]"),
              one.status().message());
        }
        expressions.push_back(std::move(e));
      }
      absl::StatusOr<k8stypes::LabelSelector> parsed =
          k8stypes::LabelSelector::FromMatch(ls.match_labels(), expressions);
      if (!parsed.ok()) {
        return Invalid("constraints.allowed.label_selector", parsed.status().message());
      }
      selector.label_selector = *std::move(parsed);
    }
    out.allowed = std::move(selector);
  }
  out.excluded.assign(constraints.excluded().begin(), constraints.excluded().end());
  absl::StatusOr<std::vector<placement::Toleration>> tolerations =
      ConvertTolerations(constraints.tolerations(), "constraints.tolerations");
  if (!tolerations.ok()) return tolerations.status();
  out.tolerations = *std::move(tolerations);
  return out;
}

placement::CurrentPlacement ConvertCurrent(const google::protobuf::Map<std::string, int32_t>& map) {
  placement::CurrentPlacement out;
  for (const auto& [cluster, replicas] : map) out[cluster] = replicas;
  return out;
}

void SetTimestamp(const std::optional<absl::Time>& time, google::protobuf::Timestamp* out) {
  if (!time.has_value()) return;
  const int64_t nanos = absl::ToUnixNanos(*time);
  out->set_seconds(nanos / 1'000'000'000);
  out->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
}

int32_t ClampInt32(int64_t value) {
  return static_cast<int32_t>(std::clamp<int64_t>(value, 0, std::numeric_limits<int32_t>::max()));
}

grpc::Status ToGrpc(const absl::Status& status) { return runtime::ToGrpcStatus(status); }

// The fields Place, Offload and Burst requests start with: the workload
// and what one replica needs.
template <typename Proto, typename Request>
absl::Status ConvertWorkloadAndReplica(const Proto& request, Request& out) {
  MCK8S_ASSIGN_OR_RETURN(out.workload, ConvertWorkload(request.workload()));
  MCK8S_ASSIGN_OR_RETURN(out.replica, ConvertReplica(request.replica()));
  return absl::OkStatus();
}

// The fields they end with: constraints, the current placement, explain.
template <typename Proto, typename Request>
absl::Status ConvertConstraintsAndCurrent(const Proto& request, Request& out) {
  MCK8S_ASSIGN_OR_RETURN(out.constraints,
                         ConvertConstraints(request.constraints(), request.has_constraints()));
  out.current_placement = ConvertCurrent(request.current_placement());
  out.explain = request.explain();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<placement::PlaceRequest> FromProto(const v1::PlaceRequest& request) {
  placement::PlaceRequest out;
  MCK8S_RETURN_IF_ERROR(ConvertWorkloadAndReplica(request, out));
  switch (request.replica_count_case()) {
    case v1::PlaceRequest::kReplicasPerLocation:
      out.replica_count = placement::ReplicasPerLocation{request.replicas_per_location()};
      break;
    case v1::PlaceRequest::kLocations: {
      placement::Locations locations;
      for (const v1::ClusterReplicas& c : request.locations().clusters()) {
        locations.clusters.push_back({c.cluster(), c.replicas()});
      }
      out.replica_count = std::move(locations);
      break;
    }
    default:
      return Invalid("replica_count", "required (replicas_per_location or locations)");
  }
  switch (request.policy()) {
    case v1::PLACEMENT_POLICY_UNSPECIFIED:
      break;
    case v1::PLACEMENT_POLICY_CLUSTER_AFFINITY:
      out.policy = placement::Policy::kClusterAffinity;
      break;
    case v1::PLACEMENT_POLICY_WORST_FIT:
      out.policy = placement::Policy::kWorstFit;
      break;
    case v1::PLACEMENT_POLICY_BEST_FIT:
      out.policy = placement::Policy::kBestFit;
      break;
    case v1::PLACEMENT_POLICY_TRAFFIC_AWARE:
      out.policy = placement::Policy::kTrafficAware;
      break;
    case v1::PLACEMENT_POLICY_SPREAD:
      out.policy = placement::Policy::kSpread;
      break;
    default:
      return Invalid("policy", absl::StrCat("unknown value ", request.policy()));
  }
  out.number_of_locations = request.number_of_locations();
  MCK8S_RETURN_IF_ERROR(ConvertConstraintsAndCurrent(request, out));
  out.preferred_clusters.assign(request.preferred_clusters().begin(),
                                request.preferred_clusters().end());
  out.allow_cloud = true;
  if (absl::Status s = placement::ValidatePlaceRequest(out); !s.ok()) return s;
  return out;
}

absl::StatusOr<placement::OffloadRequest> FromProto(const v1::OffloadRequest& request) {
  placement::OffloadRequest out;
  MCK8S_RETURN_IF_ERROR(ConvertWorkloadAndReplica(request, out));
  out.from_cluster = request.from_cluster();
  out.replicas = request.replicas();
  MCK8S_RETURN_IF_ERROR(ConvertConstraintsAndCurrent(request, out));
  out.allow_cloud = request.allow_cloud();
  if (absl::Status s = placement::ValidateOffloadRequest(out); !s.ok()) return s;
  return out;
}

absl::StatusOr<placement::BurstRequest> FromProto(const v1::BurstRequest& request) {
  placement::BurstRequest out;
  MCK8S_RETURN_IF_ERROR(ConvertWorkloadAndReplica(request, out));
  out.near_cluster = request.near_cluster();
  out.replicas = request.replicas();
  MCK8S_RETURN_IF_ERROR(ConvertConstraintsAndCurrent(request, out));
  out.allow_cloud = request.allow_cloud();
  if (absl::Status s = placement::ValidateBurstRequest(out); !s.ok()) return s;
  return out;
}

namespace {

v1::TaintEffect EffectToProto(const std::optional<placement::TaintEffect>& effect) {
  if (!effect.has_value()) return v1::TAINT_EFFECT_UNSPECIFIED;
  switch (*effect) {
    case placement::TaintEffect::kNoSchedule:
      return v1::TAINT_EFFECT_NO_SCHEDULE;
    case placement::TaintEffect::kPreferNoSchedule:
      return v1::TAINT_EFFECT_PREFER_NO_SCHEDULE;
    case placement::TaintEffect::kNoExecute:
      return v1::TAINT_EFFECT_NO_EXECUTE;
  }
  return v1::TAINT_EFFECT_UNSPECIFIED;
}

void TolerationsToProto(const std::vector<placement::Toleration>& tolerations,
                        google::protobuf::RepeatedPtrField<v1::Toleration>* out) {
  for (const placement::Toleration& t : tolerations) {
    v1::Toleration* p = out->Add();
    p->set_key(t.key);
    p->set_value(t.value);
    p->set_operator_(t.op == placement::TolerationOperator::kExists
                         ? v1::TOLERATION_OPERATOR_EXISTS
                         : v1::TOLERATION_OPERATOR_EQUAL);
    p->set_effect(EffectToProto(t.effect));
    if (t.evict_after_seconds.has_value()) {
      p->mutable_evict_after()->set_seconds(*t.evict_after_seconds);
    }
  }
}

v1::PlacementPolicy PolicyToProto(placement::Policy policy) {
  switch (policy) {
    case placement::Policy::kClusterAffinity:
      return v1::PLACEMENT_POLICY_CLUSTER_AFFINITY;
    case placement::Policy::kWorstFit:
      return v1::PLACEMENT_POLICY_WORST_FIT;
    case placement::Policy::kBestFit:
      return v1::PLACEMENT_POLICY_BEST_FIT;
    case placement::Policy::kTrafficAware:
      return v1::PLACEMENT_POLICY_TRAFFIC_AWARE;
    case placement::Policy::kSpread:
      return v1::PLACEMENT_POLICY_SPREAD;
  }
  return v1::PLACEMENT_POLICY_UNSPECIFIED;
}

}  // namespace

v1::PlaceRequest PlaceRequestToProto(const placement::PlaceRequest& request) {
  v1::PlaceRequest out;
  out.mutable_workload()->set_kind(request.workload.kind == WorkloadKind::kMultiClusterJob
                                       ? v1::WORKLOAD_KIND_MULTI_CLUSTER_JOB
                                       : v1::WORKLOAD_KIND_MULTI_CLUSTER_DEPLOYMENT);
  out.mutable_workload()->set_namespace_(request.workload.ns);
  out.mutable_workload()->set_name(request.workload.name);
  out.mutable_replica()->mutable_requests()->set_cpu_millis(request.replica.requests.cpu_millis);
  out.mutable_replica()->mutable_requests()->set_memory_bytes(
      request.replica.requests.memory_bytes);
  for (const auto& [key, value] : request.replica.node_selector) {
    (*out.mutable_replica()->mutable_node_selector())[key] = value;
  }
  TolerationsToProto(request.replica.node_tolerations,
                     out.mutable_replica()->mutable_node_tolerations());
  if (const auto* per = std::get_if<placement::ReplicasPerLocation>(&request.replica_count)) {
    out.set_replicas_per_location(per->replicas);
  } else if (const auto* locations = std::get_if<placement::Locations>(&request.replica_count)) {
    for (const placement::ClusterReplicas& c : locations->clusters) {
      v1::ClusterReplicas* p = out.mutable_locations()->add_clusters();
      p->set_cluster(c.cluster);
      p->set_replicas(c.replicas);
    }
  }
  if (request.policy.has_value()) out.set_policy(PolicyToProto(*request.policy));
  out.set_number_of_locations(request.number_of_locations);
  const placement::ClusterConstraints& constraints = request.constraints;
  if (constraints.allowed.has_value()) {
    v1::ClusterSelector* allowed = out.mutable_constraints()->mutable_allowed();
    for (const std::string& name : constraints.allowed->names) allowed->add_names(name);
    for (const std::string& region : constraints.allowed->regions) allowed->add_regions(region);
    if (constraints.allowed->label_selector.has_value()) {
      v1::LabelSelector* selector = allowed->mutable_label_selector();
      for (const k8stypes::LabelRequirement& r :
           constraints.allowed->label_selector->requirements()) {
        v1::LabelSelectorRequirement* p = selector->add_match_expressions();
        p->set_key(r.key());
        for (const std::string& v : r.values()) p->add_values(v);
        switch (r.op()) {
          case k8stypes::SelectorOperator::kNotIn:
          case k8stypes::SelectorOperator::kNotEquals:
            p->set_operator_(v1::LABEL_SELECTOR_OPERATOR_NOT_IN);
            break;
          case k8stypes::SelectorOperator::kExists:
            p->set_operator_(v1::LABEL_SELECTOR_OPERATOR_EXISTS);
            break;
          case k8stypes::SelectorOperator::kDoesNotExist:
            p->set_operator_(v1::LABEL_SELECTOR_OPERATOR_DOES_NOT_EXIST);
            break;
          default:
            p->set_operator_(v1::LABEL_SELECTOR_OPERATOR_IN);
            break;
        }
      }
    }
  }
  for (const std::string& name : constraints.excluded) {
    out.mutable_constraints()->add_excluded(name);
  }
  TolerationsToProto(constraints.tolerations, out.mutable_constraints()->mutable_tolerations());
  for (const std::string& name : request.preferred_clusters) out.add_preferred_clusters(name);
  for (const auto& [cluster, replicas] : request.current_placement) {
    (*out.mutable_current_placement())[cluster] = replicas;
  }
  return out;
}

void ToProto(const placement::Decision& decision, bool explain, v1::Placement* placement,
             v1::Explanation* explanation) {
  for (const placement::Assignment& a : decision.assignments) {
    v1::ClusterAssignment* out = placement->add_assignments();
    out->set_cluster(a.cluster);
    out->set_replicas(a.replicas);
    switch (a.reason) {
      case placement::AssignmentReason::kPreferred:
        out->set_reason(v1::ASSIGNMENT_REASON_PREFERRED);
        break;
      case placement::AssignmentReason::kOffloaded:
        out->set_reason(v1::ASSIGNMENT_REASON_OFFLOADED);
        break;
      case placement::AssignmentReason::kBurst:
        out->set_reason(v1::ASSIGNMENT_REASON_BURST);
        break;
      case placement::AssignmentReason::kCloud:
        out->set_reason(v1::ASSIGNMENT_REASON_CLOUD);
        break;
    }
  }
  if (!explain || explanation == nullptr) return;
  explanation->set_summary(decision.explanation.summary);
  for (const placement::ClusterExplanation& c : decision.explanation.clusters) {
    v1::ClusterExplanation* out = explanation->add_clusters();
    out->set_cluster(c.cluster);
    if (c.filtered.has_value()) {
      out->mutable_filtered()->set_filter(c.filtered->filter);
      out->mutable_filtered()->set_reason(c.filtered->reason);
    } else {
      v1::ClusterScores* scored = out->mutable_scored();
      for (const placement::ScorerResult& s : c.scores) {
        v1::ScorerResult* score = scored->add_scores();
        score->set_scorer(s.scorer);
        score->set_score(s.score);
      }
      scored->set_total(c.total);
    }
    if (c.max_replicas.has_value()) out->set_max_replicas(ClampInt32(*c.max_replicas));
    if (c.rtt.has_value()) {
      out->mutable_rtt()->set_origin_cluster(c.rtt->origin_cluster);
      out->mutable_rtt()->set_rtt_ms(c.rtt->rtt_ms);
    }
  }
}

// Calls that record a decision each wait for two API requests; four at a
// time keep up with the rate the client's limiter allows.
constexpr int kWriterThreads = 4;

SchedulerService::SchedulerService(Placer& placer, kubeapi::Client* management)
    : placer_(placer),
      management_(management),
      writers_(std::make_unique<WorkerPool>(kWriterThreads)) {}

SchedulerService::~SchedulerService() = default;

template <typename Request>
grpc::ServerUnaryReactor* SchedulerService::Dispatch(grpc::CallbackServerContext* context,
                                                     const Request& request,
                                                     std::function<grpc::Status()> serve) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request.dry_run()) {
    reactor->Finish(serve());
  } else {
    writers_->Schedule([reactor, serve = std::move(serve)] { reactor->Finish(serve()); });
  }
  return reactor;
}

absl::StatusOr<kubeapi::Object> SchedulerService::ReadForWrite(const v1::WorkloadRef& ref) {
  if (management_ == nullptr) {
    return absl::FailedPreconditionError("dry_run: this server records no decisions");
  }
  const kubeapi::GroupVersionResource& gvr = ResourceOf(
      ref.kind() == v1::WORKLOAD_KIND_MULTI_CLUSTER_JOB ? WorkloadKind::kMultiClusterJob
                                                        : WorkloadKind::kMultiClusterDeployment);
  absl::StatusOr<kubeapi::Object> object = management_->Get(gvr, ref.namespace_(), ref.name());
  if (!object.ok()) {
    if (absl::IsNotFound(object.status())) {
      return absl::NotFoundError(
          absl::StrCat("workload: ", ref.namespace_(), "/", ref.name(), " does not exist"));
    }
    return absl::UnavailableError(
        absl::StrCat("reading the workload: ", kubeapi::ErrorText(object.status())));
  }
  if (!ref.uid().empty() && ToAbsl(object->uid()) != ref.uid()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "workload.uid: \"", ref.uid(), "\" but the object's is \"", ToAbsl(object->uid()), "\""));
  }
  if (object->IsBeingDeleted()) {
    return absl::FailedPreconditionError("workload: being deleted");
  }
  return object;
}

absl::StatusOr<bool> SchedulerService::Persist(kubeapi::Object object,
                                               const placement::Decision& decision,
                                               int64_t requested) {
  const WorkloadKind kind = decision.workload.kind;
  kubeapi::Object after = object;
  std::string selector;
  if (absl::StatusOr<WorkloadSpec> spec = ParseWorkloadSpec(object, kind); spec.ok()) {
    selector = spec->selector_string;
  }
  SetDecisionStatus(after, kind, decision, requested, selector, absl::Now());
  const rapidjson::Value* before_status = object.status();
  const rapidjson::Value* after_status = after.status();
  if (before_status != nullptr && after_status != nullptr &&
      kubeapi::JsonToString(*before_status) == kubeapi::JsonToString(*after_status)) {
    return false;
  }
  absl::StatusOr<kubeapi::Object> updated = management_->UpdateStatus(ResourceOf(kind), after);
  if (!updated.ok()) {
    if (kubeapi::IsConflict(updated.status())) {
      return absl::AbortedError("workload: changed while the decision was recorded; retry");
    }
    if (absl::IsNotFound(updated.status())) {
      return absl::NotFoundError("workload: deleted while the decision was recorded");
    }
    return absl::UnavailableError(
        absl::StrCat("recording the decision: ", kubeapi::ErrorText(updated.status())));
  }
  return true;
}

template <typename Request, typename Response, typename Decide, typename Record>
grpc::Status SchedulerService::Serve(const Request& request, Response* response, Decide decide,
                                     Record record) {
  auto converted = FromProto(request);
  if (!converted.ok()) return ToGrpc(converted.status());
  std::optional<kubeapi::Object> object;
  if (!request.dry_run()) {
    absl::StatusOr<kubeapi::Object> read = ReadForWrite(request.workload());
    if (!read.ok()) return ToGrpc(read.status());
    object = *std::move(read);
  }
  absl::StatusOr<Placer::Result> result = decide(*converted, !request.dry_run());
  if (!result.ok()) return ToGrpc(result.status());
  const placement::Decision& decision = result->decision;
  ToProto(decision, request.explain(), response->mutable_placement(),
          response->mutable_explanation());
  if (!request.explain()) response->clear_explanation();
  response->set_unplaced_replicas(ClampInt32(decision.unplaced_replicas));
  response->set_snapshot_revision(decision.snapshot_revision);
  SetTimestamp(result->taken_at, response->mutable_snapshot_taken_at());
  if (object.has_value()) {
    const auto [recorded, requested] = record(*converted, decision);
    absl::StatusOr<bool> persisted = Persist(*std::move(object), recorded, requested);
    if (!persisted.ok()) {
      placer_.Forget(decision.workload);
      return ToGrpc(persisted.status());
    }
    response->set_persisted(*persisted);
  }
  return grpc::Status::OK;
}

grpc::Status SchedulerService::ServePlace(const v1::PlaceRequest& request,
                                          v1::PlaceResponse* response) {
  return Serve(
      request, response,
      [this](const placement::PlaceRequest& converted, bool commit) {
        return placer_.Place(converted, commit);
      },
      [](const placement::PlaceRequest& converted, const placement::Decision& decision) {
        return std::pair(decision, placement::TotalReplicas(converted));
      });
}

grpc::ServerUnaryReactor* SchedulerService::Place(grpc::CallbackServerContext* context,
                                                  const v1::PlaceRequest* request,
                                                  v1::PlaceResponse* response) {
  return Dispatch(context, *request,
                  [this, request, response] { return ServePlace(*request, response); });
}

class SchedulerService::PlaceStreamReactor final
    : public grpc::ServerBidiReactor<v1::PlaceRequest, v1::PlaceStreamResponse> {
 public:
  explicit PlaceStreamReactor(SchedulerService& service) : service_(service) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client half-closed (or went away): every answer is written.
      Finish(grpc::Status::OK);
      return;
    }
    if (request_.dry_run()) {
      Answer();
    } else {
      service_.writers_->Schedule([this] { Answer(); });
    }
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the stream broke"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  void Answer() {
    answer_.Clear();
    grpc::Status status = service_.ServePlace(request_, answer_.mutable_response());
    if (!status.ok()) {
      answer_.clear_response();
      answer_.set_error_code(status.error_code());
      answer_.set_error_message(status.error_message());
    }
    StartWrite(&answer_);
  }

  SchedulerService& service_;
  v1::PlaceRequest request_;
  v1::PlaceStreamResponse answer_;
};

grpc::ServerBidiReactor<v1::PlaceRequest, v1::PlaceStreamResponse>* SchedulerService::PlaceStream(
    grpc::CallbackServerContext*) {
  return new PlaceStreamReactor(*this);
}

grpc::ServerUnaryReactor* SchedulerService::Offload(grpc::CallbackServerContext* context,
                                                    const v1::OffloadRequest* request,
                                                    v1::OffloadResponse* response) {
  return Dispatch(context, *request, [this, request, response] {
    return Serve(
        *request, response,
        [this](const placement::OffloadRequest& converted, bool commit) {
          return placer_.Offload(converted, commit);
        },
        [](const placement::OffloadRequest&, const placement::Decision& decision) {
          // Replicas Offload could not move stay on the origin (they are in
          // the assignments): none is unplaced in the workload's status.
          placement::Decision recorded = decision;
          recorded.unplaced_replicas = 0;
          const int64_t requested = recorded.PlacedReplicas();
          return std::pair(std::move(recorded), requested);
        });
  });
}

grpc::ServerUnaryReactor* SchedulerService::Burst(grpc::CallbackServerContext* context,
                                                  const v1::BurstRequest* request,
                                                  v1::BurstResponse* response) {
  return Dispatch(context, *request, [this, request, response] {
    return Serve(
        *request, response,
        [this](const placement::BurstRequest& converted, bool commit) {
          return placer_.Burst(converted, commit);
        },
        [](const placement::BurstRequest&, const placement::Decision& decision) {
          return std::pair(decision, decision.PlacedReplicas() + decision.unplaced_replicas);
        });
  });
}

}  // namespace mck8s::scheduler
