// The agent's own HTTP endpoint: task logs for droverd (GET /logs/TASK
// ?stream=stdout|stderr&offset=N, node token required), /metrics and /healthz.
#pragma once

#include <string>

#include "api/http_types.h"
#include "daemons/node/agent.h"

namespace drover::node {

// Serves at most this much of a log per request; clients page with offset.
inline constexpr size_t kMaxLogChunk = 4 << 20;

HttpHandler MakeNodeHandler(const Agent* agent, std::string token);

// On the request head: /healthz and /metrics for anyone, /logs/ only with
// this node's credential, nothing else; no route takes a body.
HttpRequestGate MakeNodeGate(std::string token);

}  // namespace drover::node
