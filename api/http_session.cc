#include "api/http_session.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <type_traits>

#include "api/url_encoding.h"

namespace drover::http_internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tls_stream = ssl::stream<tcp::socket>;

namespace {

constexpr size_t kFirstRead = 4096;
// Room for the method, the version and the separators around the target.
constexpr size_t kRequestLineSlack = 64;
// How long a connection being closed after an error answer keeps reading (and
// dropping) what the client still sends, so that closing with unread data does
// not reset the connection before the client has read the answer.
constexpr std::chrono::milliseconds kMaxLinger(2000);
constexpr std::chrono::milliseconds kRefusalLinger(500);
constexpr int kMaxRefusalsInFlight = 128;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string Ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

// A whole response as bytes, for the paths that write below HTTP (refusals,
// plain HTTP on a TLS port). Always "Connection: close".
std::string ToWire(const HttpResponse& r) {
  http::response<http::string_body> res(static_cast<http::status>(r.status), 11);
  res.set(http::field::server, "droverd");
  res.set(http::field::content_type, r.content_type);
  if (r.status == 503) res.set(http::field::retry_after, "1");
  res.keep_alive(false);
  res.body() = r.body;
  res.prepare_payload();
  std::ostringstream out;
  out << res;
  return out.str();
}

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::need_more).category();
}

// One connection. Every step runs on the socket's strand; the responder may be
// called from any thread and posts back onto it. One timer bounds whichever
// step is waiting on the client; it is off while the handler works.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, tls_stream>;

  template <typename... StreamArgs>
  Session(std::shared_ptr<ServerShared> shared, PeerIdentity peer, ConnectionSlot slot,
          std::shared_ptr<ssl::context> tls_context, StreamArgs&&... stream_args)
      : tls_context_(std::move(tls_context)),
        stream_(std::forward<StreamArgs>(stream_args)...),
        timer_(stream_.get_executor()),
        shared_(std::move(shared)),
        peer_(std::move(peer)),
        slot_(std::move(slot)) {}

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->WaitForRequest(true);
      }
    });
  }

 private:
  enum class Phase { kHandshake, kWaiting, kHead, kBody, kHandler, kWriting, kClosing, kClosed };

  // The handler's side of one request: answers once, on the strand; answers
  // 500 when every copy of the responder is dropped unanswered.
  class Pending {
   public:
    explicit Pending(std::shared_ptr<Session> session) : session_(std::move(session)) {}
    ~Pending() {
      if (!done_.exchange(true)) {
        Post(JsonError(500, "internal", "the request handler dropped the request unanswered"));
      }
    }
    void Complete(HttpResponse r) {
      if (!done_.exchange(true)) Post(std::move(r));
    }

   private:
    void Post(HttpResponse r) {
      auto s = session_;
      asio::post(s->stream_.get_executor(),
                 [s, r = std::move(r)]() mutable { s->Write(std::move(r)); });
    }
    std::shared_ptr<Session> session_;
    std::atomic<bool> done_{false};
  };

  const HttpServerOptions& options() const { return shared_->options; }
  auto& Lowest() { return beast::get_lowest_layer(stream_); }

  void Handshake() {
    phase_ = Phase::kHandshake;
    Arm(options().header_timeout);
    if constexpr (kTls) {
      stream_.async_handshake(
          ssl::stream_base::server,
          [self = this->shared_from_this()](beast::error_code ec) { self->OnHandshake(ec); });
    }
  }

  void OnHandshake(beast::error_code ec) {
    if (!ec) return WaitForRequest(true);
    shared_->counters.tls_handshake_failures++;
    if (!timed_out_ && ec.category() == asio::error::get_ssl_category() &&
        ERR_GET_REASON(ec.value()) == SSL_R_HTTP_REQUEST) {
      // Plain HTTP on the TLS port: say so in plain HTTP rather than vanish.
      wire_ = ToWire(
          JsonError(400, "invalid", "this port speaks HTTPS (TLS): use an https:// endpoint"));
      Arm(options().write_timeout);
      asio::async_write(Lowest(), asio::buffer(wire_),
                        [self = this->shared_from_this()](beast::error_code e, size_t) {
                          if (e) return self->Close();
                          self->CloseGracefully();
                        });
      return;
    }
    Close();
  }

  // The deadline for the first request runs from accept (or the handshake),
  // for later ones from their first byte: idle_timeout bounds the wait for it.
  void WaitForRequest(bool first) {
    phase_ = Phase::kWaiting;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options().max_header_bytes +
                                                options().max_target_bytes + kRequestLineSlack));
    // The limit is the gate's to set once the head is in; without this the
    // parser would judge Content-Length against its own 1 MiB default. Not
    // boost::none: Beast 1.74 compares Content-Length > none as true.
    parser_->body_limit(std::numeric_limits<uint64_t>::max());
    request_ = HttpRequest{};
    bool pipelined = buffer_.size() > 0;
    Arm(first || pipelined ? options().header_timeout : options().idle_timeout);
    if (pipelined) return ReadHead(first);
    stream_.async_read_some(buffer_.prepare(kFirstRead), [self = this->shared_from_this(), first](
                                                             beast::error_code ec, size_t n) {
      self->buffer_.commit(n);
      if (ec) {
        if (self->timed_out_) self->shared_->counters.idle_timeouts++;
        return self->Close();
      }
      self->ReadHead(first);
    });
  }

  void ReadHead(bool first) {
    phase_ = Phase::kHead;
    if (!first) Arm(options().header_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t n) { self->OnHead(ec, n); });
  }

  void OnHead(beast::error_code ec, size_t head_bytes) {
    if (ec) return OnReadError(ec);
    const auto& head = parser_->get();
    std::string_view target(head.target().data(), head.target().size());
    if (target.size() > options().max_target_bytes) return TargetTooLong();
    size_t line = head.method_string().size() + target.size() + kRequestLineSlack;
    if (head_bytes > line && head_bytes - line > options().max_header_bytes) {
      return HeadersTooLarge();
    }
    request_.method = std::string(head.method_string());
    size_t q = target.find('?');
    request_.path = PercentDecode(target.substr(0, q));
    if (q != std::string_view::npos) request_.query = ParseQueryString(target.substr(q + 1));
    auto auth = head.find(http::field::authorization);
    if (auth != head.end()) {
      std::string_view v(auth->value().data(), auth->value().size());
      if (v.substr(0, 7) == "Bearer ") request_.bearer_token = std::string(v.substr(7));
    }
    request_.peer = peer_;

    keep_alive_ = parser_->keep_alive();
    bool has_body = parser_->chunked() || parser_->content_length().value_or(0) > 0;
    HttpGateDecision decision = HttpGateDecision::Allow(options().default_body_limit);
    if (options().gate) {
      try {
        decision = options().gate(request_);
      } catch (const std::exception& e) {
        return Failed("the request gate", e.what(), /*close=*/true);
      } catch (...) {
        return Failed("the request gate", "an unknown exception", /*close=*/true);
      }
    }
    if (decision.refusal) {
      shared_->counters.requests_refused++;
      // The unread body would be taken for the next request.
      if (has_body) keep_alive_ = false;
      return Write(std::move(*decision.refusal));
    }
    if (parser_->is_done()) return Dispatch();
    auto length = parser_->content_length();
    if (length && *length > decision.body_limit) return BodyTooLarge(*length, decision.body_limit);
    body_limit_ = decision.body_limit;
    parser_->body_limit(body_limit_);  // for chunked bodies
    phase_ = Phase::kBody;
    Arm(options().body_timeout);
    auto expect = head.find(http::field::expect);
    if (expect != head.end() && head.version() >= 11 &&
        beast::iequals(expect->value(), "100-continue")) {
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = this->shared_from_this()](beast::error_code e, size_t) {
                          if (e) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->request_.body = std::move(self->parser_->get().body());
                       self->Dispatch();
                     });
  }

  void Dispatch() {
    Disarm();
    phase_ = Phase::kHandler;
    shared_->counters.requests++;
    auto pending = std::make_shared<Pending>(this->shared_from_this());
    try {
      shared_->handler(std::move(request_),
                       [pending](HttpResponse r) { pending->Complete(std::move(r)); });
    } catch (const std::exception& e) {
      shared_->counters.handler_exceptions++;
      pending->Complete(
          JsonError(500, "internal", std::string("the request handler failed: ") + e.what()));
    } catch (...) {
      shared_->counters.handler_exceptions++;
      pending->Complete(JsonError(500, "internal", "the request handler threw"));
    }
  }

  void Write(HttpResponse r) {
    if (phase_ == Phase::kClosing || phase_ == Phase::kClosed) return;
    phase_ = Phase::kWriting;
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), 11);
    res->set(http::field::server, "droverd");
    res->set(http::field::content_type, r.content_type);
    res->keep_alive(keep_alive_);
    res->body() = std::move(r.body);
    res->prepare_payload();
    Arm(options().write_timeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        if (!self->keep_alive_) return self->CloseGracefully();
                        self->WaitForRequest(false);
                      });
  }

  // An answer after which the connection closes: what follows in the stream
  // cannot be trusted to start a request.
  void Reject(int status, std::string_view code, const std::string& message) {
    keep_alive_ = false;
    Write(JsonError(status, code, message));
  }

  void Failed(const char* what, const std::string& why, bool close) {
    shared_->counters.handler_exceptions++;
    if (close) keep_alive_ = false;
    Write(JsonError(500, "internal", std::string(what) + " failed: " + why));
  }

  void TargetTooLong() {
    shared_->counters.requests_malformed++;
    Reject(414, "invalid",
           "the request target is over the limit of " + std::to_string(options().max_target_bytes) +
               " bytes");
  }

  void HeadersTooLarge() {
    shared_->counters.requests_malformed++;
    Reject(431, "invalid",
           "the request header fields are over the limit of " +
               std::to_string(options().max_header_bytes) + " bytes");
  }

  void BodyTooLarge(uint64_t length, uint64_t limit) {
    shared_->counters.requests_too_large++;
    std::string size = length > 0 ? " of " + std::to_string(length) + " bytes" : "";
    Reject(413, "invalid",
           "the request body" + size + " is over the limit of " + std::to_string(limit) +
               " bytes for " + request_.method + " " +
               request_.path);  // JsonError replaces bad UTF-8
  }

  void OnReadError(beast::error_code ec) {
    Disarm();
    if (timed_out_) {
      shared_->counters.requests_timed_out++;
      bool in_body = phase_ == Phase::kBody;
      return Reject(408, "unavailable",
                    std::string("the request ") + (in_body ? "body" : "head") +
                        " did not arrive within " +
                        Ms(in_body ? options().body_timeout : options().header_timeout));
    }
    if (ec == http::error::end_of_stream) return Close();
    if (ec == http::error::header_limit) {
      // The parser's limit covers the request line and the fields together;
      // tell the two apart by whether the request line has ended.
      std::string_view seen(static_cast<const char*>(buffer_.data().data()), buffer_.size());
      size_t eol = seen.find('\n');
      if (eol == std::string_view::npos || eol > options().max_target_bytes + kRequestLineSlack) {
        return TargetTooLong();
      }
      return HeadersTooLarge();
    }
    if (ec == http::error::body_limit) return BodyTooLarge(0, body_limit_);
    if (ec == http::error::partial_message) {
      shared_->counters.requests_malformed++;
      return Reject(400, "invalid", "the connection was shut before the request ended");
    }
    if (IsHttpParseError(ec)) {
      shared_->counters.requests_malformed++;
      return Reject(400, "invalid", "malformed request: " + ec.message());
    }
    Close();  // reset, truncated TLS stream, ...
  }

  void CloseGracefully() {
    phase_ = Phase::kClosing;
    beast::error_code ignored;
    Lowest().shutdown(asio::socket_base::shutdown_send, ignored);
    Arm(std::min(options().header_timeout, kMaxLinger));
    Drain();
  }

  void Drain() {
    Lowest().async_read_some(asio::buffer(scratch_),
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               if (ec) return self->Close();
                               self->Drain();
                             });
  }

  void Close() {
    Disarm();
    phase_ = Phase::kClosed;
    beast::error_code ignored;
    Lowest().shutdown(asio::socket_base::shutdown_both, ignored);
    Lowest().close(ignored);
  }

  // On expiry the pending operation is cancelled and its handler sees
  // timed_out_; a generation number keeps a stale expiry from touching a
  // later step.
  void Arm(std::chrono::milliseconds d) {
    timed_out_ = false;
    uint64_t generation = ++timer_generation_;
    timer_.expires_after(d);
    timer_.async_wait([self = this->shared_from_this(), generation](beast::error_code ec) {
      if (ec || generation != self->timer_generation_) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      self->Lowest().cancel(ignored);
    });
  }

  void Disarm() {
    ++timer_generation_;
    timer_.cancel();
  }

  std::shared_ptr<ssl::context> tls_context_;  // before stream_, which uses it
  Stream stream_;
  asio::steady_timer timer_;
  std::shared_ptr<ServerShared> shared_;
  PeerIdentity peer_;
  ConnectionSlot slot_;

  Phase phase_ = Phase::kWaiting;
  uint64_t timer_generation_ = 0;
  bool timed_out_ = false;
  bool keep_alive_ = true;
  uint64_t body_limit_ = 0;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpRequest request_;
  std::string wire_;
  std::array<char, 16384> scratch_;
};

// A connection over the caps: a 503, then a short linger.
template <typename Socket>
class Refusal : public std::enable_shared_from_this<Refusal<Socket>> {
 public:
  Refusal(Socket socket, std::shared_ptr<ServerShared> shared, std::string wire)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        shared_(std::move(shared)),
        wire_(std::move(wire)) {
    shared_->counters.refusals_in_flight++;
  }
  ~Refusal() { shared_->counters.refusals_in_flight--; }

  void Start() {
    asio::dispatch(socket_.get_executor(), [self = this->shared_from_this()] {
      self->timer_.expires_after(kRefusalLinger);
      self->timer_.async_wait([self](beast::error_code ec) {
        if (!ec) self->Finish();
      });
      asio::async_write(self->socket_, asio::buffer(self->wire_),
                        [self](beast::error_code ec, size_t) {
                          if (ec) return self->Finish();
                          beast::error_code ignored;
                          self->socket_.shutdown(asio::socket_base::shutdown_send, ignored);
                          self->Drain();
                        });
    });
  }

 private:
  void Drain() {
    socket_.async_read_some(asio::buffer(scratch_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->Finish();
                              self->Drain();
                            });
  }

  void Finish() {
    timer_.cancel();
    beast::error_code ignored;
    socket_.close(ignored);
  }

  Socket socket_;
  asio::steady_timer timer_;
  std::shared_ptr<ServerShared> shared_;
  std::string wire_;
  std::array<char, 4096> scratch_;
};

template <typename Socket>
void Refuse(Socket socket, std::shared_ptr<ServerShared> shared, const std::string& message) {
  if (shared->counters.refusals_in_flight.load() >= kMaxRefusalsInFlight) {
    beast::error_code ignored;
    socket.close(ignored);
    return;
  }
  std::string wire = ToWire(JsonError(503, "unavailable", message));
  std::make_shared<Refusal<Socket>>(std::move(socket), std::move(shared), std::move(wire))->Start();
}

}  // namespace

HttpResponse JsonError(int status, std::string_view code, std::string_view message) {
  nlohmann::json body = {{"code", code}, {"message", message}, {"field", ""}};
  return HttpResponse{status, "application/json",
                      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

std::optional<ConnectionSlot> ConnectionSlot::Acquire(std::shared_ptr<ServerShared> shared,
                                                      std::string peer_key, std::string* why) {
  {
    std::lock_guard lock(shared->mu);
    const HttpServerOptions& o = shared->options;
    auto it = shared->per_peer.find(peer_key);
    size_t mine = it == shared->per_peer.end() ? 0 : it->second;
    if (shared->open >= o.max_connections) {
      *why = "too many connections: " + std::to_string(shared->open) + " open, the limit is " +
             std::to_string(o.max_connections);
      return std::nullopt;
    }
    if (mine >= o.max_connections_per_peer) {
      *why = "too many connections from " + peer_key + ": " + std::to_string(mine) +
             " open, the limit per peer is " + std::to_string(o.max_connections_per_peer);
      return std::nullopt;
    }
    shared->per_peer[peer_key] = mine + 1;
    ++shared->open;
  }
  return ConnectionSlot(std::move(shared), std::move(peer_key));
}

ConnectionSlot::~ConnectionSlot() {
  if (!shared_) return;
  std::lock_guard lock(shared_->mu);
  --shared_->open;
  auto it = shared_->per_peer.find(key_);
  if (it != shared_->per_peer.end() && --it->second == 0) shared_->per_peer.erase(it);
}

void StartSession(tcp::socket socket, std::shared_ptr<ServerShared> shared, PeerIdentity peer,
                  ConnectionSlot slot) {
  std::make_shared<Session<tcp::socket>>(std::move(shared), std::move(peer), std::move(slot),
                                         nullptr, std::move(socket))
      ->Start();
}

void StartSession(unix_stream::socket socket, std::shared_ptr<ServerShared> shared,
                  PeerIdentity peer, ConnectionSlot slot) {
  std::make_shared<Session<unix_stream::socket>>(std::move(shared), std::move(peer),
                                                 std::move(slot), nullptr, std::move(socket))
      ->Start();
}

void StartTlsSession(tcp::socket socket, std::shared_ptr<ssl::context> tls,
                     std::shared_ptr<ServerShared> shared, PeerIdentity peer, ConnectionSlot slot) {
  ssl::context& context = *tls;
  std::make_shared<Session<tls_stream>>(std::move(shared), std::move(peer), std::move(slot),
                                        std::move(tls), std::move(socket), context)
      ->Start();
}

void RefuseConnection(tcp::socket socket, std::shared_ptr<ServerShared> shared,
                      const std::string& message) {
  Refuse(std::move(socket), std::move(shared), message);
}

void RefuseConnection(unix_stream::socket socket, std::shared_ptr<ServerShared> shared,
                      const std::string& message) {
  Refuse(std::move(socket), std::move(shared), message);
}

}  // namespace drover::http_internal
