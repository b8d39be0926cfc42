#include "mck8s/scheduler/service_controller.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "mck8s/base/strings.h"
#include "mck8s/kubeapi/errors.h"
#include "mck8s/runtime/log.h"
#include "mck8s/scheduler/workload.h"

namespace mck8s::scheduler {
namespace {

namespace rlog = runtime::log;
using kubeapi::Object;
using kubeapi::Result;

const kubeapi::GroupVersionResource kNamespaces{"", "v1", "namespaces"};

std::string ServiceLabelValue(std::string_view ns, std::string_view name) {
  return WorkloadLabelValue(placement::WorkloadKind::kMultiClusterDeployment, ns, name);
}

bool IsGlobal(const Object& mcs) {
  for (const char* key : {kCiliumGlobalServiceLegacy, kCiliumGlobalService}) {
    std::optional<std::string_view> value = mcs.annotation(key);
    if (value.has_value() && absl::AsciiStrToLower(ToAbsl(*value)) == "true") return true;
  }
  return false;
}

}  // namespace

Object BuildMemberService(const Object& mcs) {
  Object service("v1", "Service");
  service.SetName(mcs.name());
  service.SetNamespace(mcs.namespace_name());
  service.SetLabel(kServiceLabel, ServiceLabelValue(mcs.namespace_name(), mcs.name()));
  service.SetLabel(kManagedByLabel, kFieldManager);
  service.SetAnnotation(kWorkloadAnnotation,
                        absl::StrCat(ToAbsl(mcs.namespace_name()), "/", ToAbsl(mcs.name())));
  service.SetAnnotation(kWorkloadUidAnnotation, mcs.uid());
  if (IsGlobal(mcs)) {
    service.SetAnnotation(kCiliumGlobalServiceLegacy, "true");
    service.SetAnnotation(kCiliumGlobalService, "true");
  }
  if (const rapidjson::Value* spec = mcs.spec(); spec != nullptr && spec->IsObject()) {
    absl::StatusOr<Object> copy = Object::FromJson(*spec);
    if (copy.ok()) {
      copy->Remove("/locations");
      (void)service.SetObject("/spec", *copy);
    }
  }
  return service;
}

ServiceController::ServiceController(kubeapi::Client& management, const MemberClients& members,
                                     ServiceControllerOptions options)
    : management_(management),
      members_(members),
      options_(std::move(options)),
      informer_(management, kMultiClusterServices,
                [&] {
                  kubeapi::InformerOptions o;
                  o.namespace_name = options_.namespace_name;
                  o.resync_period = options_.resync;
                  return o;
                }()),
      controller_(
          "multiclusterservice", [this](const kubeapi::ObjectKey& key) { return Reconcile(key); },
          [&] {
            kubeapi::ControllerOptions o;
            o.workers = options_.workers;
            o.metrics = options_.metrics;
            return o;
          }()) {
  informer_.AddEventHandler(controller_.EnqueueHandler());
}

ServiceController::~ServiceController() { Stop(); }

void ServiceController::Start() {
  controller_.Start();
  informer_.Start();
}

void ServiceController::Stop() {
  informer_.Stop();
  controller_.Stop();
}

kubeapi::EventHandler ServiceController::EnqueueForWorkload() {
  auto enqueue = [this](const kubeapi::ObjectPtr& object) {
    if (object == nullptr) return;
    // Only MCDs with a service of their name matter; the reconcile of a
    // name without an MCS is a cheap NotFound.
    if (informer_.store().Get(object->namespace_name(), object->name()) == nullptr) return;
    controller_.Enqueue({std::string(object->namespace_name()), std::string(object->name())});
  };
  return kubeapi::EventHandler{
      .on_add = enqueue,
      .on_update = [enqueue](const kubeapi::ObjectPtr&,
                             const kubeapi::ObjectPtr& now) { enqueue(now); },
      .on_delete = enqueue,
  };
}

absl::Status ServiceController::DeleteMemberServices(std::string_view ns, std::string_view name,
                                                     const std::set<std::string>& keep) {
  kubeapi::ListOptions list_options;
  list_options.label_selector = absl::StrCat(kServiceLabel, "=", ServiceLabelValue(ns, name));
  std::vector<std::string> failures;
  for (const std::string& cluster : members_.Names()) {
    if (keep.contains(cluster)) continue;
    std::shared_ptr<kubeapi::Client> client = members_.Get(cluster);
    if (client == nullptr) continue;
    absl::StatusOr<kubeapi::ObjectList> found = client->List(kServices, ns, list_options);
    if (!found.ok()) {
      if (!absl::IsNotFound(found.status())) {
        failures.push_back(absl::StrCat(cluster, ": ", kubeapi::ErrorText(found.status())));
      }
      continue;
    }
    for (const Object& item : found->items) {
      absl::Status deleted = client->Delete(kServices, item.namespace_name(), item.name());
      if (!deleted.ok() && !absl::IsNotFound(deleted)) {
        failures.push_back(absl::StrCat(cluster, ": ", kubeapi::ErrorText(deleted)));
      }
    }
  }
  if (!failures.empty()) return absl::UnavailableError(absl::StrJoin(failures, "; "));
  return absl::OkStatus();
}

absl::StatusOr<Result> ServiceController::Reconcile(const kubeapi::ObjectKey& key) {
  absl::StatusOr<Object> got = management_.Get(kMultiClusterServices, key.ns, key.name);
  if (!got.ok()) {
    if (!absl::IsNotFound(got.status())) return got.status();
    if (absl::Status s = DeleteMemberServices(key.ns, key.name, {}); !s.ok()) return s;
    return Result{};
  }
  Object mcs = *std::move(got);
  if (mcs.IsBeingDeleted()) {
    if (absl::Status s = DeleteMemberServices(key.ns, key.name, {}); !s.ok()) return s;
    if (mcs.RemoveFinalizer(kFinalizer)) {
      absl::StatusOr<Object> updated = management_.Update(kMultiClusterServices, mcs);
      if (!updated.ok() && !absl::IsNotFound(updated.status())) {
        if (kubeapi::IsConflict(updated.status())) return Result{.requeue = true};
        return updated.status();
      }
    }
    return Result{};
  }
  if (!mcs.HasFinalizer(kFinalizer)) {
    mcs.AddFinalizer(kFinalizer);
    absl::StatusOr<Object> updated = management_.Update(kMultiClusterServices, mcs);
    if (!updated.ok()) {
      if (kubeapi::IsConflict(updated.status()) || absl::IsNotFound(updated.status())) {
        return Result{.requeue = true};
      }
      return updated.status();
    }
    mcs = *std::move(updated);
  }

  // Where the Service goes.
  std::set<std::string> targets;
  std::string source;
  if (std::optional<std::string_view> locations = mcs.FindString("/spec/locations");
      locations.has_value() && !absl::StripAsciiWhitespace(ToAbsl(*locations)).empty()) {
    for (absl::string_view part : absl::StrSplit(ToAbsl(*locations), ',')) {
      std::string name(absl::StripAsciiWhitespace(part));
      if (!name.empty()) targets.insert(std::move(name));
    }
    source = "spec.locations";
  } else {
    absl::StatusOr<Object> mcd = management_.Get(kMultiClusterDeployments, key.ns, key.name);
    if (!mcd.ok() && !absl::IsNotFound(mcd.status())) return mcd.status();
    if (mcd.ok()) {
      for (const ClusterPlacement& p : PlacementFromStatus(*mcd)) {
        if (p.replicas > 0) targets.insert(p.cluster);
      }
    }
    source = absl::StrCat("MultiClusterDeployment ", key.name);
  }

  const Object desired = BuildMemberService(mcs);
  const bool global = IsGlobal(mcs);
  std::vector<std::string> failures;
  Object after = mcs;
  after.Remove("/status/clusters");
  (void)after.SetValue("/status/clusters", rapidjson::Value(rapidjson::kArrayType));
  for (const std::string& cluster : targets) {
    std::shared_ptr<kubeapi::Client> client = members_.Get(cluster);
    if (client == nullptr) {
      failures.push_back(absl::StrCat(cluster, ": no client"));
      continue;
    }
    kubeapi::PatchOptions apply_options;
    apply_options.field_manager = kFieldManager;
    apply_options.force = true;
    absl::StatusOr<Object> applied = client->Apply(kServices, desired, apply_options);
    if (!applied.ok() && absl::IsNotFound(applied.status())) {
      Object ns("v1", "Namespace");
      ns.SetName(key.ns);
      (void)client->Create(kNamespaces, ns);
      applied = client->Apply(kServices, desired, apply_options);
    }
    if (!applied.ok()) {
      failures.push_back(absl::StrCat(cluster, ": ", kubeapi::ErrorText(applied.status())));
      continue;
    }
    Object entry;
    (void)entry.SetString("/cluster", cluster);
    if (std::optional<std::string_view> ip = applied->FindString("/spec/clusterIP")) {
      (void)entry.SetString("/clusterIP", *ip);
    }
    (void)entry.SetBool("/global", global);
    (void)after.SetObject("/status/clusters/-", entry);
  }
  if (absl::Status s = DeleteMemberServices(key.ns, key.name, targets); !s.ok()) {
    failures.push_back(std::string(s.message()));
  }
  (void)after.SetInt("/status/observedGeneration", mcs.generation());
  if (failures.empty()) {
    SetCondition(after,
                 {"Ready", "True", "Propagated",
                  absl::StrCat("Service in ", targets.size(), " clusters, following ", source)},
                 absl::Now());
  } else {
    SetCondition(after, {"Ready", "False", "MemberError", absl::StrJoin(failures, "; ")},
                 absl::Now());
  }
  const rapidjson::Value* before_status = mcs.status();
  if (before_status == nullptr ||
      kubeapi::JsonToString(*before_status) != kubeapi::JsonToString(*after.status())) {
    absl::StatusOr<Object> updated = management_.UpdateStatus(kMultiClusterServices, after);
    if (!updated.ok()) {
      if (kubeapi::IsConflict(updated.status()) || absl::IsNotFound(updated.status())) {
        return Result{.requeue = true};
      }
      return updated.status();
    }
  }
  if (!failures.empty()) return absl::UnavailableError(absl::StrJoin(failures, "; "));
  return Result{.requeue_after = options_.resync};
}

}  // namespace mck8s::scheduler
