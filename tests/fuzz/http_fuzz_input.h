// The input format of the HTTP handler targets (droverd_http, node_http):
// requests separated by a line "---", each a request line then the body:
//
//   POST /api/v1/jobs?x=1 user
//   {"apiVersion": "drover.io/v1", ...}
//   ---
//   GET /api/v1/jobs/1 unix:1000
//
// The request line is "METHOD TARGET AUTH". TARGET is what a client sends:
// it is split at '?', the path percent-decoded and the query parsed exactly as
// api/http_server.cc does. AUTH says who calls: "admin", "user", "node" or
// "node2" (a bearer token from the harness's token table: an admin, the user
// alice, the credentials of node-1 and node-2), "unix" (the Unix
// socket as droverd's own uid), "unix:UID" (the Unix socket as UID), "none"
// (TCP without a token), or anything else (that word as the bearer token).
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.h"
#include "api/url_encoding.h"

namespace drover::fuzz {

struct FuzzTokens {
  std::string admin, user, node, node2;
  uint32_t daemon_uid = 0;
};

inline std::vector<HttpRequest> ParseFuzzRequests(std::string_view text, const FuzzTokens& tokens,
                                                  size_t max_requests) {
  std::vector<HttpRequest> out;
  constexpr std::string_view kSeparator = "\n---\n";
  size_t pos = 0;
  while (pos <= text.size() && out.size() < max_requests) {
    size_t end = text.find(kSeparator, pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(pos, end - pos);
    pos = end + kSeparator.size();

    size_t nl = part.find('\n');
    std::string_view line = part.substr(0, nl);
    std::string_view body = nl == std::string_view::npos ? std::string_view() : part.substr(nl + 1);
    size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) continue;
    size_t sp2 = line.find(' ', sp1 + 1);
    std::string_view method = line.substr(0, sp1);
    std::string_view target =
        line.substr(sp1 + 1, sp2 == std::string_view::npos ? std::string_view::npos : sp2 - sp1 - 1);
    std::string_view auth = sp2 == std::string_view::npos ? "none" : line.substr(sp2 + 1);

    HttpRequest req;
    req.method = std::string(method);
    size_t q = target.find('?');
    req.path = PercentDecode(target.substr(0, q));
    if (q != std::string_view::npos) req.query = ParseQueryString(target.substr(q + 1));
    req.body = std::string(body);
    req.peer.address = "127.0.0.1";  // TCP from loopback unless the Unix socket
    if (auth == "admin") {
      req.bearer_token = tokens.admin;
    } else if (auth == "user") {
      req.bearer_token = tokens.user;
    } else if (auth == "node") {
      req.bearer_token = tokens.node;
    } else if (auth == "node2") {
      req.bearer_token = tokens.node2;
    } else if (auth == "unix") {
      req.peer = PeerIdentity{.via_unix_socket = true,
                              .uid = tokens.daemon_uid,
                              .gid = tokens.daemon_uid,
                              .pid = 1};
    } else if (auth.substr(0, 5) == "unix:") {
      auto uid = static_cast<uint32_t>(std::strtoul(std::string(auth.substr(5)).c_str(), nullptr, 10));
      req.peer = PeerIdentity{.via_unix_socket = true, .uid = uid, .gid = uid, .pid = 1};
    } else if (auth != "none") {
      req.bearer_token = std::string(auth);
    }
    out.push_back(std::move(req));
  }
  return out;
}

}  // namespace drover::fuzz
