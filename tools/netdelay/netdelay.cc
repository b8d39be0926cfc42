// netdelay: emulates per-destination network latency with an NFQUEUE.
//
// Packets that an iptables rule sends to queue N (`-j NFQUEUE --queue-num N`)
// arrive here; each is held for the delay configured for its IPv4
// destination address and then re-injected unchanged (NF_ACCEPT). Packets
// to other destinations, and non-IPv4 packets, are accepted at once. This is
// what `tc netem delay` would do per link, for kernels or images without
// sch_netem.
//
//   netdelay --queue=0 --delay=10.0.0.2=1.08 --delay=10.0.0.3=11.63
//   netdelay --queue=0 --delays-file=/tmp/x/delays
//
// Delays are in milliseconds (fractions allowed). A delays file holds one
// `IPV4 MILLISECONDS` pair a line (blank lines and `#` comments ignored);
// its entries override --delay ones for the same address. On SIGHUP the
// program reads the file again and replaces the file's delays with what it
// holds now, then prints "netdelay: delays loaded, generation N" (N counts
// loads, the first at start being 1), or "netdelay: delays file rejected,
// generation N: REASON" and keeps the previous delays: this is how a caller
// measures a link and corrects its delay while the link is in use.
//
// A packet is never released before an earlier packet to the same
// destination, so delays do not reorder a flow, not even when a delay
// shrinks. To release packets on time on a busy machine it asks for a
// real-time (SCHED_FIFO) priority when allowed, and it stops sleeping
// shortly before a packet is due (see kSpinNanos). The queue fails open
// (the kernel accepts packets itself when the queue is full) rather than
// dropping.
//
// It prints "netdelay: ready on queue N" on stderr once bound, runs until
// SIGTERM or SIGINT, then releases what it holds and prints per-destination
// packet counts, how late packets were handed back on average and at most,
// and how long handing one back took (the verdict carries the packet through
// the rest of the stack: a cost of the path that a caller calibrating its
// links measures with them). Run one instance per network namespace:
// queues are per namespace.

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include <libnetfilter_queue/libnetfilter_queue.h>
}

namespace {

volatile sig_atomic_t stop_requested = 0;
volatile sig_atomic_t reload_requested = 0;

void OnSignal(int) { stop_requested = 1; }
void OnHangup(int) { reload_requested = 1; }

int64_t NowNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

struct Held {
  int64_t release_nanos;  // when the packet is due
  uint64_t order;         // arrival order, to keep equal release times FIFO
  uint32_t packet_id;
  bool operator>(const Held& other) const {
    return release_nanos != other.release_nanos ? release_nanos > other.release_nanos
                                                : order > other.order;
  }
};

struct State {
  nfq_q_handle* queue = nullptr;
  std::map<uint32_t, int64_t> delay_nanos;       // by IPv4 destination, network order
  std::map<uint32_t, int64_t> flag_delay_nanos;  // the --delay ones
  std::string delays_file;
  int generation = 0;
  std::map<uint32_t, int64_t> last_release;  // keeps each destination's packets in order
  std::priority_queue<Held, std::vector<Held>, std::greater<Held>> held;
  uint64_t arrivals = 0;
  std::map<uint32_t, uint64_t> delayed_count;
  uint64_t passed = 0;
  uint64_t verdict_errors = 0;
  // How late packets were handed back compared with when they were due,
  // and how long handing one back took (the verdict carries the packet
  // through the rest of the stack, veth and bridge included, in this call).
  double late_sum_nanos = 0;
  int64_t late_max_nanos = 0;
  double verdict_sum_nanos = 0;
  uint64_t released = 0;
};

// The loop sleeps until this long before the next packet is due, then polls
// without sleeping: a sleeping thread wakes tens to hundreds of microseconds
// late on a busy machine, which would add to every delay. While polling it
// yields the processor, so that other instances at the same real-time
// priority (one per namespace) are not held up by its wait.
constexpr int64_t kSpinNanos = 200'000;

void Accept(State& state, uint32_t id) {
  if (nfq_set_verdict(state.queue, id, NF_ACCEPT, 0, nullptr) < 0) ++state.verdict_errors;
}

int OnPacket(nfq_q_handle*, nfgenmsg*, nfq_data* data, void* opaque) {
  State& state = *static_cast<State*>(opaque);
  nfqnl_msg_packet_hdr* header = nfq_get_msg_packet_hdr(data);
  if (header == nullptr) return 0;
  uint32_t id = ntohl(header->packet_id);
  unsigned char* payload = nullptr;
  int len = nfq_get_payload(data, &payload);
  int64_t delay = 0;
  uint32_t dst = 0;
  if (len >= 20 && (payload[0] >> 4) == 4) {
    std::memcpy(&dst, payload + 16, sizeof dst);
    auto it = state.delay_nanos.find(dst);
    if (it != state.delay_nanos.end()) delay = it->second;
  }
  if (delay <= 0) {
    ++state.passed;
    Accept(state, id);
    return 0;
  }
  int64_t release = NowNanos() + delay;
  int64_t& last = state.last_release[dst];
  if (release < last) release = last;
  last = release;
  ++state.delayed_count[dst];
  state.held.push(Held{release, state.arrivals++, id});
  return 0;
}

void ReleaseDue(State& state, int64_t now, bool record) {
  while (!state.held.empty() && state.held.top().release_nanos <= now) {
    const Held h = state.held.top();
    state.held.pop();
    int64_t start = record ? NowNanos() : 0;
    Accept(state, h.packet_id);
    if (record) {
      int64_t late = start - h.release_nanos;
      state.late_sum_nanos += static_cast<double>(late);
      state.late_max_nanos = std::max(state.late_max_nanos, late);
      state.verdict_sum_nanos += static_cast<double>(NowNanos() - start);
      ++state.released;
    }
  }
}

// Parses a delay in milliseconds; false unless it is a number in
// [0, 60000].
bool ParseMillis(const char* text, int64_t& nanos) {
  char* end = nullptr;
  double ms = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(ms >= 0) || ms > 60'000) return false;
  nanos = static_cast<int64_t>(ms * 1e6);
  return true;
}

// Reads the delays file into `delays` (on top of the --delay ones). On
// failure returns false with `error` set and leaves `delays` unspecified.
bool ReadDelaysFile(const State& state, std::map<uint32_t, int64_t>& delays, std::string& error) {
  delays = state.flag_delay_nanos;
  FILE* file = std::fopen(state.delays_file.c_str(), "r");
  if (file == nullptr) {
    error = std::string("cannot open ") + state.delays_file + ": " + std::strerror(errno);
    return false;
  }
  char line[256];
  int number = 0;
  bool ok = true;
  while (ok && std::fgets(line, sizeof line, file) != nullptr) {
    ++number;
    char address[64], millis[64], extra[2];
    if (char* hash = std::strchr(line, '#')) *hash = '\0';
    int fields = std::sscanf(line, "%63s %63s %1s", address, millis, extra);
    if (fields <= 0) continue;
    in_addr addr;
    int64_t nanos = 0;
    if (fields != 2 || inet_pton(AF_INET, address, &addr) != 1 || !ParseMillis(millis, nanos)) {
      error = state.delays_file + ":" + std::to_string(number) +
              ": want `IPV4 MILLISECONDS`, milliseconds in [0, 60000]";
      ok = false;
      break;
    }
    delays[addr.s_addr] = nanos;
  }
  std::fclose(file);
  return ok;
}

// Loads the delays file, reporting the outcome on stderr; keeps the current
// delays when the file is unusable. Returns whether it loaded.
bool LoadDelays(State& state) {
  ++state.generation;
  std::map<uint32_t, int64_t> delays;
  std::string error;
  if (!ReadDelaysFile(state, delays, error)) {
    std::fprintf(stderr, "netdelay: delays file rejected, generation %d: %s\n", state.generation,
                 error.c_str());
    std::fflush(stderr);
    return false;
  }
  state.delay_nanos = std::move(delays);
  std::fprintf(stderr, "netdelay: delays loaded, generation %d (%zu destinations)\n",
               state.generation, state.delay_nanos.size());
  std::fflush(stderr);
  return true;
}

[[noreturn]] void Usage(const char* message) {
  std::fprintf(stderr,
               "netdelay: %s\n"
               "usage: netdelay --queue=N [--delay=IPV4=MILLISECONDS]... "
               "[--delays-file=PATH]\n",
               message);
  std::exit(2);
}

bool ParseArgs(int argc, char** argv, int& queue_num, State& state) {
  queue_num = -1;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.rfind("--queue=", 0) == 0) {
      char* end = nullptr;
      long n = std::strtol(argv[i] + 8, &end, 10);
      if (*end != '\0' || end == argv[i] + 8 || n < 0 || n > 65535) Usage("bad --queue");
      queue_num = static_cast<int>(n);
    } else if (arg.rfind("--delay=", 0) == 0) {
      std::string spec(arg.substr(8));
      size_t eq = spec.find('=');
      if (eq == std::string::npos) Usage("--delay wants IPV4=MILLISECONDS");
      in_addr addr;
      if (inet_pton(AF_INET, spec.substr(0, eq).c_str(), &addr) != 1) {
        Usage("--delay: not an IPv4 address");
      }
      int64_t nanos = 0;
      if (!ParseMillis(spec.c_str() + eq + 1, nanos)) {
        Usage("--delay: milliseconds must be a number in [0, 60000]");
      }
      state.flag_delay_nanos[addr.s_addr] = nanos;
    } else if (arg.rfind("--delays-file=", 0) == 0) {
      state.delays_file = std::string(arg.substr(14));
      if (state.delays_file.empty()) Usage("--delays-file wants a path");
    } else {
      Usage("unknown argument");
    }
  }
  return queue_num >= 0;
}

}  // namespace

int main(int argc, char** argv) {
  State state;
  int queue_num = -1;
  if (!ParseArgs(argc, argv, queue_num, state)) Usage("--queue is required");
  state.delay_nanos = state.flag_delay_nanos;
  if (!state.delays_file.empty() && !LoadDelays(state)) return 2;

  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  struct sigaction hangup {};
  hangup.sa_handler = OnHangup;
  sigaction(SIGHUP, &hangup, nullptr);
  // The signals are only let through while waiting in ppoll, so that one
  // sent just before the wait ends the wait rather than waiting with it.
  sigset_t handled, during_wait;
  sigemptyset(&handled);
  sigaddset(&handled, SIGTERM);
  sigaddset(&handled, SIGINT);
  sigaddset(&handled, SIGHUP);
  sigprocmask(SIG_BLOCK, &handled, &during_wait);
  sigdelset(&during_wait, SIGTERM);
  sigdelset(&during_wait, SIGINT);
  sigdelset(&during_wait, SIGHUP);

  // Wake-ups are the delays themselves: the default 50 us timer slack
  // would be added to every packet.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  sched_param priority{};
  priority.sched_priority = 10;
  if (sched_setscheduler(0, SCHED_FIFO, &priority) != 0) {
    std::fprintf(stderr, "netdelay: no real-time priority (%s); delays will jitter more\n",
                 std::strerror(errno));
  }

  nfq_handle* handle = nfq_open();
  if (handle == nullptr) {
    std::fprintf(stderr, "netdelay: nfq_open: %s\n", std::strerror(errno));
    return 1;
  }
  state.queue = nfq_create_queue(handle, static_cast<uint16_t>(queue_num), &OnPacket, &state);
  if (state.queue == nullptr) {
    std::fprintf(stderr, "netdelay: cannot bind queue %d: %s\n", queue_num, std::strerror(errno));
    nfq_close(handle);
    return 1;
  }
  // The IPv4 header is all that is needed to find the destination.
  if (nfq_set_mode(state.queue, NFQNL_COPY_PACKET, 64) < 0 ||
      nfq_set_queue_maxlen(state.queue, 65536) < 0) {
    std::fprintf(stderr, "netdelay: configuring queue %d: %s\n", queue_num, std::strerror(errno));
    return 1;
  }
  nfq_set_queue_flags(state.queue, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);
  int fd = nfq_fd(handle);
  int rcvbuf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);

  std::fprintf(stderr, "netdelay: ready on queue %d (%zu delayed destinations)\n", queue_num,
               state.delay_nanos.size());
  std::fflush(stderr);

  std::vector<char> buffer(1 << 16);
  uint64_t receive_errors = 0;
  while (!stop_requested) {
    if (reload_requested) {
      reload_requested = 0;
      if (!state.delays_file.empty()) LoadDelays(state);
    }
    int64_t now = NowNanos();
    ReleaseDue(state, now, /*record=*/true);
    timespec timeout{1, 0};
    if (!state.held.empty()) {
      int64_t wait = state.held.top().release_nanos - now - kSpinNanos;
      if (wait <= 0) {
        wait = 0;
        sched_yield();
      }
      timeout.tv_sec = wait / 1'000'000'000;
      timeout.tv_nsec = wait % 1'000'000'000;
    }
    pollfd pfd{fd, POLLIN, 0};
    int ready = ppoll(&pfd, 1, &timeout, &during_wait);
    if (ready < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "netdelay: poll: %s\n", std::strerror(errno));
      break;
    }
    if (ready == 0) continue;
    // Drain everything queued so far before releasing.
    while (true) {
      ssize_t n = recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == ENOBUFS) {
          ++receive_errors;
          continue;
        }
        break;
      }
      nfq_handle_packet(handle, buffer.data(), static_cast<int>(n));
    }
  }

  ReleaseDue(state, INT64_MAX, /*record=*/false);
  for (const auto& [dst, count] : state.delayed_count) {
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &dst, text, sizeof text);
    std::fprintf(stderr, "netdelay: %s: %llu packets delayed %.3f ms\n", text,
                 static_cast<unsigned long long>(count), state.delay_nanos[dst] / 1e6);
  }
  std::fprintf(stderr,
               "netdelay: released late by %.3f ms on average, %.3f ms at most; "
               "re-injection took %.3f ms on average; "
               "%llu passed undelayed, %llu verdict errors, %llu overruns\n",
               state.released ? state.late_sum_nanos / state.released / 1e6 : 0.0,
               state.late_max_nanos / 1e6,
               state.released ? state.verdict_sum_nanos / state.released / 1e6 : 0.0,
               static_cast<unsigned long long>(state.passed),
               static_cast<unsigned long long>(state.verdict_errors),
               static_cast<unsigned long long>(receive_errors));
  nfq_destroy_queue(state.queue);
  nfq_close(handle);
  return 0;
}
