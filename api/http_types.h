// Plain request/response values passed between the HTTP plumbing and the code
// that serves or calls the API. Boost.Beast stays inside the http_*.cc files.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace drover {

// Who is calling: from SO_PEERCRED on the Unix socket, or the remote address on
// TCP (then the bearer token decides).
struct PeerIdentity {
  bool via_unix_socket = false;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int32_t pid = 0;
  bool via_tls = false;
  std::string address;  // remote IP on TCP ("127.0.0.1", "::1"); empty on the Unix socket
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  // "/api/v1/jobs/42", percent-decoded. The bytes are the client's: they may be
  // invalid UTF-8 ("/%FF"), so pass them through SanitizeUtf8() before quoting
  // them in a message or a JSON string.
  std::string path;
  std::map<std::string, std::string> query;
  std::string body;
  std::string bearer_token;  // from "Authorization: Bearer ..."
  PeerIdentity peer;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Completes a request. Call exactly once, from any thread; it is safe to hold
// it (long-poll) and call it later. Later calls are ignored; dropping every
// copy without calling it answers 500.
using HttpResponder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest, HttpResponder)>;

// What the server does with a request whose head has arrived: refuse it at
// once (no byte of the body is read), or read a body of at most body_limit
// bytes and hand the request to the handler.
struct HttpGateDecision {
  std::optional<HttpResponse> refusal;
  uint64_t body_limit = 0;

  static HttpGateDecision Allow(uint64_t body_limit) { return {std::nullopt, body_limit}; }
  static HttpGateDecision Refuse(HttpResponse response) { return {std::move(response), 0}; }
};

// Called on an I/O thread with the request head (`body` empty) before the body
// is read: authenticate and route here, cheaply and without blocking. May be
// called concurrently from several I/O threads. An exception is answered 500.
using HttpRequestGate = std::function<HttpGateDecision(const HttpRequest& head)>;

// `text` with every invalid UTF-8 sequence (stray continuation bytes, overlong
// forms, surrogates, code points over U+10FFFF, truncated sequences) replaced
// by U+FFFD, so it can be quoted in a message or a JSON string. Defined in
// json_text.cc (also declared in json_text.h).
std::string SanitizeUtf8(std::string_view text);

}  // namespace drover
