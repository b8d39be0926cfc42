#include "mck8s/sim/tls.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mck8s/sim/fleet.h"

namespace mck8s::sim {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Free>;

absl::Status OpenSslError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("TLS: ", what, " failed"));
}

Owned<EVP_PKEY> NewKey() { return Owned<EVP_PKEY>(EVP_EC_gen("P-256")); }

bool IsIpAddress(const std::string& host) {
  unsigned char buffer[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(absl::StrCat("extension ", value));
  }
  return absl::OkStatus();
}

absl::StatusOr<Owned<X509>> NewCertificate(EVP_PKEY* key, const std::string& common_name,
                                           X509* issuer, EVP_PKEY* issuer_key, bool ca,
                                           const std::vector<std::string>& hosts) {
  Owned<X509> cert(X509_new());
  if (cert == nullptr) return OpenSslError("X509_new");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("mck8s-sim"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509* signer = issuer == nullptr ? cert.get() : issuer;
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (ca) {
    if (absl::Status s = AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
        !s.ok()) {
      return s;
    }
    if (absl::Status s = AddExtension(cert.get(), signer, NID_key_usage,
                                      "critical,keyCertSign,cRLSign,digitalSignature");
        !s.ok()) {
      return s;
    }
  } else {
    std::vector<std::string> names;
    for (const std::string& host : hosts) {
      names.push_back(absl::StrCat(IsIpAddress(host) ? "IP:" : "DNS:", host));
    }
    if (absl::Status s = AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
        !s.ok()) {
      return s;
    }
    if (absl::Status s = AddExtension(cert.get(), signer, NID_key_usage,
                                      "critical,digitalSignature,keyEncipherment");
        !s.ok()) {
      return s;
    }
    if (absl::Status s = AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            AddExtension(cert.get(), signer, NID_subject_alt_name, absl::StrJoin(names, ","));
        !s.ok()) {
      return s;
    }
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) return OpenSslError("X509_sign");
  return cert;
}

std::string CertificatePem(X509* cert) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string KeyPem(EVP_PKEY* key) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace

absl::StatusOr<TlsFiles> GenerateTlsFiles(const std::string& dir,
                                          const std::vector<std::string>& hosts) {
  Owned<EVP_PKEY> ca_key = NewKey();
  Owned<EVP_PKEY> server_key = NewKey();
  if (ca_key == nullptr || server_key == nullptr) return OpenSslError("key generation");
  absl::StatusOr<Owned<X509>> ca =
      NewCertificate(ca_key.get(), "mck8s-sim CA", nullptr, ca_key.get(), true, {});
  if (!ca.ok()) return ca.status();
  absl::StatusOr<Owned<X509>> server = NewCertificate(
      server_key.get(), "mck8s-sim", ca->get(), ca_key.get(), false, hosts);
  if (!server.ok()) return server.status();

  TlsFiles files;
  const std::string prefix = dir.empty() ? "." : dir;
  files.ca_cert_file = absl::StrCat(prefix, "/ca.crt");
  files.server_cert_file = absl::StrCat(prefix, "/server.crt");
  files.server_key_file = absl::StrCat(prefix, "/server.key");
  files.ca_pem = CertificatePem(ca->get());
  if (absl::Status s = WriteFileAtomically(files.ca_cert_file, files.ca_pem); !s.ok()) return s;
  if (absl::Status s = WriteFileAtomically(files.server_cert_file, CertificatePem(server->get()));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = WriteFileAtomically(files.server_key_file, KeyPem(server_key.get()));
      !s.ok()) {
    return s;
  }
  ::chmod(files.server_key_file.c_str(), 0600);
  return files;
}

}  // namespace mck8s::sim
