// Serf's coordinates against emulated wide-area latencies. One network
// namespace per FogGuru site (rennes, nantes, lille, grenoble, luxembourg,
// nancy), each with a veth into a bridge in a hub namespace; in each site an
// iptables NFQUEUE rule hands packets for the other sites to `netdelay`,
// which holds them for about half the talk's RTT for that pair (the RTT
// table of sim/testbeds/fogguru.yaml). A Serf agent runs in each site; the
// test reads the RTT matrix through the RPC client from the hub (as the
// metrics gateway would from its own network) until it is stable, then
// checks it against the table. A first, short case checks netdelay alone: a
// UDP round trip between two namespaces takes the configured delays.
//
// The path itself (veths, bridge, netdelay's hand-off) adds a fraction of a
// millisecond, which matters on the short links (2.16 ms). So before any
// agent starts, the test calibrates the links: it measures each link's
// round trip with ICMP echo (answered by the kernel and received with kernel
// timestamps, so no process's scheduling is in the figure) and corrects the
// delays until every link's median is within kCalibrationTolerance of the
// table.
//
// What Serf measures on top of the network is the agents' own time to
// answer a probe, which on a shared machine is mostly waiting for a CPU; it
// adds to every pair alike, and Vivaldi's heights and adjustment terms take
// it, so it weighs most on the short links. The agents therefore run at a
// real-time round-robin priority (below netdelay's, which must release
// packets on time) with one Go processor each, which keeps a probe's
// hand-offs between goroutines on one thread. Nothing in the agent's
// configuration changes how coordinates are computed or how often they are
// sampled: the Vivaldi parameters are built in, and the lan and local
// profiles both probe one node a second. The agents run with their
// defaults.
//
// Needs root (namespaces, iptables). Everything it creates carries a name
// unique to the run and is removed when the test ends, passed or failed:
// deleting a namespace removes its links and iptables rules with it.

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "mck8s/serf/client.h"
#include "process.h"

namespace mck8s::serf {
namespace {

using ::mck8s::testing::BinaryPath;
using ::mck8s::testing::FindTool;
using ::mck8s::testing::Process;
using ::mck8s::testing::RunCommand;
using ::mck8s::testing::SourcePath;
using ::mck8s::testing::TempDir;
using ::mck8s::testing::WriteFile;

// The FogGuru sites with a Serf agent, in the talk's order.
const std::vector<std::string> kSites = {"rennes",   "nantes",     "lille",
                                         "grenoble", "luxembourg", "nancy"};
constexpr char kSubnet[] = "10.77.0.";
constexpr char kHubAddress[] = "10.77.0.254";

// Calibration: every link's median ICMP round trip must come within this
// fraction of the table, in at most kCalibrationRounds measure-and-correct
// rounds of kCalibrationSamples echoes per link.
constexpr double kCalibrationTolerance = 0.03;
constexpr int kCalibrationRounds = 6;
constexpr int kCalibrationSamples = 41;
// Echo requests of one link are sent this far apart, so that each finds
// the path idle, as a probe does.
constexpr absl::Duration kEchoSpacing = absl::Milliseconds(3);
// The agents' real-time round-robin priority; netdelay runs at 10.
constexpr char kAgentPriority[] = "5";

using RttTable = std::map<std::pair<std::string, std::string>, double>;

double Lookup(const RttTable& table, const std::string& a, const std::string& b) {
  auto it = table.find({std::min(a, b), std::max(a, b)});
  REQUIRE(it != table.end());
  return it->second;
}

// The `rtt:` table of the testbed file, restricted to kSites, keyed by the
// sorted pair.
RttTable ReadRttTable() {
  const std::string path = SourcePath("sim/testbeds/fogguru.yaml");
  YAML::Node root = YAML::LoadFile(path);
  REQUIRE(root["rtt"].IsMap());
  RttTable table;
  for (const auto& row : root["rtt"]) {
    std::string a = row.first.as<std::string>();
    for (const auto& cell : row.second) {
      std::string b = cell.first.as<std::string>();
      if (std::find(kSites.begin(), kSites.end(), a) == kSites.end() ||
          std::find(kSites.begin(), kSites.end(), b) == kSites.end()) {
        continue;
      }
      table[{std::min(a, b), std::max(a, b)}] = cell.second.as<double>();
    }
  }
  for (size_t i = 0; i < kSites.size(); ++i) {
    for (size_t j = i + 1; j < kSites.size(); ++j) {
      INFO(path << " has no RTT between " << kSites[i] << " and " << kSites[j]);
      REQUIRE(table.count({std::min(kSites[i], kSites[j]), std::max(kSites[i], kSites[j])}) == 1);
    }
  }
  return table;
}

std::string Tool(std::string_view name) {
  std::string path = FindTool(name);
  if (path.empty()) {
    std::string sbin = absl::StrCat("/usr/sbin/", std::string(name));
    if (access(sbin.c_str(), X_OK) == 0) path = sbin;
  }
  INFO("the namespace test needs " << name << " (iproute2, iptables, serf packages)");
  REQUIRE_FALSE(path.empty());
  return path;
}

void Run(const std::vector<std::string>& argv) {
  mck8s::testing::CommandResult r = RunCommand(argv, "", {}, absl::Seconds(30));
  std::string line;
  for (const std::string& a : argv) absl::StrAppend(&line, a, " ");
  INFO("command: " << line << "\nstdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
}

// Removes what runs of this test that were killed (no destructor ran) left
// behind: namespaces named after a process that no longer exists, and the
// agents and delay programs still running in them.
void RemoveLeftovers(const std::string& ip) {
  mck8s::testing::CommandResult list = RunCommand({ip, "netns", "list"});
  for (absl::string_view line : absl::StrSplit(list.out, '\n', absl::SkipEmpty())) {
    std::string name(line.substr(0, line.find(' ')));
    int pid = 0;
    std::vector<std::string> parts = absl::StrSplit(name, '-');
    if (parts.size() < 4 || parts[0] != "mck8s" || parts[1] != "serf" ||
        !absl::SimpleAtoi(parts[2], &pid) || pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH) {
      continue;
    }
    mck8s::testing::CommandResult pids = RunCommand({ip, "netns", "pids", name});
    for (absl::string_view p : absl::StrSplit(pids.out, '\n', absl::SkipEmpty())) {
      int victim = 0;
      if (absl::SimpleAtoi(p, &victim) && victim > 1) kill(victim, SIGKILL);
    }
    RunCommand({ip, "netns", "del", name});
    std::fprintf(stderr, "serf-netns: removed namespace %s left by an interrupted run\n",
                 name.c_str());
  }
}

// The namespaces of one run; removes them (and so their links and iptables
// rules) on destruction, whatever happened.
class Namespaces {
 public:
  explicit Namespaces(std::string ip) : ip_(std::move(ip)) {
    std::random_device random;
    prefix_ = absl::StrFormat("mck8s-serf-%d-%06x", getpid(), random() & 0xffffff);
  }
  ~Namespaces() {
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
      mck8s::testing::CommandResult r = RunCommand({ip_, "netns", "del", *it});
      if (r.exit_code != 0) {
        std::fprintf(stderr, "netns cleanup: ip netns del %s: %s\n", it->c_str(), r.err.c_str());
      }
    }
  }
  Namespaces(const Namespaces&) = delete;
  Namespaces& operator=(const Namespaces&) = delete;

  // Creates namespace `<prefix>-<suffix>` and returns its name.
  std::string Add(const std::string& suffix) {
    std::string name = absl::StrCat(prefix_, "-", suffix);
    mck8s::testing::CommandResult r = RunCommand({ip_, "netns", "add", name});
    INFO("cannot create network namespace " << name
                                            << " (is this root, with netns support?): " << r.err);
    REQUIRE(r.exit_code == 0);
    created_.push_back(name);
    return name;
  }

 private:
  std::string ip_;
  std::string prefix_;
  std::vector<std::string> created_;
};

// Moves the calling thread into a namespace for the scope's life; sockets
// made meanwhile stay in that namespace after it ends.
class InNamespace {
 public:
  explicit InNamespace(const std::string& name) {
    home_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    REQUIRE(home_ >= 0);
    int target = open(absl::StrCat("/var/run/netns/", name).c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(target >= 0);
    int rc = setns(target, CLONE_NEWNET);
    close(target);
    REQUIRE(rc == 0);
  }
  ~InNamespace() {
    if (setns(home_, CLONE_NEWNET) != 0) std::abort();
    close(home_);
  }

 private:
  int home_ = -1;
};

struct Site {
  std::string name;
  std::string ns;
  std::string address;
};

std::string FormatMatrix(const RttMatrix& m, const RttTable& table) {
  std::string out;
  for (size_t i = 0; i < kSites.size(); ++i) {
    for (size_t j = i + 1; j < kSites.size(); ++j) {
      double want = Lookup(table, kSites[i], kSites[j]);
      std::optional<double> got = m.Get(kSites[i], kSites[j]);
      absl::StrAppendFormat(&out, "  %-10s <-> %-10s table %6.2f ms  serf %7.3f ms  (%+.1f%%)\n",
                            kSites[i], kSites[j], want, got.value_or(-1),
                            got ? 100 * (*got - want) / want : 0.0);
    }
  }
  return out;
}

// A UDP socket made inside namespace `ns`, bound to `address`:`port`
// (port 0: any).
int UdpSocketIn(const std::string& ns, const std::string& address, int port) {
  InNamespace in(ns);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  REQUIRE(inet_pton(AF_INET, address.c_str(), &addr.sin_addr) == 1);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// Waits up to `timeout` for a datagram on `fd`; returns its sender.
std::optional<sockaddr_in> Receive(int fd, absl::Duration timeout) {
  pollfd pfd{fd, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) != 1) {
    return std::nullopt;
  }
  char byte;
  sockaddr_in from{};
  socklen_t len = sizeof from;
  if (recvfrom(fd, &byte, 1, 0, reinterpret_cast<sockaddr*>(&from), &len) < 0) return std::nullopt;
  return from;
}

uint16_t InternetChecksum(const unsigned char* data, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t{data[i]} << 8) | data[i + 1];
  if (len % 2 == 1) sum += uint32_t{data[len - 1]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

int64_t RealtimeNanos() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Round trips, in milliseconds, of `count` ICMP echo requests from namespace
// `ns` to `target`, sent kEchoSpacing apart. The peer's kernel answers, and
// the reply's arrival time is the kernel's receive timestamp, so the figures
// are the network's alone. Lost replies are missing from the result.
std::vector<double> EchoRoundTrips(const std::string& ns, const std::string& target, int count) {
  static uint16_t next_id = static_cast<uint16_t>(getpid());
  const uint16_t id = ++next_id;
  int fd;
  {
    InNamespace in(ns);
    fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  }
  INFO("raw ICMP socket: " << std::strerror(errno));
  REQUIRE(fd >= 0);
  int on = 1;
  REQUIRE(setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, target.c_str(), &to.sin_addr) == 1);

  std::vector<int64_t> sent(count, 0);
  std::vector<double> rtts;
  // Collects replies until `until` or until every request is answered.
  auto receive_until = [&](absl::Time until) {
    pollfd pfd{fd, POLLIN, 0};
    while (static_cast<int>(rtts.size()) < count) {
      int64_t left_us = absl::ToInt64Microseconds(until - absl::Now());
      if (left_us <= 0) break;
      if (poll(&pfd, 1, static_cast<int>((left_us + 999) / 1000)) != 1) continue;
      unsigned char packet[256];
      char control[256];
      iovec iov{packet, sizeof packet};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
      if (n < 0) continue;
      int64_t arrived = 0;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec ts;
          std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
          arrived = int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
        }
      }
      if (n < 20) continue;
      size_t header = (packet[0] & 0x0f) * 4;
      if (static_cast<size_t>(n) < header + 8) continue;
      const unsigned char* icmp = packet + header;
      uint16_t reply_id = static_cast<uint16_t>((icmp[4] << 8) | icmp[5]);
      uint16_t seq = static_cast<uint16_t>((icmp[6] << 8) | icmp[7]);
      if (icmp[0] != ICMP_ECHOREPLY || reply_id != id || seq >= count || sent[seq] == 0 ||
          arrived == 0) {
        continue;
      }
      rtts.push_back((arrived - sent[seq]) / 1e6);
      sent[seq] = 0;
    }
  };
  absl::Time next_send = absl::Now();
  for (int seq = 0; seq < count; ++seq) {
    unsigned char request[16] = {ICMP_ECHO, 0, 0, 0};
    request[4] = static_cast<unsigned char>(id >> 8);
    request[5] = static_cast<unsigned char>(id);
    request[6] = static_cast<unsigned char>(seq >> 8);
    request[7] = static_cast<unsigned char>(seq);
    uint16_t checksum = InternetChecksum(request, sizeof request);
    request[2] = static_cast<unsigned char>(checksum >> 8);
    request[3] = static_cast<unsigned char>(checksum);
    sent[seq] = RealtimeNanos();
    REQUIRE(sendto(fd, request, sizeof request, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
            sizeof request);
    // Pacing, not synchronisation: collect what comes back meanwhile.
    next_send += kEchoSpacing;
    receive_until(next_send);
  }
  receive_until(absl::Now() + absl::Seconds(2));
  close(fd);
  return rtts;
}

double Median(std::vector<double> values) {
  REQUIRE_FALSE(values.empty());
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

#ifndef MCK8S_SERF_CONVERGENCE_BENCH
TEST_CASE("netdelay holds each packet for its destination's delay") {
  INFO("this test creates network namespaces and iptables rules: it must run as root");
  REQUIRE(geteuid() == 0);
  const std::string ip = Tool("ip");
  const std::string iptables = Tool("iptables");
  const std::string netdelay = BinaryPath("netdelay");
  REQUIRE(access(netdelay.c_str(), X_OK) == 0);

  RemoveLeftovers(ip);
  Namespaces namespaces(ip);
  std::vector<std::unique_ptr<Process>> processes;
  const std::string a = namespaces.Add("a");
  const std::string b = namespaces.Add("b");
  const std::string a_addr = "10.78.0.1", b_addr = "10.78.0.2";
  Run({ip, "link", "add", "eth0", "netns", a, "type", "veth", "peer", "name", "eth0", "netns", b});
  for (const auto& [ns, addr] : {std::pair{a, a_addr}, std::pair{b, b_addr}}) {
    Run({ip, "-n", ns, "link", "set", "lo", "up"});
    Run({ip, "-n", ns, "addr", "add", addr + "/24", "dev", "eth0"});
    Run({ip, "-n", ns, "link", "set", "eth0", "up"});
  }
  // a -> b 5 ms from a flag, b -> a 2.5 ms from a delays file: a round trip
  // of 7.5 ms; then b -> a becomes 0.5 ms by reloading the file.
  TempDir temp;
  const std::string b_delays = temp.File("b.delays");
  WriteFile(b_delays, "# b's delays\n" + a_addr + " 2.5\n");
  for (const auto& [ns, delay] :
       {std::pair{a, "--delay=" + b_addr + "=5"}, std::pair{b, "--delays-file=" + b_delays}}) {
    const std::string& peer = ns == a ? b_addr : a_addr;
    processes.push_back(std::make_unique<Process>(
        Process::Start({ip, "netns", "exec", ns, netdelay, "--queue=3", delay})));
    REQUIRE(processes.back()->WaitForStderrLine(
        [](std::string_view l) { return l.find("netdelay: ready") != l.npos; }, absl::Seconds(10)));
    Run({ip, "netns", "exec", ns, iptables, "-A", "OUTPUT", "-d", peer + "/32", "-j", "NFQUEUE",
         "--queue-num", "3"});
  }

  const int server = UdpSocketIn(b, b_addr, 0);
  const int client = UdpSocketIn(a, a_addr, 0);
  sockaddr_in server_addr{};
  socklen_t len = sizeof server_addr;
  REQUIRE(getsockname(server, reinterpret_cast<sockaddr*>(&server_addr), &len) == 0);

  auto check_round_trip = [&](double configured_ms) {
    std::vector<double> rtts;
    for (int i = 0; i < 40; ++i) {
      absl::Time sent = absl::Now();
      REQUIRE(sendto(client, "x", 1, 0, reinterpret_cast<sockaddr*>(&server_addr),
                     sizeof server_addr) == 1);
      std::optional<sockaddr_in> from = Receive(server, absl::Seconds(2));
      REQUIRE(from.has_value());
      REQUIRE(sendto(server, "y", 1, 0, reinterpret_cast<sockaddr*>(&*from), sizeof *from) == 1);
      REQUIRE(Receive(client, absl::Seconds(2)).has_value());
      rtts.push_back(absl::ToDoubleMilliseconds(absl::Now() - sent));
    }
    std::sort(rtts.begin(), rtts.end());
    const double median = rtts[rtts.size() / 2];
    std::printf(
        "serf-netns: netdelay round trip for %.1f ms configured: min %.3f, median %.3f, "
        "max %.3f ms\n",
        configured_ms, rtts.front(), median, rtts.back());
    // Never early; on time within the scheduling noise of a shared machine.
    CHECK(rtts.front() >= configured_ms);
    CHECK(median <= configured_ms + 0.5);
  };
  check_round_trip(7.5);

  WriteFile(b_delays, a_addr + " 0.5\n");
  processes[1]->Signal(SIGHUP);
  REQUIRE(processes[1]->WaitForStderrLine(
      [](std::string_view l) { return l.find("netdelay: delays loaded, generation 2") != l.npos; },
      absl::Seconds(10)));
  check_round_trip(5.5);

  // A file it cannot use leaves the delays as they were.
  WriteFile(b_delays, a_addr + " soon\n");
  processes[1]->Signal(SIGHUP);
  REQUIRE(processes[1]->WaitForStderrLine(
      [](std::string_view l) {
        return l.find("netdelay: delays file rejected, generation 3") != l.npos;
      },
      absl::Seconds(10)));
  check_round_trip(5.5);
  close(server);
  close(client);

  for (auto& p : processes) {
    p->Signal(SIGTERM);
    REQUIRE(p->Wait(absl::Seconds(10)) == 0);
    CHECK(p->Stderr().find("packets delayed") != std::string::npos);
  }
}

#else
// Built only into bench-serf-netns and run by hand: with its Vivaldi
// settings fixed inside the agent, Serf does not bring the 2-3 ms links of
// the table within 20% in minutes on this kind of machine (see
// bench/README.md), so this is a measurement, not part of the suite.
TEST_CASE("coordinates reproduce the FogGuru RTT table under emulated delays") {
  INFO("this test creates network namespaces and iptables rules: it must run as root");
  REQUIRE(geteuid() == 0);
  const std::string ip = Tool("ip");
  const std::string iptables = Tool("iptables");
  const std::string serf = Tool("serf");
  const std::string netdelay = BinaryPath("netdelay");
  REQUIRE(access(netdelay.c_str(), X_OK) == 0);
  const RttTable table = ReadRttTable();

  RemoveLeftovers(ip);
  // Declared before the processes so that they die before their namespaces
  // go.
  Namespaces namespaces(ip);
  std::vector<std::unique_ptr<Process>> processes;

  const std::string hub = namespaces.Add("hub");
  Run({ip, "-n", hub, "link", "set", "lo", "up"});
  Run({ip, "-n", hub, "link", "add", "br0", "type", "bridge"});
  Run({ip, "-n", hub, "addr", "add", absl::StrCat(kHubAddress, "/24"), "dev", "br0"});
  Run({ip, "-n", hub, "link", "set", "br0", "up"});

  std::vector<Site> sites;
  for (size_t i = 0; i < kSites.size(); ++i) {
    Site site{kSites[i], namespaces.Add(kSites[i]), absl::StrCat(kSubnet, i + 1)};
    const std::string port = absl::StrCat("p", i);
    Run({ip, "link", "add", "eth0", "netns", site.ns, "type", "veth", "peer", "name", port, "netns",
         hub});
    Run({ip, "-n", hub, "link", "set", port, "master", "br0"});
    Run({ip, "-n", hub, "link", "set", port, "up"});
    Run({ip, "-n", site.ns, "link", "set", "lo", "up"});
    Run({ip, "-n", site.ns, "addr", "add", absl::StrCat(site.address, "/24"), "dev", "eth0"});
    Run({ip, "-n", site.ns, "link", "set", "eth0", "up"});
    sites.push_back(site);
  }

  // One-way delays, [from][to] by index into `sites`: half the table's RTT
  // to start with, corrected by the calibration below.
  const size_t n = sites.size();
  std::vector<std::vector<double>> delay(n, std::vector<double>(n, 0.0));
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      if (i != j) delay[i][j] = Lookup(table, sites[i].name, sites[j].name) / 2;
    }
  }
  TempDir temp;
  auto write_delays = [&](size_t i) {
    std::string text;
    for (size_t j = 0; j < n; ++j) {
      if (j != i) absl::StrAppendFormat(&text, "%s %.4f\n", sites[j].address, delay[i][j]);
    }
    WriteFile(temp.File(sites[i].name + ".delays"), text);
  };

  // Delays first, then the rules that send packets to them (a rule without
  // a listener on its queue drops packets).
  for (size_t i = 0; i < n; ++i) {
    const Site& site = sites[i];
    write_delays(i);
    std::vector<std::string> argv = {ip,
                                     "netns",
                                     "exec",
                                     site.ns,
                                     netdelay,
                                     "--queue=0",
                                     "--delays-file=" + temp.File(site.name + ".delays")};
    processes.push_back(std::make_unique<Process>(Process::Start(argv)));
    INFO("netdelay in " << site.ns << ": " << processes.back()->Stderr());
    REQUIRE(processes.back()->WaitForStderrLine(
        [](std::string_view l) { return l.find("netdelay: ready") != l.npos; }, absl::Seconds(10)));
    for (const Site& peer : sites) {
      if (peer.name == site.name) continue;
      Run({ip, "netns", "exec", site.ns, iptables, "-A", "OUTPUT", "-d", peer.address + "/32", "-j",
           "NFQUEUE", "--queue-num", "0"});
    }
  }
  const size_t netdelay_count = processes.size();

  // Calibration: measure every link; while one is off by more than
  // kCalibrationTolerance, move both directions' delays of every link off by
  // more than half of it by half the difference to the table, and reload. A
  // constant cost of the path is corrected in one round; further rounds take
  // out the noise of the first estimate.
  int generation = 1;
  bool calibrated = false;
  std::string calibration;
  for (int round = 1; round <= kCalibrationRounds && !calibrated; ++round) {
    calibrated = true;
    calibration.clear();
    std::vector<std::tuple<size_t, size_t, double>> corrections;
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = i + 1; j < n; ++j) {
        const double want = Lookup(table, sites[i].name, sites[j].name);
        std::vector<double> rtts =
            EchoRoundTrips(sites[i].ns, sites[j].address, kCalibrationSamples);
        INFO("echo " << sites[i].name << " -> " << sites[j].name << ": " << rtts.size() << " of "
                     << kCalibrationSamples << " answered");
        REQUIRE(rtts.size() * 2 > static_cast<size_t>(kCalibrationSamples));
        const double median = Median(rtts);
        const double error = (median - want) / want;
        absl::StrAppendFormat(&calibration,
                              "  %-10s <-> %-10s table %6.2f ms  echo median %7.3f ms (%+5.1f%%)"
                              "  delays %.3f + %.3f ms\n",
                              sites[i].name, sites[j].name, want, median, 100 * error, delay[i][j],
                              delay[j][i]);
        if (std::fabs(error) > kCalibrationTolerance) calibrated = false;
        if (std::fabs(error) > kCalibrationTolerance / 2) {
          corrections.emplace_back(i, j, (want - median) / 2);
        }
      }
    }
    std::printf("serf-netns: calibration round %d%s:\n%s", round,
                calibrated ? " (every link within tolerance)" : "", calibration.c_str());
    if (calibrated) break;
    for (const auto& [i, j, correction] : corrections) {
      delay[i][j] = std::max(0.0, delay[i][j] + correction);
      delay[j][i] = std::max(0.0, delay[j][i] + correction);
    }
    ++generation;
    const std::string loaded = absl::StrCat("netdelay: delays loaded, generation ", generation);
    for (size_t i = 0; i < n; ++i) {
      write_delays(i);
      processes[i]->Signal(SIGHUP);
    }
    for (size_t i = 0; i < n; ++i) {
      INFO("netdelay in " << sites[i].ns << ": " << processes[i]->Stderr());
      REQUIRE(processes[i]->WaitForStderrLine(
          [&](std::string_view l) { return l.find(loaded) != l.npos; }, absl::Seconds(10)));
    }
  }
  INFO("calibration, last round:\n" << calibration);
  REQUIRE(calibrated);

  // Serf agents, all joining rennes, at a real-time priority with one Go
  // processor each: every scheduling delay on this shared machine lands in
  // the RTTs they measure (see the top of the file).
  const std::string chrt = Tool("chrt");
  for (const Site& site : sites) {
    std::vector<std::string> argv = {ip,
                                     "netns",
                                     "exec",
                                     site.ns,
                                     chrt,
                                     "--rr",
                                     kAgentPriority,
                                     serf,
                                     "agent",
                                     "-node=" + site.name,
                                     "-bind=" + site.address + ":7946",
                                     "-rpc-addr=" + site.address + ":7373",
                                     "-log-level=warn"};
    if (site.name != sites[0].name) argv.push_back("-join=" + sites[0].address + ":7946");
    processes.push_back(std::make_unique<Process>(Process::Start(argv, {{"GOMAXPROCS", "1"}})));
    INFO("serf agent in " << site.ns << ": " << processes.back()->Stdout()
                          << processes.back()->Stderr());
    REQUIRE(processes.back()->WaitForStdoutLine(
        [](std::string_view l) { return l.find("Serf agent running!") != l.npos; },
        absl::Seconds(20)));
  }
  const absl::Time started = absl::Now();

  // The client lives in the hub, like a gateway outside the sites.
  std::unique_ptr<Client> client;
  {
    InNamespace in_hub(hub);
    absl::StatusOr<std::unique_ptr<Client>> c =
        Client::Connect(sites[0].address + ":7373", "", absl::Seconds(5));
    INFO(c.status().ToString());
    REQUIRE(c.ok());
    client = *std::move(c);
  }

  // Converged: over the last kWindow, no pair's RTT moved by more than
  // kStableRelative of its value plus kStableAbsolute (the noise floor of
  // the short links). Probing visits each peer about every six seconds, so
  // the window spans a few rounds. Serf's adjustment terms drift slowly
  // after the start (a few percent of the short links' RTT per window),
  // so a looser test would stop while the short links are still far off.
  constexpr absl::Duration kPollEvery = absl::Seconds(1);
  constexpr absl::Duration kWindow = absl::Seconds(20);
  constexpr absl::Duration kReportEvery = absl::Seconds(60);
  constexpr double kStableRelative = 0.05;
  constexpr double kStableAbsolute = 0.10;
  // MCK8S_SERF_OBSERVE_SECONDS=N keeps measuring for N seconds instead of
  // stopping at the first stable matrix, to follow the slow drift.
  const char* observe_env = std::getenv("MCK8S_SERF_OBSERVE_SECONDS");
  const int observe_seconds = observe_env == nullptr ? 0 : std::atoi(observe_env);
  const absl::Time deadline =
      started + absl::Seconds(observe_seconds > 0 ? observe_seconds : 150);
  std::vector<std::pair<absl::Time, RttMatrix>> history;
  std::optional<RttMatrix> converged;
  std::string last_error;
  absl::Time next_report = started + kReportEvery;
  while (absl::Now() < deadline) {
    absl::Time now = absl::Now();
    absl::StatusOr<RttMatrix> m = BuildRttMatrix(*client, kSites);
    if (!m.ok()) {
      // Only "not probed yet" is expected while the cluster forms.
      INFO(m.status().ToString());
      REQUIRE(m.status().code() == absl::StatusCode::kNotFound);
      last_error = m.status().ToString();
    } else {
      history.emplace_back(now, *m);
      while (!history.empty() && history.front().first < now - kWindow) {
        history.erase(history.begin());
      }
      bool settled = now - started >= kWindow && history.size() >= 10;
      double moved = 0;
      for (const auto& [when, old] : history) {
        for (size_t i = 0; i < kSites.size(); ++i) {
          for (size_t j = i + 1; j < kSites.size(); ++j) {
            double cur = *m->Get(kSites[i], kSites[j]);
            double change = std::fabs(*old.Get(kSites[i], kSites[j]) - cur);
            moved = std::max(moved, change / cur);
            if (change > kStableRelative * cur + kStableAbsolute) settled = false;
          }
        }
      }
      if (settled && observe_seconds == 0) {
        converged = *m;
        break;
      }
      last_error = absl::StrFormat("largest move over the window %.1f%%", 100 * moved);
      if (now >= next_report) {
        double worst = 0;
        for (size_t i = 0; i < kSites.size(); ++i) {
          for (size_t j = i + 1; j < kSites.size(); ++j) {
            double want = Lookup(table, kSites[i], kSites[j]);
            worst = std::max(worst, std::fabs(*m->Get(kSites[i], kSites[j]) - want) / want);
          }
        }
        std::printf("serf-netns: %.0f s, worst pair %.1f%% off the table, %s (%s):\n%s",
                    absl::ToDoubleSeconds(now - started), 100 * worst,
                    settled ? "stable" : "not stable yet", last_error.c_str(),
                    FormatMatrix(*m, table).c_str());
        std::fflush(stdout);
        next_report += kReportEvery;
      }
    }
    absl::SleepFor(kPollEvery - (absl::Now() - now));
  }
  // Not converging in time is a failure of its own; the checks below still
  // run on the last matrix, to show how far off it is.
  CHECK_FALSE(history.empty());
  if (history.empty()) return;
  const bool stable = converged.has_value();
  if (!stable) {
    FAIL_CHECK("no stable RTT matrix within 150 s (" << last_error << ")");
    converged = history.back().second;
  }
  const absl::Duration took = absl::Now() - started;

  const std::string report = FormatMatrix(*converged, table);
  std::printf("serf-netns: %s after %.0f s\n%s", stable ? "stable" : "still moving",
              absl::ToDoubleSeconds(took), report.c_str());
  INFO("matrix:\n" << report);

  double max_relative_error = 0;
  for (size_t i = 0; i < kSites.size(); ++i) {
    for (size_t j = i + 1; j < kSites.size(); ++j) {
      double want = Lookup(table, kSites[i], kSites[j]);
      double got = *converged->Get(kSites[i], kSites[j]);
      double relative = std::fabs(got - want) / want;
      max_relative_error = std::max(max_relative_error, relative);
      INFO(kSites[i] << " <-> " << kSites[j] << ": table " << want << " ms, serf " << got << " ms");
      CHECK(relative <= 0.20);
    }
  }
  std::printf("serf-netns: max relative error vs the table %.1f%%\n", 100 * max_relative_error);

  // Each site's neighbours in the table's order, wherever the table's two
  // RTTs differ by more than 20% (closer ones are beyond Vivaldi's
  // resolution).
  int orderings = 0;
  for (const std::string& from : kSites) {
    for (const std::string& a : kSites) {
      for (const std::string& b : kSites) {
        if (a == from || b == from || a == b) continue;
        double ta = Lookup(table, from, a), tb = Lookup(table, from, b);
        if (!(tb > 1.2 * ta)) continue;
        ++orderings;
        double ma = *converged->Get(from, a), mb = *converged->Get(from, b);
        INFO("from " << from << ": table " << a << " " << ta << " ms < " << b << " " << tb
                     << " ms, serf " << ma << " ms vs " << mb << " ms");
        CHECK(ma < mb);
      }
    }
  }
  std::printf("serf-netns: %d neighbour orderings checked\n", orderings);

  // The delay programs' own account of their accuracy, for the record.
  for (size_t i = 0; i < netdelay_count; ++i) {
    processes[i]->Signal(SIGTERM);
    REQUIRE(processes[i]->Wait(absl::Seconds(10)).has_value());
    std::string err = processes[i]->Stderr();
    size_t at = err.find("released late by");
    std::printf("serf-netns: netdelay %s: %s", kSites[i].c_str(),
                at == std::string::npos ? "no summary\n" : err.substr(at).c_str());
  }
}

#endif  // MCK8S_SERF_CONVERGENCE_BENCH

}  // namespace
}  // namespace mck8s::serf
