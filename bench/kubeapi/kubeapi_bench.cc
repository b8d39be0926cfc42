// bench-kubeapi: the Kubernetes client's throughput and memory against
// mck8s-sim, side by side with the official Python client (python3-kubernetes)
// on the same simulated cluster in the same run.
//
//   bench-kubeapi [--pods N] [--python-pods M] [--page-size P] [--rounds R]
//                 [--python PATH] [--no-python] [--sim PATH]
//
// 1. Starts mck8s-sim (one generated member cluster) and creates N pods in
//    namespace "bench" and M in "bench-py" (default 100,000 and 20,000; the
//    Python client is slow), from 8 threads.
// 2. list+cache: an Informer over "bench" (pages of P, default 500 as
//    client-go; 0 = one whole list) from
//    Start() to HasSynced(); pods/s (the best of R rounds, default 1), the
//    CPU time (user + system) of this process and of the simulator per pod,
//    and heap bytes per cached pod (heap in use after the sync minus
//    before, over N; the list bodies are freed by then).
// 3. watch burst: a watch from the resourceVersion before the creations
//    replays N ADDED events; each decoded into an Object and stored in a
//    Store, as an informer does; events/s and CPU time per event.
// 4. The same two figures from the Python client over "bench-py" (objects
//    deserialised into V1Pod and kept in a dict; memory as RSS growth).
//
// Prints one figure per line, "name: value unit".

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/document.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/config.h"
#include "mck8s/kubeapi/errors.h"
#include "mck8s/kubeapi/informer.h"
#include "mck8s/kubeapi/store.h"
#include "mck8s/runtime/metrics.h"

extern char** environ;

namespace {

using namespace mck8s::kubeapi;

const GroupVersionResource kPods{"", "v1", "pods"};
const GroupVersionResource kNamespaces{"", "v1", "namespaces"};

// The simulator, stopped when the benchmark dies.
pid_t g_sim_pid = -1;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench-kubeapi: %s\n", what.c_str());
  if (g_sim_pid > 0) kill(g_sim_pid, SIGTERM);
  std::exit(1);
}

size_t HeapInUse() {
  malloc_trim(0);
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

// CPU seconds (user + system) this process has used so far, all threads.
double ProcessCpuSeconds() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// CPU seconds the calling thread has used so far.
double ThreadCpuSeconds() {
  struct timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// CPU seconds (user + system) process `pid` has used so far, from
// /proc/<pid>/stat; 0 when unreadable.
double ChildCpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name may hold spaces: fields are counted after its ')'.
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) {
      stime = std::strtoull(field.c_str(), nullptr, 10);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A child process whose stdout we read line by line.
struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;

  static Child Start(const std::vector<std::string>& argv) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) Die("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    Child child;
    if (posix_spawn(&child.pid, args[0], &actions, nullptr, args.data(), environ) != 0) {
      Die("cannot start " + argv[0]);
    }
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    child.out = fdopen(pipe_fds[0], "r");
    return child;
  }
  bool ReadLine(std::string* line) {
    char buffer[4096];
    if (std::fgets(buffer, sizeof buffer, out) == nullptr) return false;
    *line = buffer;
    while (!line->empty() && (line->back() == '\n' || line->back() == '\r')) line->pop_back();
    return true;
  }
  int Wait() {
    int status = 0;
    waitpid(pid, &status, 0);
    if (out != nullptr) std::fclose(out);
    out = nullptr;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  void Stop() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      Wait();
      pid = -1;
    }
  }
};

Object MakePod(const std::string& ns, int i) {
  Object pod("v1", "Pod");
  pod.SetNamespace(ns);
  pod.SetName(absl::StrCat("web-7c9f8b6d4-", i));
  pod.SetLabel("app", "web");
  pod.SetLabel("pod-template-hash", "7c9f8b6d4");
  pod.SetLabel("app.kubernetes.io/part-of", "mck8s-bench");
  pod.SetAnnotation("fogguru.eu/placement", "rennes");
  pod.SetOwnerReference({"apps/v1", "ReplicaSet", "web-7c9f8b6d4",
                         "5f0c5d2e-9f7a-4c55-8e3b-0d6f1c2b3a4d", true, true});
  Object container;
  (void)container.SetString("/name", "web");
  (void)container.SetString("/image", "registry.example/fogguru/web:1.4.2");
  (void)container.SetString("/resources/requests/cpu", "100m");
  (void)container.SetString("/resources/requests/memory", "128Mi");
  (void)container.SetString("/resources/limits/cpu", "500m");
  (void)container.SetString("/resources/limits/memory", "256Mi");
  (void)container.SetInt("/ports/-/containerPort", 8080);
  (void)container.SetString("/ports/0/protocol", "TCP");
  (void)container.SetString("/env/-/name", "SITE");
  (void)container.SetString("/env/0/value", "rennes");
  (void)pod.SetObject("/spec/containers/-", container);
  (void)pod.SetString("/spec/restartPolicy", "Always");
  (void)pod.SetString("/spec/schedulerName", "default-scheduler");
  (void)pod.SetInt("/spec/terminationGracePeriodSeconds", 30);
  return pod;
}

void CreatePods(Client& client, const std::string& ns, int count) {
  Object namespace_object("v1", "Namespace");
  namespace_object.SetName(ns);
  absl::Status created = client.Create(kNamespaces, namespace_object).status();
  if (!created.ok() && !absl::IsAlreadyExists(created)) Die(created.ToString());
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < count && !failed; i = next++) {
        absl::Status status = client.Create(kPods, MakePod(ns, i)).status();
        if (!status.ok()) {
          std::fprintf(stderr, "create failed: %s\n", ErrorText(status).c_str());
          failed = true;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  if (failed) Die("creating pods failed");
}

}  // namespace

int main(int argc, char** argv) {
  int pods = 100000;
  int python_pods = 20000;
  int64_t page_size = 500;
  int rounds = 1;
  double best_rate = 0;
  bool run_python = true;
  std::string python = "/usr/bin/python3";
  std::string sim_path =
      (std::filesystem::canonical("/proc/self/exe").parent_path() / "mck8s-sim").string();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--pods") {
      if (!absl::SimpleAtoi(value(), &pods) || pods <= 0) Die("bad --pods");
    } else if (arg == "--python-pods") {
      if (!absl::SimpleAtoi(value(), &python_pods) || python_pods <= 0) Die("bad --python-pods");
    } else if (arg == "--page-size") {
      if (!absl::SimpleAtoi(value(), &page_size) || page_size < 0) Die("bad --page-size");
    } else if (arg == "--rounds") {
      if (!absl::SimpleAtoi(value(), &rounds) || rounds <= 0) Die("bad --rounds");
    } else if (arg == "--python") {
      python = value();
    } else if (arg == "--no-python") {
      run_python = false;
    } else if (arg == "--sim") {
      sim_path = value();
    } else {
      Die("unknown argument " + arg);
    }
  }

  const std::string dir = std::filesystem::temp_directory_path() /
                          absl::StrCat("bench-kubeapi-", getpid());
  std::filesystem::create_directories(dir);
  const std::string kubeconfig = dir + "/kubeconfig";
  Child sim = Child::Start({sim_path, "--generate-clusters", "1", "--generate-nodes", "10",
                            "--controllers=false", "--watch-history",
                            absl::StrCat(2 * (pods + python_pods) + 1000), "--listen",
                            "127.0.0.1:0", "--kubeconfig-out", kubeconfig, "--log-level",
                            "warn"});
  g_sim_pid = sim.pid;
  std::string line;
  while (sim.ReadLine(&line) && line.find("listening on") == std::string::npos) {
  }
  if (line.find("listening on") == std::string::npos) Die("mck8s-sim did not start");

  absl::StatusOr<RestConfig> config = LoadKubeconfigFiles({kubeconfig}, "management");
  if (!config.ok()) Die(config.status().ToString());
  mck8s::runtime::Registry registry;
  ClientOptions options;
  options.qps = 0;
  options.metrics = &registry;
  std::unique_ptr<Client> writer = *Client::Create(*config, options);

  absl::StatusOr<ObjectList> before = writer->List(kPods, "bench");
  if (!before.ok()) Die(before.status().ToString());
  const std::string start_version = before->resource_version;
  absl::Time t0 = absl::Now();
  CreatePods(*writer, "bench", pods);
  std::printf("sim_create_pods_rate: %.0f pods/s\n", pods / absl::ToDoubleSeconds(absl::Now() - t0));
  const std::string python_version = writer->List(kPods, "bench-py").value_or(ObjectList{}).resource_version;
  if (run_python) CreatePods(*writer, "bench-py", python_pods);
  std::fflush(stdout);

  // list + cache, `rounds` times (each a fresh informer); the best round's
  // rate, as other load on the machine only ever slows a round down.
  for (int round = 1; round <= rounds; ++round) {
    std::unique_ptr<Client> reader = *Client::Create(*config, options);
    const size_t heap_before = HeapInUse();
    InformerOptions informer_options;
    informer_options.namespace_name = "bench";
    informer_options.page_size = page_size;
    Informer informer(*reader, kPods, informer_options);
    const double cpu_before = ProcessCpuSeconds();
    const double sim_cpu_before = ChildCpuSeconds(sim.pid);
    const absl::Time start = absl::Now();
    informer.Start();
    if (!informer.WaitForSync(absl::Minutes(10))) Die("informer did not sync");
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    const double cpu_seconds = ProcessCpuSeconds() - cpu_before;
    const double sim_cpu_seconds = ChildCpuSeconds(sim.pid) - sim_cpu_before;
    const size_t cached = informer.store().size();
    const size_t heap_after = HeapInUse();
    best_rate = std::max(best_rate, cached / seconds);
    if (round < rounds) {
      if (rounds > 1) {
        std::printf("kubeapi_list_cache_round_%d: %.0f pods/s, %.2f us/pod cpu\n", round,
                    cached / seconds, 1e6 * cpu_seconds / cached);
      }
      informer.Stop();
      continue;
    }
    if (rounds > 1) {
      std::printf("kubeapi_list_cache_round_%d: %.0f pods/s, %.2f us/pod cpu\n", round,
                  cached / seconds, 1e6 * cpu_seconds / cached);
    }
    std::printf("kubeapi_list_cache_pods: %zu pods\n", cached);
    std::printf("kubeapi_list_cache_rate: %.0f pods/s\n", best_rate);
    std::printf("kubeapi_list_cache_cpu: %.2f us/pod\n", 1e6 * cpu_seconds / cached);
    std::printf("sim_list_cpu: %.2f us/pod\n", 1e6 * sim_cpu_seconds / cached);
    std::printf("kubeapi_cached_pod_memory: %.0f bytes/pod\n",
                static_cast<double>(heap_after - heap_before) / static_cast<double>(cached));
    size_t json_bytes = 0;
    for (const ObjectPtr& pod : informer.store().List()) json_bytes += pod->ToJson().size();
    std::printf("kubeapi_cached_pod_json_size: %.0f bytes/pod\n",
                static_cast<double>(json_bytes) / static_cast<double>(cached));
    informer.Stop();
  }
  std::fflush(stdout);

  // Client-side decoding alone, on one whole-list body: where the time of
  // list+cache goes (the rest is the simulator serving pages).
  {
    std::unique_ptr<Client> reader = *Client::Create(*config, options);
    RestRequest request;
    request.path = "/api/v1/namespaces/bench/pods";
    absl::Time start = absl::Now();
    absl::StatusOr<HttpResponse> response = reader->rest().Do(request);
    if (!response.ok()) Die(ErrorText(response.status()));
    std::printf("sim_list_body_rate: %.0f pods/s\n",
                pods / absl::ToDoubleSeconds(absl::Now() - start));
    std::string body = response->body;
    start = absl::Now();
    {
      rapidjson::Document bare;
      bare.ParseInsitu(body.data());
      if (bare.HasParseError()) Die("bad list body");
    }
    std::printf("rapidjson_bare_parse_rate: %.0f pods/s\n",
                pods / absl::ToDoubleSeconds(absl::Now() - start));
    start = absl::Now();
    const double cpu_before = ThreadCpuSeconds();
    absl::StatusOr<ObjectList> list = ParseObjectList(std::move(response->body));
    if (!list.ok()) Die(ErrorText(list.status()));
    const double cpu_seconds = ThreadCpuSeconds() - cpu_before;
    std::printf("kubeapi_decode_list_rate: %.0f pods/s\n",
                list->items.size() / absl::ToDoubleSeconds(absl::Now() - start));
    std::printf("kubeapi_decode_list_cpu: %.2f us/pod\n", 1e6 * cpu_seconds / list->items.size());
  }
  std::fflush(stdout);

  // watch burst
  {
    std::unique_ptr<Client> reader = *Client::Create(*config, options);
    Store store;
    WatchOptions watch;
    watch.resource_version = start_version;
    watch.allow_bookmarks = false;
    int64_t events = 0;
    const double cpu_before = ProcessCpuSeconds();
    const absl::Time start = absl::Now();
    absl::Status status = reader->Watch(kPods, "bench", watch, [&](WatchEvent event) {
      if (event.type == WatchEventType::kError) Die(event.error.ToString());
      store.Upsert(std::make_shared<const Object>(std::move(event.object)));
      return ++events < pods;
    });
    if (!status.ok()) Die(status.ToString());
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    const double cpu_seconds = ProcessCpuSeconds() - cpu_before;
    std::printf("kubeapi_watch_burst_events: %lld events\n", static_cast<long long>(events));
    std::printf("kubeapi_watch_burst_rate: %.0f events/s\n", events / seconds);
    std::printf("kubeapi_watch_burst_cpu: %.2f us/event\n", 1e6 * cpu_seconds / events);
  }
  std::fflush(stdout);

  int exit_code = 0;
  if (run_python) {
    Child py = Child::Start({python, MCK8S_KUBEAPI_BENCH_PYTHON_SCRIPT, "--kubeconfig", kubeconfig,
                             "--context", "management", "--namespace", "bench-py", "--pods",
                             absl::StrCat(python_pods), "--resource-version", python_version});
    while (py.ReadLine(&line)) {
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    }
    if (py.Wait() != 0) {
      std::fprintf(stderr, "bench-kubeapi: the Python client benchmark failed\n");
      exit_code = 1;
    }
  }
  sim.Stop();
  std::filesystem::remove_all(dir);
  return exit_code;
}
