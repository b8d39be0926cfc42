#include "mck8s/kubeapi/leader_election.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "mck8s/kubeapi/errors.h"
#include "mck8s/runtime/log.h"
#include "mck8s/runtime/metrics.h"

namespace mck8s::kubeapi {
namespace {

std::optional<absl::Time> ParseTime(std::optional<std::string_view> text) {
  if (!text.has_value()) return std::nullopt;
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(*text), &time, &error)) return std::nullopt;
  return time;
}

runtime::Gauge& MasterStatus(runtime::Registry& registry, const std::string& name) {
  return registry
      .AddGauge("leader_election_master_status",
                "Gauge of if the reporting system is master of the relevant lease, 0 indicates "
                "backup, 1 indicates master. 'name' is the string used to identify the lease. "
                "Please make sure to group by name.",
                {"name"})
      .WithLabels({name});
}

}  // namespace

std::string FormatMicroTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

LeaseRecord LeaseRecordFromObject(const Object& lease) {
  LeaseRecord record;
  record.holder_identity = std::string(lease.FindString("/spec/holderIdentity").value_or(""));
  record.lease_duration_seconds = lease.FindInt("/spec/leaseDurationSeconds").value_or(0);
  record.acquire_time = ParseTime(lease.FindString("/spec/acquireTime"));
  record.renew_time = ParseTime(lease.FindString("/spec/renewTime"));
  record.lease_transitions = lease.FindInt("/spec/leaseTransitions").value_or(0);
  return record;
}

void SetLeaseRecord(const LeaseRecord& record, Object* lease) {
  // Every pointer below is a constant path into an object: cannot fail.
  (void)lease->SetString("/spec/holderIdentity", record.holder_identity);
  (void)lease->SetInt("/spec/leaseDurationSeconds", record.lease_duration_seconds);
  if (record.acquire_time.has_value()) {
    (void)lease->SetString("/spec/acquireTime", FormatMicroTime(*record.acquire_time));
  }
  if (record.renew_time.has_value()) {
    (void)lease->SetString("/spec/renewTime", FormatMicroTime(*record.renew_time));
  }
  (void)lease->SetInt("/spec/leaseTransitions", record.lease_transitions);
}

absl::StatusOr<std::unique_ptr<LeaderElector>> LeaderElector::Create(
    Client& client, LeaderElectionOptions options) {
  if (options.lease_namespace.empty() || options.lease_name.empty()) {
    return absl::InvalidArgumentError("leader election needs a lease namespace and name");
  }
  if (options.identity.empty()) {
    return absl::InvalidArgumentError("leader election needs an identity");
  }
  if (options.retry_period <= absl::ZeroDuration() ||
      options.renew_deadline <= options.retry_period ||
      options.lease_duration <= options.renew_deadline) {
    return absl::InvalidArgumentError(
        "leader election needs lease_duration > renew_deadline > retry_period > 0");
  }
  if (options.lease_duration < absl::Seconds(1)) {
    return absl::InvalidArgumentError("lease_duration must be at least 1s (it is stored in seconds)");
  }
  return std::unique_ptr<LeaderElector>(new LeaderElector(client, std::move(options)));
}

LeaderElector::LeaderElector(Client& client, LeaderElectionOptions options)
    : client_(client),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : client.rest().clock()),
      master_status_(MasterStatus(
          options_.metrics != nullptr ? *options_.metrics : runtime::Registry::Default(),
          options_.lease_name)) {
  master_status_.Set(0);
}

LeaderElector::~LeaderElector() { Stop(); }

void LeaderElector::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
}

bool LeaderElector::IsLeader() const {
  absl::MutexLock lock(&mu_);
  return leading_;
}

std::string LeaderElector::Leader() const {
  absl::MutexLock lock(&mu_);
  return observed_holder_;
}

bool LeaderElector::Sleep(absl::Duration duration) {
  absl::MutexLock lock(&mu_);
  clock_.AwaitWithDeadline(mu_, absl::Condition(&stopped_), clock_.Now() + duration);
  return !stopped_;
}

bool LeaderElector::TryAcquireOrRenew() {
  const absl::Time now = clock_.Now();
  LeaseRecord desired;
  desired.holder_identity = options_.identity;
  desired.lease_duration_seconds = absl::ToInt64Seconds(options_.lease_duration);
  desired.acquire_time = now;
  desired.renew_time = now;

  absl::StatusOr<Object> lease =
      client_.Get(leases_, options_.lease_namespace, options_.lease_name);
  if (IsNotFound(lease.status())) {
    Object fresh("coordination.k8s.io/v1", "Lease");
    fresh.SetNamespace(options_.lease_namespace);
    fresh.SetName(options_.lease_name);
    SetLeaseRecord(desired, &fresh);
    absl::StatusOr<Object> created = client_.Create(leases_, fresh);
    if (!created.ok()) {
      if (!IsAlreadyExists(created.status())) {
        runtime::log::Warn("leader election: cannot create lease",
                           {{"lease", options_.lease_name}, {"error", ErrorText(created.status())}});
      }
      return false;
    }
    observed_record_ = desired;
    observed_time_ = now;
    observed_spec_ = created->spec() != nullptr ? JsonToString(*created->spec()) : "";
    observed_resource_version_ = std::string(created->resource_version());
    absl::MutexLock lock(&mu_);
    observed_holder_ = options_.identity;
    return true;
  }
  if (!lease.ok()) {
    runtime::log::Warn("leader election: cannot read lease",
                       {{"lease", options_.lease_name}, {"error", ErrorText(lease.status())}});
    return false;
  }
  const LeaseRecord current = LeaseRecordFromObject(*lease);
  const std::string spec = lease->spec() != nullptr ? JsonToString(*lease->spec()) : "";
  if (spec != observed_spec_) {
    observed_spec_ = spec;
    observed_record_ = current;
    observed_time_ = now;
  }
  std::string previous_holder;
  {
    absl::MutexLock lock(&mu_);
    previous_holder = observed_holder_;
    observed_holder_ = current.holder_identity;
  }
  if (current.holder_identity != previous_holder && !current.holder_identity.empty() &&
      options_.on_new_leader) {
    options_.on_new_leader(current.holder_identity);
  }
  const bool held_by_us = current.holder_identity == options_.identity;
  if (!current.holder_identity.empty() && !held_by_us &&
      observed_time_ + absl::Seconds(current.lease_duration_seconds) > now) {
    return false;  // someone else's lease, still valid
  }
  if (held_by_us) {
    desired.acquire_time = current.acquire_time.value_or(now);
    desired.lease_transitions = current.lease_transitions;
  } else {
    desired.lease_transitions = current.lease_transitions + 1;
  }
  Object update = *lease;
  SetLeaseRecord(desired, &update);
  absl::StatusOr<Object> updated = client_.Update(leases_, update);
  if (!updated.ok()) {
    if (!IsConflict(updated.status())) {
      runtime::log::Warn("leader election: cannot update lease",
                         {{"lease", options_.lease_name}, {"error", ErrorText(updated.status())}});
    }
    return false;
  }
  observed_record_ = desired;
  observed_time_ = now;
  observed_spec_ = updated->spec() != nullptr ? JsonToString(*updated->spec()) : "";
  observed_resource_version_ = std::string(updated->resource_version());
  {
    absl::MutexLock lock(&mu_);
    observed_holder_ = options_.identity;
  }
  if (!held_by_us && options_.on_new_leader) options_.on_new_leader(options_.identity);
  return true;
}

void LeaderElector::Release() {
  absl::StatusOr<Object> lease =
      client_.Get(leases_, options_.lease_namespace, options_.lease_name);
  if (!lease.ok()) return;
  LeaseRecord current = LeaseRecordFromObject(*lease);
  if (current.holder_identity != options_.identity) return;
  const absl::Time now = clock_.Now();
  LeaseRecord released;
  released.holder_identity = "";
  released.lease_duration_seconds = 1;
  released.acquire_time = now;
  released.renew_time = now;
  released.lease_transitions = current.lease_transitions;
  Object update = *lease;
  SetLeaseRecord(released, &update);
  absl::Status status = client_.Update(leases_, update).status();
  if (!status.ok()) {
    runtime::log::Warn("leader election: cannot release lease",
                       {{"lease", options_.lease_name}, {"error", ErrorText(status)}});
  }
}

void LeaderElector::Run() {
  // Campaign.
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) return;
    }
    if (TryAcquireOrRenew()) break;
    if (!Sleep(options_.retry_period)) return;
  }
  {
    absl::MutexLock lock(&mu_);
    leading_ = true;
  }
  master_status_.Set(1);
  runtime::log::Info("leader election: started leading",
                     {{"lease", options_.lease_name}, {"identity", options_.identity}});
  if (options_.on_started_leading) options_.on_started_leading();

  // Lead: renew every retry_period; give up after renew_deadline without
  // a successful renewal.
  absl::Time last_renew = clock_.Now();
  bool stopped = false;
  while (true) {
    if (!Sleep(options_.retry_period)) {
      stopped = true;
      break;
    }
    if (TryAcquireOrRenew()) {
      last_renew = clock_.Now();
      continue;
    }
    if (clock_.Now() - last_renew >= options_.renew_deadline) break;
  }
  {
    absl::MutexLock lock(&mu_);
    leading_ = false;
  }
  master_status_.Set(0);
  if (stopped && options_.release_on_cancel) Release();
  runtime::log::Info("leader election: stopped leading",
                     {{"lease", options_.lease_name}, {"identity", options_.identity},
                      {"released", stopped && options_.release_on_cancel}});
  if (options_.on_stopped_leading) options_.on_stopped_leading();
}

}  // namespace mck8s::kubeapi
