#include "test_server.h"

#include <sys/socket.h>

#include <cctype>
#include <thread>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"

namespace mck8s::kubeapi::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(text[i + 1]) &&
        std::isxdigit(text[i + 2])) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else if (text[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

template <typename Stream>
class StreamResponder final : public Responder {
 public:
  StreamResponder(Stream& stream, bool* open) : stream_(stream), open_(open) {}

  void Send(int status, std::string_view body,
            const std::vector<std::pair<std::string, std::string>>& headers) override {
    http::response<http::string_body> res;
    res.version(11);
    res.result(static_cast<unsigned>(status));
    bool has_type = false;
    for (const auto& [name, value] : headers) {
      res.set(name, value);
      if (absl::AsciiStrToLower(name) == "content-type") has_type = true;
    }
    if (!has_type) res.set(http::field::content_type, "application/json");
    res.body() = std::string(body);
    res.prepare_payload();
    beast::error_code ec;
    http::write(stream_, res, ec);
    if (ec) *open_ = false;
  }

  void StartChunked(int status,
                    const std::vector<std::pair<std::string, std::string>>& headers) override {
    const beast::string_view reason = http::obsolete_reason(static_cast<http::status>(status));
    std::string head = absl::StrCat("HTTP/1.1 ", status, " ",
                                    absl::string_view(reason.data(), reason.size()),
                                    "\r\nTransfer-Encoding: chunked\r\n");
    bool has_type = false;
    for (const auto& [name, value] : headers) {
      absl::StrAppend(&head, name, ": ", value, "\r\n");
      if (absl::AsciiStrToLower(name) == "content-type") has_type = true;
    }
    if (!has_type) absl::StrAppend(&head, "Content-Type: application/json\r\n");
    absl::StrAppend(&head, "\r\n");
    Raw(head);
  }

  bool WriteChunk(std::string_view data) override {
    if (data.empty()) return *open_;
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return Raw(absl::StrCat(size, std::string(data), "\r\n"));
  }

  void EndChunked() override { Raw("0\r\n\r\n"); }

  void Close() override {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).shutdown(tcp::socket::shutdown_both, ec);
    *open_ = false;
  }

 private:
  bool Raw(const std::string& bytes) {
    if (!*open_) return false;
    beast::error_code ec;
    asio::write(stream_, asio::buffer(bytes), ec);
    if (ec) *open_ = false;
    return *open_;
  }

  Stream& stream_;
  bool* open_;
};

}  // namespace

std::string TestRequest::Header(const std::string& name) const {
  auto it = headers.find(absl::AsciiStrToLower(name));
  return it == headers.end() ? "" : it->second;
}

std::string TestRequest::Query(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}

struct TestServer::Impl {
  TestHandler handler;
  std::optional<ssl::context> tls;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  int port = 0;
  std::thread accept_thread;

  mutable absl::Mutex mu;
  std::vector<TestRequest> requests ABSL_GUARDED_BY(mu);
  std::vector<std::thread> threads ABSL_GUARDED_BY(mu);
  // Sockets of live connections, removed by their thread before they close,
  // so Stop() never shuts down a descriptor number reused by someone else.
  std::map<int, tcp::socket*> live ABSL_GUARDED_BY(mu);
  int connections ABSL_GUARDED_BY(mu) = 0;
  bool stopped ABSL_GUARDED_BY(mu) = false;

  template <typename Stream>
  void Serve(Stream& stream, int connection, const std::string& client_cn) {
    beast::flat_buffer buffer;
    bool open = true;
    while (open) {
      http::request<http::string_body> req;
      beast::error_code ec;
      http::read(stream, buffer, req, ec);
      if (ec) return;
      TestRequest request;
      request.method = std::string(req.method_string());
      request.target = std::string(req.target());
      const size_t question = request.target.find('?');
      request.path = request.target.substr(0, question);
      if (question != std::string::npos) {
        for (absl::string_view pair :
             absl::StrSplit(request.target.substr(question + 1), '&', absl::SkipEmpty())) {
          std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
          request.query[PercentDecode(kv.first)] = PercentDecode(kv.second);
        }
      }
      for (const auto& field : req) {
        request.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
            std::string(field.value());
      }
      request.body = req.body();
      request.client_common_name = client_cn;
      request.connection = connection;
      {
        absl::MutexLock lock(&mu);
        requests.push_back(request);
      }
      StreamResponder<Stream> responder(stream, &open);
      handler(request, responder);
      if (!req.keep_alive()) break;
    }
    beast::error_code ec;
    beast::get_lowest_layer(stream).shutdown(tcp::socket::shutdown_both, ec);
  }

  void HandleConnection(tcp::socket socket, int connection) {
    {
      absl::MutexLock lock(&mu);
      if (stopped) return;
      live[connection] = &socket;
    }
    ServeSocket(socket, connection);
    absl::MutexLock lock(&mu);
    live.erase(connection);
  }

  void ServeSocket(tcp::socket& socket, int connection) {
    if (!tls.has_value()) {
      Serve(socket, connection, "");
      return;
    }
    ssl::stream<tcp::socket&> stream(socket, *tls);
    beast::error_code ec;
    stream.handshake(ssl::stream_base::server, ec);
    if (ec) return;
    std::string cn;
    if (X509* peer = SSL_get1_peer_certificate(stream.native_handle()); peer != nullptr) {
      char name[256] = {};
      X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof name);
      cn = name;
      X509_free(peer);
    }
    Serve(stream, connection, cn);
  }

  void AcceptLoop() {
    while (true) {
      tcp::socket socket(ioc);
      beast::error_code ec;
      acceptor.accept(socket, ec);
      absl::MutexLock lock(&mu);
      if (stopped) return;
      if (ec) continue;
      const int connection = ++connections;
      threads.emplace_back([this, s = std::move(socket), connection]() mutable {
        HandleConnection(std::move(s), connection);
      });
    }
  }
};

TestServer::TestServer(TestHandler handler, std::optional<TestTlsOptions> tls)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  if (tls.has_value()) {
    impl_->tls.emplace(ssl::context::tls_server);
    impl_->tls->use_certificate_chain(asio::buffer(tls->cert_pem));
    impl_->tls->use_private_key(asio::buffer(tls->key_pem), ssl::context::pem);
    if (!tls->client_ca_pem.empty()) {
      impl_->tls->add_certificate_authority(asio::buffer(tls->client_ca_pem));
      impl_->tls->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
  }
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->accept_thread = std::thread([this] { impl_->AcceptLoop(); });
}

TestServer::~TestServer() { Stop(); }

void TestServer::Stop() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
    ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
    for (const auto& [id, socket] : impl_->live) ::shutdown(socket->native_handle(), SHUT_RDWR);
  }
  impl_->accept_thread.join();
  {
    absl::MutexLock lock(&impl_->mu);
    threads.swap(impl_->threads);
  }
  for (std::thread& t : threads) t.join();
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

int TestServer::port() const { return impl_->port; }

std::string TestServer::url() const {
  return absl::StrCat(impl_->tls.has_value() ? "https" : "http", "://127.0.0.1:", impl_->port);
}

std::vector<TestRequest> TestServer::Requests() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->requests;
}

int TestServer::OpenConnections() const {
  absl::MutexLock lock(&impl_->mu);
  return static_cast<int>(impl_->live.size());
}

int TestServer::Connections() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->connections;
}

}  // namespace mck8s::kubeapi::testing
