// Node lifecycle controller: a node that stops heartbeating becomes
// NotReady, and the tasks droverd still places on it are declared Lost so
// their owners run them again elsewhere (the "machine dies, work is
// redistributed" promise). A node heard from again is Ready.
//
// Level-triggered and pure: Reconcile looks at the node and the tasks on it
// as they are now and says what should change; applying its actions and
// calling it again yields no actions. droverd applies them on its state
// thread (ClusterState::ReconcileNodes); copies a returning node still runs
// are fenced by droverd when the node says what it runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/node.h"
#include "api/task.h"

namespace drover::controllers {

struct NodeLifecycleConfig {
  int64_t heartbeat_timeout_ms = 30'000;
};

struct NodeActions {
  std::optional<NodePhase> set_phase;   // the phase the node should have, if it differs
  std::vector<std::string> lose_tasks;  // active tasks to declare Lost
  std::string reason;                   // why, for the tasks' messages
};

// Whether the node has heartbeated within the timeout: the one rule of
// liveness. A Ready node that has needs no reconciling (callers skip
// gathering its tasks).
bool HeardFromLately(const Node& node, int64_t now_ms, const NodeLifecycleConfig& config);

// `active_tasks`: the node's tasks that are not terminal (Assigned or Running).
NodeActions ReconcileNode(const Node& node, const std::vector<const Task*>& active_tasks,
                          int64_t now_ms, const NodeLifecycleConfig& config);

}  // namespace drover::controllers
