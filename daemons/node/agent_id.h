// The agent's id: made once and kept in STATE/agent.id, so a restarted agent
// is recognised as the same one, and a second agent under the same node name
// (a cloned machine, a typo in --name) is refused by droverd while the first
// lives, instead of both running the node's tasks.
#pragma once

#include <string>

#include "api/status.h"

namespace drover::node {

// The id in STATE/agent.id, written (atomically, 0600) when it is missing.
// Errors: Unavailable naming the file when it can be neither read nor made.
Result<std::string> LoadOrCreateAgentId(const std::string& state_dir);

}  // namespace drover::node
