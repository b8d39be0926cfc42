#include "process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace mck8s::testing {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "test support: %s: %s\n", what.c_str(), std::strerror(errno));
  std::abort();
}

std::vector<std::string> BuildEnvironment(const std::map<std::string, std::string>& set,
                                          const std::vector<std::string>& unset) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry = *e;
    std::string_view name = entry.substr(0, entry.find('='));
    bool drop = set.count(std::string(name)) > 0;
    for (const std::string& u : unset) drop = drop || name == u;
    if (!drop) env.emplace_back(entry);
  }
  for (const auto& [k, v] : set) env.push_back(absl::StrCat(k, "=", v));
  return env;
}

// Forks and execs; the child's stdin/stdout/stderr become the given fds.
pid_t Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, int in_fd,
            int out_fd, int err_fd) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) Die("fork");
  if (pid == 0) {
    // A child of a test must not inherit blocked signals.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    setpgid(0, 0);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    execve(args[0], args.data(), envp.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  return pid;
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Process Process::Start(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& set,
                       const std::vector<std::string>& unset) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) Die("pipe");
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  Process p;
  p.pid_ = Spawn(argv, BuildEnvironment(set, unset), devnull, out[1], err[1]);
  close(devnull);
  close(out[1]);
  close(err[1]);
  auto reader = [mu = p.mu_.get()](int fd, Stream* stream) {
    char buffer[4096];
    while (true) {
      ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      absl::MutexLock lock(mu);
      if (n <= 0) {
        stream->closed = true;
        break;
      }
      stream->text.append(buffer, static_cast<size_t>(n));
    }
    close(fd);
  };
  p.readers_.emplace_back(reader, out[0], p.out_.get());
  p.readers_.emplace_back(reader, err[0], p.err_.get());
  return p;
}

Process::Process(Process&& other) noexcept
    : pid_(other.pid_),
      exit_code_(other.exit_code_),
      mu_(std::move(other.mu_)),
      out_(std::move(other.out_)),
      err_(std::move(other.err_)),
      readers_(std::move(other.readers_)) {
  other.pid_ = -1;
}

Process::~Process() {
  if (pid_ > 0) {
    if (!exit_code_.has_value()) {
      kill(-pid_, SIGKILL);
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  for (std::thread& t : readers_) {
    if (t.joinable()) t.join();
  }
}

namespace {

std::optional<std::string> WaitForStream(absl::Mutex* mu, const std::string* text,
                                         const bool* closed,
                                         const std::function<bool(std::string_view)>& match,
                                         absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  size_t scanned = 0;
  absl::MutexLock lock(mu);
  while (true) {
    // Scan complete lines not yet looked at.
    size_t newline;
    while ((newline = text->find('\n', scanned)) != std::string::npos) {
      std::string_view line(text->data() + scanned, newline - scanned);
      scanned = newline + 1;
      if (match(line)) return std::string(line);
    }
    if (*closed) return std::nullopt;
    const size_t seen = text->size();
    auto grew = [text, closed, seen] { return text->size() != seen || *closed; };
    if (!mu->AwaitWithDeadline(absl::Condition(&grew), deadline)) return std::nullopt;
  }
}

}  // namespace

std::optional<std::string> Process::WaitForStderrLine(
    const std::function<bool(std::string_view)>& match, absl::Duration timeout) {
  return WaitForStream(mu_.get(), &err_->text, &err_->closed, match, timeout);
}

std::optional<std::string> Process::WaitForStdoutLine(
    const std::function<bool(std::string_view)>& match, absl::Duration timeout) {
  return WaitForStream(mu_.get(), &out_->text, &out_->closed, match, timeout);
}

std::string Process::Stdout() {
  absl::MutexLock lock(mu_.get());
  return out_->text;
}

std::string Process::Stderr() {
  absl::MutexLock lock(mu_.get());
  return err_->text;
}

void Process::Signal(int signal_number) {
  if (pid_ > 0 && !exit_code_.has_value()) kill(pid_, signal_number);
}

std::optional<int> Process::Wait(absl::Duration timeout) {
  if (exit_code_.has_value()) return exit_code_;
  // Both output streams close when the child exits (it holds the only write
  // ends), so waiting on them is waiting on the exit without polling.
  {
    absl::MutexLock lock(mu_.get());
    auto closed = [this] { return out_->closed && err_->closed; };
    if (!mu_->AwaitWithTimeout(absl::Condition(&closed), timeout)) {
      return std::nullopt;
    }
  }
  int status = 0;
  if (waitpid(pid_, &status, 0) != pid_) return std::nullopt;
  exit_code_ = DecodeWaitStatus(status);
  return exit_code_;
}

CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& stdin_text,
                         const std::map<std::string, std::string>& set_env,
                         absl::Duration timeout) {
  int in[2];
  if (pipe2(in, O_CLOEXEC) != 0) Die("pipe");
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) Die("pipe");
  pid_t pid = Spawn(argv, BuildEnvironment(set_env, {}), in[0], out[1], err[1]);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  std::thread writer([fd = in[1], stdin_text] {
    size_t off = 0;
    signal(SIGPIPE, SIG_IGN);
    while (off < stdin_text.size()) {
      ssize_t n = write(fd, stdin_text.data() + off, stdin_text.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fd);
  });
  CommandResult result;
  absl::Mutex mu;
  int open_streams = 2;
  auto reader = [&](int fd, std::string* into) {
    char buffer[8192];
    while (true) {
      ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      absl::MutexLock lock(&mu);
      into->append(buffer, static_cast<size_t>(n));
    }
    close(fd);
    absl::MutexLock lock(&mu);
    --open_streams;
  };
  std::thread out_reader(reader, out[0], &result.out);
  std::thread err_reader(reader, err[0], &result.err);
  bool finished;
  {
    absl::MutexLock lock(&mu);
    auto done = [&open_streams] { return open_streams == 0; };
    finished = mu.AwaitWithTimeout(absl::Condition(&done), timeout);
  }
  if (!finished) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
  }
  out_reader.join();
  err_reader.join();
  writer.join();
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = finished ? DecodeWaitStatus(status) : -1;
  if (!finished) absl::StrAppend(&result.err, "\n[test support: timed out, killed]");
  return result;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "mck8s-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void WriteFile(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) Die(absl::StrCat("write ", path));
}

std::string BinaryPath(std::string_view name) {
  return absl::StrCat(MCK8S_BINARY_DIR, "/bin/", std::string(name));
}

std::string SourcePath(std::string_view relative) {
  return absl::StrCat(MCK8S_SOURCE_DIR, "/", std::string(relative));
}

int FreeLoopbackPort(int type) {
  const int fd = ::socket(AF_INET, type, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  return bound ? ntohs(address.sin_port) : 0;
}

int FreeLoopbackPortForTcpAndUdp() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int port = FreeLoopbackPort(SOCK_STREAM);
    if (port == 0) return 0;
    const int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (udp < 0) return 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port));
    const bool free = ::bind(udp, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    ::close(udp);
    if (free) return port;
  }
  return 0;
}

std::string FindTool(std::string_view name, std::string_view env_override) {
  namespace fs = std::filesystem;
  if (!env_override.empty()) {
    if (const char* v = std::getenv(std::string(env_override).c_str()); v && *v) return v;
  }
  std::string local = SourcePath(absl::StrCat(".tools/bin/", std::string(name)));
  if (fs::exists(local)) return local;
  if (const char* path = std::getenv("PATH")) {
    for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
      std::string candidate = absl::StrCat(dir, "/", std::string(name));
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  std::string usr = absl::StrCat("/usr/bin/", std::string(name));
  if (access(usr.c_str(), X_OK) == 0) return usr;
  return "";
}

}  // namespace mck8s::testing
