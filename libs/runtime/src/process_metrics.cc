#include "mck8s/runtime/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

#ifndef MCK8S_VERSION
#define MCK8S_VERSION "unknown"
#endif
#ifndef MCK8S_GIT_COMMIT
#define MCK8S_GIT_COMMIT "unknown"
#endif

namespace mck8s::runtime {
namespace {

std::optional<std::string> ReadSmallFile(const char* path) {
  std::FILE* file = std::fopen(path, "re");
  if (file == nullptr) return std::nullopt;
  std::string content;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    content.append(buffer, n);
  }
  std::fclose(file);
  return content;
}

std::optional<double> SoftLimit(int resource) {
  rlimit limit{};
  if (getrlimit(resource, &limit) != 0) return std::nullopt;
  // RLIM_INFINITY is all ones, which client_golang exports as 2^64-1 too.
  return static_cast<double>(limit.rlim_cur);
}

std::optional<double> OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  double count = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count;
}

std::optional<double> BootTimeSeconds() {
  const std::optional<std::string> stat = ReadSmallFile("/proc/stat");
  if (!stat) return std::nullopt;
  for (absl::string_view line : absl::StrSplit(*stat, '\n')) {
    if (absl::ConsumePrefix(&line, "btime ")) {
      double seconds;
      if (absl::SimpleAtod(line, &seconds)) return seconds;
    }
  }
  return std::nullopt;
}

const char* Platform() {
#if defined(__linux__)
#define MCK8S_OS "linux"
#elif defined(__APPLE__)
#define MCK8S_OS "darwin"
#else
#define MCK8S_OS "unknown"
#endif
#if defined(__x86_64__)
#define MCK8S_ARCH "amd64"
#elif defined(__aarch64__)
#define MCK8S_ARCH "arm64"
#elif defined(__i386__)
#define MCK8S_ARCH "386"
#else
#define MCK8S_ARCH "unknown"
#endif
  return MCK8S_OS "/" MCK8S_ARCH;
}

std::string Compiler() {
#if defined(__clang__)
  return "clang-" + std::to_string(__clang_major__) + "." +
         std::to_string(__clang_minor__) + "." +
         std::to_string(__clang_patchlevel__);
#elif defined(__GNUC__)
  return "gcc-" + std::to_string(__GNUC__) + "." +
         std::to_string(__GNUC_MINOR__) + "." +
         std::to_string(__GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

// Process metrics of one registry, refreshed by its collect callback.
struct ProcessCollector {
  Counter* cpu_seconds = nullptr;
  Gauge* open_fds = nullptr;
  Gauge* max_fds = nullptr;
  Gauge* virtual_memory_bytes = nullptr;
  Gauge* virtual_memory_max_bytes = nullptr;
  Gauge* resident_memory_bytes = nullptr;
  Gauge* start_time_seconds = nullptr;
  Gauge* threads = nullptr;
  // The counter only moves forward by the CPU time elapsed since the last
  // reading; two concurrent renders must not both add the same interval.
  absl::Mutex cpu_mu;

  void Collect() {
    const ProcessStats stats = ReadProcessStats();
    if (cpu_seconds != nullptr && stats.cpu_seconds) {
      absl::MutexLock lock(&cpu_mu);
      cpu_seconds->Increment(*stats.cpu_seconds - cpu_seconds->Value());
    }
    const auto set = [](Gauge* gauge, const std::optional<double>& value) {
      if (gauge != nullptr && value) gauge->Set(*value);
    };
    set(open_fds, stats.open_fds);
    set(max_fds, stats.max_fds);
    set(virtual_memory_bytes, stats.virtual_memory_bytes);
    set(virtual_memory_max_bytes, stats.virtual_memory_max_bytes);
    set(resident_memory_bytes, stats.resident_memory_bytes);
    set(start_time_seconds, stats.start_time_seconds);
    set(threads, stats.threads);
  }
};

}  // namespace

ProcessStats ReadProcessStats() {
  ProcessStats stats;
  stats.open_fds = OpenFds();
  stats.max_fds = SoftLimit(RLIMIT_NOFILE);
  stats.virtual_memory_max_bytes = SoftLimit(RLIMIT_AS);

  const std::optional<std::string> stat = ReadSmallFile("/proc/self/stat");
  if (!stat) return stats;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // the fields start after the last ')'.
  const size_t close = stat->rfind(')');
  if (close == std::string::npos) return stats;
  const std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(*stat).substr(close + 1),
                     ' ', absl::SkipEmpty());
  // fields[0] is field 3 of proc(5) (state); field N is fields[N - 3].
  const auto field = [&](size_t number) -> std::optional<double> {
    double value;
    if (fields.size() <= number - 3 ||
        !absl::SimpleAtod(fields[number - 3], &value)) {
      return std::nullopt;
    }
    return value;
  };
  const long ticks = sysconf(_SC_CLK_TCK);
  const long page_size = sysconf(_SC_PAGESIZE);
  const std::optional<double> utime = field(14);
  const std::optional<double> stime = field(15);
  if (utime && stime && ticks > 0) {
    stats.cpu_seconds = (*utime + *stime) / static_cast<double>(ticks);
  }
  stats.threads = field(20);
  const std::optional<double> start_ticks = field(22);
  const std::optional<double> boot_time = BootTimeSeconds();
  if (start_ticks && boot_time && ticks > 0) {
    stats.start_time_seconds =
        *boot_time + *start_ticks / static_cast<double>(ticks);
  }
  stats.virtual_memory_bytes = field(23);
  if (const std::optional<double> rss_pages = field(24);
      rss_pages && page_size > 0) {
    stats.resident_memory_bytes = *rss_pages * static_cast<double>(page_size);
  }
  return stats;
}

void RegisterProcessMetrics(Registry& registry) {
  const ProcessStats stats = ReadProcessStats();
  // Shared with the callback, which lives as long as the registry.
  auto collector = std::make_shared<ProcessCollector>();
  const auto gauge = [&](const std::optional<double>& available,
                         const char* name, const char* help) -> Gauge* {
    if (!available) return nullptr;
    return &registry.AddGauge(name, help).WithLabels({});
  };
  if (stats.cpu_seconds) {
    collector->cpu_seconds =
        &registry
             .AddCounter("process_cpu_seconds_total",
                         "Total user and system CPU time spent in seconds.")
             .WithLabels({});
  }
  collector->open_fds = gauge(stats.open_fds, "process_open_fds",
                              "Number of open file descriptors.");
  collector->max_fds = gauge(stats.max_fds, "process_max_fds",
                             "Maximum number of open file descriptors.");
  collector->virtual_memory_bytes =
      gauge(stats.virtual_memory_bytes, "process_virtual_memory_bytes",
            "Virtual memory size in bytes.");
  collector->virtual_memory_max_bytes =
      gauge(stats.virtual_memory_max_bytes, "process_virtual_memory_max_bytes",
            "Maximum amount of virtual memory available in bytes.");
  collector->resident_memory_bytes =
      gauge(stats.resident_memory_bytes, "process_resident_memory_bytes",
            "Resident memory size in bytes.");
  collector->start_time_seconds =
      gauge(stats.start_time_seconds, "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.");
  collector->threads = gauge(stats.threads, "process_threads",
                             "Number of OS threads in the process.");
  collector->Collect();
  registry.AddCollectCallback([collector] { collector->Collect(); });
}

void RegisterBuildInfo(Registry& registry, std::string_view component) {
  registry
      .AddGauge("mck8s_build_info",
                "A metric with a constant '1' value labeled by the component, "
                "version, git commit, compiler and platform it was built "
                "from.",
                {"component", "version", "git_commit", "compiler", "platform"})
      .WithLabels({component, MCK8S_VERSION, MCK8S_GIT_COMMIT, Compiler(),
                   Platform()})
      .Set(1);
}

}  // namespace mck8s::runtime
