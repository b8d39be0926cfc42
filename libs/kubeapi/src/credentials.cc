#include "mck8s/kubeapi/credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/base/strings.h"

extern char** environ;

namespace mck8s::kubeapi {
namespace {

// How long a token read from a file is trusted before reading it again.
constexpr absl::Duration kTokenFileRefresh = absl::Minutes(1);
// A plugin token is renewed this long before it expires.
constexpr absl::Duration kExpiryLeeway = absl::Seconds(10);
// A plugin that has not answered by then is killed.
constexpr absl::Duration kPluginTimeout = absl::Minutes(1);
constexpr size_t kMaxPluginOutput = 1 << 20;

class NoCredentials final : public CredentialProvider {
 public:
  absl::StatusOr<std::string> Authorization() override { return std::string(); }
};

class FixedAuthorization final : public CredentialProvider {
 public:
  explicit FixedAuthorization(std::string value) : value_(std::move(value)) {}
  absl::StatusOr<std::string> Authorization() override { return value_; }

 private:
  const std::string value_;
};

class TokenFile final : public CredentialProvider {
 public:
  TokenFile(std::string path, Clock& clock) : path_(std::move(path)), clock_(clock) {}

  absl::StatusOr<std::string> Authorization() override {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    if (token_.empty() || now - read_at_ >= kTokenFileRefresh) {
      std::ifstream in(path_, std::ios::binary);
      if (!in) {
        if (!token_.empty()) return absl::StrCat("Bearer ", token_);  // keep the last good one
        // Not NOT_FOUND: callers read that as "the object does not exist".
        return absl::UnauthenticatedError(absl::StrCat("cannot read token file ", path_));
      }
      std::ostringstream text;
      text << in.rdbuf();
      std::string token(absl::StripAsciiWhitespace(text.str()));
      if (token.empty()) {
        return absl::UnauthenticatedError(absl::StrCat("token file ", path_, " is empty"));
      }
      token_ = std::move(token);
      read_at_ = now;
    }
    return absl::StrCat("Bearer ", token_);
  }

  bool OnUnauthorized() override {
    absl::MutexLock lock(&mu_);
    read_at_ = absl::InfinitePast();
    return true;
  }

 private:
  const std::string path_;
  Clock& clock_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time read_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// Runs argv with `env` (complete), stdin from /dev/null, stdout captured,
// stderr inherited.
absl::StatusOr<std::string> RunPlugin(const std::vector<std::string>& argv,
                                      const std::vector<std::string>& env) {
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  if (spawned != 0) {
    close(out_pipe[0]);
    return absl::UnauthenticatedError(absl::StrCat("exec credential plugin \"", argv[0],
                                                   "\" could not start: ", std::strerror(spawned)));
  }
  std::string output;
  const absl::Time deadline = absl::Now() + kPluginTimeout;
  bool timed_out = false;
  char buffer[4096];
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      timed_out = true;
      break;
    }
    pollfd pfd{out_pipe[0], POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t n = read(out_pipe[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buffer, static_cast<size_t>(n));
    if (output.size() > kMaxPluginOutput) break;
  }
  close(out_pipe[0]);
  if (timed_out || output.size() > kMaxPluginOutput) kill(pid, SIGKILL);
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return absl::UnauthenticatedError(absl::StrCat("exec credential plugin \"", argv[0],
                                                   "\" did not answer within ",
                                                   absl::FormatDuration(kPluginTimeout)));
  }
  if (output.size() > kMaxPluginOutput) {
    return absl::UnauthenticatedError(
        absl::StrCat("exec credential plugin \"", argv[0], "\" printed more than 1 MiB"));
  }
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    return absl::UnauthenticatedError(
        absl::StrCat("exec credential plugin \"", argv[0], "\" failed (",
                     WIFEXITED(wait_status) ? absl::StrCat("exit code ", WEXITSTATUS(wait_status))
                                            : absl::StrCat("signal ", WTERMSIG(wait_status)),
                     ")"));
  }
  return output;
}

class ExecPlugin final : public CredentialProvider {
 public:
  ExecPlugin(RestConfig config, Clock& clock) : config_(std::move(config)), clock_(clock) {}

  absl::StatusOr<std::string> Authorization() override {
    absl::MutexLock lock(&mu_);
    MCK8S_ASSIGN_OR_RETURN(const ExecCredentialStatus* credential, Current());
    // A certificate-only credential authenticates in the TLS handshake.
    if (credential->token.empty()) return std::string();
    return absl::StrCat("Bearer ", credential->token);
  }

  absl::StatusOr<std::optional<ClientCertificate>> TlsClientCertificate() override {
    absl::MutexLock lock(&mu_);
    MCK8S_ASSIGN_OR_RETURN(const ExecCredentialStatus* credential, Current());
    if (credential->client_certificate_pem.empty()) return std::nullopt;
    return ClientCertificate{credential->client_certificate_pem, credential->client_key_pem};
  }

  bool OnUnauthorized() override {
    absl::MutexLock lock(&mu_);
    cached_.reset();
    return true;
  }

 private:
  // The plugin's credential, from the cache or from a new run when there is
  // none or it is about to expire.
  absl::StatusOr<const ExecCredentialStatus*> Current() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const absl::Time now = clock_.Now();
    if (!cached_.has_value() ||
        (cached_->expiration.has_value() && now >= *cached_->expiration - kExpiryLeeway)) {
      std::vector<std::string> argv = {config_.exec->command};
      argv.insert(argv.end(), config_.exec->args.begin(), config_.exec->args.end());
      std::vector<std::string> env;
      for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view entry(*e);
        if (entry.substr(0, 21) == "KUBERNETES_EXEC_INFO=") continue;
        bool overridden = false;
        for (const auto& [name, value] : config_.exec->env) {
          if (entry.size() > name.size() && entry.substr(0, name.size()) == name &&
              entry[name.size()] == '=') {
            overridden = true;
          }
        }
        if (!overridden) env.emplace_back(entry);
      }
      for (const auto& [name, value] : config_.exec->env) env.push_back(name + "=" + value);
      env.push_back("KUBERNETES_EXEC_INFO=" + BuildExecInfo(config_));
      absl::StatusOr<std::string> output = RunPlugin(argv, env);
      if (!output.ok()) return output.status();
      absl::StatusOr<ExecCredentialStatus> credential =
          ParseExecCredential(*output, config_.exec->api_version);
      if (!credential.ok()) {
        return absl::UnauthenticatedError(absl::StrCat("exec credential plugin \"",
                                                       config_.exec->command,
                                                       "\": ", credential.status().message()));
      }
      cached_ = *std::move(credential);
    }
    return &*cached_;
  }

  const RestConfig config_;
  Clock& clock_;
  absl::Mutex mu_;
  std::optional<ExecCredentialStatus> cached_ ABSL_GUARDED_BY(mu_);
};

std::string StringMember(const rapidjson::Value& object, const char* key) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

absl::StatusOr<ExecCredentialStatus> ParseExecCredential(std::string_view json,
                                                         std::string_view expected_api_version) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("output is not JSON (error at offset ", doc.GetErrorOffset(), ")"));
  }
  if (!doc.IsObject()) return absl::InvalidArgumentError("output is not a JSON object");
  if (StringMember(doc, "kind") != "ExecCredential") {
    return absl::InvalidArgumentError("output is not an ExecCredential (kind)");
  }
  const std::string api_version = StringMember(doc, "apiVersion");
  if (!expected_api_version.empty() && api_version != expected_api_version) {
    return absl::InvalidArgumentError(absl::StrCat("output has apiVersion \"", api_version,
                                                   "\", the kubeconfig asks for \"",
                                                   ToAbsl(expected_api_version), "\""));
  }
  auto status = doc.FindMember("status");
  if (status == doc.MemberEnd() || !status->value.IsObject()) {
    return absl::InvalidArgumentError("output has no status");
  }
  ExecCredentialStatus result;
  result.token = StringMember(status->value, "token");
  result.client_certificate_pem = StringMember(status->value, "clientCertificateData");
  result.client_key_pem = StringMember(status->value, "clientKeyData");
  if (result.token.empty() && result.client_certificate_pem.empty()) {
    return absl::InvalidArgumentError("status has neither a token nor clientCertificateData");
  }
  if (result.client_certificate_pem.empty() != result.client_key_pem.empty()) {
    return absl::InvalidArgumentError(
        "status.clientCertificateData and status.clientKeyData must be given "
        "together");
  }
  const std::string expiration = StringMember(status->value, "expirationTimestamp");
  if (!expiration.empty()) {
    absl::Time when;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, expiration, &when, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("status.expirationTimestamp \"", expiration, "\" is not RFC 3339: ", error));
    }
    result.expiration = when;
  }
  return result;
}

std::string BuildExecInfo(const RestConfig& config) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  const std::string api_version = config.exec.has_value() && !config.exec->api_version.empty()
                                      ? config.exec->api_version
                                      : "client.authentication.k8s.io/v1";
  w.StartObject();
  w.Key("apiVersion");
  w.String(api_version.c_str());
  w.Key("kind");
  w.String("ExecCredential");
  w.Key("spec");
  w.StartObject();
  w.Key("interactive");
  w.Bool(false);
  if (config.exec.has_value() && config.exec->provide_cluster_info) {
    w.Key("cluster");
    w.StartObject();
    w.Key("server");
    w.String(config.server.c_str());
    if (!config.tls_server_name.empty()) {
      w.Key("tls-server-name");
      w.String(config.tls_server_name.c_str());
    }
    if (config.insecure_skip_tls_verify) {
      w.Key("insecure-skip-tls-verify");
      w.Bool(true);
    }
    if (!config.ca_pem.empty()) {
      const std::string ca = absl::Base64Escape(config.ca_pem);
      w.Key("certificate-authority-data");
      w.String(ca.c_str());
    }
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

absl::StatusOr<std::unique_ptr<CredentialProvider>> NewCredentialProvider(const RestConfig& config,
                                                                          Clock& clock) {
  if (config.exec.has_value()) {
    const std::string& version = config.exec->api_version;
    if (!version.empty() && version != "client.authentication.k8s.io/v1" &&
        version != "client.authentication.k8s.io/v1beta1") {
      return absl::InvalidArgumentError(
          absl::StrCat("exec credential plugin apiVersion \"", version,
                       "\" is not supported (client.authentication.k8s.io/v1 or v1beta1)"));
    }
    return std::make_unique<ExecPlugin>(config, clock);
  }
  if (!config.bearer_token.empty()) {
    return std::make_unique<FixedAuthorization>(absl::StrCat("Bearer ", config.bearer_token));
  }
  if (!config.bearer_token_file.empty()) {
    return std::make_unique<TokenFile>(config.bearer_token_file, clock);
  }
  if (!config.username.empty() || !config.password.empty()) {
    return std::make_unique<FixedAuthorization>(absl::StrCat(
        "Basic ", absl::Base64Escape(absl::StrCat(config.username, ":", config.password))));
  }
  return std::make_unique<NoCredentials>();
}

}  // namespace mck8s::kubeapi
