#include "tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace mck8s::testing {

TcpProxy::TcpProxy(int target_port) : target_port_(target_port) {}

TcpProxy::~TcpProxy() { Stop(); }

absl::Status TcpProxy::Start(int port) {
  if (port == 0) port = port_;
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return absl::InternalError("socket failed");
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener, 128) != 0) {
    const int error = errno;
    ::close(listener);
    return absl::UnavailableError(absl::StrCat("bind/listen: ", std::strerror(error)));
  }
  socklen_t length = sizeof(address);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  if (::pipe2(wake_, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  {
    absl::MutexLock lock(&mu_);
    stopping_ = false;
  }
  acceptor_ = std::thread([this, listener] { AcceptLoop(listener); });
  return absl::OkStatus();
}

void TcpProxy::Stop() {
  if (!acceptor_.joinable()) return;
  std::vector<std::thread> relays;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    relays.swap(relays_);
  }
  char byte = 0;
  (void)!::write(wake_[1], &byte, 1);
  acceptor_.join();
  for (std::thread& relay : relays) relay.join();
  {
    absl::MutexLock lock(&mu_);
    for (std::thread& relay : relays_) relay.join();
    relays_.clear();
  }
  ::close(wake_[0]);
  ::close(wake_[1]);
  wake_[0] = wake_[1] = -1;
}

void TcpProxy::AcceptLoop(int listener) {
  while (true) {
    pollfd fds[2] = {{listener, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) break;
    if (fds[1].revents != 0) break;
    if ((fds[0].revents & POLLIN) == 0) continue;
    int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    target.sin_port = htons(static_cast<uint16_t>(target_port_));
    if (server < 0 ||
        ::connect(server, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) {
      ::close(client);
      if (server >= 0) ::close(server);
      continue;
    }
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      ::close(client);
      ::close(server);
      break;
    }
    fds_.insert(client);
    fds_.insert(server);
    relays_.emplace_back([this, client, server] { Relay(client, server); });
  }
  ::close(listener);
}

void TcpProxy::Relay(int client, int server) {
  char buffer[16384];
  bool open = true;
  while (open) {
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2 && open; ++i) {
      if (fds[i].revents == 0) continue;
      const int from = i == 0 ? client : server;
      const int to = i == 0 ? server : client;
      ssize_t n = ::read(from, buffer, sizeof(buffer));
      if (n <= 0) {
        open = false;
        break;
      }
      for (ssize_t sent = 0; sent < n;) {
        ssize_t w = ::send(to, buffer + sent, static_cast<size_t>(n - sent), MSG_NOSIGNAL);
        if (w <= 0) {
          open = false;
          break;
        }
        sent += w;
      }
    }
  }
  absl::MutexLock lock(&mu_);
  fds_.erase(client);
  fds_.erase(server);
  ::close(client);
  ::close(server);
}

}  // namespace mck8s::testing
