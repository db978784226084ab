#include "daemons/droverd/serving_role.h"

#include "api/http_client.h"

namespace drover::droverd {

HttpResponse ServingRole::StandbyAnswer(const std::string& path) const {
  std::string leader;
  {
    std::lock_guard<std::mutex> lock(mu_);
    leader = leader_;
  }
  if (path == "/healthz") {
    return HttpResponse{200, "text/plain",
                        "standby" + (leader.empty() ? "" : "; the leader is " + leader) + "\n"};
  }
  return ErrorResponse(Status(
      StatusCode::kUnavailable,
      "this droverd is a standby; " +
          (leader.empty() ? std::string("no leader is known yet") : "the leader is " + leader) +
          ": send requests there (a client given several servers tries the next one)",
      "leader"));
}

HttpHandler ServingRole::Handler() {
  return [this](HttpRequest req, HttpResponder respond) {
    if (const Api* api = api_.load(std::memory_order_acquire)) {
      api->handler(std::move(req), std::move(respond));
      return;
    }
    respond(StandbyAnswer(req.path));
  };
}

HttpRequestGate ServingRole::Gate() {
  return [this](const HttpRequest& head) {
    if (const Api* api = api_.load(std::memory_order_acquire)) return api->gate(head);
    if (head.path == "/healthz") return HttpGateDecision::Allow(0);
    return HttpGateDecision::Refuse(StandbyAnswer(head.path));
  };
}

void ServingRole::SetLeaderAddress(std::string address) {
  std::lock_guard<std::mutex> lock(mu_);
  leader_ = std::move(address);
}

void ServingRole::Lead(HttpHandler handler, HttpRequestGate gate) {
  owned_ = std::make_unique<Api>(Api{std::move(handler), std::move(gate)});
  api_.store(owned_.get(), std::memory_order_release);
}

}  // namespace drover::droverd
