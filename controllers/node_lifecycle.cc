#include "controllers/node_lifecycle.h"

namespace drover::controllers {

bool HeardFromLately(const Node& node, int64_t now_ms, const NodeLifecycleConfig& config) {
  return now_ms - node.status.last_heartbeat_ms <= config.heartbeat_timeout_ms;
}

NodeActions ReconcileNode(const Node& node, const std::vector<const Task*>& active_tasks,
                          int64_t now_ms, const NodeLifecycleConfig& config) {
  NodeActions actions;
  const bool fresh = HeardFromLately(node, now_ms, config);
  const NodePhase want = fresh ? NodePhase::kReady : NodePhase::kNotReady;
  if (want != node.status.phase) actions.set_phase = want;
  if (fresh) return actions;
  // Silent past the timeout: whatever droverd still places there is gone as
  // far as the cluster can tell (also tasks placed after it went silent).
  actions.reason = "node " + node.metadata.name + " stopped responding";
  for (const Task* t : active_tasks) {
    if (!IsTerminal(t->status.phase)) actions.lose_tasks.push_back(t->metadata.name);
  }
  return actions;
}

}  // namespace drover::controllers
