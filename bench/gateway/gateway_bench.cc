// bench-gateway: the metrics-gateway's figures on a large simulated fleet.
//
//   bench-gateway [clusters] [nodes-per-cluster] [steady-seconds] [changes]
//                 (defaults 1000 50 20 100)
//
// 1. starts mck8s-sim with a generated fleet (`clusters` members x `nodes`
//    workers) and mck8s-metrics-gateway on it (both from this binary's
//    directory), as separate processes;
// 2. initial sync: from the gateway's start to /readyz answering 200 (the
//    first snapshot is published);
// 3. steady state: the gateway's CPU (utime + stime from /proc) over
//    `steady-seconds` with one full-fleet Watch client connected, and its
//    resident memory (VmRSS, and the peak VmHWM);
// 4. change-to-Watch delay: `changes` times, a label of a node in a member
//    cluster is changed (JSON merge patch), and the delay from sending the
//    patch to the Watch event carrying the new label is recorded;
//    p50, p99 and max.
//
// Prints one figure per line, "name: value unit".

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/config.h"
#include "mck8s/runtime/metrics.h"
#include "mck8s/v1/cluster_state.grpc.pb.h"

namespace {

using mck8s::kubeapi::Client;

std::string Directory(const std::string& path) { return path.substr(0, path.rfind('/')); }

std::string SelfDirectory() {
  char buffer[4096];
  ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) return ".";
  buffer[n] = '\0';
  return Directory(buffer);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A child process with stdout and stderr in files.
struct Child {
  pid_t pid = -1;
  std::string out;
  std::string err;

  static Child Start(const std::vector<std::string>& argv, const std::string& dir,
                     const std::string& name) {
    Child child;
    child.out = dir + "/" + name + ".out";
    child.err = dir + "/" + name + ".err";
    child.pid = ::fork();
    if (child.pid == 0) {
      if (!std::freopen(child.out.c_str(), "w", stdout) ||
          !std::freopen(child.err.c_str(), "w", stderr)) {
        _exit(127);
      }
      std::vector<char*> args;
      for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      _exit(127);
    }
    return child;
  }
  // Waits for a line containing `text` in stdout or stderr; returns it.
  std::optional<std::string> WaitFor(const std::string& text, absl::Duration timeout) const {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      for (const std::string& file : {out, err}) {
        std::string content = ReadFile(file);
        size_t at = content.find(text);
        if (at != std::string::npos) {
          size_t begin = content.rfind('\n', at);
          begin = begin == std::string::npos ? 0 : begin + 1;
          size_t end = content.find('\n', at);
          return content.substr(begin, end == std::string::npos ? end : end - begin);
        }
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return std::nullopt;
  }
  void Stop() {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200; ++i) {
      if (::waitpid(pid, &status, WNOHANG) == pid) return;
      absl::SleepFor(absl::Milliseconds(50));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
};

// utime + stime of `pid`, in seconds.
double CpuSeconds(pid_t pid) {
  std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields;
  size_t start = close + 2;
  while (start < stat.size()) {
    size_t space = stat.find(' ', start);
    if (space == std::string::npos) space = stat.size();
    fields.push_back(stat.substr(start, space - start));
    start = space + 1;
  }
  // Fields after the command: state is [0], utime [11], stime [12].
  if (fields.size() < 13) return 0;
  double utime = 0, stime = 0;
  absl::SimpleAtod(fields[11], &utime);
  absl::SimpleAtod(fields[12], &stime);
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double StatusMiB(pid_t pid, const std::string& key) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      int64_t kib = 0;
      std::string digits;
      for (char c : line) {
        if (c >= '0' && c <= '9') digits.push_back(c);
      }
      absl::SimpleAtoi(digits, &kib);
      return kib / 1024.0;
    }
  }
  return 0;
}

int PortIn(const std::string& line, const std::string& key) {
  size_t at = line.find("\"" + key + "\":");
  if (at == std::string::npos) return 0;
  return std::atoi(line.c_str() + at + key.size() + 3);
}

bool HttpOk(int port, const std::string& path) {
  std::string command =
      absl::StrCat("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:", port, path);
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return false;
  char buffer[16] = {0};
  size_t n = std::fread(buffer, 1, sizeof(buffer) - 1, pipe);
  ::pclose(pipe);
  return std::string(buffer, n) == "200";
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  const int clusters = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int nodes = argc > 2 ? std::atoi(argv[2]) : 50;
  const int steady_seconds = argc > 3 ? std::atoi(argv[3]) : 20;
  const int changes = argc > 4 ? std::atoi(argv[4]) : 100;
  const std::string bin = SelfDirectory();
  char dir_template[] = "/tmp/bench-gateway-XXXXXX";
  const std::string dir = ::mkdtemp(dir_template);
  const std::string kubeconfig = dir + "/kubeconfig";

  Child sim = Child::Start(
      {bin + "/mck8s-sim", "--generate-clusters", std::to_string(clusters), "--generate-nodes",
       std::to_string(nodes), "--listen", "127.0.0.1:0", "--kubeconfig-out", kubeconfig},
      dir, "sim");
  if (!sim.WaitFor("listening on", absl::Seconds(120))) {
    std::cerr << "bench-gateway: the simulator did not start: " << ReadFile(sim.err) << "\n";
    sim.Stop();
    return 1;
  }

  const absl::Time start = absl::Now();
  Child gateway =
      Child::Start({bin + "/mck8s-metrics-gateway", "--kubeconfig", kubeconfig,
                    "--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address",
                    "127.0.0.1:0", "--grpc-bind-address", "127.0.0.1:0"},
                   dir, "gateway");
  std::optional<std::string> started = gateway.WaitFor("\"started\"", absl::Seconds(60));
  if (!started) {
    gateway.Stop();
    std::cerr << "bench-gateway: the gateway did not start: " << ReadFile(gateway.err) << "\n";
    sim.Stop();
    return 1;
  }
  const int health_port = PortIn(*started, "health_probe_port");
  const int grpc_port = PortIn(*started, "grpc_port");
  const absl::Time deadline = start + absl::Seconds(120);
  while (!HttpOk(health_port, "/readyz") && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const absl::Duration sync = absl::Now() - start;
  std::printf("initial_sync_time: %.2f s\n", absl::ToDoubleSeconds(sync));
  std::printf("fleet: %d clusters x %d nodes\n", clusters, nodes);
  std::fflush(stdout);

  // One Watch client over the whole fleet, as the scheduler has.
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);
  auto stub = mck8s::v1::ClusterState::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", grpc_port), grpc::InsecureChannelCredentials(), arguments));
  grpc::ClientContext watch_context;
  auto reader = stub->Watch(&watch_context, {});

  absl::Mutex mu;
  std::string want_cluster, want_node, want_value;
  std::optional<absl::Time> seen;
  std::map<std::string, std::string> first_node;  // cluster -> a worker
  std::atomic<int64_t> events{0};
  std::atomic<size_t> snapshot_bytes{0};
  std::thread watcher([&] {
    mck8s::v1::WatchEvent event;
    while (reader->Read(&event)) {
      ++events;
      if (event.has_snapshot()) snapshot_bytes = event.ByteSizeLong();
      const auto* list =
          event.has_snapshot() ? &event.snapshot().clusters() : &event.delta().changed_clusters();
      absl::MutexLock lock(&mu);
      for (const mck8s::v1::ClusterStatus& status : *list) {
        if (event.has_snapshot()) {
          for (const mck8s::v1::NodeStatus& node : status.nodes()) {
            if (!node.control_plane()) {
              first_node[status.identity().name()] = node.name();
              break;
            }
          }
        }
        if (seen.has_value() || status.identity().name() != want_cluster) continue;
        for (const mck8s::v1::NodeStatus& node : status.nodes()) {
          if (node.name() != want_node) continue;
          auto label = node.labels().find("bench.mck8s.io/seq");
          if (label != node.labels().end() && label->second == want_value) seen = absl::Now();
        }
      }
    }
  });
  {
    absl::MutexLock lock(&mu);
    auto has_nodes = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return static_cast<int>(first_node.size()) >= std::min(clusters, 1);
    };
    mu.AwaitWithTimeout(absl::Condition(&has_nodes), absl::Seconds(60));
  }

  // Steady state.
  const int64_t events_before = events.load();
  const double cpu_before = CpuSeconds(gateway.pid);
  const absl::Time steady_start = absl::Now();
  absl::SleepFor(absl::Seconds(steady_seconds));
  const double cpu_after = CpuSeconds(gateway.pid);
  const double steady_cores =
      (cpu_after - cpu_before) / absl::ToDoubleSeconds(absl::Now() - steady_start);
  std::printf("steady_cpu: %.3f cores\n", steady_cores);
  std::printf("rss: %.1f MiB\n", StatusMiB(gateway.pid, "VmRSS"));
  std::printf("rss_peak: %.1f MiB\n", StatusMiB(gateway.pid, "VmHWM"));
  std::printf("watch_events_during_steady_state: %lld events\n",
              static_cast<long long>(events.load() - events_before));
  std::printf("watch_snapshot_size: %.1f MiB\n",
              static_cast<double>(snapshot_bytes.load()) / (1024.0 * 1024.0));
  std::fflush(stdout);

  // Change-to-Watch delay.
  std::vector<double> delays_ms;
  int lost = 0;
  mck8s::runtime::Registry registry;
  std::map<std::string, std::unique_ptr<Client>> members;
  for (int i = 0; i < changes; ++i) {
    const std::string cluster = absl::StrFormat("member-%04d", 1 + (i * 37) % clusters);
    std::string node;
    {
      absl::MutexLock lock(&mu);
      node = first_node[cluster];
      want_cluster = cluster;
      want_node = node;
      want_value = std::to_string(i);
      seen.reset();
    }
    if (!members.count(cluster)) {
      absl::StatusOr<mck8s::kubeapi::RestConfig> config =
          mck8s::kubeapi::LoadKubeconfigFiles({kubeconfig}, cluster);
      if (!config.ok()) {
        std::cerr << "bench-gateway: " << config.status() << "\n";
        break;
      }
      mck8s::kubeapi::ClientOptions options;
      options.qps = 0;
      options.metrics = &registry;
      members[cluster] = *Client::Create(*config, options);
    }
    mck8s::kubeapi::Object patch;
    (void)patch.SetString("/metadata/labels/bench.mck8s.io~1seq", std::to_string(i));
    const absl::Time sent = absl::Now();
    absl::StatusOr<mck8s::kubeapi::Object> patched =
        members[cluster]->MergePatch({"", "v1", "nodes"}, "", node, patch);
    if (!patched.ok()) {
      std::cerr << "bench-gateway: patch " << cluster << "/" << node << ": " << patched.status()
                << "\n";
      ++lost;
      continue;
    }
    absl::MutexLock lock(&mu);
    auto arrived = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return seen.has_value(); };
    if (mu.AwaitWithTimeout(absl::Condition(&arrived), absl::Seconds(10))) {
      delays_ms.push_back(absl::ToDoubleMilliseconds(*seen - sent));
    } else {
      ++lost;
    }
  }
  std::printf("change_to_watch_p50: %.1f ms\n", Percentile(delays_ms, 0.50));
  std::printf("change_to_watch_p99: %.1f ms\n", Percentile(delays_ms, 0.99));
  std::printf("change_to_watch_max: %.1f ms\n", Percentile(delays_ms, 1.0));
  std::printf("change_to_watch_samples: %zu changes\n", delays_ms.size());
  std::printf("change_to_watch_lost: %d changes\n", lost);
  std::fflush(stdout);

  watch_context.TryCancel();
  watcher.join();
  gateway.Stop();
  sim.Stop();
  return 0;
}
