// Deployment: N interchangeable replicas of a long-running task (the
// Stateless pattern: web frontends, API servers), kept running and rolled
// from one template revision to the next. The shape follows Kubernetes'
// apps/v1 Deployment; a replica is a Task owned by the Deployment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/job.h"
#include "api/object_meta.h"
#include "api/status.h"

namespace drover {

// An absolute count or a percentage of the replicas ("25%"), as Kubernetes'
// IntOrString in maxSurge/maxUnavailable.
struct IntOrPercent {
  int64_t value = 0;
  bool percent = false;

  // The count it stands for among `total`; percentages round up or down.
  int64_t Resolve(int64_t total, bool round_up) const;
  std::string ToString() const;
  bool operator==(const IntOrPercent&) const = default;
};

// A port the task listens on, allocated per task from its node's range and
// given to it as DROVER_PORT (the first) and DROVER_PORT_<NAME>.
struct PortSpec {
  std::string name;
  bool operator==(const PortSpec&) const = default;
};

enum class DeploymentStrategyType { kRollingUpdate, kRecreate };

struct DeploymentStrategy {
  DeploymentStrategyType type = DeploymentStrategyType::kRollingUpdate;
  IntOrPercent max_surge{25, true};
  IntOrPercent max_unavailable{25, true};
};

// A check drover-node runs against a replica, as Kubernetes' probes: a
// command (exit 0), an HTTP GET on 127.0.0.1 (status 200-399) or a TCP
// connect, on a port named in the template's ports. Defaults are Kubernetes'.
struct Probe {
  enum class Kind { kExec, kHttpGet, kTcpSocket };
  Kind kind = Kind::kTcpSocket;
  std::vector<std::string> command;  // exec: run as the task's user, in its environment
  std::string path = "/";            // httpGet
  std::string port;                  // httpGet, tcpSocket: a name from ports
  int32_t initial_delay_seconds = 0;
  int32_t period_seconds = 10;
  int32_t timeout_seconds = 1;
  int32_t success_threshold = 1;
  int32_t failure_threshold = 3;
  bool operator==(const Probe&) const = default;
};

// What a replica runs: the part of the spec whose change is a new revision.
struct ReplicaTemplate {
  TaskTemplate task;
  std::vector<PortSpec> ports;
  // readiness: whether it gets traffic (an endpoint is ready); liveness: a
  // failure restarts it; startup: the others wait until it passes once.
  std::optional<Probe> readiness_probe;
  std::optional<Probe> liveness_probe;
  std::optional<Probe> startup_probe;
};

struct DeploymentSpec {
  int32_t replicas = 1;
  ReplicaTemplate template_;
  DeploymentStrategy strategy;
  int32_t min_ready_seconds = 0;
  int32_t progress_deadline_seconds = 600;
  int32_t revision_history_limit = 10;
  bool paused = false;
  // Beyond Kubernetes: a rollout that passes its progress deadline is undone.
  bool auto_rollback = false;
  // At most this many replicas on one node; 0 = spread evenly over the
  // schedulable nodes (as many per node as it takes, no more).
  int32_t max_replicas_per_node = 0;
  // Only nodes with all of these labels (Kubernetes' nodeSelector).
  Labels node_selector;
  // Base of the restart back-off of crashing replicas (Kubernetes: 10 s,
  // doubling to 5 min).
  int32_t restart_backoff_seconds = 10;
};

struct Condition {
  std::string type;    // Available, Progressing
  std::string status;  // "True" | "False"
  std::string reason;
  std::string message;
  int64_t last_transition_ms = 0;
  int64_t last_update_ms = 0;
  bool operator==(const Condition&) const = default;
};

struct DeploymentStatus {
  int64_t observed_generation = 0;
  int32_t replicas = 0;          // live tasks of every revision
  int32_t updated_replicas = 0;  // ... of the current revision
  int32_t ready_replicas = 0;
  int32_t available_replicas = 0;  // ready for minReadySeconds
  int32_t unavailable_replicas = 0;
  int64_t revision = 0;  // the number of the revision being rolled out
  std::vector<Condition> conditions;
  // Restart back-off of crashing replicas: consecutive early ends, and when
  // the last crash's replacement may start (CrashLoopBackOff while in the future).
  int32_t restart_count = 0;
  int32_t crash_count = 0;
  int64_t next_restart_ms = 0;
  // One entry per crashed replica whose replacement waits: not before then.
  // Only those replacements wait; a replica lost with its node, or one more
  // asked for by a scale-up, is created at once (as a kubelet backs off each
  // pod on its own).
  std::vector<int64_t> restarts_due_ms;
  int64_t progress_started_ms = 0;  // when the current rollout (or its last progress) began
  // The last revision (hash) that was rolled out completely: where
  // autoRollback goes back to.
  std::string complete_revision;
  bool operator==(const DeploymentStatus&) const = default;
};

struct Deployment {
  ObjectMeta metadata;
  int64_t generation = 0;  // bumped on every change of spec
  Owner owner;
  DeploymentSpec spec;
  DeploymentStatus status;
};

// One template a Deployment has run (Kubernetes' ControllerRevision): kept so
// a replica relaunches with its own template and `rollout undo` can go back.
struct Revision {
  std::string name;                       // OWNER-HASH
  std::string owner_kind = "Deployment";  // or "DaemonSet", "StatefulSet"
  std::string owner_name;
  std::string owner_uid;
  int64_t number = 0;  // 1, 2, ...; an undo makes the old template the newest number
  std::string hash;
  ReplicaTemplate template_;
  int64_t creation_time_ms = 0;
};

// The hash of a template (hex, 10 characters): equal templates, equal hashes.
std::string TemplateHash(const ReplicaTemplate& t);

// A Deployment as applied: metadata and spec a user may set. Names the first
// wrong field and the rule.
Status ValidateDeployment(const Deployment& d);

// The rules every owner of long-running tasks shares (`kind` names it in
// messages): the task as a Job's, no timeLimit, ports, probes on known ports.
// Fields are named spec.template.*.
Status ValidateReplicaTemplate(const std::string& owner, const ReplicaTemplate& t,
                               std::string_view kind);
// A nodeSelector's keys and values, named spec.nodeSelector.KEY.
Status ValidateNodeSelector(const Labels& selector);
// A workload's metadata: a valid name of at most `max_name` characters (its
// tasks' names add to it; `kind` names it in messages) and valid labels.
Status ValidateWorkloadMeta(const ObjectMeta& meta, std::string_view kind, size_t max_name);
// maxSurge/maxUnavailable-like values: not negative, a percentage at most 100%.
Status CheckCountOrPercent(const IntOrPercent& v, const std::string& field);
// Counts and durations that may be 0 but not less.
Status CheckNotNegative(int64_t v, const std::string& field);

// Kubernetes' ResolveFenceposts: (maxSurge rounded up, maxUnavailable
// rounded down) among `replicas`; both 0 -> maxUnavailable 1.
std::pair<int64_t, int64_t> ResolveFenceposts(const DeploymentStrategy& s, int64_t replicas);

// The env name of a port: "http-alt" -> DROVER_PORT_HTTP_ALT.
std::string PortEnvName(const std::string& port);

}  // namespace drover
