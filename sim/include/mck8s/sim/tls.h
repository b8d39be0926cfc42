// -----------------------------------------------------------------------------
// File: mck8s/sim/tls.h
// -----------------------------------------------------------------------------
//
// A throw-away PKI for serving the simulator over HTTPS: a self-signed CA and
// a server certificate it signs for the given host names and IP addresses
// (ECDSA P-256, SHA-256, valid one year), written as PEM files into a
// directory, typically the kubeconfig's, so that clients trust the CA
// (`certificate-authority` in the kubeconfig) and nothing else.
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(TlsFiles tls, GenerateTlsFiles(dir, {"127.0.0.1", "localhost"}));
//   server_options.tls_cert_file = tls.server_cert_file;
//   server_options.tls_key_file = tls.server_key_file;
//
// Thread-safe. Errors: Unavailable when a file cannot be written, Internal
// when OpenSSL fails.

#ifndef MCK8S_SIM_TLS_H_
#define MCK8S_SIM_TLS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mck8s::sim {

struct TlsFiles {
  std::string ca_cert_file;      // <dir>/ca.crt
  std::string server_cert_file;  // <dir>/server.crt
  std::string server_key_file;   // <dir>/server.key (mode 0600)
  std::string ca_pem;            // the CA certificate itself
};

// `hosts` are DNS names or IP addresses, all put in the subjectAltName.
absl::StatusOr<TlsFiles> GenerateTlsFiles(const std::string& dir,
                                          const std::vector<std::string>& hosts);

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_TLS_H_
