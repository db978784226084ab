// ServingRole: what droverd's HTTP server answers, as a standby or as the
// leader (HA, docs/admin.md).
//
// The server is listening before this droverd knows whether it leads, so a
// standby is reachable: it answers GET /healthz itself ("standby ...") and
// refuses every other request at the gate, before reading its body, with 503
// naming the leader (field "leader"). A client given a list of servers
// (api/http_client.h) takes that answer as "try the next one". Once this
// droverd leads, the API's own handler and gate serve everything.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "api/http_types.h"

namespace drover::droverd {

class ServingRole {
 public:
  // For HttpServer; they consult the role on each request.
  HttpHandler Handler();
  HttpRequestGate Gate();

  // Thread-safe. The leader's address as the store names it, for the
  // standby's answers ("" = not known).
  void SetLeaderAddress(std::string address);

  // Call once: from now on the API serves every request.
  void Lead(HttpHandler handler, HttpRequestGate gate);
  bool leading() const { return api_.load(std::memory_order_acquire) != nullptr; }

 private:
  struct Api {
    HttpHandler handler;
    HttpRequestGate gate;
  };
  HttpResponse StandbyAnswer(const std::string& path) const;

  std::unique_ptr<Api> owned_;
  std::atomic<const Api*> api_{nullptr};
  mutable std::mutex mu_;
  std::string leader_;  // guarded by mu_
};

}  // namespace drover::droverd
