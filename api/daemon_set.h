// DaemonSet: one task on every node that matches its nodeSelector (log
// collection, node monitoring), as Kubernetes' DaemonSet. Its tasks run
// until stopped (restart policy Always), are placed on their node before
// batch work, and are never moved off a node: a node that goes takes its
// daemon task with it, and one that returns gets it back.
#pragma once

#include <cstdint>
#include <string>

#include "api/deployment.h"

namespace drover {

enum class DaemonSetUpdateType { kRollingUpdate, kOnDelete };

struct DaemonSetUpdateStrategy {
  DaemonSetUpdateType type = DaemonSetUpdateType::kRollingUpdate;
  // Among the nodes that should run it: how many may be without an available
  // daemon task during an update, and how many may run a new one beside the
  // old one. Both round up, as Kubernetes' daemon controller does; both 0
  // is refused.
  IntOrPercent max_unavailable{1, false};
  IntOrPercent max_surge{0, false};
  bool operator==(const DaemonSetUpdateStrategy&) const = default;
};

struct DaemonSetSpec {
  Labels node_selector;  // empty: every node
  ReplicaTemplate template_;
  DaemonSetUpdateStrategy update_strategy;
  int32_t min_ready_seconds = 0;
  int32_t revision_history_limit = 10;
};

struct DaemonSetStatus {
  int64_t observed_generation = 0;
  int32_t desired_number_scheduled = 0;  // nodes that should run it
  int32_t current_number_scheduled = 0;  // ... and run it
  int32_t number_misscheduled = 0;       // nodes that run it and should not
  int32_t number_ready = 0;              // nodes whose daemon task is ready
  int32_t updated_number_scheduled = 0;  // nodes that run the current template
  int32_t number_available = 0;          // ... ready for minReadySeconds
  int32_t number_unavailable = 0;        // desired - available
  int64_t revision = 0;                  // the number of the template rolled out
  bool operator==(const DaemonSetStatus&) const = default;
};

struct DaemonSet {
  ObjectMeta metadata;
  int64_t generation = 0;  // bumped on every change of spec
  Owner owner;
  DaemonSetSpec spec;
  DaemonSetStatus status;
};

// A DaemonSet as applied. Names the first wrong field and the rule.
Status ValidateDaemonSet(const DaemonSet& ds);

// (maxSurge, maxUnavailable) among `desired` nodes, both rounded up; both 0
// -> maxUnavailable 1.
std::pair<int64_t, int64_t> ResolveDaemonFenceposts(const DaemonSetUpdateStrategy& s,
                                                    int64_t desired);

}  // namespace drover
