#include "api/http_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "api/url_encoding.h"

namespace drover {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using unix_stream = asio::local::stream_protocol;

namespace {

// One connection. Reads requests one after another (keep-alive); the
// responder may be called from any thread, so writes are posted back onto the
// connection's strand.
template <typename Socket>
class Session : public std::enable_shared_from_this<Session<Socket>> {
 public:
  Session(Socket socket, const HttpHandler& handler, size_t body_limit, PeerIdentity peer)
      : socket_(std::move(socket)),
        strand_(asio::make_strand(socket_.get_executor())),
        handler_(handler),
        body_limit_(body_limit),
        peer_(peer) {}

  void Start() {
    asio::dispatch(strand_, [self = this->shared_from_this()] { self->Read(); });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(body_limit_);
    http::async_read(
        socket_, buffer_, *parser_,
        asio::bind_executor(strand_, [self = this->shared_from_this()](
                                         beast::error_code ec, size_t) { self->OnRead(ec); }));
  }

  void OnRead(beast::error_code ec) {
    if (ec) {
      if (ec == http::error::body_limit) {
        HttpResponse r{413, "application/json",
                       R"({"code":"invalid","message":"request body too large","field":""})"};
        keep_alive_ = false;
        Write(std::move(r));
      } else {
        Close();
      }
      return;
    }
    auto req = parser_->release();
    keep_alive_ = req.keep_alive();
    HttpRequest request;
    request.method = std::string(req.method_string());
    std::string_view target(req.target().data(), req.target().size());
    size_t q = target.find('?');
    request.path = PercentDecode(target.substr(0, q));
    if (q != std::string_view::npos) request.query = ParseQueryString(target.substr(q + 1));
    request.body = std::move(req.body());
    auto auth = req.find(http::field::authorization);
    if (auth != req.end()) {
      std::string_view v(auth->value().data(), auth->value().size());
      if (v.substr(0, 7) == "Bearer ") request.bearer_token = std::string(v.substr(7));
    }
    request.peer = peer_;
    auto self = this->shared_from_this();
    handler_(std::move(request), [self](HttpResponse response) {
      asio::post(self->strand_,
                 [self, r = std::move(response)]() mutable { self->Write(std::move(r)); });
    });
  }

  void Write(HttpResponse r) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), 11);
    res->set(http::field::server, "droverd");
    res->set(http::field::content_type, r.content_type);
    res->keep_alive(keep_alive_);
    res->body() = std::move(r.body);
    res->prepare_payload();
    http::async_write(socket_, *res,
                      asio::bind_executor(strand_, [self = this->shared_from_this(), res](
                                                       beast::error_code ec, size_t) {
                        if (ec || !self->keep_alive_) {
                          self->Close();
                          return;
                        }
                        self->Read();
                      }));
  }

  void Close() {
    beast::error_code ignored;
    socket_.shutdown(Socket::shutdown_send, ignored);
    socket_.close(ignored);
  }

  Socket socket_;
  asio::strand<typename Socket::executor_type> strand_;
  const HttpHandler& handler_;
  size_t body_limit_;
  PeerIdentity peer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true;
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpHandler handler, int io_threads, size_t body_limit)
      : handler_(std::move(handler)), io_threads_(io_threads), body_limit_(body_limit) {}

  Status ListenTcp(const std::string& host, uint16_t port) {
    beast::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) return Status::Invalid("listen", "bad address \"" + host + "\": " + ec.message());
    auto acceptor = std::make_unique<tcp::acceptor>(ioc_);
    tcp::endpoint ep(address, port);
    acceptor->open(ep.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                                 ec.message());
    }
    tcp_port_ = acceptor->local_endpoint().port();
    tcp_acceptors_.push_back(std::move(acceptor));
    return Status::Ok();
  }

  Status ListenUnix(const std::string& path) {
    ::unlink(path.c_str());
    beast::error_code ec;
    auto acceptor = std::make_unique<unix_stream::acceptor>(ioc_);
    unix_stream::endpoint ep(path);
    acceptor->open(ep.protocol(), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status::Unavailable("cannot listen on unix:" + path + ": " + ec.message());
    ::chmod(path.c_str(), 0666);
    unix_acceptors_.push_back(std::move(acceptor));
    return Status::Ok();
  }

  void Start() {
    for (auto& a : tcp_acceptors_) AcceptTcp(*a);
    for (auto& a : unix_acceptors_) AcceptUnix(*a);
    for (int i = 0; i < io_threads_; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }

  void Stop() {
    ioc_.stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

  uint16_t tcp_port() const { return tcp_port_; }

 private:
  void AcceptTcp(tcp::acceptor& acceptor) {
    acceptor.async_accept(asio::make_strand(ioc_),
                          [this, &acceptor](beast::error_code ec, tcp::socket socket) {
                            if (!ec) {
                              socket.set_option(tcp::no_delay(true), ec);
                              std::make_shared<Session<tcp::socket>>(std::move(socket), handler_,
                                                                     body_limit_, PeerIdentity{})
                                  ->Start();
                            }
                            if (acceptor.is_open()) AcceptTcp(acceptor);
                          });
  }

  void AcceptUnix(unix_stream::acceptor& acceptor) {
    acceptor.async_accept(asio::make_strand(ioc_), [this, &acceptor](beast::error_code ec,
                                                                     unix_stream::socket socket) {
      if (!ec) {
        PeerIdentity peer;
        peer.via_unix_socket = true;
        struct ucred cred = {};
        socklen_t len = sizeof cred;
        if (getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
          peer.uid = cred.uid;
          peer.gid = cred.gid;
          peer.pid = cred.pid;
          std::make_shared<Session<unix_stream::socket>>(std::move(socket), handler_, body_limit_,
                                                         peer)
              ->Start();
        }
      }
      if (acceptor.is_open()) AcceptUnix(acceptor);
    });
  }

  asio::io_context ioc_;
  HttpHandler handler_;
  int io_threads_;
  size_t body_limit_;
  uint16_t tcp_port_ = 0;
  std::vector<std::unique_ptr<tcp::acceptor>> tcp_acceptors_;
  std::vector<std::unique_ptr<unix_stream::acceptor>> unix_acceptors_;
  std::vector<std::thread> threads_;
};

HttpServer::HttpServer(HttpHandler handler, int io_threads, size_t body_limit)
    : impl_(std::make_unique<Impl>(std::move(handler), io_threads, body_limit)) {}
HttpServer::~HttpServer() { impl_->Stop(); }
Status HttpServer::ListenTcp(const std::string& host, uint16_t port) {
  return impl_->ListenTcp(host, port);
}
Status HttpServer::ListenUnix(const std::string& path) { return impl_->ListenUnix(path); }
uint16_t HttpServer::tcp_port() const { return impl_->tcp_port(); }
void HttpServer::Start() { impl_->Start(); }
void HttpServer::Stop() { impl_->Stop(); }

}  // namespace drover
