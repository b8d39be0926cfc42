// bench-scheduler: the scheduler's figures on a generated fleet, with real
// processes.
//
//   bench-scheduler [clusters] [nodes-per-cluster] [place-seconds]
//                   [place-threads] [mcds] [steady-mcds] [steady-rate]
//                   [loaded-mcds] [kube-api-qps]
//                   (defaults 100 50 10 4 1000 200 20 50 500)
//
// 1. starts mck8s-sim with a generated fleet (`clusters` members x `nodes`
//    workers), mck8s-metrics-gateway on it and mck8s-scheduler fed by the
//    gateway, as separate processes (from this build's bin directory);
// 2. gRPC Place: `place-threads` client threads, each on its own channel,
//    send dry-run worst-fit Place calls over loopback for `place-seconds`;
//    decisions per second, the per-call latency p50/p99, and the
//    scheduler's CPU (decisions per second per core it used); then the
//    same with 32 calls outstanding on each of two connections, and over
//    two PlaceStreams with 64 requests each written ahead;
// 3. end to end, steady load on a quiet fleet: `steady-mcds`
//    MultiClusterDeployments (worst-fit, one replica in each of two
//    clusters) are created at `steady-rate` per second; per MCD, the delay
//    from sending its create to the first and the last of its member
//    Deployments appearing in a member's Watch, and to Propagated; p50, p99;
// 4. end to end, all at once: `mcds` more are created as fast as four
//    threads can, and the time runs until every one says Propagated and
//    every member Deployment its status names has appeared; with the
//    scheduler's CPU, reconciles and API requests (by method) meanwhile;
// 5. end to end, steady load again (`loaded-mcds` at `steady-rate`) while
//    the burst's MCDs are still there and being reconciled.
//
// Prints one figure per line, "name: value unit".

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "http_client.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/config.h"
#include "mck8s/kubeapi/transport.h"
#include "mck8s/kubeapi/watch.h"
#include "mck8s/runtime/metrics.h"
#include "mck8s/scheduler/workload.h"
#include "mck8s/v1/scheduler.grpc.pb.h"
#include "process.h"

namespace {

using mck8s::kubeapi::Client;
using mck8s::kubeapi::Object;
using mck8s::testing::BinaryPath;
using mck8s::testing::Process;

constexpr char kNamespace[] = "default";

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

// The integer after `"key":` in a JSON log line; 0 when absent.
int IntIn(const std::string& line, const std::string& key) {
  size_t at = line.find("\"" + key + "\":");
  if (at == std::string::npos) return 0;
  return std::atoi(line.c_str() + at + key.size() + 3);
}

// utime + stime of `pid`, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields = absl::StrSplit(stat.substr(close + 2), ' ');
  // Fields after the command: state is [0], utime [11], stime [12].
  if (fields.size() < 13) return 0;
  double utime = 0, stime = 0;
  (void)absl::SimpleAtod(fields[11], &utime);
  (void)absl::SimpleAtod(fields[12], &stime);
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The sum of the series of `name` in a Prometheus exposition whose labels
// contain `label` ("" : every series).
double MetricSum(const std::string& exposition, const std::string& name,
                 const std::string& label = "") {
  double total = 0;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (!absl::StartsWith(line, absl::StrCat(name, "{")) &&
        !absl::StartsWith(line, absl::StrCat(name, " "))) {
      continue;
    }
    if (!label.empty() && !absl::StrContains(line, label)) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) total += value;
  }
  return total;
}

bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

std::optional<std::string> WaitForStarted(Process& process, absl::Duration timeout) {
  return process.WaitForStderrLine(
      [](std::string_view l) { return l.find("\"msg\":\"started\"") != l.npos; }, timeout);
}

std::unique_ptr<Client> Connect(const std::string& kubeconfig, const std::string& context,
                                mck8s::runtime::Registry* registry) {
  absl::StatusOr<mck8s::kubeapi::RestConfig> config =
      mck8s::kubeapi::LoadKubeconfigFiles({kubeconfig}, context);
  if (!config.ok()) {
    std::cerr << "bench-scheduler: kubeconfig " << context << ": " << config.status() << "\n";
    std::exit(1);
  }
  mck8s::kubeapi::ClientOptions options;
  options.qps = 0;
  options.metrics = registry;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(*config, options);
  if (!client.ok()) {
    std::cerr << "bench-scheduler: client " << context << ": " << client.status() << "\n";
    std::exit(1);
  }
  return *std::move(client);
}

// A small worst-fit MCD: one replica in each of two clusters.
Object Mcd(const std::string& name) {
  absl::StatusOr<Object> object = Object::Parse(absl::StrFormat(
      R"({"apiVersion":"fogguru.eu/v1","kind":"MultiClusterDeployment",
          "metadata":{"name":"%s","namespace":"%s"},
          "spec":{"placementPolicy":"worst-fit","numberOfLocations":2,"replicas":1,
            "selector":{"matchLabels":{"app":"%s"}},
            "template":{"metadata":{"labels":{"app":"%s"}},
              "spec":{"containers":[{"name":"app","image":"nginx:1.25",
                "resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]}}}})",
      name, kNamespace, name, name));
  if (!object.ok()) {
    std::cerr << "bench-scheduler: " << object.status() << "\n";
    std::exit(1);
  }
  return *std::move(object);
}

// What the Watch streams have seen, per MCD name.
struct Progress {
  absl::Mutex mu;
  std::map<std::string, std::vector<absl::Time>> member_added ABSL_GUARDED_BY(mu);
  // When the MCD first said Propagated=True for its generation, and how many
  // clusters its status placement named then.
  std::map<std::string, std::pair<absl::Time, size_t>> propagated ABSL_GUARDED_BY(mu);
};

// Streams `gvr` events of one cluster from `resource_version` on into
// `on_event`, resuming after a broken stream, until `canceller` fires.
void WatchLoop(Client& client, const mck8s::kubeapi::GroupVersionResource& gvr,
               std::string resource_version, const std::string& label_selector,
               mck8s::kubeapi::StreamCanceller& canceller,
               const std::function<void(const mck8s::kubeapi::WatchEvent&)>& on_event) {
  while (!canceller.cancelled()) {
    mck8s::kubeapi::WatchOptions options;
    options.resource_version = resource_version;
    options.label_selector = label_selector;
    absl::Status status = client.Watch(
        gvr, "", options,
        [&](mck8s::kubeapi::WatchEvent event) {
          if (event.type == mck8s::kubeapi::WatchEventType::kError) return false;
          resource_version = std::string(event.object.resource_version());
          on_event(event);
          return true;
        },
        &canceller);
    if (!canceller.cancelled()) absl::SleepFor(absl::Milliseconds(50));
  }
}

struct Fleet {
  mck8s::testing::TempDir dir;
  std::optional<Process> sim;
  std::optional<Process> gateway;
  std::optional<Process> scheduler;
  std::string kubeconfig;
  int grpc_port = 0;
  int metrics_port = 0;

  std::string SchedulerMetrics() {
    return mck8s::testing::HttpGet("127.0.0.1", metrics_port, "/metrics").body;
  }

  ~Fleet() {
    for (std::optional<Process>* p : {&scheduler, &gateway, &sim}) {
      if (!p->has_value()) continue;
      (*p)->Signal(SIGTERM);
      if (!(*p)->Wait(absl::Seconds(20)).has_value()) {
        (*p)->Signal(SIGKILL);
        (*p)->Wait(absl::Seconds(10));
      }
    }
  }

  bool Start(int clusters, int nodes, const std::string& kube_api_qps) {
    kubeconfig = dir.File("kubeconfig");
    sim.emplace(Process::Start({BinaryPath("mck8s-sim"), "--generate-clusters",
                                std::to_string(clusters), "--generate-nodes", std::to_string(nodes),
                                "--listen", "127.0.0.1:0", "--kubeconfig-out", kubeconfig}));
    if (!sim->WaitForStdoutLine([](std::string_view l) { return l.find("listening on") != l.npos; },
                                absl::Seconds(120))) {
      std::cerr << "bench-scheduler: the simulator did not start: " << sim->Stderr() << "\n";
      return false;
    }
    gateway.emplace(Process::Start({BinaryPath("mck8s-metrics-gateway"), "--kubeconfig", kubeconfig,
                                    "--metrics-bind-address=127.0.0.1:0",
                                    "--health-probe-bind-address=127.0.0.1:0",
                                    "--grpc-bind-address=127.0.0.1:0"}));
    std::optional<std::string> started = WaitForStarted(*gateway, absl::Seconds(60));
    if (!started) {
      std::cerr << "bench-scheduler: the gateway did not start: " << gateway->Stderr() << "\n";
      return false;
    }
    const std::string state_address = absl::StrCat("127.0.0.1:", IntIn(*started, "grpc_port"));
    scheduler.emplace(Process::Start(
        {BinaryPath("mck8s-scheduler"), "--kubeconfig", kubeconfig,
         "--metrics-bind-address=127.0.0.1:0", "--health-probe-bind-address=127.0.0.1:0",
         "--grpc-bind-address=127.0.0.1:0", "--cluster-state-address", state_address,
         "--kube-api-qps", kube_api_qps,
         absl::StrCat("--kube-api-burst=",
                      std::max(1, static_cast<int>(2 * std::atof(kube_api_qps.c_str()))))}));
    started = WaitForStarted(*scheduler, absl::Seconds(60));
    if (!started) {
      std::cerr << "bench-scheduler: the scheduler did not start: " << scheduler->Stderr() << "\n";
      return false;
    }
    grpc_port = IntIn(*started, "grpc_port");
    metrics_port = IntIn(*started, "metrics_port");
    const int probes = IntIn(*started, "health_probe_port");
    // Ready once it holds a cluster-state snapshot.
    if (!WaitUntil(
            [&] { return mck8s::testing::HttpGet("127.0.0.1", probes, "/readyz").status == 200; },
            absl::Seconds(120))) {
      std::cerr << "bench-scheduler: the scheduler never got ready: " << scheduler->Stderr()
                << "\n";
      return false;
    }
    return true;
  }
};

// The question every Place figure asks: a dry-run worst-fit decision for
// two replicas in each of three clusters.
mck8s::v1::PlaceRequest WhatIf() {
  mck8s::v1::PlaceRequest request;
  request.mutable_workload()->set_kind(mck8s::v1::WORKLOAD_KIND_MULTI_CLUSTER_DEPLOYMENT);
  request.mutable_workload()->set_namespace_(kNamespace);
  request.mutable_workload()->set_name("what-if");
  request.mutable_replica()->mutable_requests()->set_cpu_millis(500);
  request.mutable_replica()->mutable_requests()->set_memory_bytes(512LL << 20);
  request.set_replicas_per_location(2);
  request.set_policy(mck8s::v1::PLACEMENT_POLICY_WORST_FIT);
  request.set_number_of_locations(3);
  request.set_dry_run(true);
  return request;
}

void BenchPlace(int port, pid_t server, int threads, int seconds) {
  const mck8s::v1::PlaceRequest request = WhatIf();

  std::atomic<bool> stop{false};
  std::atomic<int64_t> failures{0};
  std::vector<std::vector<double>> latencies_us(threads);
  std::vector<int64_t> calls(threads, 0);
  std::vector<std::thread> workers;
  std::string first_error;
  absl::Mutex error_mu;
  const std::string address = absl::StrCat("127.0.0.1:", port);
  // One channel per thread: separate connections, as separate clients have.
  std::vector<std::unique_ptr<mck8s::v1::Scheduler::Stub>> stubs;
  for (int t = 0; t < threads; ++t) {
    grpc::ChannelArguments arguments;
    arguments.SetInt("bench.channel", t);  // keeps the channels apart
    stubs.push_back(mck8s::v1::Scheduler::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments)));
  }
  // Warm up: connections, and the server's first decisions.
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < 50; ++i) {
      grpc::ClientContext context;
      mck8s::v1::PlaceResponse response;
      (void)stubs[t]->Place(&context, request, &response);
    }
  }
  const double cpu_before = CpuSeconds(server);
  const absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      latencies_us[t].reserve(1 << 20);
      while (!stop.load(std::memory_order_relaxed)) {
        grpc::ClientContext context;
        mck8s::v1::PlaceResponse response;
        const absl::Time sent = absl::Now();
        grpc::Status status = stubs[t]->Place(&context, request, &response);
        const absl::Time answered = absl::Now();
        if (!status.ok() || response.placement().assignments_size() == 0) {
          if (failures.fetch_add(1) == 0) {
            absl::MutexLock lock(&error_mu);
            first_error = status.ok() ? "empty placement" : status.error_message();
          }
          continue;
        }
        ++calls[t];
        latencies_us[t].push_back(absl::ToDoubleMicroseconds(answered - sent));
      }
    });
  }
  absl::SleepFor(absl::Seconds(seconds));
  stop = true;
  for (std::thread& worker : workers) worker.join();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  const double server_cpu = CpuSeconds(server) - cpu_before;
  std::vector<double> all;
  int64_t total = 0;
  for (int t = 0; t < threads; ++t) {
    total += calls[t];
    all.insert(all.end(), latencies_us[t].begin(), latencies_us[t].end());
  }
  std::printf("grpc_place_threads: %d threads\n", threads);
  std::printf("grpc_place_rate: %.0f decisions/s\n", static_cast<double>(total) / elapsed);
  std::printf("grpc_place_latency_p50: %.0f us\n", Percentile(all, 0.50));
  std::printf("grpc_place_latency_p99: %.0f us\n", Percentile(all, 0.99));
  std::printf("grpc_place_server_cpu: %.2f cores\n", server_cpu / elapsed);
  std::printf("grpc_place_per_server_core: %.0f decisions/s\n",
              server_cpu > 0 ? static_cast<double>(total) / server_cpu : 0.0);
  std::printf("grpc_place_failures: %lld calls\n", static_cast<long long>(failures.load()));
  if (!first_error.empty()) std::cerr << "bench-scheduler: Place: " << first_error << "\n";
  std::fflush(stdout);
}

// The same dry-run Place calls, `window` of them outstanding on each of
// `channels` connections (gRPC's callback client): what one scheduler
// serves when its callers do not wait for one answer before the next
// question, as a descheduler sweeping many workloads does.
void BenchPlacePipelined(int port, pid_t server, int channels, int window, int seconds) {
  const mck8s::v1::PlaceRequest request = WhatIf();

  const std::string address = absl::StrCat("127.0.0.1:", port);
  std::vector<std::unique_ptr<mck8s::v1::Scheduler::Stub>> stubs;
  for (int c = 0; c < channels; ++c) {
    grpc::ChannelArguments arguments;
    arguments.SetInt("bench.channel", 100 + c);
    stubs.push_back(mck8s::v1::Scheduler::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments)));
  }
  struct Call {
    grpc::ClientContext context;
    mck8s::v1::PlaceResponse response;
    absl::Time sent;
  };
  absl::Mutex mu;
  bool stop = false;
  int outstanding = 0;
  int64_t done = 0;
  int64_t failures = 0;
  std::string first_error;
  std::vector<double> latencies_us;
  latencies_us.reserve(1 << 22);
  std::function<void(int)> issue = [&](int c) {
    auto call = std::make_shared<Call>();
    call->sent = absl::Now();
    stubs[c]->async()->Place(
        &call->context, &request, &call->response, [&, c, call](grpc::Status status) {
          const absl::Time answered = absl::Now();
          bool again;
          {
            absl::MutexLock lock(&mu);
            if (!status.ok() || call->response.placement().assignments_size() == 0) {
              if (failures++ == 0) {
                first_error = status.ok() ? "empty placement" : status.error_message();
              }
            } else {
              ++done;
              latencies_us.push_back(absl::ToDoubleMicroseconds(answered - call->sent));
            }
            again = !stop;
            if (!again) --outstanding;
          }
          if (again) issue(c);
        });
  };
  // Warm up the connections.
  for (int c = 0; c < channels; ++c) {
    for (int i = 0; i < 20; ++i) {
      grpc::ClientContext context;
      mck8s::v1::PlaceResponse response;
      (void)stubs[c]->Place(&context, request, &response);
    }
  }
  const double cpu_before = CpuSeconds(server);
  const absl::Time start = absl::Now();
  int64_t done_at_start;
  {
    absl::MutexLock lock(&mu);
    outstanding = channels * window;
    done_at_start = done;
  }
  for (int c = 0; c < channels; ++c) {
    for (int w = 0; w < window; ++w) issue(c);
  }
  absl::SleepFor(absl::Seconds(seconds));
  int64_t total;
  double elapsed, server_cpu;
  {
    absl::MutexLock lock(&mu);
    stop = true;
    total = done - done_at_start;
    elapsed = absl::ToDoubleSeconds(absl::Now() - start);
    server_cpu = CpuSeconds(server) - cpu_before;
    auto drained = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return outstanding == 0; };
    mu.Await(absl::Condition(&drained));
  }
  std::printf("grpc_place_pipelined: %d connections x %d calls outstanding\n", channels, window);
  std::printf("grpc_place_pipelined_rate: %.0f decisions/s\n",
              static_cast<double>(total) / elapsed);
  std::printf("grpc_place_pipelined_latency_p50: %.0f us\n", Percentile(latencies_us, 0.50));
  std::printf("grpc_place_pipelined_latency_p99: %.0f us\n", Percentile(latencies_us, 0.99));
  std::printf("grpc_place_pipelined_server_cpu: %.2f cores\n", server_cpu / elapsed);
  std::printf("grpc_place_pipelined_failures: %lld calls\n", static_cast<long long>(failures));
  if (!first_error.empty())
    std::cerr << "bench-scheduler: pipelined Place: " << first_error << "\n";
  std::fflush(stdout);
}

// The same dry-run decisions over PlaceStream: `streams` streams, each
// with up to `window` requests written ahead of their answers.
void BenchPlaceStream(int port, pid_t server, int streams, int window, int seconds) {
  const mck8s::v1::PlaceRequest request = WhatIf();

  const std::string address = absl::StrCat("127.0.0.1:", port);
  struct Stream {
    std::unique_ptr<mck8s::v1::Scheduler::Stub> stub;
    grpc::ClientContext context;
    std::unique_ptr<
        grpc::ClientReaderWriter<mck8s::v1::PlaceRequest, mck8s::v1::PlaceStreamResponse>>
        rw;
    absl::Mutex mu;
    std::deque<absl::Time> sent ABSL_GUARDED_BY(mu);
    bool stopping ABSL_GUARDED_BY(mu) = false;
    std::vector<double> latencies_us;
    int64_t answered = 0;
    int64_t failures = 0;
    std::string first_error;
  };
  std::vector<std::unique_ptr<Stream>> all;
  for (int i = 0; i < streams; ++i) {
    auto stream = std::make_unique<Stream>();
    grpc::ChannelArguments arguments;
    arguments.SetInt("bench.channel", 200 + i);
    stream->stub = mck8s::v1::Scheduler::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments));
    stream->rw = stream->stub->PlaceStream(&stream->context);
    stream->latencies_us.reserve(1 << 22);
    all.push_back(std::move(stream));
  }
  std::atomic<bool> measuring{false};
  std::vector<std::thread> threads;
  for (auto& stream_ptr : all) {
    Stream* stream = stream_ptr.get();
    threads.emplace_back([&, stream] {
      for (;;) {
        {
          absl::MutexLock lock(&stream->mu);
          auto room = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(stream->mu) {
            return stream->stopping || static_cast<int>(stream->sent.size()) < window;
          };
          stream->mu.Await(absl::Condition(&room));
          if (stream->stopping) break;
          stream->sent.push_back(absl::Now());
        }
        if (!stream->rw->Write(request)) break;
      }
      stream->rw->WritesDone();
    });
    threads.emplace_back([&, stream] {
      mck8s::v1::PlaceStreamResponse answer;
      while (stream->rw->Read(&answer)) {
        const absl::Time now = absl::Now();
        absl::Time sent;
        {
          absl::MutexLock lock(&stream->mu);
          sent = stream->sent.front();
          stream->sent.pop_front();
        }
        if (!measuring.load(std::memory_order_relaxed)) continue;
        if (answer.error_code() != 0 || answer.response().placement().assignments_size() == 0) {
          if (stream->failures++ == 0) stream->first_error = answer.error_message();
          continue;
        }
        ++stream->answered;
        stream->latencies_us.push_back(absl::ToDoubleMicroseconds(now - sent));
      }
    });
  }
  absl::SleepFor(absl::Seconds(1));  // warm up
  const double cpu_before = CpuSeconds(server);
  const absl::Time start = absl::Now();
  measuring = true;
  absl::SleepFor(absl::Seconds(seconds));
  measuring = false;
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  const double server_cpu = CpuSeconds(server) - cpu_before;
  for (auto& stream : all) {
    absl::MutexLock lock(&stream->mu);
    stream->stopping = true;  // wakes a writer waiting for room
  }
  for (std::thread& thread : threads) thread.join();
  int64_t total = 0, failures = 0;
  std::vector<double> latencies;
  std::string first_error;
  for (auto& stream : all) {
    (void)stream->rw->Finish();
    total += stream->answered;
    failures += stream->failures;
    if (first_error.empty()) first_error = stream->first_error;
    latencies.insert(latencies.end(), stream->latencies_us.begin(), stream->latencies_us.end());
  }
  std::printf("grpc_place_stream: %d streams x %d requests ahead\n", streams, window);
  std::printf("grpc_place_stream_rate: %.0f decisions/s\n", static_cast<double>(total) / elapsed);
  std::printf("grpc_place_stream_latency_p50: %.0f us\n", Percentile(latencies, 0.50));
  std::printf("grpc_place_stream_latency_p99: %.0f us\n", Percentile(latencies, 0.99));
  std::printf("grpc_place_stream_server_cpu: %.2f cores\n", server_cpu / elapsed);
  std::printf("grpc_place_stream_failures: %lld requests\n", static_cast<long long>(failures));
  if (!first_error.empty()) std::cerr << "bench-scheduler: PlaceStream: " << first_error << "\n";
  std::fflush(stdout);
}

// True when `name` is Propagated and each member Deployment its status
// names has been seen.
bool Done(Progress& progress, const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(progress.mu) {
  auto p = progress.propagated.find(name);
  if (p == progress.propagated.end()) return false;
  auto m = progress.member_added.find(name);
  return m != progress.member_added.end() && m->second.size() >= p->second.second;
}

// Creates `count` MCDs named `prefix`-NNNNN at `rate` per second and prints,
// per MCD, the delay from sending its create to the first and the last of
// its member Deployments and to Propagated; p50 and p99.
void SteadyPhase(Client& management, Progress& progress, const std::string& prefix, int count,
                 double rate) {
  if (count <= 0 || rate <= 0) return;
  std::vector<std::string> names;
  std::vector<absl::Time> sent(count);
  for (int i = 0; i < count; ++i) names.push_back(absl::StrFormat("%s-%05d", prefix, i));
  const absl::Duration interval = absl::Seconds(1.0 / rate);
  const absl::Time start = absl::Now();
  for (int i = 0; i < count; ++i) {
    absl::SleepFor(start + interval * i - absl::Now());
    sent[i] = absl::Now();
    absl::StatusOr<Object> created =
        management.Create(mck8s::scheduler::kMultiClusterDeployments, Mcd(names[i]));
    if (!created.ok()) {
      std::cerr << "bench-scheduler: create " << names[i] << ": " << created.status() << "\n";
    }
  }
  std::vector<double> first_ms, last_ms, propagated_ms;
  int missing = 0;
  {
    absl::MutexLock lock(&progress.mu);
    auto all_done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(progress.mu) {
      for (const std::string& name : names) {
        if (!Done(progress, name)) return false;
      }
      return true;
    };
    progress.mu.AwaitWithTimeout(absl::Condition(&all_done), absl::Seconds(180));
    for (int i = 0; i < count; ++i) {
      auto m = progress.member_added.find(names[i]);
      auto p = progress.propagated.find(names[i]);
      if (m == progress.member_added.end() || m->second.empty() || p == progress.propagated.end()) {
        ++missing;
        continue;
      }
      const auto [lo, hi] = std::minmax_element(m->second.begin(), m->second.end());
      first_ms.push_back(absl::ToDoubleMilliseconds(*lo - sent[i]));
      last_ms.push_back(absl::ToDoubleMilliseconds(*hi - sent[i]));
      propagated_ms.push_back(absl::ToDoubleMilliseconds(p->second.first - sent[i]));
    }
  }
  const char* p = prefix.c_str();
  std::printf("%s_mcds: %d MCDs\n", p, count);
  std::printf("%s_rate: %.1f MCDs/s\n", p, rate);
  std::printf("%s_apply_to_first_member_p50: %.1f ms\n", p, Percentile(first_ms, 0.50));
  std::printf("%s_apply_to_first_member_p99: %.1f ms\n", p, Percentile(first_ms, 0.99));
  std::printf("%s_apply_to_last_member_p50: %.1f ms\n", p, Percentile(last_ms, 0.50));
  std::printf("%s_apply_to_last_member_p99: %.1f ms\n", p, Percentile(last_ms, 0.99));
  std::printf("%s_apply_to_propagated_p50: %.1f ms\n", p, Percentile(propagated_ms, 0.50));
  std::printf("%s_apply_to_propagated_p99: %.1f ms\n", p, Percentile(propagated_ms, 0.99));
  std::printf("%s_not_done: %d MCDs\n", p, missing);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const int clusters = argc > 1 ? std::atoi(argv[1]) : 100;
  const int nodes = argc > 2 ? std::atoi(argv[2]) : 50;
  const int place_seconds = argc > 3 ? std::atoi(argv[3]) : 10;
  const int place_threads = argc > 4 ? std::atoi(argv[4]) : 4;
  const int mcds = argc > 5 ? std::atoi(argv[5]) : 1000;
  const int steady_mcds = argc > 6 ? std::atoi(argv[6]) : 200;
  const double steady_rate = argc > 7 ? std::atof(argv[7]) : 20;
  const int loaded_mcds = argc > 8 ? std::atoi(argv[8]) : 50;
  // The scheduler's client-side limit per API server (its --kube-api-qps).
  const std::string kube_api_qps = argc > 9 ? argv[9] : "500";

  Fleet fleet;
  const absl::Time start = absl::Now();
  if (!fleet.Start(clusters, nodes, kube_api_qps)) return 1;
  std::printf("fleet: %d clusters x %d nodes\n", clusters, nodes);
  std::printf("scheduler_kube_api_qps: %s requests/s\n", kube_api_qps.c_str());
  std::printf("fleet_start_to_scheduler_ready: %.2f s\n",
              absl::ToDoubleSeconds(absl::Now() - start));
  std::fflush(stdout);

  BenchPlace(fleet.grpc_port, fleet.scheduler->pid(), place_threads, place_seconds);
  BenchPlacePipelined(fleet.grpc_port, fleet.scheduler->pid(), 2, 32, place_seconds);
  BenchPlaceStream(fleet.grpc_port, fleet.scheduler->pid(), 2, 64, place_seconds);

  // Watch every member's managed Deployments and the management cluster's
  // MCDs before creating anything, from a listed resourceVersion so nothing
  // is missed while the streams connect.
  mck8s::runtime::Registry registry;
  std::unique_ptr<Client> management = Connect(fleet.kubeconfig, "management", &registry);
  Progress progress;
  mck8s::kubeapi::StreamCanceller canceller;
  std::vector<std::unique_ptr<Client>> watch_clients;
  std::vector<std::thread> watchers;
  for (int c = 1; c <= clusters; ++c) {
    watch_clients.push_back(
        Connect(fleet.kubeconfig, absl::StrFormat("member-%04d", c), &registry));
    Client& client = *watch_clients.back();
    mck8s::kubeapi::ListOptions list_options;
    list_options.label_selector = mck8s::scheduler::kDeploymentLabel;
    absl::StatusOr<mck8s::kubeapi::ObjectList> list =
        client.List(mck8s::scheduler::kDeployments, "", list_options);
    if (!list.ok()) {
      std::cerr << "bench-scheduler: list member-" << c << ": " << list.status() << "\n";
      return 1;
    }
    watchers.emplace_back([&, rv = list->resource_version] {
      WatchLoop(client, mck8s::scheduler::kDeployments, rv, mck8s::scheduler::kDeploymentLabel,
                canceller, [&](const mck8s::kubeapi::WatchEvent& event) {
                  if (event.type != mck8s::kubeapi::WatchEventType::kAdded) return;
                  const absl::Time now = absl::Now();
                  absl::MutexLock lock(&progress.mu);
                  progress.member_added[std::string(event.object.name())].push_back(now);
                });
    });
  }
  {
    absl::StatusOr<mck8s::kubeapi::ObjectList> list =
        management->List(mck8s::scheduler::kMultiClusterDeployments, "");
    if (!list.ok()) {
      std::cerr << "bench-scheduler: list MCDs: " << list.status() << "\n";
      return 1;
    }
    watch_clients.push_back(Connect(fleet.kubeconfig, "management", &registry));
    Client& client = *watch_clients.back();
    watchers.emplace_back([&, rv = list->resource_version] {
      WatchLoop(
          client, mck8s::scheduler::kMultiClusterDeployments, rv, "", canceller,
          [&](const mck8s::kubeapi::WatchEvent& event) {
            if (event.type == mck8s::kubeapi::WatchEventType::kDeleted) return;
            std::optional<mck8s::scheduler::Condition> c =
                mck8s::scheduler::FindCondition(event.object, "Propagated");
            if (!c || c->status != "True" ||
                event.object.FindInt("/status/observedGeneration") != event.object.generation()) {
              return;
            }
            size_t placed = 0;
            for (const auto& p : mck8s::scheduler::PlacementFromStatus(event.object)) {
              if (p.replicas > 0) ++placed;
            }
            const absl::Time now = absl::Now();
            absl::MutexLock lock(&progress.mu);
            progress.propagated.emplace(std::string(event.object.name()),
                                        std::make_pair(now, placed));
          });
    });
  }

  // End to end, steady load on a quiet fleet.
  SteadyPhase(*management, progress, "steady", steady_mcds, steady_rate);

  // End to end, all at once.
  if (mcds > 0) {
    std::vector<std::string> names;
    for (int i = 0; i < mcds; ++i) names.push_back(absl::StrFormat("bench-%05d", i));
    std::atomic<int> next{0};
    std::atomic<int> create_failures{0};
    const std::string metrics_before = fleet.SchedulerMetrics();
    const double cpu_before = CpuSeconds(fleet.scheduler->pid());
    const absl::Time burst_start = absl::Now();
    {
      std::vector<std::unique_ptr<Client>> creators;
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t) {
        creators.push_back(Connect(fleet.kubeconfig, "management", &registry));
        threads.emplace_back([&, client = creators.back().get()] {
          for (int i = next++; i < mcds; i = next++) {
            absl::StatusOr<Object> created =
                client->Create(mck8s::scheduler::kMultiClusterDeployments, Mcd(names[i]));
            if (!created.ok() && create_failures.fetch_add(1) == 0) {
              std::cerr << "bench-scheduler: create " << names[i] << ": " << created.status()
                        << "\n";
            }
          }
        });
      }
      for (std::thread& thread : threads) thread.join();
    }
    const absl::Duration create_time = absl::Now() - burst_start;
    const int remaining_at_timeout = [&] {
      absl::MutexLock lock(&progress.mu);
      auto all_done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(progress.mu) {
        for (const std::string& name : names) {
          if (!Done(progress, name)) return false;
        }
        return true;
      };
      progress.mu.AwaitWithTimeout(absl::Condition(&all_done), absl::Seconds(600));
      int remaining = 0;
      for (const std::string& name : names) remaining += Done(progress, name) ? 0 : 1;
      return remaining;
    }();
    const double burst_cpu = CpuSeconds(fleet.scheduler->pid()) - cpu_before;
    const std::string metrics_after = fleet.SchedulerMetrics();
    absl::Time burst_end = burst_start;
    int64_t member_deployments = 0;
    {
      absl::MutexLock lock(&progress.mu);
      for (const std::string& name : names) {
        auto p = progress.propagated.find(name);
        if (p != progress.propagated.end()) burst_end = std::max(burst_end, p->second.first);
        auto m = progress.member_added.find(name);
        if (m == progress.member_added.end()) continue;
        member_deployments += static_cast<int64_t>(m->second.size());
        for (absl::Time t : m->second) burst_end = std::max(burst_end, t);
      }
    }
    const double burst_seconds = absl::ToDoubleSeconds(burst_end - burst_start);
    std::printf("e2e_mcds: %d MCDs\n", mcds);
    std::printf("e2e_member_deployments: %lld deployments\n",
                static_cast<long long>(member_deployments));
    std::printf("e2e_create_time: %.2f s\n", absl::ToDoubleSeconds(create_time));
    std::printf("e2e_total_time: %.2f s\n", burst_seconds);
    std::printf("e2e_rate: %.1f MCDs/s\n", (mcds - remaining_at_timeout) / burst_seconds);
    std::printf("e2e_not_done: %d MCDs\n", remaining_at_timeout);
    std::printf("e2e_create_failures: %d MCDs\n", create_failures.load());
    // Where the scheduler's time went during the burst (deltas of its own
    // metrics; the management and member API servers share one simulator
    // host, so requests are split by method only).
    auto delta = [&](const std::string& name, const std::string& label = "") {
      return MetricSum(metrics_after, name, label) - MetricSum(metrics_before, name, label);
    };
    std::printf("e2e_scheduler_cpu: %.2f cores\n", burst_cpu / burst_seconds);
    std::printf("e2e_reconciles: %.0f reconciles\n", delta("controller_runtime_reconcile_total"));
    for (const char* method : {"GET", "PATCH", "PUT", "POST", "DELETE"}) {
      std::printf("e2e_scheduler_requests_%s: %.0f requests\n", method,
                  delta("rest_client_requests_total", absl::StrCat("method=\"", method, "\"")));
    }
    std::printf("e2e_scheduler_rate_limiter_wait: %.1f s\n",
                delta("rest_client_rate_limiter_duration_seconds_sum"));
    std::printf("e2e_scheduler_request_time: %.1f s\n",
                delta("rest_client_request_duration_seconds_sum"));
    std::printf("e2e_workqueue_depth_at_end: %.0f keys\n",
                MetricSum(metrics_after, "workqueue_depth"));
    std::fflush(stdout);
  }

  // End to end, steady load while the burst's MCDs are still there.
  SteadyPhase(*management, progress, "loaded", loaded_mcds, steady_rate);

  canceller.Cancel();
  for (std::thread& watcher : watchers) watcher.join();
  return 0;
}
