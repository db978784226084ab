// The agent's own HTTP endpoint: task logs for droverd (GET /logs/TASK
// ?stream=stdout|stderr&offset=N, for droverd only: see
// control_plane_verifier.h), /metrics and /healthz.
#pragma once

#include <string>

#include "api/http_types.h"
#include "daemons/node/agent.h"
#include "daemons/node/control_plane_verifier.h"

namespace drover::node {

// Serves at most this much of a log per request; clients page with offset.
inline constexpr size_t kMaxLogChunk = 4 << 20;

HttpHandler MakeNodeHandler(const Agent* agent, const ControlPlaneVerifier* control_plane);

// On the request head: /healthz and /metrics for anyone, /logs/ only with
// droverd's control-plane key, nothing else; no route takes a body.
HttpRequestGate MakeNodeGate(const ControlPlaneVerifier* control_plane);

}  // namespace drover::node
