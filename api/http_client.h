// HttpClient: a blocking HTTP/1.1 client with keep-alive (Boost.Beast), for
// the CLI, drover-node and tests.
//
// Endpoints: "http://HOST:PORT", "https://HOST:PORT" or "unix:/path/to/socket",
// or several of them separated by commas (a droverd and its standbys, HA).
// With several, a request goes to the one that answered last; when that one
// cannot be reached (the request was not sent) or answers as a standby (503,
// field "leader"), the next is tried, each at most once per request. A
// request that was sent and then lost is never re-sent elsewhere: the server
// may have acted on it.
// Over https the server's certificate must chain to a trusted CA and name HOST
// (a DNS name, or an IP address in its IP SANs). A dropped connection is
// re-opened once per request. Not thread-safe: one client per thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "api/http_types.h"
#include "api/status.h"

namespace drover {

struct HttpClientOptions {
  // PEM file of the CAs trusted to sign https:// servers' certificates; empty:
  // the system's CA store.
  std::string ca_file;
};

class HttpClient {
 public:
  HttpClient(std::string endpoint, std::string bearer_token = {});
  HttpClient(std::string endpoint, std::string bearer_token, HttpClientOptions options);
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  // Sends one request and returns the response, whatever its status code.
  // Errors: Unavailable when the server cannot be reached, the TLS handshake
  // fails or the server does not answer within `timeout`; Unauthenticated
  // when an https:// server's certificate cannot be verified (the message
  // names OpenSSL's reason, e.g. "self-signed certificate", "IP address
  // mismatch"); InvalidArgument for a malformed endpoint or an unreadable CA file.
  Result<HttpResponse> Send(const std::string& method, const std::string& target,
                            const std::string& body = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // As given (the whole list).
  const std::string& endpoint() const { return endpoint_; }

 private:
  class Impl;
  Impl& ImplAt(size_t index);

  std::string endpoint_;
  std::string token_;
  HttpClientOptions options_;
  std::vector<std::string> endpoints_;
  std::vector<std::unique_ptr<Impl>> impls_;  // made at first use
  size_t current_ = 0;
};

// Turns a non-2xx response carrying the API's JSON error {code, message,
// field} back into a Status (Ok for 2xx).
Status StatusFromResponse(const HttpResponse& response);
// The HTTP status code for a Status code, and the JSON error body.
int HttpStatusFor(StatusCode code);
HttpResponse ErrorResponse(const Status& status);

}  // namespace drover
