// DaemonSet controller: keeps exactly one task of a DaemonSet on every node
// its nodeSelector matches, removes it from nodes that no longer match (or
// are gone), and rolls nodes to a new template within maxUnavailable and
// maxSurge, or leaves old tasks until someone stops them (OnDelete).
//
// Level-triggered and pure, like the Deployment controller: Reconcile looks
// at the nodes and the DaemonSet's live tasks as they are now and names the
// nodes to create a task on and the tasks to stop. A node that is not Ready
// gets no new task, and its task is never moved: a daemon belongs to its
// node. Kubernetes' pkg/controller/daemon (update.go) is the model.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "api/daemon_set.h"
#include "api/task.h"

namespace drover::controllers {

struct DaemonNodeView {
  std::string name;
  bool eligible = false;  // matches the nodeSelector: it should run the daemon
  bool ready = false;     // Ready: a new task may be placed there
};

// One task of the DaemonSet that has not ended.
struct DaemonTaskView {
  std::string name;
  std::string node;
  std::string revision;  // Revision::hash it runs
  TaskPhase phase = TaskPhase::kAssigned;
  bool ready = false;
  int64_t ready_since_ms = 0;
  bool terminating = false;  // being stopped: gone as far as the plan goes
  int64_t created_ms = 0;
};

struct DaemonSetView {
  const DaemonSet* daemon_set = nullptr;
  std::string target_revision;  // the template's hash
  int64_t target_revision_number = 0;
  std::span<const DaemonNodeView> nodes;  // every registered node
  std::span<const DaemonTaskView> tasks;
};

struct DaemonSetActions {
  std::vector<std::string> create_on;  // nodes that get a task of target_revision now
  std::vector<std::string> kill;       // tasks to stop (with grace)
  DaemonSetStatus status;
  int64_t requeue_at_ms = 0;  // look again then (minReadySeconds ending); 0 = no need
};

DaemonSetActions ReconcileDaemonSet(const DaemonSetView& view, int64_t now_ms);

}  // namespace drover::controllers
