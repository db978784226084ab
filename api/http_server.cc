#include "api/http_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <cstdio>
#include <thread>
#include <vector>

#include "api/http_session.h"
#include "api/tls_context.h"

namespace drover {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using http_internal::ConnectionSlot;
using http_internal::ServerShared;
using tcp = asio::ip::tcp;
using unix_stream = asio::local::stream_protocol;
using error_code = boost::system::error_code;

namespace {

constexpr std::chrono::milliseconds kMinBackoff(50);
constexpr std::chrono::milliseconds kMaxBackoff(200);

struct TcpListener {
  using Socket = tcp::socket;
  TcpListener(tcp::acceptor a, std::shared_ptr<ssl::context> t)
      : acceptor(std::move(a)), backoff(acceptor.get_executor()), tls(std::move(t)) {}
  tcp::acceptor acceptor;
  asio::steady_timer backoff;
  std::chrono::milliseconds delay = kMinBackoff;
  std::shared_ptr<ssl::context> tls;  // null: plain HTTP
};

struct UnixListener {
  using Socket = unix_stream::socket;
  explicit UnixListener(unix_stream::acceptor a)
      : acceptor(std::move(a)), backoff(acceptor.get_executor()) {}
  unix_stream::acceptor acceptor;
  asio::steady_timer backoff;
  std::chrono::milliseconds delay = kMinBackoff;
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpHandler handler, HttpServerOptions options)
      : shared_(std::make_shared<ServerShared>(std::move(handler), std::move(options))) {}

  Status ListenTcp(const std::string& host, uint16_t port, std::shared_ptr<ssl::context> tls) {
    error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) return Status::Invalid("listen", "bad address \"" + host + "\": " + ec.message());
    tcp::acceptor acceptor(ioc_);
    tcp::endpoint ep(address, port);
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                                 ec.message());
    }
    uint16_t bound = acceptor.local_endpoint().port();
    (tls ? tls_port_ : tcp_port_) = bound;
    tcp_listeners_.push_back(std::make_unique<TcpListener>(std::move(acceptor), std::move(tls)));
    return Status::Ok();
  }

  Status ListenUnix(const std::string& path) {
    ::unlink(path.c_str());
    error_code ec;
    unix_stream::acceptor acceptor(ioc_);
    unix_stream::endpoint ep(path);
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status::Unavailable("cannot listen on unix:" + path + ": " + ec.message());
    ::chmod(path.c_str(), 0666);
    unix_listeners_.push_back(std::make_unique<UnixListener>(std::move(acceptor)));
    return Status::Ok();
  }

  void Start() {
    for (auto& l : tcp_listeners_) Accept(*l);
    for (auto& l : unix_listeners_) Accept(*l);
    for (int i = 0; i < std::max(1, shared_->options.io_threads); ++i) {
      threads_.emplace_back([this] { Run(); });
    }
  }

  void Stop() {
    ioc_.stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
    // No I/O thread runs now, so the acceptors can be closed from here.
    error_code ignored;
    for (auto& l : tcp_listeners_) l->acceptor.close(ignored);
    for (auto& l : unix_listeners_) l->acceptor.close(ignored);
  }

  uint16_t tcp_port() const { return tcp_port_; }
  uint16_t tls_port() const { return tls_port_; }

  HttpServerStats stats() const {
    const auto& c = shared_->counters;
    HttpServerStats s;
    {
      std::lock_guard lock(shared_->mu);
      s.connections_open = shared_->open;
    }
    s.connections_accepted = c.connections_accepted.load();
    s.connections_refused = c.connections_refused.load();
    s.accept_errors = c.accept_errors.load();
    s.requests = c.requests.load();
    s.requests_refused = c.requests_refused.load();
    s.requests_malformed = c.requests_malformed.load();
    s.requests_too_large = c.requests_too_large.load();
    s.requests_timed_out = c.requests_timed_out.load();
    s.idle_timeouts = c.idle_timeouts.load();
    s.handler_exceptions = c.handler_exceptions.load();
    s.tls_handshake_failures = c.tls_handshake_failures.load();
    return s;
  }

 private:
  // Sessions catch what the handler and the gate throw; anything escaping to
  // here is a bug in the plumbing, but one connection's bug must not take the
  // daemon down with it.
  void Run() {
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "drover http: I/O thread caught an exception (a bug): %s\n", e.what());
      }
    }
  }

  template <typename Listener>
  void Accept(Listener& l) {
    l.acceptor.async_accept(asio::make_strand(ioc_),
                            [this, &l](error_code ec, typename Listener::Socket socket) {
                              if (ec == asio::error::operation_aborted || !l.acceptor.is_open())
                                return;
                              if (ec) return OnAcceptError(l, ec);
                              l.delay = kMinBackoff;
                              shared_->counters.connections_accepted++;
                              OnAccepted(l, std::move(socket));
                              Accept(l);
                            });
  }

  template <typename Listener>
  void OnAcceptError(Listener& l, error_code ec) {
    // The client gave up while queued: nothing is wrong here.
    if (ec == asio::error::connection_aborted) return Accept(l);
    shared_->counters.accept_errors++;
    // Out of descriptors (EMFILE, ENFILE) or memory (ENOBUFS, ENOMEM) the
    // listening socket stays readable, so accepting again at once would spin;
    // wait for connections to close instead.
    l.backoff.expires_after(l.delay);
    l.delay = std::min(l.delay * 2, kMaxBackoff);
    l.backoff.async_wait([this, &l](error_code e) {
      if (!e && l.acceptor.is_open()) Accept(l);
    });
  }

  void OnAccepted(TcpListener& l, tcp::socket socket) {
    error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    socket.set_option(tcp::no_delay(true), ec);
    PeerIdentity peer;
    peer.address = remote.address().to_string();
    peer.via_tls = l.tls != nullptr;
    std::string why;
    auto slot = ConnectionSlot::Acquire(shared_, "ip:" + peer.address, &why);
    if (!slot) {
      shared_->counters.connections_refused++;
      // A 503 in plain text means nothing to a TLS client: just close.
      if (!l.tls) http_internal::RefuseConnection(std::move(socket), shared_, why);
      return;
    }
    if (l.tls) {
      http_internal::StartTlsSession(std::move(socket), l.tls, shared_, std::move(peer),
                                     std::move(*slot));
    } else {
      http_internal::StartSession(std::move(socket), shared_, std::move(peer), std::move(*slot));
    }
  }

  void OnAccepted(UnixListener&, unix_stream::socket socket) {
    PeerIdentity peer;
    peer.via_unix_socket = true;
    struct ucred cred = {};
    socklen_t len = sizeof cred;
    if (getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return;
    peer.uid = cred.uid;
    peer.gid = cred.gid;
    peer.pid = cred.pid;
    std::string why;
    auto slot = ConnectionSlot::Acquire(shared_, "uid:" + std::to_string(peer.uid), &why);
    if (!slot) {
      shared_->counters.connections_refused++;
      http_internal::RefuseConnection(std::move(socket), shared_, why);
      return;
    }
    http_internal::StartSession(std::move(socket), shared_, std::move(peer), std::move(*slot));
  }

  std::shared_ptr<ServerShared> shared_;  // outlives ioc_, whose handlers hold sessions
  asio::io_context ioc_;
  uint16_t tcp_port_ = 0;
  uint16_t tls_port_ = 0;
  std::vector<std::unique_ptr<TcpListener>> tcp_listeners_;
  std::vector<std::unique_ptr<UnixListener>> unix_listeners_;
  std::vector<std::thread> threads_;
};

HttpServer::HttpServer(HttpHandler handler, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(handler), std::move(options))) {}

namespace {
HttpServerOptions LegacyOptions(int io_threads, size_t body_limit) {
  HttpServerOptions options;
  options.io_threads = io_threads;
  options.default_body_limit = body_limit;
  return options;
}
}  // namespace

HttpServer::HttpServer(HttpHandler handler, int io_threads, size_t body_limit)
    : HttpServer(std::move(handler), LegacyOptions(io_threads, body_limit)) {}

HttpServer::~HttpServer() { impl_->Stop(); }

Status HttpServer::ListenTcp(const std::string& host, uint16_t port) {
  return impl_->ListenTcp(host, port, nullptr);
}

Status HttpServer::ListenTls(const std::string& host, uint16_t port, const TlsServerConfig& tls) {
  auto context = http_internal::MakeTlsServerContext(tls.cert_file, tls.key_file);
  if (!context.ok()) return context.status();
  return impl_->ListenTcp(host, port, std::move(*context));
}

Status HttpServer::ListenUnix(const std::string& path) { return impl_->ListenUnix(path); }
uint16_t HttpServer::tcp_port() const { return impl_->tcp_port(); }
uint16_t HttpServer::tls_port() const { return impl_->tls_port(); }
void HttpServer::Start() { impl_->Start(); }
void HttpServer::Stop() { impl_->Stop(); }
HttpServerStats HttpServer::stats() const { return impl_->stats(); }

}  // namespace drover
