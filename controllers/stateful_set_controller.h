// StatefulSet controller: ordinals 0..replicas-1, one live task each, ever.
// OrderedReady creates them in order (each after the one before is Running
// and Ready) and removes them from the highest; Parallel does either at
// once. A RollingUpdate replaces ordinals from the highest down to
// `partition`, within maxUnavailable; OnDelete replaces one only when its
// task is gone. Ordinals below the partition keep the current revision.
//
// Level-triggered and pure, like the others: Reconcile looks at the ordinals'
// live tasks and names the ordinals to create (with the revision each gets)
// and the tasks to stop. Kubernetes' stateful_set_control.go is the model.
// Where a task may be placed (an ordinal whose volume pins it to a node, the
// fence rule after a node is lost) is droverd's to decide, not this.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "api/stateful_set.h"
#include "api/task.h"

namespace drover::controllers {

// A task of the StatefulSet that has not ended.
struct OrdinalTaskView {
  std::string name;
  int32_t ordinal = 0;
  std::string revision;
  TaskPhase phase = TaskPhase::kAssigned;
  bool ready = false;
  int64_t ready_since_ms = 0;
  bool terminating = false;
};

struct StatefulSetView {
  const StatefulSet* stateful_set = nullptr;
  std::string update_revision;   // the template's hash
  std::string current_revision;  // what ordinals below the partition run; "" = update_revision
  std::span<const OrdinalTaskView> tasks;
};

struct OrdinalCreate {
  int32_t ordinal = 0;
  std::string revision;
  bool operator==(const OrdinalCreate&) const = default;
};

struct StatefulSetActions {
  std::vector<OrdinalCreate> create;
  std::vector<std::string> kill;
  StatefulSetStatus status;
  int64_t requeue_at_ms = 0;
};

StatefulSetActions ReconcileStatefulSet(const StatefulSetView& view, int64_t now_ms);

}  // namespace drover::controllers
