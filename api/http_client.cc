#include "api/http_client.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <vector>

#include "api/json_codec.h"
#include "api/query_params.h"
#include "api/tls_context.h"

namespace drover {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using unix_stream = asio::local::stream_protocol;
namespace ssl = asio::ssl;

class HttpClient::Impl {
 public:
  Impl(std::string endpoint, std::string token, HttpClientOptions options)
      : token_(std::move(token)), options_(std::move(options)) {
    if (endpoint.rfind("unix:", 0) == 0) {
      unix_path_ = endpoint.substr(5);
      return;
    }
    std::string rest = endpoint;
    if (endpoint.rfind("https://", 0) == 0) {
      https_ = true;
      rest = endpoint.substr(8);
    } else if (endpoint.rfind("http://", 0) == 0) {
      rest = endpoint.substr(7);
    }
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    size_t colon = rest.rfind(':');
    if (colon == std::string::npos) {
      setup_error_ = Status::Invalid("server",
                                     "endpoint must be http://HOST:PORT, https://HOST:PORT or "
                                     "unix:/PATH");
      return;
    }
    host_ = rest.substr(0, colon);
    if (host_.size() > 2 && host_.front() == '[') host_ = host_.substr(1, host_.size() - 2);
    port_ = rest.substr(colon + 1);
    host_header_ = rest;
    if (https_) {
      auto context = http_internal::MakeTlsClientContext(options_.ca_file);
      if (context.ok()) {
        tls_context_ = std::move(*context);
      } else {
        setup_error_ = context.status();
      }
    }
  }

  ~Impl() { Reset(); }

  // Whether the last Send failed before its request was sent: the server
  // cannot have acted on it, so another server may be asked.
  bool unsent() const { return unsent_; }

  Result<HttpResponse> Send(const std::string& method, const std::string& target,
                            const std::string& body, std::chrono::milliseconds timeout) {
    unsent_ = false;
    wrote_ = false;
    if (!setup_error_.ok()) return setup_error_;
    // A kept-alive connection may have been closed by the server; retry once
    // on a fresh connection.
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool reused = connected_;
      auto r = SendOnce(method, target, body, timeout);
      if (r.ok() || !reused) return r;
      Reset();
    }
    return Status::Unavailable("unreachable");
  }

 private:
  std::string Where() const {
    if (!unix_path_.empty()) return "unix:" + unix_path_;
    return (https_ ? "https://" : "http://") + host_header_;
  }

  // Closes the connection. The handlers of operations it aborts run here,
  // while the streams they refer to (and the caller's locals they write to)
  // still exist.
  void Reset() {
    beast::error_code ignored;
    if (tcp_) tcp_->close(ignored);
    if (unix_) unix_->close(ignored);
    if (tls_) tls_->next_layer().close(ignored);
    ioc_.restart();
    ioc_.poll();
    tcp_.reset();
    unix_.reset();
    tls_.reset();
    buffer_.clear();
    connected_ = false;
    ioc_.restart();
  }

  // Runs the io_context until `done` or the deadline; on timeout closes the
  // socket so pending operations complete with an error.
  bool RunUntil(bool& done, std::chrono::steady_clock::time_point deadline) {
    ioc_.restart();
    while (!done) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        Reset();
        return false;
      }
      ioc_.run_one_for(deadline - now);
    }
    return true;
  }

  Status Connect(std::chrono::steady_clock::time_point deadline) {
    beast::error_code ec;
    bool done = false;
    if (!unix_path_.empty()) {
      unix_.emplace(ioc_);
      unix_->async_connect(unix_stream::endpoint(unix_path_), [&](beast::error_code e) {
        ec = e;
        done = true;
      });
    } else {
      tcp::resolver resolver(ioc_);
      auto results = resolver.resolve(host_, port_, ec);
      if (ec) return Status::Unavailable("cannot resolve " + host_ + ": " + ec.message());
      tcp::socket* socket = nullptr;
      if (https_) {
        tls_.emplace(ioc_, *tls_context_);
        Status st = http_internal::ExpectServerName(tls_->native_handle(), host_);
        if (!st.ok()) {
          tls_.reset();
          return st;
        }
        socket = &tls_->next_layer();
      } else {
        tcp_.emplace(ioc_);
        socket = &*tcp_;
      }
      asio::async_connect(*socket, results, [&](beast::error_code e, const tcp::endpoint&) {
        ec = e;
        done = true;
      });
    }
    if (!RunUntil(done, deadline)) return Status::Unavailable("timed out connecting to " + Where());
    if (ec) {
      std::string where = unix_path_.empty() ? host_ + ":" + port_ : "unix:" + unix_path_;
      Reset();
      return Status::Unavailable("cannot connect to " + where + ": " + ec.message());
    }
    if (tcp_) tcp_->set_option(tcp::no_delay(true), ec);
    if (tls_) {
      tls_->next_layer().set_option(tcp::no_delay(true), ec);
      DROVER_RETURN_IF_ERROR(Handshake(deadline));
    }
    connected_ = true;
    return Status::Ok();
  }

  Status Handshake(std::chrono::steady_clock::time_point deadline) {
    beast::error_code ec;
    bool done = false;
    tls_->async_handshake(ssl::stream_base::client, [&](beast::error_code e) {
      ec = e;
      done = true;
    });
    if (!RunUntil(done, deadline)) {
      return Status::Unavailable("timed out in the TLS handshake with " + Where());
    }
    if (!ec) return Status::Ok();
    long verify = SSL_get_verify_result(tls_->native_handle());
    Status st;
    if (verify != X509_V_OK) {
      std::string trusted = options_.ca_file.empty() ? "the system's CA store"
                                                     : "the CAs in \"" + options_.ca_file + "\"";
      st = Status::Unauthenticated("cannot verify the TLS certificate of " + Where() + ": " +
                                   X509_verify_cert_error_string(verify) + " (checked against " +
                                   trusted + ")");
    } else {
      st = Status::Unavailable("TLS handshake with " + Where() +
                               " failed: " + http_internal::DescribeTlsError(ec));
    }
    Reset();
    return st;
  }

  template <typename Socket>
  Result<HttpResponse> Exchange(Socket& socket, http::request<http::string_body>& req,
                                std::chrono::steady_clock::time_point deadline) {
    beast::error_code ec;
    bool done = false;
    http::async_write(socket, req, [&](beast::error_code e, size_t) {
      ec = e;
      done = true;
    });
    if (!RunUntil(done, deadline)) return Status::Unavailable("timed out sending request");
    if (ec) {
      Reset();
      return Status::Unavailable("send failed: " + ec.message());
    }
    wrote_ = true;
    http::response_parser<http::string_body> parser;
    parser.body_limit(256u << 20);
    done = false;
    http::async_read(socket, buffer_, parser, [&](beast::error_code e, size_t) {
      ec = e;
      done = true;
    });
    if (!RunUntil(done, deadline)) return Status::Unavailable("timed out waiting for a response");
    if (ec) {
      Reset();
      return Status::Unavailable("receive failed: " + ec.message());
    }
    auto res = parser.release();
    if (!res.keep_alive()) Reset();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    auto ct = res.find(http::field::content_type);
    if (ct != res.end()) out.content_type = std::string(ct->value());
    out.body = std::move(res.body());
    return out;
  }

  Result<HttpResponse> SendOnce(const std::string& method, const std::string& target,
                                const std::string& body, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    if (!connected_) {
      Status st = Connect(deadline);
      if (!st.ok()) {
        unsent_ = !wrote_ && st.code() == StatusCode::kUnavailable;
        return st;
      }
    }
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, unix_path_.empty() ? host_header_ : "localhost");
    req.set(http::field::user_agent, "drover");
    if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();
    if (tls_) return Exchange(*tls_, req, deadline);
    if (tcp_) return Exchange(*tcp_, req, deadline);
    return Exchange(*unix_, req, deadline);
  }

  asio::io_context ioc_;
  std::string token_;
  HttpClientOptions options_;
  std::string unix_path_, host_, port_, host_header_;
  bool https_ = false;
  Status setup_error_;
  bool connected_ = false;
  bool unsent_ = false;
  bool wrote_ = false;  // this Send wrote a whole request (on some attempt)
  std::shared_ptr<ssl::context> tls_context_;
  std::optional<tcp::socket> tcp_;
  std::optional<unix_stream::socket> unix_;
  std::optional<ssl::stream<tcp::socket>> tls_;
  beast::flat_buffer buffer_;
};

namespace {

std::vector<std::string> SplitEndpoints(const std::string& list) {
  std::vector<std::string> out;
  for (std::string one : SplitCommaList(list)) {
    while (!one.empty() && one.front() == ' ') one.erase(0, 1);
    while (!one.empty() && one.back() == ' ') one.pop_back();
    if (!one.empty()) out.push_back(std::move(one));
  }
  if (out.empty()) out.push_back(list);  // Impl reports what is wrong with it
  return out;
}

// A droverd standby's refusal (daemons/droverd/serving_role.h).
bool IsStandbyAnswer(const HttpResponse& response) {
  if (response.status != 503) return false;
  const Status st = StatusFromResponse(response);
  return st.code() == StatusCode::kUnavailable && st.field() == "leader";
}

}  // namespace

HttpClient::HttpClient(std::string endpoint, std::string bearer_token)
    : HttpClient(std::move(endpoint), std::move(bearer_token), HttpClientOptions{}) {}
HttpClient::HttpClient(std::string endpoint, std::string bearer_token, HttpClientOptions options)
    : endpoint_(endpoint), token_(std::move(bearer_token)), options_(std::move(options)) {
  endpoints_ = SplitEndpoints(endpoint_);
  impls_.resize(endpoints_.size());
}
HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

HttpClient::Impl& HttpClient::ImplAt(size_t index) {
  if (!impls_[index]) impls_[index] = std::make_unique<Impl>(endpoints_[index], token_, options_);
  return *impls_[index];
}

Result<HttpResponse> HttpClient::Send(const std::string& method, const std::string& target,
                                      const std::string& body, std::chrono::milliseconds timeout) {
  // Each server at most once, starting with the one that answered last.
  std::optional<Result<HttpResponse>> last;
  for (size_t tried = 0; tried < endpoints_.size(); ++tried) {
    Impl& impl = ImplAt(current_);
    Result<HttpResponse> r = impl.Send(method, target, body, timeout);
    const bool try_next = r.ok() ? IsStandbyAnswer(*r) : impl.unsent();
    if (!try_next) return r;
    last = std::move(r);
    current_ = (current_ + 1) % endpoints_.size();
  }
  return std::move(*last);
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kConflict:
      return 409;
    case StatusCode::kUnschedulable:
      return 422;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

HttpResponse ErrorResponse(const Status& status) {
  Json body = {{"code", StatusCodeName(status.code())},
               {"message", status.message()},
               {"field", status.field()}};
  // Messages may quote client bytes (a path with "%FF"): never throw on them.
  return HttpResponse{HttpStatusFor(status.code()), "application/json",
                      body.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

Status StatusFromResponse(const HttpResponse& response) {
  if (response.status >= 200 && response.status < 300) return Status::Ok();
  StatusCode code = StatusCode::kInternal;
  std::string message = "HTTP " + std::to_string(response.status);
  std::string field;
  auto j = ParseJson(response.body);
  if (j.ok() && j->is_object()) {
    std::string name = j->value("code", "");
    for (StatusCode c :
         {StatusCode::kInvalidArgument, StatusCode::kNotFound, StatusCode::kConflict,
          StatusCode::kUnschedulable, StatusCode::kUnauthenticated, StatusCode::kPermissionDenied,
          StatusCode::kUnavailable, StatusCode::kInternal}) {
      if (StatusCodeName(c) == name) code = c;
    }
    message = j->value("message", message);
    field = j->value("field", "");
  } else if (!response.body.empty()) {
    message += ": " + response.body.substr(0, 200);
  }
  return Status(code, message, field);
}

}  // namespace drover
