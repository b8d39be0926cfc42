#include "mck8s/sim/controllers.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "mck8s/base/strings.h"
#include "mck8s/k8stypes/quantity.h"
#include "mck8s/sim/api_error.h"
#include "mck8s/sim/json.h"

namespace mck8s::sim {
namespace {

constexpr char kPods[] = "pods";
constexpr char kNodes[] = "nodes";
constexpr char kDeployments[] = "deployments.apps";
constexpr char kJobs[] = "jobs.batch";
constexpr char kRunDurationAnnotation[] = "sim.mck8s.io/run-duration";
constexpr char kTemplateHashLabel[] = "pod-template-hash";
constexpr char kTimeFormat[] = "%Y-%m-%dT%H:%M:%SZ";

int64_t Count(const rapidjson::Value* v) {
  if (v == nullptr) return 0;
  if (v->IsInt64()) return v->GetInt64();
  if (!v->IsString()) return 0;
  absl::StatusOr<k8stypes::Quantity> q = k8stypes::Quantity::Parse(ToStd(GetString(*v, {})));
  return q.ok() ? q->Value() : 0;
}

// Sets a condition, keeping its lastTransitionTime when the status is unchanged
// (and every time stamp when nothing changed), so that a reconcile that finds
// nothing new writes nothing.
void SetCondition(rapidjson::Value& status, absl::string_view type, absl::string_view value,
                  absl::string_view reason, absl::string_view message,
                  const std::string& now, JsonAllocator& alloc,
                  std::initializer_list<absl::string_view> stamps = {"lastTransitionTime"}) {
  rapidjson::Value* conditions = FindMutable(status, {"conditions"});
  if (conditions == nullptr || !conditions->IsArray()) {
    SetMember(status, "conditions", rapidjson::Value(rapidjson::kArrayType), alloc);
    conditions = FindMutable(status, {"conditions"});
  }
  rapidjson::Value* existing = nullptr;
  for (rapidjson::Value& c : conditions->GetArray()) {
    if (GetString(c, {"type"}) == type) existing = &c;
  }
  if (existing != nullptr && GetString(*existing, {"status"}) == value &&
      GetString(*existing, {"reason"}) == reason && GetString(*existing, {"message"}) == message) {
    return;
  }
  bool transition = existing == nullptr || GetString(*existing, {"status"}) != value;
  rapidjson::Value c(rapidjson::kObjectType);
  SetString(c, "type", type, alloc);
  SetString(c, "status", value, alloc);
  for (absl::string_view stamp : stamps) {
    std::string when = now;
    if (!transition && stamp == "lastTransitionTime") {
      when = std::string(GetString(*existing, {"lastTransitionTime"}, now));
    }
    SetString(c, stamp, when, alloc);
  }
  if (!reason.empty()) SetString(c, "reason", reason, alloc);
  if (!message.empty()) SetString(c, "message", message, alloc);
  if (existing != nullptr) {
    *existing = std::move(c);
  } else {
    conditions->PushBack(std::move(c), alloc);
  }
}

std::string TemplateHash(const rapidjson::Value& pod_template) {
  std::string text = ToJson(pod_template);
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (int i = 0; i < 10; ++i) {
    out.push_back(kAlphabet[hash % 27]);
    hash /= 27;
  }
  return out;
}

struct OwnerRef {
  std::string kind;
  std::string name;
  std::string uid;
};

std::optional<OwnerRef> ControllerOf(const rapidjson::Value& object) {
  const rapidjson::Value* refs = Find(object, {"metadata", "ownerReferences"});
  if (refs == nullptr || !refs->IsArray()) return std::nullopt;
  for (const rapidjson::Value& r : refs->GetArray()) {
    const rapidjson::Value* controller = Find(r, {"controller"});
    if (controller != nullptr && controller->IsTrue()) {
      return OwnerRef{std::string(GetString(r, {"kind"})), std::string(GetString(r, {"name"})),
                      std::string(GetString(r, {"uid"}))};
    }
  }
  return std::nullopt;
}

bool Terminal(absl::string_view phase) { return phase == "Succeeded" || phase == "Failed"; }

// Whether the pod's tolerations cover a taint.
bool Tolerates(const rapidjson::Value& pod, const rapidjson::Value& taint) {
  const rapidjson::Value* tolerations = Find(pod, {"spec", "tolerations"});
  if (tolerations == nullptr || !tolerations->IsArray()) return false;
  absl::string_view key = GetString(taint, {"key"});
  absl::string_view value = GetString(taint, {"value"});
  absl::string_view effect = GetString(taint, {"effect"});
  for (const rapidjson::Value& t : tolerations->GetArray()) {
    absl::string_view t_effect = GetString(t, {"effect"});
    if (!t_effect.empty() && t_effect != effect) continue;
    absl::string_view t_key = GetString(t, {"key"});
    absl::string_view op = GetString(t, {"operator"}, "Equal");
    if (op == "Exists") {
      if (t_key.empty() || t_key == key) return true;
    } else if (t_key == key && GetString(t, {"value"}) == value) {
      return true;
    }
  }
  return false;
}

bool MatchExpression(const rapidjson::Value& expr, const rapidjson::Value* labels,
                     absl::string_view field_value, bool field) {
  absl::string_view key = GetString(expr, {"key"});
  absl::string_view op = GetString(expr, {"operator"});
  std::optional<std::string> actual;
  if (field) {
    if (key == "metadata.name") actual = std::string(field_value);
  } else if (labels != nullptr && labels->IsObject()) {
    if (const rapidjson::Value* v = Find(*labels, {key}); v != nullptr && v->IsString()) {
      actual = std::string(v->GetString(), v->GetStringLength());
    }
  }
  std::vector<std::string> values;
  if (const rapidjson::Value* vs = Find(expr, {"values"}); vs != nullptr && vs->IsArray()) {
    for (const rapidjson::Value& v : vs->GetArray()) values.emplace_back(GetString(v, {}));
  }
  bool in = actual.has_value() &&
            std::find(values.begin(), values.end(), *actual) != values.end();
  if (op == "In") return in;
  if (op == "NotIn") return !in;
  if (op == "Exists") return actual.has_value();
  if (op == "DoesNotExist") return !actual.has_value();
  if ((op == "Gt" || op == "Lt") && actual.has_value() && values.size() == 1) {
    int64_t a = 0, b = 0;
    if (!absl::SimpleAtoi(*actual, &a) || !absl::SimpleAtoi(values[0], &b)) return false;
    return op == "Gt" ? a > b : a < b;
  }
  return false;
}

// nodeSelector and required node affinity.
bool NodeMatches(const rapidjson::Value& pod, const rapidjson::Value& node) {
  const rapidjson::Value* labels = Find(node, {"metadata", "labels"});
  if (const rapidjson::Value* selector = Find(pod, {"spec", "nodeSelector"});
      selector != nullptr && selector->IsObject()) {
    for (auto it = selector->MemberBegin(); it != selector->MemberEnd(); ++it) {
      const rapidjson::Value* v =
          labels == nullptr ? nullptr
                            : Find(*labels, {absl::string_view(it->name.GetString(),
                                                               it->name.GetStringLength())});
      if (v == nullptr || !v->IsString() || !JsonEqual(*v, it->value)) return false;
    }
  }
  const rapidjson::Value* terms =
      Find(pod, {"spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
                 "nodeSelectorTerms"});
  if (terms == nullptr || !terms->IsArray() || terms->Empty()) return true;
  absl::string_view name = GetString(node, {"metadata", "name"});
  for (const rapidjson::Value& term : terms->GetArray()) {
    bool all = true;
    bool any_requirement = false;
    for (const char* list : {"matchExpressions", "matchFields"}) {
      const rapidjson::Value* exprs = Find(term, {list});
      if (exprs == nullptr || !exprs->IsArray()) continue;
      for (const rapidjson::Value& e : exprs->GetArray()) {
        any_requirement = true;
        if (!MatchExpression(e, labels, name, std::string_view(list) == "matchFields")) all = false;
      }
    }
    if (all && any_requirement) return true;
  }
  return false;
}

struct Key {
  enum Kind { kDeployment, kJob, kBind, kBindAll, kKubelet } kind;
  std::string ns;
  std::string name;
  bool operator<(const Key& o) const {
    return std::tie(kind, ns, name) < std::tie(o.kind, o.ns, o.name);
  }
};

}  // namespace

PodRequests RequestsOf(const rapidjson::Value& pod) {
  PodRequests total;
  if (const rapidjson::Value* containers = Find(pod, {"spec", "containers"});
      containers != nullptr && containers->IsArray()) {
    for (const rapidjson::Value& c : containers->GetArray()) {
      total.cpu_millis += QuantityCpuMillis(Find(c, {"resources", "requests", "cpu"}));
      total.memory_bytes += QuantityMemoryBytes(Find(c, {"resources", "requests", "memory"}));
    }
  }
  if (const rapidjson::Value* init = Find(pod, {"spec", "initContainers"});
      init != nullptr && init->IsArray()) {
    for (const rapidjson::Value& c : init->GetArray()) {
      total.cpu_millis =
          std::max(total.cpu_millis, QuantityCpuMillis(Find(c, {"resources", "requests", "cpu"})));
      total.memory_bytes = std::max(
          total.memory_bytes, QuantityMemoryBytes(Find(c, {"resources", "requests", "memory"})));
    }
  }
  total.cpu_millis += QuantityCpuMillis(Find(pod, {"spec", "overhead", "cpu"}));
  total.memory_bytes += QuantityMemoryBytes(Find(pod, {"spec", "overhead", "memory"}));
  return total;
}

class ClusterControllers::Impl {
 public:
  explicit Impl(Options options) : options_(options) {}
  ~Impl() { Stop(); }

  void Add(Cluster* cluster) {
    auto state = std::make_unique<State>();
    state->cluster = cluster;
    clusters_.push_back(std::move(state));
  }

  absl::Status Start() {
    for (auto& state : clusters_) {
      absl::Status s = Watch(*state);
      if (!s.ok()) return s;
    }
    worker_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      stop_ = true;
    }
    for (auto& state : clusters_) {
      for (auto* w : {&state->deployments, &state->jobs, &state->pods, &state->nodes}) {
        if (*w != nullptr) (*w)->Stop();
      }
    }
    if (worker_.joinable()) worker_.join();
  }

 private:
  struct State {
    Cluster* cluster = nullptr;
    std::shared_ptr<::mck8s::sim::Watch> deployments, jobs, pods, nodes;
    std::set<Key> queue;
    std::map<std::string, uint32_t> next_pod_ip;  // per node
  };

  void Wake() {
    absl::MutexLock lock(&mu_);
    wake_ = true;
  }

  absl::Status Watch(State& state) {
    ObjectStore& store = state.cluster->store();
    auto start = [&](const char* resource, std::shared_ptr<::mck8s::sim::Watch>& slot) {
      absl::StatusOr<std::shared_ptr<::mck8s::sim::Watch>> w = store.StartWatch(resource, {});
      if (!w.ok()) return w.status();
      slot = *w;
      slot->SetWakeup([this] { Wake(); });
      return absl::OkStatus();
    };
    for (auto [resource, slot] :
         std::vector<std::pair<const char*, std::shared_ptr<::mck8s::sim::Watch>*>>{
             {kDeployments, &state.deployments},
             {kJobs, &state.jobs},
             {kPods, &state.pods},
             {kNodes, &state.nodes}}) {
      absl::Status s = start(resource, *slot);
      if (!s.ok()) return s;
    }
    Wake();
    return absl::OkStatus();
  }

  void Run() {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wake_ || stop_; };
        if (timers_.empty()) {
          mu_.Await(absl::Condition(&ready));
        } else {
          mu_.AwaitWithDeadline(absl::Condition(&ready), timers_.begin()->first);
        }
        if (stop_) return;
        wake_ = false;
      }
      for (auto& state : clusters_) Drain(*state);
      FireTimers();
      for (auto& state : clusters_) {
        // Reconciles write, and their own events come back through Drain.
        std::set<Key> queue;
        queue.swap(state->queue);
        for (const Key& key : queue) Reconcile(*state, key);
      }
    }
  }

  void Drain(State& state) {
    auto restart_if_ended = [&](std::shared_ptr<::mck8s::sim::Watch>& w, const char* resource) {
      if (w != nullptr && w->terminated()) {
        w->Stop();
        absl::StatusOr<std::shared_ptr<::mck8s::sim::Watch>> again =
            state.cluster->store().StartWatch(resource, {});
        if (again.ok()) {
          w = *again;
          w->SetWakeup([this] { Wake(); });
        }
      }
    };
    restart_if_ended(state.deployments, kDeployments);
    restart_if_ended(state.jobs, kJobs);
    restart_if_ended(state.pods, kPods);
    restart_if_ended(state.nodes, kNodes);
    for (const WatchEvent& e : state.deployments->TakeEvents()) {
      if (e.object) state.queue.insert({Key::kDeployment, e.object->ns, e.object->name});
    }
    for (const WatchEvent& e : state.jobs->TakeEvents()) {
      if (e.object) state.queue.insert({Key::kJob, e.object->ns, e.object->name});
    }
    for (const WatchEvent& e : state.nodes->TakeEvents()) {
      (void)e;
      state.queue.insert({Key::kBindAll, "", ""});
    }
    for (const WatchEvent& e : state.pods->TakeEvents()) {
      if (!e.object) continue;
      const StoredObject& pod = *e.object;
      rapidjson::Document doc = pod.Parse();
      if (std::optional<OwnerRef> owner = ControllerOf(doc)) {
        if (owner->kind == "Deployment") state.queue.insert({Key::kDeployment, pod.ns, owner->name});
        if (owner->kind == "Job") state.queue.insert({Key::kJob, pod.ns, owner->name});
      }
      absl::string_view phase = pod.Field("status.phase");
      const bool gone = e.type == WatchEventType::kDeleted || pod.deleting || Terminal(phase);
      if (gone) {
        // Room freed: pending pods may fit now.
        if (!pod.Field("spec.nodeName").empty()) state.queue.insert({Key::kBindAll, "", ""});
        continue;
      }
      if (pod.Field("spec.nodeName").empty()) {
        state.queue.insert({Key::kBind, pod.ns, pod.name});
      } else {
        state.queue.insert({Key::kKubelet, pod.ns, pod.name});
      }
    }
  }

  void Schedule(State& state, const Key& key, absl::Time when) {
    auto id = std::make_tuple(&state, key.kind, key.ns, key.name);
    if (scheduled_.count(id) > 0) return;
    scheduled_.insert(id);
    absl::MutexLock lock(&mu_);
    timers_.emplace(when, std::make_pair(&state, key));
  }

  void FireTimers() {
    absl::Time now = absl::Now();
    std::vector<std::pair<State*, Key>> due;
    {
      absl::MutexLock lock(&mu_);
      while (!timers_.empty() && timers_.begin()->first <= now) {
        due.push_back(timers_.begin()->second);
        timers_.erase(timers_.begin());
      }
    }
    for (auto& [state, key] : due) {
      scheduled_.erase(std::make_tuple(state, key.kind, key.ns, key.name));
      state->queue.insert(key);
    }
  }

  void Reconcile(State& state, const Key& key) {
    switch (key.kind) {
      case Key::kDeployment: ReconcileDeployment(state, key.ns, key.name); break;
      case Key::kJob: ReconcileJob(state, key.ns, key.name); break;
      case Key::kBind: Bind(state, key.ns, key.name); break;
      case Key::kBindAll: BindAll(state); break;
      case Key::kKubelet: Kubelet(state, key.ns, key.name); break;
    }
  }

  // ---- workload controllers

  std::vector<ObjectRef> OwnedPods(State& state, const std::string& ns, const std::string& uid) {
    ObjectStore::ListOptions options;
    options.ns = ns;
    options.predicate = [uid](const StoredObject& o) {
      return std::find(o.owner_uids.begin(), o.owner_uids.end(), uid) != o.owner_uids.end();
    };
    absl::StatusOr<ObjectStore::ListResult> pods = state.cluster->store().List(kPods, options);
    return pods.ok() ? pods->items : std::vector<ObjectRef>{};
  }

  absl::Status CreatePod(State& state, const rapidjson::Value& owner, absl::string_view kind,
                         absl::string_view api_version, const std::string& hash) {
    const rapidjson::Value* pod_template = Find(owner, {"spec", "template"});
    if (pod_template == nullptr) return absl::OkStatus();
    rapidjson::Document pod;
    pod.SetObject();
    auto& alloc = pod.GetAllocator();
    SetString(pod, "apiVersion", "v1", alloc);
    SetString(pod, "kind", "Pod", alloc);
    rapidjson::Value& meta = EnsureObject(pod, "metadata", alloc);
    std::string owner_name(GetString(owner, {"metadata", "name"}));
    SetString(meta, "generateName",
              hash.empty() ? absl::StrCat(owner_name, "-") : absl::StrCat(owner_name, "-", hash, "-"),
              alloc);
    if (const rapidjson::Value* labels = Find(*pod_template, {"metadata", "labels"})) {
      SetMember(meta, "labels", rapidjson::Value(*labels, alloc), alloc);
    }
    if (!hash.empty()) SetString(EnsureObject(meta, "labels", alloc), kTemplateHashLabel, hash, alloc);
    if (const rapidjson::Value* annotations = Find(*pod_template, {"metadata", "annotations"})) {
      SetMember(meta, "annotations", rapidjson::Value(*annotations, alloc), alloc);
    }
    rapidjson::Value refs(rapidjson::kArrayType);
    rapidjson::Value ref(rapidjson::kObjectType);
    SetString(ref, "apiVersion", api_version, alloc);
    SetString(ref, "kind", kind, alloc);
    SetString(ref, "name", owner_name, alloc);
    SetString(ref, "uid", GetString(owner, {"metadata", "uid"}), alloc);
    SetMember(ref, "controller", rapidjson::Value(true), alloc);
    SetMember(ref, "blockOwnerDeletion", rapidjson::Value(true), alloc);
    refs.PushBack(std::move(ref), alloc);
    SetMember(meta, "ownerReferences", std::move(refs), alloc);
    if (const rapidjson::Value* spec = Find(*pod_template, {"spec"})) {
      SetMember(pod, "spec", rapidjson::Value(*spec, alloc), alloc);
    }
    const ResourceType* pods = state.cluster->catalog()->Find("", "v1", "pods");
    std::string ns(GetString(owner, {"metadata", "namespace"}));
    return state.cluster->Create(*pods, ns, std::move(pod), {}).status();
  }

  // Writes `status` into the object when it differs.
  void WriteStatus(State& state, const char* resource, const std::string& ns,
                   const std::string& name, rapidjson::Value&& status_in) {
    rapidjson::Document status;
    status.CopyFrom(status_in, status.GetAllocator());
    (void)state.cluster->store().Update(
        resource, ns, name,
        [&status](const rapidjson::Document& current, rapidjson::Document& proposed) {
          proposed.CopyFrom(current, proposed.GetAllocator());
          SetMember(proposed, "status", rapidjson::Value(status, proposed.GetAllocator()),
                    proposed.GetAllocator());
          return absl::OkStatus();
        },
        {});
  }

  void ReconcileDeployment(State& state, const std::string& ns, const std::string& name) {
    absl::StatusOr<ObjectRef> found = state.cluster->store().Get(kDeployments, ns, name);
    if (!found.ok()) return;
    rapidjson::Document deployment = (*found)->Parse();
    if ((*found)->deleting) return;
    const int64_t replicas = GetInt(deployment, {"spec", "replicas"}).value_or(1);
    const rapidjson::Value* pod_template = Find(deployment, {"spec", "template"});
    if (pod_template == nullptr) return;
    const std::string hash = TemplateHash(*pod_template);

    std::vector<ObjectRef> current;
    for (const ObjectRef& pod : OwnedPods(state, ns, (*found)->uid)) {
      if (pod->deleting || Terminal(pod->Field("status.phase"))) continue;
      const std::string* pod_hash = pod->Label(kTemplateHashLabel);
      if (pod_hash == nullptr || *pod_hash != hash) {
        // A pod of an older template: replaced.
        (void)state.cluster->store().Delete(kPods, ns, pod->name, {});
        continue;
      }
      current.push_back(pod);
    }
    int64_t have = static_cast<int64_t>(current.size());
    for (; have < replicas; ++have) {
      if (!CreatePod(state, deployment, "Deployment", "apps/v1", hash).ok()) break;
    }
    if (have > replicas) {
      // Remove the least advanced first: unbound, then not ready, then newest.
      std::sort(current.begin(), current.end(), [](const ObjectRef& a, const ObjectRef& b) {
        auto rank = [](const ObjectRef& p) {
          return std::make_tuple(p->Field("spec.nodeName").empty() ? 0 : 1,
                                 p->Field("status.phase") == "Running" ? 1 : 0,
                                 -static_cast<int64_t>(p->resource_version));
        };
        return rank(a) < rank(b);
      });
      for (int64_t i = 0; i < have - replicas; ++i) {
        (void)state.cluster->store().Delete(kPods, ns, current[i]->name, {});
      }
      current.erase(current.begin(), current.begin() + (have - replicas));
      have = replicas;
    }
    int64_t ready = 0;
    for (const ObjectRef& pod : current) {
      if (ConditionTrue(pod->Parse(), "Ready")) ++ready;
    }
    int64_t max_unavailable = replicas / 4;
    if (const rapidjson::Value* mu =
            Find(deployment, {"spec", "strategy", "rollingUpdate", "maxUnavailable"})) {
      if (mu->IsInt64()) {
        max_unavailable = mu->GetInt64();
      } else if (mu->IsString()) {
        absl::string_view text(mu->GetString(), mu->GetStringLength());
        int64_t percent = 0;
        if (absl::ConsumeSuffix(&text, "%") && absl::SimpleAtoi(text, &percent)) {
          max_unavailable = replicas * percent / 100;
        }
      }
    }
    const std::string now = FormatTimestamp(absl::Now());
    rapidjson::Document status;
    status.SetObject();
    auto& alloc = status.GetAllocator();
    if (const rapidjson::Value* old = Find(deployment, {"status"}); old != nullptr && old->IsObject()) {
      status.CopyFrom(*old, alloc);
    }
    SetInt(status, "observedGeneration", GetInt(deployment, {"metadata", "generation"}).value_or(1),
           alloc);
    SetInt(status, "replicas", have, alloc);
    SetInt(status, "updatedReplicas", have, alloc);
    SetInt(status, "readyReplicas", ready, alloc);
    SetInt(status, "availableReplicas", ready, alloc);
    if (replicas - ready > 0) {
      SetInt(status, "unavailableReplicas", replicas - ready, alloc);
    } else {
      RemoveMember(status, "unavailableReplicas");
    }
    for (const char* zero : {"replicas", "updatedReplicas", "readyReplicas", "availableReplicas"}) {
      if (GetInt(status, {zero}) == 0) RemoveMember(status, zero);
    }
    const bool available = ready >= replicas - max_unavailable;
    SetCondition(status, "Available", available ? "True" : "False",
                 available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                 available ? "Deployment has minimum availability."
                           : "Deployment does not have minimum availability.",
                 now, alloc, {"lastUpdateTime", "lastTransitionTime"});
    const bool complete = ready >= replicas;
    SetCondition(status, "Progressing", "True",
                 complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                 complete ? absl::StrCat("ReplicaSet \"", name, "-", hash,
                                         "\" has successfully progressed.")
                          : absl::StrCat("ReplicaSet \"", name, "-", hash, "\" is progressing."),
                 now, alloc, {"lastUpdateTime", "lastTransitionTime"});
    WriteStatus(state, kDeployments, ns, name, std::move(status));
  }

  void ReconcileJob(State& state, const std::string& ns, const std::string& name) {
    absl::StatusOr<ObjectRef> found = state.cluster->store().Get(kJobs, ns, name);
    if (!found.ok() || (*found)->deleting) return;
    rapidjson::Document job = (*found)->Parse();
    if (ConditionTrue(job, "Complete") || ConditionTrue(job, "Failed")) return;
    const int64_t completions = GetInt(job, {"spec", "completions"}).value_or(1);
    const int64_t parallelism = GetInt(job, {"spec", "parallelism"}).value_or(1);
    const rapidjson::Value* suspend = Find(job, {"spec", "suspend"});
    const bool suspended = suspend != nullptr && suspend->IsTrue();
    int64_t succeeded = 0, failed = 0, active = 0, ready = 0;
    for (const ObjectRef& pod : OwnedPods(state, ns, (*found)->uid)) {
      absl::string_view phase = pod->Field("status.phase");
      if (phase == "Succeeded") {
        ++succeeded;
      } else if (phase == "Failed") {
        ++failed;
      } else if (!pod->deleting) {
        if (suspended) {
          (void)state.cluster->store().Delete(kPods, ns, pod->name, {});
          continue;
        }
        ++active;
        if (ConditionTrue(pod->Parse(), "Ready")) ++ready;
      }
    }
    const std::string now = FormatTimestamp(absl::Now());
    rapidjson::Document status;
    status.SetObject();
    auto& alloc = status.GetAllocator();
    if (const rapidjson::Value* old = Find(job, {"status"}); old != nullptr && old->IsObject()) {
      status.CopyFrom(*old, alloc);
    }
    if (succeeded >= completions) {
      active = 0;
      SetCondition(status, "SuccessCriteriaMet", "True", "CompletionsReached",
                   "Reached expected number of succeeded pods", now, alloc,
                   {"lastProbeTime", "lastTransitionTime"});
      SetCondition(status, "Complete", "True", "CompletionsReached",
                   "Reached expected number of succeeded pods", now, alloc,
                   {"lastProbeTime", "lastTransitionTime"});
      if (Find(status, {"completionTime"}) == nullptr) SetString(status, "completionTime", now, alloc);
    } else if (!suspended) {
      int64_t want = std::min(parallelism, completions - succeeded);
      for (; active < want; ++active) {
        if (!CreatePod(state, job, "Job", "batch/v1", "").ok()) break;
      }
    }
    if (!suspended && Find(status, {"startTime"}) == nullptr) SetString(status, "startTime", now, alloc);
    SetInt(status, "active", active, alloc);
    SetInt(status, "ready", ready, alloc);
    SetInt(status, "terminating", 0, alloc);
    if (succeeded > 0) SetInt(status, "succeeded", succeeded, alloc);
    if (failed > 0) SetInt(status, "failed", failed, alloc);
    if (active == 0) RemoveMember(status, "active");
    EnsureObject(status, "uncountedTerminatedPods", alloc);
    WriteStatus(state, kJobs, ns, name, std::move(status));
  }

  // ---- binder

  void BindAll(State& state) {
    ObjectStore::ListOptions options;
    options.predicate = [](const StoredObject& o) {
      return o.Field("spec.nodeName").empty() && !o.deleting && !Terminal(o.Field("status.phase"));
    };
    absl::StatusOr<ObjectStore::ListResult> pending = state.cluster->store().List(kPods, options);
    if (!pending.ok()) return;
    for (const ObjectRef& pod : pending->items) Bind(state, pod->ns, pod->name);
  }

  void Bind(State& state, const std::string& ns, const std::string& name) {
    ObjectStore& store = state.cluster->store();
    absl::StatusOr<ObjectRef> found = store.Get(kPods, ns, name);
    if (!found.ok()) return;
    const ObjectRef& pod_ref = *found;
    if (pod_ref->deleting || !pod_ref->Field("spec.nodeName").empty() ||
        Terminal(pod_ref->Field("status.phase"))) {
      return;
    }
    rapidjson::Document pod = pod_ref->Parse();
    if (const rapidjson::Value* gates = Find(pod, {"spec", "schedulingGates"});
        gates != nullptr && gates->IsArray() && !gates->Empty()) {
      return;
    }
    const PodRequests wants = RequestsOf(pod);

    absl::StatusOr<ObjectStore::ListResult> nodes = store.List(kNodes, {});
    absl::StatusOr<ObjectStore::ListResult> pods = store.List(kPods, {});
    if (!nodes.ok() || !pods.ok()) return;
    struct Usage {
      int64_t cpu = 0, memory = 0, count = 0;
    };
    std::map<std::string, Usage> usage;
    for (const ObjectRef& p : pods->items) {
      absl::string_view node = p->Field("spec.nodeName");
      if (node.empty() || Terminal(p->Field("status.phase"))) continue;
      PodRequests r = RequestsOf(p->Parse());
      Usage& u = usage[std::string(node)];
      u.cpu += r.cpu_millis;
      u.memory += r.memory_bytes;
      ++u.count;
    }
    std::map<std::string, int> reasons;
    std::string best;
    double best_score = -1;
    for (const ObjectRef& node_ref : nodes->items) {
      rapidjson::Document node = node_ref->Parse();
      if (!ConditionTrue(node, "Ready")) {
        ++reasons["node(s) had untolerated taint {node.kubernetes.io/not-ready: }"];
        continue;
      }
      if (const rapidjson::Value* u = Find(node, {"spec", "unschedulable"}); u != nullptr && u->IsTrue()) {
        ++reasons["node(s) were unschedulable"];
        continue;
      }
      bool tainted = false;
      if (const rapidjson::Value* taints = Find(node, {"spec", "taints"});
          taints != nullptr && taints->IsArray()) {
        for (const rapidjson::Value& taint : taints->GetArray()) {
          absl::string_view effect = GetString(taint, {"effect"});
          if (effect != "NoSchedule" && effect != "NoExecute") continue;
          if (!Tolerates(pod, taint)) {
            ++reasons[absl::StrCat("node(s) had untolerated taint {", GetString(taint, {"key"}),
                                   ": ", GetString(taint, {"value"}), "}")];
            tainted = true;
            break;
          }
        }
      }
      if (tainted) continue;
      if (!NodeMatches(pod, node)) {
        ++reasons["node(s) didn't match Pod's node affinity/selector"];
        continue;
      }
      const int64_t cpu = QuantityCpuMillis(Find(node, {"status", "allocatable", "cpu"}));
      const int64_t memory = QuantityMemoryBytes(Find(node, {"status", "allocatable", "memory"}));
      const int64_t count = Count(Find(node, {"status", "allocatable", "pods"}));
      const Usage& used = usage[node_ref->name];
      bool fits = true;
      if (used.count + 1 > count) {
        ++reasons["Too many pods"];
        fits = false;
      }
      if (used.cpu + wants.cpu_millis > cpu) {
        ++reasons["Insufficient cpu"];
        fits = false;
      }
      if (used.memory + wants.memory_bytes > memory) {
        ++reasons["Insufficient memory"];
        fits = false;
      }
      if (!fits) continue;
      // Least allocated after placing the pod.
      double score = 0;
      score += cpu > 0 ? static_cast<double>(cpu - used.cpu - wants.cpu_millis) / cpu : 0;
      score += memory > 0 ? static_cast<double>(memory - used.memory - wants.memory_bytes) / memory : 0;
      if (score > best_score) {
        best_score = score;
        best = node_ref->name;
      }
    }
    const std::string now = FormatTimestamp(absl::Now());
    if (!best.empty()) {
      (void)store.Update(kPods, ns, name,
                         [&](const rapidjson::Document& current, rapidjson::Document& proposed) {
                           proposed.CopyFrom(current, proposed.GetAllocator());
                           auto& alloc = proposed.GetAllocator();
                           if (!GetString(proposed, {"spec", "nodeName"}).empty()) {
                             return absl::OkStatus();
                           }
                           SetString(EnsureObject(proposed, "spec", alloc), "nodeName", best, alloc);
                           rapidjson::Value& status = EnsureObject(proposed, "status", alloc);
                           SetCondition(status, "PodScheduled", "True", "", "", now, alloc,
                                        {"lastProbeTime", "lastTransitionTime"});
                           // lastProbeTime is null on real pods.
                           for (rapidjson::Value& c : status["conditions"].GetArray()) {
                             if (GetString(c, {"type"}) == "PodScheduled") c["lastProbeTime"].SetNull();
                           }
                           return absl::OkStatus();
                         },
                         {});
      return;
    }
    std::vector<std::string> parts;
    for (const auto& [reason, n] : reasons) parts.push_back(absl::StrCat(n, " ", reason));
    const std::string message =
        absl::StrCat("0/", nodes->items.size(), " nodes are available: ", absl::StrJoin(parts, ", "),
                     ". preemption: 0/", nodes->items.size(),
                     " nodes are available: ", nodes->items.size(),
                     " Preemption is not helpful for scheduling.");
    (void)store.Update(kPods, ns, name,
                       [&](const rapidjson::Document& current, rapidjson::Document& proposed) {
                         proposed.CopyFrom(current, proposed.GetAllocator());
                         auto& alloc = proposed.GetAllocator();
                         rapidjson::Value& status = EnsureObject(proposed, "status", alloc);
                         SetString(status, "phase", "Pending", alloc);
                         SetCondition(status, "PodScheduled", "False", "Unschedulable", message, now,
                                      alloc, {"lastProbeTime", "lastTransitionTime"});
                         for (rapidjson::Value& c : status["conditions"].GetArray()) {
                           if (GetString(c, {"type"}) == "PodScheduled") c["lastProbeTime"].SetNull();
                         }
                         return absl::OkStatus();
                       },
                       {});
  }

  // ---- kubelet

  absl::Duration RunDuration(State& state, const std::string& ns, const rapidjson::Value& pod) {
    std::optional<OwnerRef> owner = ControllerOf(pod);
    if (!owner.has_value() || owner->kind != "Job") return absl::InfiniteDuration();
    absl::StatusOr<ObjectRef> job = state.cluster->store().Get(kJobs, ns, owner->name);
    if (!job.ok()) return options_.job_run_duration;
    rapidjson::Document doc = (*job)->Parse();
    absl::string_view text =
        GetString(doc, {"metadata", "annotations", kRunDurationAnnotation});
    absl::Duration d;
    if (!text.empty() && absl::ParseDuration(text, &d)) return d;
    return options_.job_run_duration;
  }

  void Kubelet(State& state, const std::string& ns, const std::string& name) {
    ObjectStore& store = state.cluster->store();
    absl::StatusOr<ObjectRef> found = store.Get(kPods, ns, name);
    if (!found.ok() || (*found)->deleting) return;
    const std::string node_name((*found)->Field("spec.nodeName"));
    absl::string_view phase = (*found)->Field("status.phase");
    if (node_name.empty() || Terminal(phase)) return;
    rapidjson::Document pod = (*found)->Parse();
    const absl::Time now = absl::Now();
    const Key key{Key::kKubelet, ns, name};

    if (phase != "Running") {
      absl::Time scheduled = now;
      if (const rapidjson::Value* conditions = Find(pod, {"status", "conditions"});
          conditions != nullptr && conditions->IsArray()) {
        for (const rapidjson::Value& c : conditions->GetArray()) {
          if (GetString(c, {"type"}) != "PodScheduled") continue;
          std::string err;
          absl::ParseTime(kTimeFormat, std::string(GetString(c, {"lastTransitionTime"})),
                          &scheduled, &err);
        }
      }
      if (scheduled + options_.pod_start_delay > now) {
        Schedule(state, key, scheduled + options_.pod_start_delay);
        return;
      }
      StartPod(state, ns, name, node_name);
      return;
    }
    absl::Duration run = RunDuration(state, ns, pod);
    if (run == absl::InfiniteDuration()) return;
    absl::Time started = now;
    std::string err;
    absl::ParseTime(kTimeFormat, std::string(GetString(pod, {"status", "startTime"})),
                    &started, &err);
    if (started + run > now) {
      Schedule(state, key, started + run);
      return;
    }
    CompletePod(state, ns, name);
  }

  void StartPod(State& state, const std::string& ns, const std::string& name,
                const std::string& node_name) {
    ObjectStore& store = state.cluster->store();
    std::string host_ip;
    std::string pod_ip;
    if (absl::StatusOr<ObjectRef> node = store.Get(kNodes, "", node_name); node.ok()) {
      rapidjson::Document doc = (*node)->Parse();
      if (const rapidjson::Value* addresses = Find(doc, {"status", "addresses"});
          addresses != nullptr && addresses->IsArray()) {
        for (const rapidjson::Value& a : addresses->GetArray()) {
          if (GetString(a, {"type"}) == "InternalIP") host_ip = std::string(GetString(a, {"address"}));
        }
      }
      std::string cidr(GetString(doc, {"spec", "podCIDR"}));
      std::vector<std::string> octets = absl::StrSplit(cidr.substr(0, cidr.find('/')), '.');
      uint32_t n = ++state.next_pod_ip[node_name];
      if (octets.size() == 4) {
        pod_ip = absl::StrCat(octets[0], ".", octets[1], ".", octets[2], ".", 1 + (n % 253));
      }
    }
    const std::string now = FormatTimestamp(absl::Now());
    (void)store.Update(
        kPods, ns, name,
        [&](const rapidjson::Document& current, rapidjson::Document& proposed) {
          proposed.CopyFrom(current, proposed.GetAllocator());
          auto& alloc = proposed.GetAllocator();
          rapidjson::Value& status = EnsureObject(proposed, "status", alloc);
          SetString(status, "phase", "Running", alloc);
          if (!host_ip.empty()) {
            SetString(status, "hostIP", host_ip, alloc);
            rapidjson::Value ips(rapidjson::kArrayType);
            rapidjson::Value ip(rapidjson::kObjectType);
            SetString(ip, "ip", host_ip, alloc);
            ips.PushBack(std::move(ip), alloc);
            SetMember(status, "hostIPs", std::move(ips), alloc);
          }
          if (!pod_ip.empty()) {
            SetString(status, "podIP", pod_ip, alloc);
            rapidjson::Value ips(rapidjson::kArrayType);
            rapidjson::Value ip(rapidjson::kObjectType);
            SetString(ip, "ip", pod_ip, alloc);
            ips.PushBack(std::move(ip), alloc);
            SetMember(status, "podIPs", std::move(ips), alloc);
          }
          SetString(status, "startTime", now, alloc);
          for (const char* type : {"PodReadyToStartContainers", "Initialized", "Ready",
                                   "ContainersReady"}) {
            SetCondition(status, type, "True", "", "", now, alloc,
                         {"lastProbeTime", "lastTransitionTime"});
          }
          for (rapidjson::Value& c : status["conditions"].GetArray()) c["lastProbeTime"].SetNull();
          rapidjson::Value statuses(rapidjson::kArrayType);
          if (const rapidjson::Value* containers = Find(proposed, {"spec", "containers"});
              containers != nullptr && containers->IsArray()) {
            for (const rapidjson::Value& c : containers->GetArray()) {
              rapidjson::Value s(rapidjson::kObjectType);
              std::string container_name(GetString(c, {"name"}));
              SetString(s, "name", container_name, alloc);
              SetString(s, "image", GetString(c, {"image"}), alloc);
              SetString(s, "imageID", absl::StrCat("sim://", GetString(c, {"image"})), alloc);
              SetString(s, "containerID",
                        absl::StrCat("containerd://", TemplateHash(c), TemplateHash(current)),
                        alloc);
              SetMember(s, "ready", rapidjson::Value(true), alloc);
              SetMember(s, "started", rapidjson::Value(true), alloc);
              SetInt(s, "restartCount", 0, alloc);
              rapidjson::Value state_value(rapidjson::kObjectType);
              SetString(EnsureObject(state_value, "running", alloc), "startedAt", now, alloc);
              SetMember(s, "state", std::move(state_value), alloc);
              statuses.PushBack(std::move(s), alloc);
            }
          }
          SetMember(status, "containerStatuses", std::move(statuses), alloc);
          return absl::OkStatus();
        },
        {});
  }

  void CompletePod(State& state, const std::string& ns, const std::string& name) {
    const std::string now = FormatTimestamp(absl::Now());
    (void)state.cluster->store().Update(
        kPods, ns, name,
        [&](const rapidjson::Document& current, rapidjson::Document& proposed) {
          proposed.CopyFrom(current, proposed.GetAllocator());
          auto& alloc = proposed.GetAllocator();
          rapidjson::Value& status = EnsureObject(proposed, "status", alloc);
          SetString(status, "phase", "Succeeded", alloc);
          for (const char* type : {"Ready", "ContainersReady"}) {
            SetCondition(status, type, "False", "PodCompleted", "", now, alloc,
                         {"lastProbeTime", "lastTransitionTime"});
          }
          for (rapidjson::Value& c : status["conditions"].GetArray()) c["lastProbeTime"].SetNull();
          if (rapidjson::Value* statuses = FindMutable(status, {"containerStatuses"});
              statuses != nullptr && statuses->IsArray()) {
            for (rapidjson::Value& s : statuses->GetArray()) {
              std::string started(GetString(s, {"state", "running", "startedAt"}, now));
              SetMember(s, "ready", rapidjson::Value(false), alloc);
              SetMember(s, "started", rapidjson::Value(false), alloc);
              rapidjson::Value terminated(rapidjson::kObjectType);
              SetInt(terminated, "exitCode", 0, alloc);
              SetString(terminated, "reason", "Completed", alloc);
              SetString(terminated, "startedAt", started, alloc);
              SetString(terminated, "finishedAt", now, alloc);
              rapidjson::Value state_value(rapidjson::kObjectType);
              SetMember(state_value, "terminated", std::move(terminated), alloc);
              SetMember(s, "state", std::move(state_value), alloc);
            }
          }
          return absl::OkStatus();
        },
        {});
  }

  const Options options_;
  std::vector<std::unique_ptr<State>> clusters_;
  std::thread worker_;
  absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::multimap<absl::Time, std::pair<State*, Key>> timers_ ABSL_GUARDED_BY(mu_);
  // Worker thread only.
  std::set<std::tuple<State*, Key::Kind, std::string, std::string>> scheduled_;
};

ClusterControllers::ClusterControllers(Options options)
    : impl_(std::make_unique<Impl>(options)) {}
ClusterControllers::~ClusterControllers() = default;
void ClusterControllers::Add(Cluster* cluster) { impl_->Add(cluster); }
absl::Status ClusterControllers::Start() { return impl_->Start(); }
void ClusterControllers::Stop() { impl_->Stop(); }

}  // namespace mck8s::sim
