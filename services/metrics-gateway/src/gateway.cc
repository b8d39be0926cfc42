#include "mck8s/gateway/gateway.h"

#include <malloc.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mck8s/gateway/cluster_model.h"
#include "mck8s/kubeapi/errors.h"
#include "mck8s/runtime/grpc_server.h"
#include "mck8s/runtime/log.h"

namespace mck8s::gateway {

namespace {

using kubeapi::GroupVersionResource;
using kubeapi::Informer;
using kubeapi::ObjectPtr;

const GroupVersionResource kMemberClusters{"fogguru.eu", "v1", "memberclusters"};
const GroupVersionResource kNodes{"", "v1", "nodes"};
const GroupVersionResource kPods{"", "v1", "pods"};
const GroupVersionResource kDeployments{"apps", "v1", "deployments"};
const GroupVersionResource kConfigMaps{"", "v1", "configmaps"};
constexpr char kRttKey[] = "rtt.yaml";
constexpr char kMetricsApi[] = "/apis/metrics.k8s.io/v1beta1";

const char* const kSourceNames[] = {"api", "metrics", "prometheus"};

// How often free memory is handed back to the system (see PublisherLoop).
constexpr absl::Duration kMemoryTrimInterval = absl::Minutes(1);

bool Fresh(absl::Time last_success, absl::Time now, absl::Duration threshold) {
  return last_success != absl::InfinitePast() && now - last_success <= threshold;
}

}  // namespace

struct Gateway::Member {
  Member(std::string n, absl::Time at) : name(std::move(n)), registered_at(at) {}

  const std::string name;
  const absl::Time registered_at;

  // Informers and their client: created, replaced and stopped by the
  // publisher thread only, which is also their only reader.
  std::shared_ptr<kubeapi::Client> client;
  std::unique_ptr<Informer> nodes;
  std::unique_ptr<Informer> pods;
  std::unique_ptr<Informer> deployments;

  // Poll results, written by workers, read by the publisher.
  absl::Mutex mu;
  std::shared_ptr<kubeapi::Client> poll_client ABSL_GUARDED_BY(mu);
  std::string prometheus_url ABSL_GUARDED_BY(mu);
  SourceHealth api ABSL_GUARDED_BY(mu);
  SourceHealth metrics ABSL_GUARDED_BY(mu);
  SourceHealth prometheus ABSL_GUARDED_BY(mu);
  std::optional<bool> metrics_served ABSL_GUARDED_BY(mu);
  absl::Time metrics_checked ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  std::optional<MetricsUsage> usage ABSL_GUARDED_BY(mu);
  std::optional<PrometheusFigures> figures ABSL_GUARDED_BY(mu);
  std::unique_ptr<PrometheusClient> prometheus_client ABSL_GUARDED_BY(mu);
  bool polled ABSL_GUARDED_BY(mu) = false;
  bool polling ABSL_GUARDED_BY(mu) = false;
  bool unreachable_logged ABSL_GUARDED_BY(mu) = false;

  bool Synced() const {
    return nodes != nullptr && nodes->HasSynced() && pods->HasSynced() && deployments->HasSynced();
  }
  void StopInformers() {
    for (std::unique_ptr<Informer>* informer : {&nodes, &pods, &deployments}) {
      if (*informer != nullptr) (*informer)->Stop();
      informer->reset();
    }
  }
};

struct Gateway::Metrics {
  explicit Metrics(runtime::Registry& registry)
      : sync_duration(registry.AddHistogram(
            "mck8s_gateway_source_sync_duration_seconds",
            "Duration of one poll of a member cluster's data source, by source.", {"source"},
            runtime::ExponentialBuckets(0.001, 2, 15))),
        errors(registry.AddCounter("mck8s_gateway_source_errors_total",
                                   "Failed polls of a member cluster's data source.",
                                   {"member_cluster", "source"})),
        staleness(registry.AddGauge(
            "mck8s_gateway_source_staleness_seconds",
            "Seconds since a member cluster's data source last answered successfully "
            "(since the gateway started when it never did).",
            {"member_cluster", "source"})),
        clusters(registry.AddGauge("mck8s_gateway_member_clusters",
                                   "Member clusters in the newest snapshot, by health state.",
                                   {"state"})),
        revision(registry.AddGauge("mck8s_gateway_snapshot_revision",
                                   "Revision of the newest published snapshot.")),
        initial_sync(
            registry.AddGauge("mck8s_gateway_initial_sync_seconds",
                              "Seconds from the gateway's start to its first published snapshot.")),
        streams(registry.AddGauge("mck8s_gateway_watch_streams", "Open Watch streams.")) {}

  runtime::HistogramFamily& sync_duration;
  runtime::CounterFamily& errors;
  runtime::GaugeFamily& staleness;
  runtime::GaugeFamily& clusters;
  runtime::GaugeFamily& revision;
  runtime::GaugeFamily& initial_sync;
  runtime::GaugeFamily& streams;
};

namespace {

kubeapi::FleetOptions MakeFleetOptions(const GatewayOptions& options, runtime::Registry& registry) {
  kubeapi::FleetOptions fleet;
  fleet.secrets_namespace = options.fleet_namespace;
  fleet.member_client_options = options.member_client_options;
  if (fleet.member_client_options.metrics == nullptr) {
    fleet.member_client_options.metrics = &registry;
  }
  return fleet;
}

}  // namespace

Gateway::Gateway(kubeapi::Client& management, Feed& feed, GatewayOptions options)
    : management_(management),
      feed_(feed),
      options_(std::move(options)),
      registry_(options_.metrics != nullptr ? *options_.metrics : runtime::Registry::Default()),
      metrics_(std::make_unique<Metrics>(registry_)),
      started_at_(absl::Now()),
      member_clusters_(management, kMemberClusters) {
  member_clusters_.AddEventHandler({
      .on_add = [this](const ObjectPtr& object) { MarkDirty(std::string(object->name())); },
      .on_update = [this](const ObjectPtr&,
                          const ObjectPtr& object) { MarkDirty(std::string(object->name())); },
      .on_delete = [this](const ObjectPtr& object) { MarkDirty(std::string(object->name())); },
  });
  kubeapi::FleetOptions fleet_options = MakeFleetOptions(options_, registry_);
  fleet_options.on_change = [this](const std::string& cluster,
                                   std::shared_ptr<kubeapi::Client> client) {
    OnClient(cluster, std::move(client));
  };
  fleet_ = std::make_unique<kubeapi::FleetRegistry>(management_, std::move(fleet_options));
  if (!options_.rtt_configmap.empty()) {
    kubeapi::InformerOptions informer_options;
    informer_options.namespace_name = options_.fleet_namespace;
    informer_options.field_selector = "metadata.name=" + options_.rtt_configmap;
    rtt_configmaps_ = std::make_unique<Informer>(management_, kConfigMaps, informer_options);
    rtt_configmaps_->AddEventHandler({
        .on_add = [this](const ObjectPtr&) { LoadRttConfigMap(); },
        .on_update = [this](const ObjectPtr&, const ObjectPtr&) { LoadRttConfigMap(); },
        .on_delete = [this](const ObjectPtr&) { LoadRttConfigMap(); },
    });
  }
}

Gateway::~Gateway() { Stop(); }

absl::Status Gateway::Start() {
  if (started_.exchange(true)) return absl::FailedPreconditionError("already started");
  if (!options_.rtt_file.empty()) {
    absl::StatusOr<std::string> text = runtime::ReadFileToString(options_.rtt_file);
    if (!text.ok()) return text.status();
    absl::StatusOr<RttTable> table = ParseRttYaml(*text);
    if (!table.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(options_.rtt_file, ": ", table.status().message()));
    }
    file_rtt_.Set(*std::move(table));
  }
  member_clusters_.Start();
  fleet_->Start();
  if (rtt_configmaps_ != nullptr) rtt_configmaps_->Start();
  for (int64_t i = 0; i < std::max<int64_t>(1, options_.poll_workers); ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
  publisher_ = std::thread([this] { PublisherLoop(); });
  rounds_ = std::thread([this] { RoundLoop(); });
  return absl::OkStatus();
}

void Gateway::Stop() {
  if (!started_.load() || stopped_.exchange(true)) return;
  {
    absl::MutexLock lock(&dirty_mu_);
    stopping_ = true;
  }
  {
    absl::MutexLock lock(&tasks_mu_);
    tasks_stopping_ = true;
  }
  if (rounds_.joinable()) rounds_.join();
  if (publisher_.joinable()) publisher_.join();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
  if (rtt_configmaps_ != nullptr) rtt_configmaps_->Stop();
  fleet_->Stop();
  member_clusters_.Stop();
  std::map<std::string, std::shared_ptr<Member>> members;
  {
    absl::MutexLock lock(&members_mu_);
    members.swap(members_);
  }
  for (auto& [name, member] : members) member->StopInformers();
}

absl::Status Gateway::ReadyStatus() const {
  if (Ready()) return absl::OkStatus();
  absl::MutexLock lock(&waiting_mu_);
  return absl::UnavailableError(absl::StrCat("the first collection round has not finished: ",
                                             waiting_.empty() ? "starting" : waiting_));
}

std::shared_ptr<Gateway::Member> Gateway::FindMember(const std::string& name) const {
  absl::MutexLock lock(&members_mu_);
  auto it = members_.find(name);
  return it == members_.end() ? nullptr : it->second;
}

void Gateway::MarkDirty(const std::string& name) {
  absl::MutexLock lock(&dirty_mu_);
  dirty_.insert(name);
}

void Gateway::OnClient(const std::string& name, std::shared_ptr<kubeapi::Client> client) {
  absl::MutexLock lock(&dirty_mu_);
  client_changes_[name] = std::move(client);
  dirty_.insert(name);
}

void Gateway::LoadRttConfigMap() {
  RttTable table;
  ObjectPtr configmap =
      rtt_configmaps_->store().Get(options_.fleet_namespace, options_.rtt_configmap);
  if (configmap != nullptr) {
    std::string_view yaml =
        configmap->FindString(std::string("/data/") + kRttKey).value_or(std::string_view());
    absl::StatusOr<RttTable> parsed = ParseRttYaml(yaml);
    if (!parsed.ok()) {
      runtime::log::Error("ignoring the RTT ConfigMap",
                          {{"configmap", options_.fleet_namespace + "/" + options_.rtt_configmap},
                           {"key", kRttKey},
                           {"error", parsed.status()}});
      return;
    }
    table = *std::move(parsed);
  }
  configmap_rtt_.Set(std::move(table));
  FetchRtt(/*measure=*/false);
}

void Gateway::FetchRtt(bool measure) {
  std::vector<RttTarget> targets;
  for (const ObjectPtr& object : member_clusters_.store().List()) {
    RttTarget& target = targets.emplace_back();
    target.cluster = std::string(object->name());
    target.serf_node = std::string(object->FindString("/spec/serf/nodeName").value_or(""));
    target.serf_rpc_address = std::string(object->FindString("/spec/serf/rpcAddress").value_or(""));
  }
  std::sort(targets.begin(), targets.end(),
            [](const RttTarget& a, const RttTarget& b) { return a.cluster < b.cluster; });
  std::optional<RttTable> measured;
  std::string error;
  if (measure && options_.measured_rtt != nullptr) {
    const absl::Time start = absl::Now();
    absl::StatusOr<RttTable> fetched = options_.measured_rtt->Fetch(targets);
    metrics_->sync_duration.WithLabels({options_.measured_rtt->Name()})
        .Observe(absl::ToDoubleSeconds(absl::Now() - start));
    if (fetched.ok()) {
      measured = *std::move(fetched);
    } else {
      error = absl::StrCat(options_.measured_rtt->Name(), ": ", fetched.status().message());
    }
  }
  absl::StatusOr<RttTable> file = file_rtt_.Fetch(targets);
  absl::StatusOr<RttTable> configmap = configmap_rtt_.Fetch(targets);
  absl::MutexLock lock(&dirty_mu_);
  if (measure) {
    if (measured.has_value()) rtt_last_success_ = absl::Now();
    measured_rtt_ = std::move(measured);
    rtt_error_ = std::move(error);
  }
  rtt_ = CombineRtt({measured_rtt_.has_value() ? &*measured_rtt_ : nullptr,
                     file.ok() ? &*file : nullptr, configmap.ok() ? &*configmap : nullptr});
  rtt_dirty_ = true;
}

void Gateway::RoundLoop() {
  auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(dirty_mu_) { return stopping_; };
  // Waits until `until`; true when stopping.
  auto wait = [&](absl::Time until) {
    absl::MutexLock lock(&dirty_mu_);
    return dirty_mu_.AwaitWithTimeout(absl::Condition(&stopping),
                                      std::max(absl::ZeroDuration(), until - absl::Now()));
  };
  while (true) {
    const absl::Time start = absl::Now();
    FetchRtt(/*measure=*/true);
    std::vector<std::shared_ptr<Member>> members;
    {
      absl::MutexLock lock(&members_mu_);
      for (const auto& [name, member] : members_) members.push_back(member);
    }
    // Polls are spread over the round rather than started together, so
    // that rebuilding and streaming a thousand statuses is a steady trickle
    // instead of a burst that delays the changes published with it.
    const absl::Duration step =
        members.empty() ? absl::ZeroDuration()
                        : options_.collection_interval / static_cast<int64_t>(members.size());
    for (size_t i = 0; i < members.size(); ++i) {
      {
        absl::MutexLock lock(&tasks_mu_);
        absl::MutexLock member_lock(&members[i]->mu);
        if (!members[i]->polling) {
          members[i]->polling = true;
          tasks_.push_back(members[i]);
        }
      }
      if (wait(start + step * static_cast<int64_t>(i + 1))) return;
    }
    if (wait(start + options_.collection_interval)) return;
  }
}

void Gateway::WorkerLoop() {
  while (true) {
    std::shared_ptr<Member> member;
    {
      absl::MutexLock lock(&tasks_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(tasks_mu_) {
        return tasks_stopping_ || !tasks_.empty();
      };
      tasks_mu_.Await(absl::Condition(&ready));
      if (tasks_stopping_) return;
      member = std::move(tasks_.front());
      tasks_.pop_front();
    }
    Poll(member);
  }
}

void Gateway::Poll(const std::shared_ptr<Member>& member) {
  std::shared_ptr<kubeapi::Client> client;
  std::string prometheus_url;
  {
    absl::MutexLock lock(&member->mu);
    client = member->poll_client;
    prometheus_url = member->prometheus_url;
  }
  auto timed = [&](const char* source, auto&& call) {
    const absl::Time start = absl::Now();
    auto result = call();
    metrics_->sync_duration.WithLabels({source}).Observe(
        absl::ToDoubleSeconds(absl::Now() - start));
    if (!result.ok()) metrics_->errors.WithLabels({member->name, source}).Increment();
    return result;
  };
  auto get = [&](const std::string& path) {
    kubeapi::RestRequest request;
    request.path = path;
    request.timeout = options_.request_timeout;
    return client->rest().Do(request);
  };

  bool api_ok = false;
  if (client != nullptr) {
    absl::StatusOr<kubeapi::HttpResponse> version = timed("api", [&] { return get("/version"); });
    const absl::Time now = absl::Now();
    absl::MutexLock lock(&member->mu);
    if (version.ok()) {
      api_ok = true;
      member->api = {now, ""};
      if (member->unreachable_logged) {
        runtime::log::Info("member cluster answers again", {{"member_cluster", member->name}});
        member->unreachable_logged = false;
      }
    } else {
      member->api.last_error = std::string(version.status().message());
      if (!member->unreachable_logged &&
          !Fresh(member->api.last_success, now, options_.unreachable_after)) {
        runtime::log::Warn("member cluster does not answer",
                           {{"member_cluster", member->name}, {"error", version.status()}});
        member->unreachable_logged = true;
      }
    }
  }

  if (api_ok) {
    std::optional<bool> served;
    bool recheck = false;
    {
      absl::MutexLock lock(&member->mu);
      served = member->metrics_served;
      recheck = !served.has_value() ||
                (!*served && absl::Now() - member->metrics_checked > options_.metrics_api_recheck);
    }
    if (recheck) {
      absl::StatusOr<kubeapi::HttpResponse> group = get(kMetricsApi);
      absl::MutexLock lock(&member->mu);
      member->metrics_checked = absl::Now();
      if (group.ok()) {
        member->metrics_served = true;
      } else if (absl::IsNotFound(group.status())) {
        if (member->metrics_served != std::optional<bool>(false)) {
          runtime::log::Info("member cluster does not serve metrics.k8s.io; usage is not reported",
                             {{"member_cluster", member->name}});
        }
        member->metrics_served = false;
        member->metrics = {};
        member->usage.reset();
      } else {
        member->metrics.last_error = std::string(group.status().message());
      }
      served = member->metrics_served;
    }
    if (served == std::optional<bool>(true)) {
      absl::StatusOr<MetricsUsage> usage = timed("metrics", [&]() -> absl::StatusOr<MetricsUsage> {
        absl::StatusOr<kubeapi::HttpResponse> nodes = get(std::string(kMetricsApi) + "/nodes");
        if (!nodes.ok()) return nodes.status();
        absl::StatusOr<kubeapi::HttpResponse> pods = get(std::string(kMetricsApi) + "/pods");
        if (!pods.ok()) return pods.status();
        MetricsUsage result;
        absl::StatusOr<std::map<std::string, Usage>> node_usage =
            ParseNodeMetrics(std::move(nodes->body));
        if (!node_usage.ok()) return node_usage.status();
        absl::StatusOr<std::map<PodKey, Usage>> pod_usage = ParsePodMetrics(std::move(pods->body));
        if (!pod_usage.ok()) return pod_usage.status();
        result.nodes = *std::move(node_usage);
        result.pods = *std::move(pod_usage);
        return result;
      });
      absl::MutexLock lock(&member->mu);
      if (usage.ok()) {
        member->metrics = {absl::Now(), ""};
        member->usage = *std::move(usage);
      } else {
        member->metrics.last_error = std::string(usage.status().message());
      }
    }
  }

  if (!prometheus_url.empty()) {
    PrometheusClient* prometheus = nullptr;
    absl::Status created;
    {
      absl::MutexLock lock(&member->mu);
      if (member->prometheus_client == nullptr ||
          member->prometheus_client->url() != prometheus_url) {
        absl::StatusOr<std::unique_ptr<PrometheusClient>> made =
            PrometheusClient::Create(prometheus_url, options_.request_timeout, &registry_);
        if (made.ok()) {
          member->prometheus_client = *std::move(made);
        } else {
          created = made.status();
          member->prometheus_client.reset();
          member->prometheus.last_error = std::string(created.message());
        }
      }
      prometheus = member->prometheus_client.get();
    }
    if (prometheus != nullptr) {
      // The client is replaced only here, on this member's single poll.
      absl::StatusOr<PrometheusFigures> figures = timed("prometheus", [&] {
        return QueryFigures(*prometheus, options_.prometheus, member->name);
      });
      absl::MutexLock lock(&member->mu);
      if (figures.ok()) {
        member->prometheus = {absl::Now(), ""};
        member->figures = *std::move(figures);
      } else {
        member->prometheus.last_error = std::string(figures.status().message());
      }
    }
  }

  {
    absl::MutexLock lock(&member->mu);
    member->polled = true;
    member->polling = false;
  }
  MarkDirty(member->name);
}

void Gateway::ApplyClientChanges() {
  std::map<std::string, std::shared_ptr<kubeapi::Client>> changes;
  {
    absl::MutexLock lock(&dirty_mu_);
    changes.swap(client_changes_);
  }
  for (auto& [name, client] : changes) {
    std::shared_ptr<Member> member = FindMember(name);
    if (member == nullptr || member->client == client) continue;
    member->StopInformers();
    member->client = client;
    {
      absl::MutexLock lock(&member->mu);
      member->poll_client = client;
    }
    if (client == nullptr) continue;
    kubeapi::InformerOptions informer_options;
    informer_options.max_backoff = options_.informer_max_backoff;
    informer_options.watch_idle_timeout = options_.watch_idle_timeout;
    informer_options.initial_backoff =
        std::min(informer_options.initial_backoff, options_.informer_max_backoff);
    kubeapi::EventHandler handler{
        .on_add = [this, name = name](const ObjectPtr&) { MarkDirty(name); },
        .on_update = [this, name = name](const ObjectPtr&, const ObjectPtr&) { MarkDirty(name); },
        .on_delete = [this, name = name](const ObjectPtr&) { MarkDirty(name); },
    };
    // The caches keep only what BuildStatus reads (cluster_model.h): whole
    // Nodes of a large fleet would be most of the gateway's memory.
    auto with_transform = [&](kubeapi::Object (*trim)(kubeapi::Object)) {
      kubeapi::InformerOptions options = informer_options;
      options.transform = trim;
      return options;
    };
    member->nodes = std::make_unique<Informer>(*client, kNodes, with_transform(&TrimNode));
    member->pods = std::make_unique<Informer>(*client, kPods, with_transform(&TrimPod));
    member->deployments =
        std::make_unique<Informer>(*client, kDeployments, with_transform(&TrimDeployment));
    for (Informer* informer :
         {member->nodes.get(), member->pods.get(), member->deployments.get()}) {
      informer->AddEventHandler(handler);
      informer->Start();
    }
    absl::MutexLock lock(&tasks_mu_);
    absl::MutexLock member_lock(&member->mu);
    if (!member->polling) {
      member->polling = true;
      tasks_.push_back(member);
    }
  }
}

bool Gateway::Settled(absl::Time now, std::string* waiting) const {
  if (!member_clusters_.HasSynced()) {
    *waiting = "MemberCluster objects not listed yet";
    return false;
  }
  if (!fleet_->WaitForSync(absl::ZeroDuration())) {
    *waiting = "kubeconfig Secrets not listed yet";
    return false;
  }
  std::map<std::string, absl::Status> errors = fleet_->Errors();
  std::vector<std::string> pending;
  for (const ObjectPtr& object : member_clusters_.store().List()) {
    const std::string name(object->name());
    std::shared_ptr<Member> member = FindMember(name);
    if (member == nullptr) {
      pending.push_back(name);
      continue;
    }
    if (now - member->registered_at > options_.unreachable_after) continue;
    if (member->client == nullptr) {
      if (errors.count(name) == 0) pending.push_back(name);
      continue;
    }
    bool polled = false;
    {
      absl::MutexLock lock(&member->mu);
      polled = member->polled;
    }
    if (!polled || !member->Synced()) pending.push_back(name);
  }
  if (pending.empty()) return true;
  std::sort(pending.begin(), pending.end());
  const size_t shown = std::min<size_t>(pending.size(), 5);
  *waiting = absl::StrCat(pending.size(), " member cluster(s) not synced yet: ",
                          absl::StrJoin(pending.begin(), pending.begin() + shown, ", "),
                          pending.size() > shown ? ", ..." : "");
  return false;
}

ClusterStatusPtr Gateway::BuildStatus(Member& member, absl::Time now) {
  ObjectPtr object = member_clusters_.store().Get(member.name);
  if (object == nullptr) return nullptr;
  auto status = std::make_shared<v1::ClusterStatus>();
  *status->mutable_identity() = IdentityFromMemberCluster(*object);
  const std::string prometheus_url(object->FindString("/spec/prometheus/url").value_or(""));

  SourceHealth api, metrics, prometheus;
  std::optional<bool> metrics_served;
  ClusterInputs inputs;
  {
    absl::MutexLock lock(&member.mu);
    member.prometheus_url = prometheus_url;
    if (prometheus_url.empty()) {
      member.prometheus = {};
      member.figures.reset();
    }
    api = member.api;
    metrics = member.metrics;
    prometheus = member.prometheus;
    metrics_served = member.metrics_served;
    if (member.usage.has_value() && Fresh(metrics.last_success, now, options_.unreachable_after)) {
      inputs.metrics = member.usage;
    }
    if (member.figures.has_value() &&
        Fresh(prometheus.last_success, now, options_.unreachable_after)) {
      inputs.prometheus = member.figures;
    }
  }
  const bool synced = member.Synced();
  if (synced) {
    inputs.nodes = member.nodes->store().List();
    inputs.pods = member.pods->store().List();
    inputs.deployments = member.deployments->store().List();
    FillCapacity(inputs, status.get());
  }

  v1::ClusterHealth* health = status->mutable_health();
  auto add_source = [&](v1::DataSource source, const SourceHealth& state) {
    v1::SourceStatus* entry = health->add_sources();
    entry->set_source(source);
    if (state.last_success != absl::InfinitePast()) {
      SetTimestamp(state.last_success, entry->mutable_last_success());
    }
    entry->set_last_error(state.last_error);
  };
  add_source(v1::DATA_SOURCE_API, api);
  const bool metrics_configured = metrics_served == std::optional<bool>(true);
  if (metrics_configured) add_source(v1::DATA_SOURCE_METRICS, metrics);
  if (!prometheus_url.empty()) add_source(v1::DATA_SOURCE_PROMETHEUS, prometheus);
  // Serf answers for the whole fleet at once; its state is that of the
  // last RTT round.
  SourceHealth serf;
  const bool serf_configured =
      options_.measured_rtt != nullptr && object->Get("/spec/serf") != nullptr;
  if (serf_configured) {
    absl::MutexLock lock(&dirty_mu_);
    serf = {rtt_last_success_, rtt_error_};
  }
  if (serf_configured) add_source(v1::DATA_SOURCE_SERF, serf);
  absl::Time last_seen =
      std::max({api.last_success, metrics.last_success, prometheus.last_success});
  if (last_seen != absl::InfinitePast()) SetTimestamp(last_seen, health->mutable_last_seen());

  auto problem = [&](const char* name, const SourceHealth& state) -> std::string {
    if (!state.last_error.empty()) return absl::StrCat(name, ": ", state.last_error);
    if (!Fresh(state.last_success, now, options_.unreachable_after)) {
      return absl::StrCat(name, ": no answer yet");
    }
    return "";
  };
  if (member.client == nullptr) {
    health->set_state(v1::HEALTH_STATE_UNKNOWN);
    std::map<std::string, absl::Status> errors = fleet_->Errors();
    auto it = errors.find(member.name);
    health->set_reason(it != errors.end() ? absl::StrCat("kubeconfig: ", it->second.message())
                                          : "kubeconfig: no client for the cluster yet");
  } else if (!Fresh(api.last_success, now, options_.unreachable_after)) {
    const bool never = api.last_success == absl::InfinitePast();
    if (never && now - member.registered_at <= options_.unreachable_after) {
      health->set_state(v1::HEALTH_STATE_UNKNOWN);
      health->set_reason(api.last_error.empty() ? "api: not contacted yet"
                                                : absl::StrCat("api: ", api.last_error));
    } else {
      health->set_state(v1::HEALTH_STATE_UNREACHABLE);
      health->set_reason(absl::StrCat(
          "api: no answer for more than ", absl::FormatDuration(options_.unreachable_after),
          api.last_error.empty() ? "" : absl::StrCat(": ", api.last_error)));
    }
  } else if (!synced) {
    health->set_state(v1::HEALTH_STATE_UNKNOWN);
    health->set_reason("api: nodes, pods and deployments not listed yet");
  } else {
    std::vector<std::string> problems;
    if (metrics_configured) {
      if (std::string p = problem("metrics", metrics); !p.empty()) problems.push_back(p);
    }
    if (!prometheus_url.empty()) {
      if (std::string p = problem("prometheus", prometheus); !p.empty()) problems.push_back(p);
    }
    if (serf_configured) {
      if (std::string p = problem("serf", serf); !p.empty()) problems.push_back(p);
    }
    health->set_state(problems.empty() ? v1::HEALTH_STATE_READY : v1::HEALTH_STATE_DEGRADED);
    health->set_reason(absl::StrJoin(problems, "; "));
  }
  return status;
}

void Gateway::UpdateMetrics() {
  const absl::Time now = absl::Now();
  std::vector<std::shared_ptr<Member>> members;
  {
    absl::MutexLock lock(&members_mu_);
    for (const auto& [name, member] : members_) members.push_back(member);
  }
  for (const std::shared_ptr<Member>& member : members) {
    absl::MutexLock lock(&member->mu);
    const SourceHealth* sources[] = {&member->api, &member->metrics, &member->prometheus};
    const bool configured[] = {true, member->metrics_served == std::optional<bool>(true),
                               !member->prometheus_url.empty()};
    for (int i = 0; i < 3; ++i) {
      if (!configured[i]) continue;
      const absl::Time since =
          sources[i]->last_success == absl::InfinitePast() ? started_at_ : sources[i]->last_success;
      metrics_->staleness.WithLabels({member->name, kSourceNames[i]})
          .Set(absl::ToDoubleSeconds(now - since));
    }
  }
  metrics_->streams.WithLabels(std::vector<std::string>{})
      .Set(static_cast<double>(feed_.streams()));
}

void Gateway::PublisherLoop() {
  absl::Time last_metrics = absl::InfinitePast();
  absl::Time last_trim = absl::InfinitePast();
  while (true) {
    {
      absl::MutexLock lock(&dirty_mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(dirty_mu_) {
        return stopping_ || !dirty_.empty() || !client_changes_.empty() || rtt_dirty_;
      };
      dirty_mu_.AwaitWithTimeout(absl::Condition(&wake),
                                 Ready() ? absl::Seconds(1) : absl::Milliseconds(100));
      if (stopping_) return;
      if (!dirty_.empty() || rtt_dirty_) {
        // Gather the rest of a burst into the same revision.
        auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(dirty_mu_) { return stopping_; };
        if (dirty_mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.batch_window)) return;
      }
    }
    std::set<std::string> dirty;
    std::optional<RttTable> rtt;
    {
      absl::MutexLock lock(&dirty_mu_);
      dirty.swap(dirty_);
      if (rtt_dirty_) rtt = rtt_;
      rtt_dirty_ = false;
    }

    // Membership follows the MemberCluster objects.
    const absl::Time now = absl::Now();
    std::vector<std::shared_ptr<Member>> created;
    std::vector<std::shared_ptr<Member>> removed;
    std::set<std::string> removed_names;
    auto reconcile = [&](const std::string& name) {
      const bool exists = member_clusters_.store().Get(name) != nullptr;
      absl::MutexLock lock(&members_mu_);
      auto it = members_.find(name);
      if (exists && it == members_.end()) {
        auto member = std::make_shared<Member>(name, now);
        members_.emplace(name, member);
        created.push_back(member);
      } else if (!exists && it != members_.end()) {
        removed.push_back(it->second);
        removed_names.insert(name);
        members_.erase(it);
      }
    };
    if (!Ready()) {
      for (const std::string& key : member_clusters_.store().ListKeys()) reconcile(key);
    }
    for (const std::string& name : dirty) reconcile(name);
    for (const std::shared_ptr<Member>& member : created) {
      absl::MutexLock lock(&dirty_mu_);
      if (client_changes_.count(member->name) == 0) {
        client_changes_[member->name] = fleet_->Get(member->name);
      }
    }
    ApplyClientChanges();
    for (const std::shared_ptr<Member>& member : removed) member->StopInformers();

    if (now - last_metrics >= absl::Seconds(1)) {
      UpdateMetrics();
      last_metrics = now;
    }
    // The first sync lists every member at once, on a thread per informer;
    // the list bodies and parses it frees are scattered over glibc's
    // arenas and stay resident (some 20 MiB for 1,000 members) until
    // trimmed. Relists after a partition leave the same on a smaller
    // scale. A trim takes a few tens of milliseconds.
    if (Ready() && now - last_trim >= kMemoryTrimInterval) {
      malloc_trim(0);
      last_trim = now;
    }

    FleetUpdate update;
    update.removed = removed_names;
    update.rtt = std::move(rtt);
    if (!Ready()) {
      std::string waiting;
      const bool settled = Settled(now, &waiting);
      {
        absl::MutexLock lock(&waiting_mu_);
        waiting_ = waiting;
      }
      if (!settled) {
        // Nothing is published before the first full sync; the dirty set
        // is rebuilt whole at that point.
        continue;
      }
      absl::MutexLock lock(&dirty_mu_);
      update.rtt = rtt_;
      update.force = true;
    }
    std::vector<std::shared_ptr<Member>> to_build;
    {
      absl::MutexLock lock(&members_mu_);
      if (!Ready()) {
        for (const auto& [name, member] : members_) to_build.push_back(member);
      } else {
        for (const std::string& name : dirty) {
          auto it = members_.find(name);
          if (it != members_.end()) to_build.push_back(it->second);
        }
      }
    }
    for (const std::shared_ptr<Member>& member : to_build) {
      if (ClusterStatusPtr status = BuildStatus(*member, now)) {
        update.changed[member->name] = std::move(status);
      }
    }
    const uint64_t revision = feed_.Publish(std::move(update), absl::Now());
    if (revision != 0) {
      metrics_->revision.WithLabels(std::vector<std::string>{}).Set(static_cast<double>(revision));
      FleetStatePtr state = feed_.Current();
      std::map<v1::HealthState, int> states;
      for (const auto& [name, status] : state->clusters) ++states[status->health().state()];
      for (v1::HealthState s : {v1::HEALTH_STATE_READY, v1::HEALTH_STATE_DEGRADED,
                                v1::HEALTH_STATE_UNREACHABLE, v1::HEALTH_STATE_UNKNOWN}) {
        std::string label = v1::HealthState_Name(s).substr(std::string("HEALTH_STATE_").size());
        std::transform(label.begin(), label.end(), label.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        metrics_->clusters.WithLabels({label}).Set(states[s]);
      }
    }
    if (!Ready() && feed_.Current() != nullptr) {
      const absl::Duration took = absl::Now() - started_at_;
      metrics_->initial_sync.WithLabels(std::vector<std::string>{})
          .Set(absl::ToDoubleSeconds(took));
      runtime::log::Info(
          "first snapshot published",
          {{"revision", static_cast<uint64_t>(feed_.Current()->revision)},
           {"member_clusters", static_cast<uint64_t>(feed_.Current()->clusters.size())},
           {"took", took}});
      ready_.store(true);
    }
    for (const std::string& name : removed_names) {
      for (const char* source : kSourceNames) {
        metrics_->staleness.Remove({name, source});
        metrics_->errors.Remove({name, source});
      }
    }
  }
}

}  // namespace mck8s::gateway
