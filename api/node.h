// Node: one machine running drover-node.
#pragma once

#include <cstdint>
#include <string>

#include "api/object_meta.h"
#include "api/topology.h"

namespace drover {

struct NodeSpec {
  bool unschedulable = false;  // cordoned by an admin: no new tasks
  // Being drained (`drover drain`): also cordoned, and its Deployments'
  // replicas are replaced elsewhere, then stopped.
  bool draining = false;
  // Why it is cordoned or drained, as Slurm's Reason=: "" for an admin's
  // cordon or drain, "health check failed: ..." for the node monitor's.
  std::string reason;
};

enum class NodePhase { kReady, kNotReady };

struct NodeStatus {
  NodePhase phase = NodePhase::kNotReady;
  std::string address;  // host:port of the agent's HTTP endpoint (logs, metrics)
  // The agent's own id, kept in its state directory: a restart of the same
  // agent keeps it, a second agent under the same name has another ("" = an
  // agent from before agent ids).
  std::string agent_id;
  NodeTopology topology;
  int64_t last_heartbeat_ms = 0;
  int32_t allocated_cpus = 0;  // cores held by assigned or running tasks
  int64_t allocated_memory_bytes = 0;
  int64_t running_tasks = 0;
  // Of those, DaemonSet tasks: they stay through a drain, so a drained node
  // is one whose running_tasks are all daemons.
  int64_t daemon_tasks = 0;
  // The node monitor's last health check (health_checked_ms 0 = none ran).
  bool healthy = true;
  std::string health_message;
  int64_t health_checked_ms = 0;
};

struct Node {
  ObjectMeta metadata;  // name = the node's name; labels from --label and hwloc facts
  NodeSpec spec;
  NodeStatus status;
};

std::string_view NodePhaseName(NodePhase phase);

}  // namespace drover
