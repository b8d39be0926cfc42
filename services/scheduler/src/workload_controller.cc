#include "mck8s/scheduler/workload_controller.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/base/strings.h"
#include "mck8s/kubeapi/errors.h"
#include "mck8s/runtime/log.h"

namespace mck8s::scheduler {
namespace {

namespace rlog = runtime::log;
using kubeapi::Object;
using kubeapi::Result;
using placement::WorkloadKind;

const kubeapi::GroupVersionResource kNamespaces{"", "v1", "namespaces"};

std::string StatusJson(const Object& object) {
  const rapidjson::Value* status = object.status();
  return status == nullptr ? "" : kubeapi::JsonToString(*status);
}

void RemoveCondition(Object& object, std::string_view type) {
  rapidjson::Value& root = object.mutable_json();
  if (!root.HasMember("status") || !root["status"].IsObject()) return;
  rapidjson::Value& status = root["status"];
  if (!status.HasMember("conditions") || !status["conditions"].IsArray()) return;
  rapidjson::Value& list = status["conditions"];
  for (auto it = list.Begin(); it != list.End(); ++it) {
    if (it->IsObject() && it->HasMember("type") && (*it)["type"].IsString() &&
        std::string_view((*it)["type"].GetString()) == type) {
      list.Erase(it);
      return;
    }
  }
}

// The decision status holds for the current generation, if any.
bool HoldsDecision(const Object& object) {
  if (object.FindInt("/status/observedGeneration").value_or(-1) != object.generation()) {
    return false;
  }
  std::optional<Condition> scheduled = FindCondition(object, "Scheduled");
  return scheduled.has_value() &&
         (scheduled->reason == "Scheduled" || scheduled->reason == "PartiallyScheduled");
}

// status.placement as counts; an MCJ runs one Job per listed cluster.
std::vector<ClusterPlacement> RecordedPlacement(const Object& object, WorkloadKind kind) {
  std::vector<ClusterPlacement> placement = PlacementFromStatus(object);
  if (kind == WorkloadKind::kMultiClusterJob) {
    for (ClusterPlacement& p : placement) p.replicas = 1;
  }
  return placement;
}

// Creates `ns` in a member cluster; an existing namespace is fine.
absl::Status EnsureNamespace(kubeapi::Client& client, std::string_view ns) {
  Object namespace_object("v1", "Namespace");
  namespace_object.SetName(ns);
  absl::StatusOr<Object> created = client.Create(kNamespaces, namespace_object);
  if (created.ok() || absl::IsAlreadyExists(created.status())) return absl::OkStatus();
  return created.status();
}

}  // namespace

WorkloadController::WorkloadController(WorkloadKind kind, kubeapi::Client& management,
                                       const MemberClients& members, Placer& placer,
                                       kubeapi::EventRecorder* events,
                                       WorkloadControllerOptions options)
    : kind_(kind),
      management_(management),
      members_(members),
      placer_(placer),
      events_(events),
      options_(std::move(options)),
      informer_(management, ResourceOf(kind),
                [&] {
                  kubeapi::InformerOptions o;
                  o.namespace_name = options_.namespace_name;
                  o.resync_period = options_.resync;
                  return o;
                }()),
      controller_(
          kind == WorkloadKind::kMultiClusterJob ? "multiclusterjob" : "multiclusterdeployment",
          [this](const kubeapi::ObjectKey& key) { return Reconcile(key); },
          [&] {
            kubeapi::ControllerOptions o;
            o.workers = options_.workers;
            o.metrics = options_.metrics;
            return o;
          }()) {
  informer_.AddEventHandler(controller_.EnqueueHandler());
}

WorkloadController::~WorkloadController() { Stop(); }

void WorkloadController::Start() {
  controller_.Start();
  informer_.Start();
}

void WorkloadController::Stop() {
  informer_.Stop();
  controller_.Stop();
}

absl::Status WorkloadController::DeleteMemberObjects(const Object& object,
                                                     const std::set<std::string>& keep) {
  const kubeapi::GroupVersionResource& gvr =
      kind_ == WorkloadKind::kMultiClusterJob ? kJobs : kDeployments;
  kubeapi::ListOptions list_options;
  list_options.label_selector =
      WorkloadLabelSelector(kind_, object.namespace_name(), object.name());
  std::vector<std::string> failures;
  for (const std::string& cluster : members_.Names()) {
    if (keep.contains(cluster)) continue;
    std::shared_ptr<kubeapi::Client> client = members_.Get(cluster);
    if (client == nullptr) continue;
    absl::StatusOr<kubeapi::ObjectList> found =
        client->List(gvr, object.namespace_name(), list_options);
    if (!found.ok()) {
      if (absl::IsNotFound(found.status())) continue;
      failures.push_back(absl::StrCat(cluster, ": ", kubeapi::ErrorText(found.status())));
      continue;
    }
    for (const Object& item : found->items) {
      if (item.IsBeingDeleted()) continue;
      kubeapi::DeleteOptions delete_options;
      delete_options.propagation_policy = kubeapi::PropagationPolicy::kBackground;
      absl::Status deleted =
          client->Delete(gvr, item.namespace_name(), item.name(), delete_options);
      if (!deleted.ok() && !absl::IsNotFound(deleted)) {
        failures.push_back(absl::StrCat(cluster, ": ", kubeapi::ErrorText(deleted)));
      } else {
        rlog::Info("removed member object",
                   {{"workload", object.key().String()}, {"cluster", cluster}});
      }
    }
  }
  if (!failures.empty()) return absl::UnavailableError(absl::StrJoin(failures, "; "));
  return absl::OkStatus();
}

absl::Status WorkloadController::SweepUnlessClean(const Object& object,
                                                  const std::set<std::string>& keep,
                                                  bool never_decided) {
  std::vector<std::string> members = members_.Names();
  std::sort(members.begin(), members.end());
  Sweep sweep{keep, std::move(members)};
  const std::string key = object.key().String();
  {
    absl::MutexLock lock(&swept_mu_);
    auto it = swept_.find(key);
    if (it != swept_.end() && it->second == sweep) return absl::OkStatus();
  }
  if (!never_decided) MCK8S_RETURN_IF_ERROR(DeleteMemberObjects(object, keep));
  absl::MutexLock lock(&swept_mu_);
  swept_[key] = std::move(sweep);
  return absl::OkStatus();
}

absl::StatusOr<Result> WorkloadController::Finalize(Object& object) {
  {
    absl::MutexLock lock(&swept_mu_);
    swept_.erase(object.key().String());
  }
  if (absl::Status s = DeleteMemberObjects(object, {}); !s.ok()) return s;
  placer_.Forget({kind_, std::string(object.namespace_name()), std::string(object.name())});
  if (!object.HasFinalizer(kFinalizer)) return Result{};
  object.RemoveFinalizer(kFinalizer);
  absl::StatusOr<Object> updated = management_.Update(ResourceOf(kind_), object);
  if (!updated.ok()) {
    if (absl::IsNotFound(updated.status())) return Result{};
    if (kubeapi::IsConflict(updated.status())) return Result{.requeue = true};
    return updated.status();
  }
  return Result{};
}

absl::StatusOr<Result> WorkloadController::WriteStatus(const Object& before, const Object& after) {
  if (StatusJson(before) == StatusJson(after)) return Result{};
  absl::StatusOr<Object> updated = management_.UpdateStatus(ResourceOf(kind_), after);
  if (!updated.ok()) {
    if (kubeapi::IsConflict(updated.status()) || absl::IsNotFound(updated.status())) {
      return Result{.requeue = true};
    }
    return updated.status();
  }
  return Result{};
}

absl::StatusOr<Result> WorkloadController::MarkInvalid(Object& object, const absl::Status& error,
                                                       absl::Duration retry) {
  Object after = object;
  const absl::Time now = absl::Now();
  const std::string message(error.message());
  std::optional<Condition> previous = FindCondition(object, "Invalid");
  (void)after.SetInt("/status/observedGeneration", object.generation());
  SetCondition(after, {"Invalid", "True", "InvalidSpec", message}, now);
  SetCondition(after, {"Scheduled", "False", "Invalid", message}, now);
  if (events_ != nullptr &&
      (!previous.has_value() || previous->status != "True" || previous->message != message)) {
    (void)events_->Warning(object, "Invalid", message);
  }
  rlog::Info("invalid workload", {{"workload", object.key().String()}, {"error", message}});
  absl::StatusOr<Result> written = WriteStatus(object, after);
  if (!written.ok() || written->requeue) return written;
  // Not an error for the controller: the object is wrong, not the world;
  // only a new generation (or a registering cluster) can change the answer.
  if (retry > absl::ZeroDuration()) return Result{.requeue_after = retry};
  return Result{};
}

absl::StatusOr<Result> WorkloadController::Reconcile(const kubeapi::ObjectKey& key) {
  const kubeapi::GroupVersionResource& gvr = ResourceOf(kind_);
  absl::StatusOr<Object> got = management_.Get(gvr, key.ns, key.name);
  if (!got.ok()) {
    if (!absl::IsNotFound(got.status())) return got.status();
    // Gone without our finalizer running (removed by hand): clean up anyway.
    Object gone;
    gone.SetNamespace(key.ns);
    gone.SetName(key.name);
    placer_.Forget({kind_, key.ns, key.name});
    {
      absl::MutexLock lock(&swept_mu_);
      swept_.erase(gone.key().String());
    }
    if (absl::Status s = DeleteMemberObjects(gone, {}); !s.ok()) return s;
    return Result{};
  }
  Object object = *std::move(got);
  if (object.IsBeingDeleted()) return Finalize(object);
  const rapidjson::Value* initial_status = object.status();
  const bool never_decided = initial_status == nullptr ||
                             (initial_status->IsObject() && initial_status->MemberCount() == 0);
  if (!object.HasFinalizer(kFinalizer)) {
    object.AddFinalizer(kFinalizer);
    absl::StatusOr<Object> updated = management_.Update(gvr, object);
    if (!updated.ok()) {
      if (kubeapi::IsConflict(updated.status()) || absl::IsNotFound(updated.status())) {
        return Result{.requeue = true};
      }
      return updated.status();
    }
    object = *std::move(updated);
  }

  absl::StatusOr<WorkloadSpec> spec = ParseWorkloadSpec(object, kind_);
  if (!spec.ok()) return MarkInvalid(object, spec.status(), absl::ZeroDuration());

  std::shared_ptr<const placement::ClusterModel> model = placer_.model();
  if (model != nullptr) {
    if (const auto* locations = std::get_if<placement::Locations>(&spec->request.replica_count)) {
      for (size_t i = 0; i < locations->clusters.size(); ++i) {
        const std::string& cluster = locations->clusters[i].cluster;
        if (!model->Find(cluster).has_value()) {
          return MarkInvalid(object,
                             absl::InvalidArgumentError(
                                 absl::StrCat("spec.locations[", i, "]: unknown cluster \"",
                                              cluster, "\" (no MemberCluster of that name)")),
                             absl::Seconds(30));
        }
      }
    }
  }

  const absl::Time now = absl::Now();
  const bool is_job = kind_ == WorkloadKind::kMultiClusterJob;
  Object status_before = object;
  Object after = object;
  RemoveCondition(after, "Invalid");
  std::vector<ClusterPlacement> placement = RecordedPlacement(object, kind_);
  int64_t unplaced =
      object.FindInt(is_job ? "/status/unplacedLocations" : "/status/unplacedReplicas").value_or(0);
  const int64_t requested = placement::TotalReplicas(spec->request);
  const bool decide = !HoldsDecision(object) || unplaced > 0;
  if (decide) {
    if (model == nullptr) {
      SetCondition(
          after,
          {"Scheduled", "Unknown", "WaitingForClusterState", "no cluster-state snapshot yet"}, now);
      absl::StatusOr<Result> written = WriteStatus(object, after);
      if (!written.ok()) return written;
      return Result{.requeue_after = absl::Seconds(1)};
    }
    placement::PlaceRequest request = spec->request;
    request.current_placement = ToCurrentPlacement(placement);
    absl::StatusOr<Placer::Result> decided = placer_.Place(request, /*record=*/true);
    if (!decided.ok()) {
      if (absl::IsInvalidArgument(decided.status())) {
        return MarkInvalid(
            object, absl::InvalidArgumentError(absl::StrCat("spec: ", decided.status().message())),
            absl::ZeroDuration());
      }
      return decided.status();
    }
    const placement::Decision& decision = decided->decision;
    unplaced = decision.unplaced_replicas;
    const bool changed =
        ToCurrentPlacement(PlacementFromDecision(decision)) != ToCurrentPlacement(placement);
    placement = SetDecisionStatus(after, kind_, decision, requested, spec->selector_string, now);
    // The decision is recorded before any member is touched: a restart
    // from here on applies it instead of deciding again.
    absl::StatusOr<Object> updated = management_.UpdateStatus(gvr, after);
    if (!updated.ok()) {
      placer_.Forget(request.workload);
      if (kubeapi::IsConflict(updated.status()) || absl::IsNotFound(updated.status())) {
        return Result{.requeue = true};
      }
      return updated.status();
    }
    if (changed && events_ != nullptr) {
      (void)events_->Normal(object, "Scheduled", decision.explanation.summary);
    }
    status_before = *updated;
    after = *std::move(updated);
  }

  // Propagate.
  std::set<std::string> keep;
  std::vector<std::string> failures;
  int64_t ready_total = 0, active = 0, succeeded = 0, failed = 0;
  int completed_jobs = 0, chosen = 0;
  std::vector<Object> job_entries;
  for (ClusterPlacement& p : placement) {
    if (p.replicas <= 0) continue;
    ++chosen;
    keep.insert(p.cluster);
    std::shared_ptr<kubeapi::Client> client = members_.Get(p.cluster);
    if (client == nullptr) {
      failures.push_back(absl::StrCat(p.cluster, ": no client (kubeconfig missing or invalid)"));
      continue;
    }
    Object member = BuildMemberObject(object, *spec, kind_, p.replicas);
    kubeapi::PatchOptions apply_options;
    apply_options.field_manager = kFieldManager;
    apply_options.force = true;
    const kubeapi::GroupVersionResource& member_gvr = is_job ? kJobs : kDeployments;
    absl::StatusOr<Object> applied = client->Apply(member_gvr, member, apply_options);
    if (!applied.ok() && absl::IsNotFound(applied.status())) {
      if (absl::Status s = EnsureNamespace(*client, object.namespace_name()); s.ok()) {
        applied = client->Apply(member_gvr, member, apply_options);
      }
    }
    if (!applied.ok() && is_job && kubeapi::IsInvalid(applied.status())) {
      // A Job's template is immutable: replace the Job with the new one.
      kubeapi::DeleteOptions delete_options;
      delete_options.propagation_policy = kubeapi::PropagationPolicy::kBackground;
      (void)client->Delete(kJobs, object.namespace_name(), object.name(), delete_options);
    }
    if (!applied.ok()) {
      failures.push_back(absl::StrCat(p.cluster, ": ", kubeapi::ErrorText(applied.status())));
      continue;
    }
    if (is_job) {
      const int64_t a = applied->FindInt("/status/active").value_or(0);
      const int64_t s = applied->FindInt("/status/succeeded").value_or(0);
      const int64_t f = applied->FindInt("/status/failed").value_or(0);
      active += a;
      succeeded += s;
      failed += f;
      bool complete = false;
      if (const rapidjson::Value* conditions = applied->Get("/status/conditions");
          conditions != nullptr && conditions->IsArray()) {
        for (const rapidjson::Value& c : conditions->GetArray()) {
          if (c.IsObject() && c.HasMember("type") && c["type"].IsString() &&
              std::string_view(c["type"].GetString()) == "Complete" && c.HasMember("status") &&
              c["status"].IsString() && std::string_view(c["status"].GetString()) == "True") {
            complete = true;
          }
        }
      }
      if (complete) ++completed_jobs;
      Object entry;
      (void)entry.SetString("/cluster", p.cluster);
      (void)entry.SetInt("/active", a);
      (void)entry.SetInt("/succeeded", s);
      (void)entry.SetInt("/failed", f);
      (void)entry.SetString("/reason", p.reason);
      job_entries.push_back(std::move(entry));
    } else {
      p.ready_replicas = static_cast<int32_t>(
          std::min<int64_t>(applied->FindInt("/status/readyReplicas").value_or(0), p.replicas));
      ready_total += p.ready_replicas;
    }
  }
  if (absl::Status s = SweepUnlessClean(object, keep, never_decided); !s.ok()) {
    failures.push_back(std::string(s.message()));
  }

  if (is_job) {
    after.Remove("/status/placement");
    for (const Object& entry : job_entries) (void)after.SetObject("/status/placement/-", entry);
    (void)after.SetInt("/status/active", active);
    (void)after.SetInt("/status/succeeded", succeeded);
    (void)after.SetInt("/status/failed", failed);
  } else {
    SetPlacementStatus(after, placement);
    (void)after.SetInt("/status/readyReplicas", ready_total);
  }
  if (failures.empty()) {
    SetCondition(after,
                 {"Propagated", "True", "Propagated",
                  absl::StrCat(is_job ? "Job" : "Deployment", " applied to ", chosen,
                               chosen == 1 ? " cluster" : " clusters")},
                 now);
  } else {
    SetCondition(after, {"Propagated", "False", "MemberError", absl::StrJoin(failures, "; ")}, now);
  }
  bool settled = false;
  if (is_job) {
    const bool complete = chosen > 0 && completed_jobs == chosen && unplaced == 0;
    SetCondition(after,
                 {"Complete", complete ? "True" : "False", complete ? "Completed" : "Running",
                  absl::StrCat(completed_jobs, " of ", chosen + unplaced, " Jobs complete")},
                 now);
    settled = complete;
  } else {
    const bool ready = ready_total == requested && unplaced == 0;
    SetCondition(after,
                 {"Ready", ready ? "True" : "False",
                  ready ? "Ready" : (unplaced > 0 ? "Unplaced" : "Progressing"),
                  absl::StrCat(ready_total, " of ", requested, " replicas ready")},
                 now);
    settled = ready;
  }
  absl::StatusOr<Result> written = WriteStatus(status_before, after);
  if (!written.ok() || written->requeue) return written;
  if (!failures.empty()) return absl::UnavailableError(absl::StrJoin(failures, "; "));
  if (unplaced > 0) return Result{.requeue_after = options_.unplaced_retry};
  if (!settled) return Result{.requeue_after = options_.progress_poll};
  return Result{.requeue_after = options_.resync};
}

}  // namespace mck8s::scheduler
