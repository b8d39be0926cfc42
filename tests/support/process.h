// -----------------------------------------------------------------------------
// File: tests/support/process.h
// -----------------------------------------------------------------------------
//
// Child processes for end-to-end tests: start a real binary with its own
// environment, read its stdout and stderr line by line with deadlines (never
// sleeps), send it signals, and wait for it with a bound. A Process that
// goes out of scope kills its child, so a failing test leaves nothing
// running.
//
// Usage:
//
//   Process sim = Process::Start({bin, "--listen", "127.0.0.1:0"}, env);
//   std::optional<std::string> line =
//       sim.WaitForStderrLine([](std::string_view l) {
//         return l.find("\"msg\":\"started\"") != l.npos; }, absl::Seconds(10));
//   sim.Signal(SIGTERM);
//   std::optional<int> code = sim.Wait(absl::Seconds(10));

#ifndef MCK8S_TESTS_SUPPORT_PROCESS_H_
#define MCK8S_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mck8s::testing {

class Process {
 public:
  // Starts argv[0] (a path) with the current environment, minus the names in
  // `unset`, plus `set`. Aborts the test binary if fork/exec fails.
  static Process Start(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& set = {},
                       const std::vector<std::string>& unset = {});

  Process(Process&& other) noexcept;
  Process& operator=(Process&&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }

  // Blocks until a line matching `match` appears on stderr (or stdout),
  // returning it, or nullopt at the deadline or when the stream closed.
  std::optional<std::string> WaitForStderrLine(
      const std::function<bool(std::string_view)>& match, absl::Duration timeout);
  std::optional<std::string> WaitForStdoutLine(
      const std::function<bool(std::string_view)>& match, absl::Duration timeout);

  // Everything read so far.
  std::string Stdout();
  std::string Stderr();

  void Signal(int signal_number);
  // Waits for exit; returns the exit code (128+N when killed by signal N),
  // or nullopt at the deadline (the child keeps running).
  std::optional<int> Wait(absl::Duration timeout);

 private:
  Process() = default;
  struct Stream {
    std::string text;
    bool closed = false;
  };
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::unique_ptr<absl::Mutex> mu_ = std::make_unique<absl::Mutex>();
  std::unique_ptr<Stream> out_ = std::make_unique<Stream>();
  std::unique_ptr<Stream> err_ = std::make_unique<Stream>();
  std::vector<std::thread> readers_;
};

// Runs a command to completion, returning its exit code and output. For
// short-lived tools (kubectl, helm, promtool). `stdin_text` is fed to it.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::string& stdin_text = "",
                         const std::map<std::string, std::string>& set_env = {},
                         absl::Duration timeout = absl::Seconds(120));

// A fresh temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// Writes `content` to `path`; aborts the test binary on failure.
void WriteFile(const std::string& path, std::string_view content);

// Path of a project binary in build/bin.
std::string BinaryPath(std::string_view name);
// Path of a file in the source tree.
std::string SourcePath(std::string_view relative);
// A loopback port nothing is bound to for sockets of `type` (SOCK_STREAM or
// SOCK_DGRAM), for peers that only take a fixed port; 0 when the kernel
// gave none. Another process may take it before the peer does, which on a
// test machine's loopback does not happen in practice.
int FreeLoopbackPort(int type);
// A loopback port free for both TCP and UDP (Serf's gossip binds both on one
// number and takes no port 0); 0 when none was found in 100 tries.
int FreeLoopbackPortForTcpAndUdp();

// A peer tool: first `env_override` if that variable is set, then the
// project's .tools/bin, then PATH, then /usr/bin. Empty when not found.
std::string FindTool(std::string_view name, std::string_view env_override = "");

}  // namespace mck8s::testing

#endif  // MCK8S_TESTS_SUPPORT_PROCESS_H_
