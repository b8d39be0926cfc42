#include "mck8s/kubeapi/fleet.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"
#include "mck8s/kubeapi/config.h"
#include "mck8s/kubeapi/errors.h"
#include "mck8s/runtime/log.h"

namespace mck8s::kubeapi {
namespace {

InformerOptions SecretsInformerOptions(const FleetOptions& options) {
  InformerOptions informer;
  informer.namespace_name = options.secrets_namespace;
  return informer;
}

}  // namespace

absl::StatusOr<SecretRef> KubeconfigSecretRef(const Object& member_cluster,
                                              std::string_view default_namespace) {
  const rapidjson::Value* ref = member_cluster.Get("/spec/kubeconfigSecretRef");
  if (ref == nullptr || !ref->IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MemberCluster ", ToAbsl(member_cluster.name()), " has no spec.kubeconfigSecretRef"));
  }
  SecretRef result;
  result.name = std::string(member_cluster.FindString("/spec/kubeconfigSecretRef/name").value_or(""));
  if (result.name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MemberCluster ", ToAbsl(member_cluster.name()), ": spec.kubeconfigSecretRef.name is empty"));
  }
  result.ns = std::string(
      member_cluster.FindString("/spec/kubeconfigSecretRef/namespace").value_or(""));
  if (result.ns.empty()) result.ns = std::string(default_namespace);
  if (result.ns.empty()) result.ns = "default";
  std::string key(member_cluster.FindString("/spec/kubeconfigSecretRef/key").value_or(""));
  if (!key.empty()) result.key = std::move(key);
  return result;
}

FleetRegistry::FleetRegistry(Client& management, FleetOptions options)
    : management_(management),
      options_(std::move(options)),
      clusters_(management, options_.member_clusters),
      secrets_(management, {"", "v1", "secrets"}, SecretsInformerOptions(options_)) {
  EventHandler on_cluster;
  on_cluster.on_add = [this](const ObjectPtr& mc) { Reconcile(std::string(mc->name())); };
  on_cluster.on_update = [this](const ObjectPtr&, const ObjectPtr& mc) {
    Reconcile(std::string(mc->name()));
  };
  on_cluster.on_delete = [this](const ObjectPtr& mc) { Reconcile(std::string(mc->name())); };
  clusters_.AddEventHandler(std::move(on_cluster));
  EventHandler on_secret;
  on_secret.on_add = [this](const ObjectPtr& secret) { ReconcileReferencing(*secret); };
  on_secret.on_update = [this](const ObjectPtr&, const ObjectPtr& secret) {
    ReconcileReferencing(*secret);
  };
  on_secret.on_delete = [this](const ObjectPtr& secret) { ReconcileReferencing(*secret); };
  secrets_.AddEventHandler(std::move(on_secret));
}

FleetRegistry::~FleetRegistry() { Stop(); }

void FleetRegistry::Start() {
  secrets_.Start();
  clusters_.Start();
}

void FleetRegistry::Stop() {
  clusters_.Stop();
  secrets_.Stop();
}

bool FleetRegistry::WaitForSync(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  return secrets_.WaitForSync(deadline - absl::Now()) &&
         clusters_.WaitForSync(deadline - absl::Now());
}

std::shared_ptr<Client> FleetRegistry::Get(std::string_view cluster) const {
  absl::MutexLock lock(&mu_);
  auto it = members_.find(cluster);
  return it == members_.end() ? nullptr : it->second.client;
}

std::vector<std::string> FleetRegistry::Names() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& [name, member] : members_) names.push_back(name);
  return names;
}

std::map<std::string, absl::Status> FleetRegistry::Errors() const {
  absl::MutexLock lock(&mu_);
  return errors_;
}

void FleetRegistry::ReconcileReferencing(const Object& secret) {
  for (const ObjectPtr& mc : clusters_.store().List()) {
    absl::StatusOr<SecretRef> ref = KubeconfigSecretRef(*mc, options_.secrets_namespace);
    if (ref.ok() && ref->name == secret.name() && ref->ns == secret.namespace_name()) {
      Reconcile(std::string(mc->name()));
    }
  }
}

void FleetRegistry::Reconcile(const std::string& cluster) {
  absl::MutexLock serial(&reconcile_mu_);
  // Work out the kubeconfig the cluster should use now, or why it has none.
  absl::StatusOr<std::string> kubeconfig = [&]() -> absl::StatusOr<std::string> {
    ObjectPtr mc = clusters_.store().Get("", cluster);
    if (mc == nullptr) return absl::NotFoundError("MemberCluster deleted");
    absl::StatusOr<SecretRef> ref = KubeconfigSecretRef(*mc, options_.secrets_namespace);
    if (!ref.ok()) return ref.status();
    ObjectPtr secret = secrets_.store().Get(ref->ns, ref->name);
    if (secret == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("kubeconfig Secret ", ref->ns, "/", ref->name, " does not exist"));
    }
    std::optional<std::string_view> data =
        secret->FindString(absl::StrCat("/data/", EscapePointerToken(ref->key)));
    if (!data.has_value()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "kubeconfig Secret ", ref->ns, "/", ref->name, " has no key \"", ref->key, "\""));
    }
    std::string decoded;
    if (!absl::Base64Unescape(ToAbsl(*data), &decoded)) {
      return absl::InvalidArgumentError(absl::StrCat("kubeconfig Secret ", ref->ns, "/",
                                                     ref->name, " key \"", ref->key,
                                                     "\" is not base64"));
    }
    return decoded;
  }();

  std::shared_ptr<Client> changed;
  bool removed = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = members_.find(cluster);
    if (kubeconfig.ok() && it != members_.end() && it->second.kubeconfig == *kubeconfig) {
      return;  // unchanged
    }
    absl::Status error = kubeconfig.status();
    if (kubeconfig.ok()) {
      absl::StatusOr<RestConfig> config = ParseKubeconfig(*kubeconfig, "", "");
      absl::StatusOr<std::unique_ptr<Client>> client =
          config.ok() ? Client::Create(*config, options_.member_client_options)
                      : absl::StatusOr<std::unique_ptr<Client>>(config.status());
      if (client.ok()) {
        Member& member = members_[cluster];
        member.kubeconfig = *kubeconfig;
        member.client = std::shared_ptr<Client>(std::move(*client));
        changed = member.client;
        errors_.erase(cluster);
        runtime::log::Info("member cluster client ready", {{"cluster", cluster}});
      } else {
        error = client.status();
      }
    }
    if (!error.ok()) {
      if (it != members_.end()) {
        members_.erase(it);
        removed = true;
      }
      if (absl::IsNotFound(error)) {
        errors_.erase(cluster);
      } else {
        errors_[cluster] = error;
        runtime::log::Warn("member cluster has no client", {{"cluster", cluster}, {"error", ErrorText(error)}});
      }
    }
  }
  if (options_.on_change && (changed != nullptr || removed)) options_.on_change(cluster, changed);
}

}  // namespace mck8s::kubeapi
