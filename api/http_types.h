// Plain request/response values passed between the HTTP plumbing and the code
// that serves or calls the API. Boost.Beast stays inside http_server.cc and
// http_client.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace drover {

// Who is calling: from SO_PEERCRED on the Unix socket, or unknown on TCP
// (then the bearer token decides).
struct PeerIdentity {
  bool via_unix_socket = false;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int32_t pid = 0;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // "/api/v1/jobs/42" (percent-decoded)
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
// it (long-poll) and call it later.
using HttpResponder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest, HttpResponder)>;

}  // namespace drover
