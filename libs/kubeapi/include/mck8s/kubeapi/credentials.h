// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/credentials.h
// -----------------------------------------------------------------------------
//
// Where the Authorization header of each request comes from, for the user
// entry of a kubeconfig (or the in-cluster service account):
//
//   token               "Bearer <token>", fixed.
//   tokenFile           "Bearer <file content>", re-read when the cached copy
//                       is older than a minute or after a 401, so a rotated
//                       service-account token is picked up without a restart.
//   exec                a credential plugin (client.authentication.k8s.io/v1
//                       or v1beta1): the command runs with
//                       KUBERNETES_EXEC_INFO set and prints an ExecCredential;
//                       its token, or its client certificate and key, are
//                       cached until expirationTimestamp (less ten seconds)
//                       or a 401. A certificate is presented on every new
//                       TLS connection (TlsClientCertificate), so a rotated
//                       one is used from the next connection on.
//   username/password   "Basic <base64>".
//   none of these       no Authorization header (client certificates or an
//                       open test server).
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(std::unique_ptr<CredentialProvider> credentials,
//                          NewCredentialProvider(config, Clock::Real()));
//   MCK8S_ASSIGN_OR_RETURN(std::string authorization, credentials->Authorization());
//
// Thread safety: providers are thread-safe; concurrent callers of an exec
// provider share one run of the plugin.

#ifndef MCK8S_KUBEAPI_CREDENTIALS_H_
#define MCK8S_KUBEAPI_CREDENTIALS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mck8s/kubeapi/clock.h"
#include "mck8s/kubeapi/config.h"
#include "mck8s/kubeapi/transport.h"

namespace mck8s::kubeapi {

class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;

  // The Authorization header value, or "" to send none. Errors:
  // UNAUTHENTICATED for a missing or empty token file or a failed plugin
  // (its stderr goes to ours, as kubectl does). Never NOT_FOUND, which
  // callers of Get() read as "the object does not exist".
  virtual absl::StatusOr<std::string> Authorization() = 0;

  // The server answered 401: forget cached credentials. Returns true when a
  // new Authorization() may differ, i.e. one retry is worth it.
  virtual bool OnUnauthorized() { return false; }

  // The client certificate new TLS connections present, when these
  // credentials include one (an exec plugin that prints
  // clientCertificateData); nullopt otherwise. Same errors as
  // Authorization().
  virtual absl::StatusOr<std::optional<ClientCertificate>> TlsClientCertificate() {
    return std::nullopt;
  }
};

absl::StatusOr<std::unique_ptr<CredentialProvider>> NewCredentialProvider(
    const RestConfig& config, Clock& clock);

// What an exec plugin printed, decoded.
struct ExecCredentialStatus {
  std::string token;
  std::optional<absl::Time> expiration;  // nullopt: valid until a 401
  std::string client_certificate_pem;
  std::string client_key_pem;
};

// Decodes the ExecCredential a plugin printed. `expected_api_version` is the
// kubeconfig's exec.apiVersion; the output must carry the same one.
// INVALID_ARGUMENT (naming the problem) for malformed JSON, a wrong kind or
// apiVersion, no status, neither token nor client certificate, or a bad
// expirationTimestamp.
absl::StatusOr<ExecCredentialStatus> ParseExecCredential(std::string_view json,
                                                         std::string_view expected_api_version);

// The KUBERNETES_EXEC_INFO document for a plugin run (spec.interactive is
// false; spec.cluster is filled when exec.provideClusterInfo is set).
std::string BuildExecInfo(const RestConfig& config);

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_CREDENTIALS_H_
