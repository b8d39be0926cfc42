#include "mck8s/scheduler/scheduler.h"

#include <unistd.h>

#include <cstdlib>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mck8s/runtime/grpc_server.h"
#include "mck8s/runtime/log.h"
#include "mck8s/service/controller_main.h"

namespace mck8s::scheduler {
namespace {

namespace rlog = runtime::log;

std::string Identity() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::random_device random;
  return absl::StrFormat("%s_%08x%08x", host, random(), random());
}

}  // namespace

absl::StatusOr<std::unique_ptr<Scheduler>> Scheduler::Create(runtime::ServiceRuntime& runtime,
                                                             const runtime::ServiceOptions& options,
                                                             const kubeapi::RestConfig& config) {
  std::unique_ptr<Scheduler> s(new Scheduler());
  kubeapi::ClientOptions client_options = service::ManagementClientOptions(runtime, options);
  // Informers and controllers retry on their own schedules; a request that
  // retried for long would only delay shutdown.
  client_options.max_retries = 3;
  absl::StatusOr<std::unique_ptr<kubeapi::Client>> management =
      kubeapi::Client::Create(config, client_options);
  if (!management.ok()) return management.status();
  s->management_ = *std::move(management);

  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      runtime::PeerChannelCredentials(options.tls_ca_file, options.tls_cert_file,
                                      options.tls_key_file);
  if (!credentials.ok()) return credentials.status();
  if (options.cluster_state_address.empty()) {
    rlog::Warn("no --cluster-state-address: decisions wait for a cluster-state feed");
    s->static_source_ = std::make_unique<StaticClusterStateSource>();
    s->placer_ = std::make_unique<Placer>(*s->static_source_);
  } else {
    s->source_ = std::make_unique<GrpcClusterStateSource>(
        grpc::CreateChannel(options.cluster_state_address, *credentials));
    s->source_->Start();
    s->placer_ = std::make_unique<Placer>(*s->source_);
  }

  kubeapi::FleetOptions fleet_options;
  fleet_options.secrets_namespace = options.fleet_namespace;
  fleet_options.member_client_options = client_options;
  s->fleet_ = std::make_unique<kubeapi::FleetRegistry>(*s->management_, fleet_options);
  s->fleet_->Start();
  s->members_ = std::make_unique<FleetMembers>(*s->fleet_);
  s->events_ = std::make_unique<kubeapi::EventRecorder>(*s->management_, "mck8s-scheduler");

  WorkloadControllerOptions workload_options;
  workload_options.namespace_name = options.watch_namespace;
  workload_options.metrics = &runtime.registry();
  WorkloadControllerOptions deployment_options = workload_options;
  // The feed wakes MCDs whose members changed (below); the poll is a
  // fallback for a feed that does not report them.
  if (s->source_ != nullptr) deployment_options.progress_poll = absl::Seconds(10);
  s->deployments_ = std::make_unique<WorkloadController>(
      placement::WorkloadKind::kMultiClusterDeployment, *s->management_, *s->members_, *s->placer_,
      s->events_.get(), deployment_options);
  s->jobs_ = std::make_unique<WorkloadController>(placement::WorkloadKind::kMultiClusterJob,
                                                  *s->management_, *s->members_, *s->placer_,
                                                  s->events_.get(), workload_options);
  ServiceControllerOptions service_options;
  service_options.namespace_name = options.watch_namespace;
  service_options.metrics = &runtime.registry();
  s->services_ =
      std::make_unique<ServiceController>(*s->management_, *s->members_, service_options);
  s->deployments_->AddEventHandler(s->services_->EnqueueForWorkload());

  if (s->source_ != nullptr) {
    // Member readiness arrives with the feed (the gateway watches the
    // members' Deployments): a workload whose figures moved is reconciled
    // at once, and polling is only a fallback.
    auto last = std::make_shared<std::shared_ptr<const placement::ClusterModel>>();
    WorkloadController* deployments = s->deployments_.get();
    s->source_->AddListener(
        [last, deployments](const std::shared_ptr<const placement::ClusterModel>& model) {
          for (const placement::WorkloadKey& key : ChangedWorkloads(last->get(), *model)) {
            if (key.kind == placement::WorkloadKind::kMultiClusterDeployment) {
              deployments->controller().Enqueue({key.ns, key.name});
            }
          }
          *last = model;
        });
  }

  s->grpc_service_ = std::make_unique<SchedulerService>(*s->placer_, s->management_.get());
  runtime.AddGrpcService(s->grpc_service_.get(), "mck8s.v1.Scheduler");

  Scheduler* self = s.get();
  if (s->source_ != nullptr) {
    runtime.probes().AddReadinessCheck("cluster-state", [self]() -> absl::Status {
      if (self->source_->Current() == nullptr) {
        return absl::UnavailableError("no cluster-state snapshot yet");
      }
      return absl::OkStatus();
    });
  }
  runtime.AddShutdownHook([self] { self->Stop(); });

  if (!options.leader_elect) {
    s->StartControllers();
    return s;
  }
  kubeapi::LeaderElectionOptions election;
  election.lease_namespace = options.leader_election_namespace.empty()
                                 ? options.fleet_namespace
                                 : options.leader_election_namespace;
  election.lease_name =
      options.leader_election_id.empty() ? "mck8s-scheduler" : options.leader_election_id;
  election.identity = Identity();
  election.metrics = &runtime.registry();
  election.on_started_leading = [self] {
    rlog::Info("leading: starting the controllers");
    self->StartControllers();
  };
  election.on_stopped_leading = [self] {
    if (self->stopping_) return;
    // Another replica may be acting already: stop at once, as
    // controller-runtime does, rather than race it.
    rlog::Error("leader election lost; exiting");
    std::_Exit(1);
  };
  absl::StatusOr<std::unique_ptr<kubeapi::LeaderElector>> elector =
      kubeapi::LeaderElector::Create(*s->management_, election);
  if (!elector.ok()) return elector.status();
  s->elector_ = *std::move(elector);
  rlog::Info("leader election",
             {{"lease", absl::StrCat(election.lease_namespace, "/", election.lease_name)},
              {"identity", election.identity}});
  s->election_ = std::thread([self] { self->elector_->Run(); });
  return s;
}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::StartControllers() {
  if (controllers_running_.exchange(true)) return;
  deployments_->Start();
  jobs_->Start();
  services_->Start();
}

void Scheduler::StopControllers() {
  if (!controllers_running_.exchange(false)) return;
  services_->Stop();
  jobs_->Stop();
  deployments_->Stop();
}

void Scheduler::Stop() {
  if (stopping_.exchange(true)) return;
  StopControllers();
  if (elector_ != nullptr) elector_->Stop();
  if (election_.joinable()) election_.join();
  if (fleet_ != nullptr) fleet_->Stop();
  if (source_ != nullptr) source_->Stop();
}

}  // namespace mck8s::scheduler
