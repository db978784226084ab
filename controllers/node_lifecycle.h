// Node lifecycle: a node that stops heartbeating becomes NotReady, and the
// tasks it held are declared Lost so their jobs retry them elsewhere (the
// "machine dies, work is redistributed" promise). Pure decisions; droverd
// applies them.
#pragma once

#include <cstdint>

#include "api/node.h"

namespace drover::controllers {

struct NodeLifecycleConfig {
  int64_t heartbeat_timeout_ms = 30'000;
};

enum class NodeTransition { kNone, kBecameReady, kBecameNotReady };

// The phase `node` should have at now_ms, applied in place, and what changed.
NodeTransition ReconcileNode(Node& node, int64_t now_ms, const NodeLifecycleConfig& config);

}  // namespace drover::controllers
