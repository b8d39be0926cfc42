// -----------------------------------------------------------------------------
// File: mck8s/runtime/probes.h
// -----------------------------------------------------------------------------
//
// Liveness and readiness endpoints in the style of kube-apiserver, for the
// kubelet's probes and for people debugging a pod:
//
//   GET /healthz, /livez   200 "ok" when every health check passes
//   GET /readyz            200 "ok" when every readiness check passes
//   ...?verbose            one "[+]name ok" line per check, then
//                          "healthz check passed" (or "readyz ...")
//   ...?exclude=name       skips that check ("[+]name excluded: ok")
//   GET /readyz/<name>     200 "ok" or 500 "internal server error: reason"
//                          for one check (/healthz/<name>, /livez/<name> too)
//
// On failure the answer is 500 with every check listed, "[-]name failed:
// reason" for those that failed, and a last line "readyz check failed". A
// `ping` check that always passes is registered on both lists, and readiness
// ends with a `shutdown` check that fails once SetShuttingDown() was called,
// so load balancers drain the pod while it finishes its work.
//
// Usage:
//
//   mck8s::runtime::Probes probes;
//   probes.AddReadinessCheck("informers-synced", [&] {
//     return cache.HasSynced() ? absl::OkStatus()
//                              : absl::UnavailableError("not synced yet");
//   });
//   probes.Install(*http_server);   // before http_server->Start()
//   ...
//   probes.SetShuttingDown();       // on SIGTERM
//
// Thread safety: all methods are thread-safe; checks may be added after
// Install(). Checks run on the HTTP server's thread at each request, so they
// must be quick and must not block (read a flag or a cached state).

#ifndef MCK8S_RUNTIME_PROBES_H_
#define MCK8S_RUNTIME_PROBES_H_

#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "mck8s/runtime/http_server.h"

namespace mck8s::runtime {

class Probes {
 public:
  // Returns OK when healthy/ready, otherwise an error whose message is the
  // reason shown in the probe output.
  using Check = std::function<absl::Status()>;

  Probes();
  Probes(const Probes&) = delete;
  Probes& operator=(const Probes&) = delete;

  // Adds a check for /healthz and /livez (liveness: failing makes the
  // kubelet restart the container, so only for states a restart fixes).
  // A check with the same name replaces the earlier one.
  void AddHealthCheck(std::string name, Check check);
  // Adds a check for /readyz (readiness: failing takes the pod out of its
  // Services). A check with the same name replaces the earlier one.
  void AddReadinessCheck(std::string name, Check check);

  // From now on /readyz fails with "[-]shutdown failed: process is shutting
  // down". Irreversible.
  void SetShuttingDown();

  // Registers /healthz, /livez, /readyz and their /<name> subpaths on
  // `server`, which must not be started yet. `*this` must outlive it.
  void Install(HttpServer& server);

  // Answers one probe request (the handler Install() registers); exposed so
  // that other servers and tests can use it directly.
  HttpResponse Serve(const HttpRequest& request) const;

 private:
  using NamedCheck = std::pair<std::string, Check>;
  static void Upsert(std::vector<NamedCheck>& checks, std::string name,
                     Check check);

  mutable absl::Mutex mu_;
  std::vector<NamedCheck> health_checks_ ABSL_GUARDED_BY(mu_);
  std::vector<NamedCheck> readiness_checks_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> shutting_down_{false};
};

}  // namespace mck8s::runtime

#endif  // MCK8S_RUNTIME_PROBES_H_
