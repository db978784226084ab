#include "controllers/node_lifecycle.h"

namespace drover::controllers {

NodeTransition ReconcileNode(Node& node, int64_t now_ms, const NodeLifecycleConfig& config) {
  bool fresh = now_ms - node.status.last_heartbeat_ms <= config.heartbeat_timeout_ms;
  NodePhase want = fresh ? NodePhase::kReady : NodePhase::kNotReady;
  if (want == node.status.phase) return NodeTransition::kNone;
  node.status.phase = want;
  return fresh ? NodeTransition::kBecameReady : NodeTransition::kBecameNotReady;
}

}  // namespace drover::controllers
