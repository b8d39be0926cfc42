// -----------------------------------------------------------------------------
// File: mck8s/runtime/process_metrics.h
// -----------------------------------------------------------------------------
//
// The standard `process_*` metrics every Prometheus client library exports,
// and the `mck8s_build_info` pseudo-metric, so that Kubernetes dashboards
// (CPU, resident memory, file descriptors, restarts via start time) work on
// mck8s services unchanged.
//
// The values are read from procfs the way client_golang reads them on Linux:
// CPU is utime+stime from /proc/self/stat over the clock tick rate, resident
// memory is rss pages times the page size, start time is the boot time from
// /proc/stat plus the start tick, open fds are the entries of /proc/self/fd,
// and the maxima are the soft resource limits (an unlimited limit is exported
// as 2^64-1, as client_golang does). A metric that cannot be read when it is
// registered is left out rather than exported as a bogus value. Go-runtime
// metrics (`go_*`) have no C++ equivalent; `process_threads` is the
// counterpart of `go_goroutines` on our dashboards.
//
// Usage:
//
//   auto& registry = mck8s::runtime::Registry::Default();
//   mck8s::runtime::RegisterProcessMetrics(registry);
//   mck8s::runtime::RegisterBuildInfo(registry, "scheduler");
//
// Thread safety: both functions are thread-safe; call each once per registry
// at start-up. The values refresh at every Registry::Render().

#ifndef MCK8S_RUNTIME_PROCESS_METRICS_H_
#define MCK8S_RUNTIME_PROCESS_METRICS_H_

#include <optional>
#include <string>
#include <string_view>

#include "mck8s/runtime/metrics.h"

namespace mck8s::runtime {

// Registers process_cpu_seconds_total, process_open_fds, process_max_fds,
// process_virtual_memory_bytes, process_virtual_memory_max_bytes,
// process_resident_memory_bytes, process_start_time_seconds and
// process_threads (those that can be read here), and a collect callback that
// refreshes them before each render.
void RegisterProcessMetrics(Registry& registry);

// Registers the gauge
//   mck8s_build_info{component,version,git_commit,compiler,platform} 1
// where version and git_commit come from the compile definitions
// MCK8S_VERSION and MCK8S_GIT_COMMIT ("unknown" when absent), compiler is
// e.g. "gcc-12.2.0" and platform e.g. "linux/amd64" (Go's GOOS/GOARCH form,
// like kubernetes_build_info).
void RegisterBuildInfo(Registry& registry, std::string_view component);

// One reading of the process statistics; a field is empty when it could not
// be read. Exposed for tests and diagnostics.
struct ProcessStats {
  std::optional<double> cpu_seconds;
  std::optional<double> open_fds;
  std::optional<double> max_fds;
  std::optional<double> virtual_memory_bytes;
  std::optional<double> virtual_memory_max_bytes;
  std::optional<double> resident_memory_bytes;
  std::optional<double> start_time_seconds;
  std::optional<double> threads;
};
ProcessStats ReadProcessStats();

}  // namespace mck8s::runtime

#endif  // MCK8S_RUNTIME_PROCESS_METRICS_H_
