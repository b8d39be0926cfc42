// mck8s-sim: serves a fleet of simulated Kubernetes clusters (see
// sim/README.md). Parses flags, builds the fleet, serves it, writes the
// kubeconfig, prints `listening on HOST:PORT` and runs until SIGTERM/SIGINT.

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "mck8s/runtime/flags.h"
#include "mck8s/runtime/log.h"
#include "mck8s/runtime/signals.h"
#include "mck8s/sim/control.h"
#include "mck8s/sim/controllers.h"
#include "mck8s/sim/fleet.h"
#include "mck8s/sim/http_server.h"
#include "mck8s/sim/testbed.h"
#include "mck8s/sim/tls.h"

#ifndef MCK8S_SIM_DEFAULT_CRDS_DIR
#define MCK8S_SIM_DEFAULT_CRDS_DIR ""
#endif

namespace {

using mck8s::runtime::LogField;
namespace log = mck8s::runtime::log;

int Run(int argc, char** argv) {
  mck8s::runtime::ShutdownSignal& shutdown = mck8s::runtime::ShutdownSignal::Install();

  std::string testbed_path;
  std::string listen = "127.0.0.1:0";
  std::string kubeconfig_out;
  std::string crds_dir = MCK8S_SIM_DEFAULT_CRDS_DIR;
  std::string token;
  std::string log_level = "info";
  int64_t generate_clusters = 0;
  int64_t generate_nodes = 50;
  int64_t watch_history = 10000;
  int64_t threads = 0;
  absl::Duration bookmark_interval = absl::Seconds(15);
  absl::Duration pod_start_delay = absl::ZeroDuration();
  absl::Duration job_run_duration = absl::Seconds(5);
  bool controllers_enabled = true;
  bool tls = false;

  mck8s::runtime::FlagSet flags(
      "mck8s-sim",
      "Serves a management cluster and member clusters that real kubectl, helm and client "
      "libraries can use, from one process and one port (a path prefix per cluster).");
  flags.AddString("testbed", &testbed_path, "Testbed YAML describing the fleet.");
  flags.AddString("listen", &listen, "Address to serve on, host:port (port 0: any free port).");
  flags.AddString("kubeconfig-out", &kubeconfig_out,
                  "Where to write a kubeconfig with one context per cluster.");
  flags.AddString("crds", &crds_dir,
                  "Directory of CRD manifests installed in the management cluster.");
  flags.AddString("token", &token,
                  "Require this bearer token on every request (written into the kubeconfig).");
  flags.AddBool("tls",
                &tls,
                "Serve HTTPS with a self-signed CA and server certificate written next to the "
                "kubeconfig (ca.crt, server.crt, server.key).");
  flags.AddInt("generate-clusters", &generate_clusters,
               "Instead of --testbed, generate a fleet of this many member clusters.");
  flags.AddInt("generate-nodes", &generate_nodes, "Workers per generated member cluster.");
  flags.AddInt("watch-history", &watch_history,
               "Events kept per cluster for watches resuming from a resourceVersion.");
  flags.AddInt("threads", &threads, "Request threads (0: one per core).");
  flags.AddDuration("bookmark-interval", &bookmark_interval,
                    "Interval of BOOKMARK events on watches that allow them.");
  flags.AddBool("controllers", &controllers_enabled,
                "Run the Deployment and Job controllers, the pod binder and the kubelet stand-in.");
  flags.AddDuration("pod-start-delay", &pod_start_delay,
                    "Between a pod's binding and it being Running and Ready.");
  flags.AddDuration("job-run-duration", &job_run_duration,
                    "How long a Job's pod runs before it Succeeds (the Job's annotation "
                    "sim.mck8s.io/run-duration overrides it).");
  flags.AddString("log-level", &log_level, "debug, info, warn or error.");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) {
    std::cerr << "mck8s-sim: " << s.message() << "\n" << flags.Usage();
    return 2;
  }
  if (flags.help_requested()) {
    std::cout << flags.Usage();
    return 0;
  }
  absl::StatusOr<mck8s::runtime::LogLevel> level = mck8s::runtime::ParseLogLevel(log_level);
  if (!level.ok()) {
    std::cerr << "mck8s-sim: " << level.status().message() << "\n";
    return 2;
  }
  log::Init("mck8s-sim", *level);

  absl::StatusOr<mck8s::sim::Testbed> testbed;
  if (generate_clusters > 0) {
    testbed = mck8s::sim::GenerateTestbed(static_cast<int>(generate_clusters),
                                          static_cast<int>(generate_nodes));
  } else if (!testbed_path.empty()) {
    testbed = mck8s::sim::LoadTestbed(testbed_path);
  } else {
    std::cerr << "mck8s-sim: --testbed or --generate-clusters is required\n" << flags.Usage();
    return 2;
  }
  if (!testbed.ok()) {
    log::Error("cannot load the testbed", {{"error", testbed.status()}});
    return 1;
  }

  size_t colon = listen.rfind(':');
  uint32_t port = 0;
  const absl::string_view listen_view(listen);
  if (colon == std::string::npos || !absl::SimpleAtoi(listen_view.substr(colon + 1), &port) ||
      port > 65535) {
    std::cerr << "mck8s-sim: invalid --listen \"" << listen << "\": want host:port\n";
    return 2;
  }
  const std::string host(listen_view.substr(0, colon));

  absl::Time start = absl::Now();
  mck8s::sim::Fleet::Options fleet_options;
  fleet_options.crds_dir = crds_dir;
  fleet_options.token = token;
  fleet_options.watch_history = static_cast<size_t>(std::max<int64_t>(watch_history, 1));
  std::optional<mck8s::sim::TlsFiles> tls_files;
  if (tls) {
    std::string dir = ".";
    if (size_t slash = kubeconfig_out.rfind('/'); slash != std::string::npos) {
      dir = slash == 0 ? std::string("/")
                       : std::string(absl::string_view(kubeconfig_out).substr(0, slash));
    }
    absl::StatusOr<mck8s::sim::TlsFiles> generated =
        mck8s::sim::GenerateTlsFiles(dir, {host, "127.0.0.1", "localhost"});
    if (!generated.ok()) {
      log::Error("cannot create the TLS files", {{"error", generated.status()}});
      return 1;
    }
    tls_files = *generated;
    fleet_options.ca_pem = tls_files->ca_pem;
    fleet_options.ca_file = tls_files->ca_cert_file;
  }
  absl::StatusOr<std::unique_ptr<mck8s::sim::Fleet>> fleet =
      mck8s::sim::Fleet::Create(*testbed, fleet_options);
  if (!fleet.ok()) {
    log::Error("cannot build the fleet", {{"error", fleet.status()}});
    return 1;
  }

  mck8s::sim::ClusterControllers controllers(
      {.pod_start_delay = pod_start_delay, .job_run_duration = job_run_duration});
  if (controllers_enabled) {
    for (const std::string& name : (*fleet)->ClusterNames()) controllers.Add((*fleet)->cluster(name));
    if (absl::Status s = controllers.Start(); !s.ok()) {
      log::Error("cannot start the controllers", {{"error", s}});
      return 1;
    }
  }

  mck8s::sim::HttpServer::Options server_options;
  server_options.host = host;
  server_options.port = static_cast<uint16_t>(port);
  server_options.threads = static_cast<int>(threads);
  server_options.bearer_token = token;
  server_options.bookmark_interval = bookmark_interval;
  if (tls_files.has_value()) {
    server_options.tls_cert_file = tls_files->server_cert_file;
    server_options.tls_key_file = tls_files->server_key_file;
  }
  mck8s::sim::Fleet* fleet_ptr = fleet->get();
  mck8s::sim::FaultInjector faults;
  mck8s::sim::ControlApi control(*fleet_ptr, faults);
  server_options.faults = &faults;
  server_options.control = [&control](const mck8s::sim::ApiRequest& request) {
    return control.Handle(request);
  };
  mck8s::sim::HttpServer server(server_options, [fleet_ptr](absl::string_view name) {
    return fleet_ptr->Api(name);
  });
  faults.SetUnreachableListener(
      [&server](const std::string& cluster) { server.AbortWatches(cluster); });
  if (absl::Status s = server.Start(); !s.ok()) {
    log::Error("cannot serve", {{"error", s}});
    return 1;
  }
  const std::string address = absl::StrCat(host, ":", server.port());
  const std::string url = absl::StrCat(tls ? "https://" : "http://", address);
  if (!crds_dir.empty()) {
    if (absl::Status s = (*fleet)->Register(url); !s.ok()) {
      log::Error("cannot register the member clusters", {{"error", s}});
      return 1;
    }
  }
  if (!kubeconfig_out.empty()) {
    if (absl::Status s =
            mck8s::sim::WriteFileAtomically(kubeconfig_out, (*fleet)->Kubeconfig(url));
        !s.ok()) {
      log::Error("cannot write the kubeconfig", {{"error", s}});
      return 1;
    }
  }
  log::Info("serving", {{"address", address},
                        {"clusters", static_cast<int64_t>(testbed->clusters.size())},
                        {"startup", absl::Now() - start}});
  std::cout << "listening on " << address << std::endl;

  shutdown.Wait();
  log::Info("shutting down");
  server.Stop();
  controllers.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
