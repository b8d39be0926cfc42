// -----------------------------------------------------------------------------
// File: tests/kubeapi/test_pki.h
// -----------------------------------------------------------------------------
//
// Certificates made by the test itself (OpenSSL, EC P-256): a CA, a server
// certificate for 127.0.0.1 / localhost / a chosen DNS name, and client
// certificates with a chosen common name. Nothing touches the disk.
//
//   TestPki pki;                                  // a fresh CA
//   CertAndKey server = pki.Issue("kube-apiserver", {"api.test"}, {"127.0.0.1"});
//   CertAndKey client = pki.Issue("system:admin", {}, {}, /*client=*/true);

#ifndef MCK8S_TESTS_KUBEAPI_TEST_PKI_H_
#define MCK8S_TESTS_KUBEAPI_TEST_PKI_H_

#include <string>
#include <vector>

namespace mck8s::kubeapi::testing {

struct CertAndKey {
  std::string cert_pem;
  std::string key_pem;
};

class TestPki {
 public:
  // A new self-signed CA named `ca_name`. Aborts on OpenSSL failure.
  explicit TestPki(const std::string& ca_name = "mck8s-test-ca");

  const std::string& ca_pem() const { return ca_.cert_pem; }

  // A certificate signed by this CA, valid for a day.
  CertAndKey Issue(const std::string& common_name, const std::vector<std::string>& dns_names,
                   const std::vector<std::string>& ip_addresses, bool client = false) const;

 private:
  CertAndKey ca_;
};

}  // namespace mck8s::kubeapi::testing

#endif  // MCK8S_TESTS_KUBEAPI_TEST_PKI_H_
