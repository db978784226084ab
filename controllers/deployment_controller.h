// Deployment controller: keeps `replicas` tasks of a Deployment's current
// revision running, rolls from old revisions to it (RollingUpdate within
// maxSurge/maxUnavailable, or Recreate), backs off crashing replicas, and
// says how the rollout is doing (status and conditions).
//
// Level-triggered and pure: ReconcileDeployment looks at the Deployment and
// its replicas as they are now and says what should change. Replicas to
// create are a count, not tasks: droverd hands them to the scheduler, which
// places them when it can, and the next reconcile sees them as replicas. So
// a reconcile run twice on the same view asks for the same creates and the
// same kills — nothing is done twice. Kubernetes' deployment controller
// (pkg/controller/deployment/rolling.go) is the model.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "api/deployment.h"
#include "api/task.h"

namespace drover::controllers {

// One task of the Deployment, as the controller sees it. Only tasks that are
// not terminal are passed.
struct ReplicaView {
  std::string name;
  std::string revision;  // Revision::hash it runs
  TaskPhase phase = TaskPhase::kAssigned;
  bool ready = false;
  int64_t ready_since_ms = 0;
  bool terminating = false;  // being killed: counted as gone, not as capacity
  int64_t created_ms = 0;
  // Its node is being drained: it is replaced elsewhere first, then stopped,
  // keeping the availability a rolling update keeps (whatever the strategy).
  bool evicted = false;
};

struct DeploymentView {
  const Deployment* deployment = nullptr;
  // The revision to run: the template's, or while paused the one being rolled.
  std::string target_revision;
  int64_t target_revision_number = 0;
  std::span<const ReplicaView> replicas;
};

struct DeploymentActions {
  int32_t create = 0;             // new replicas of target_revision wanted now
  std::vector<std::string> kill;  // replicas to stop (with grace)
  DeploymentStatus status;        // the status the Deployment should have
  bool roll_back = false;         // autoRollback: go back to status.complete_revision
  int64_t requeue_at_ms = 0;      // reconcile again then, if nothing else does; 0 = no need
};

// A replica is available once it has been ready for minReadySeconds.
bool IsAvailable(const ReplicaView& r, int32_t min_ready_seconds, int64_t now_ms);

DeploymentActions ReconcileDeployment(const DeploymentView& view, int64_t now_ms);

// Longest delay between restarts of a crashing replica, and how long a
// replica must run before its crash counts no more (Kubernetes' kubelet).
inline constexpr int64_t kMaxRestartBackoffMs = 300'000;
inline constexpr int64_t kCrashResetAfterMs = 600'000;

// How long the `crashes`-th consecutive crash (1, 2, ...) waits before its
// replacement starts: base x 2^(crashes-1), at most kMaxRestartBackoffMs.
int64_t RestartBackoffMs(int64_t base_ms, int32_t crashes);

// The restart back-off of one slot whose tasks keep crashing (a daemon's
// node, a StatefulSet ordinal), as a kubelet's CrashLoopBackOff.
struct CrashBackoff {
  int32_t crashes = 0;        // in a row
  int64_t not_before_ms = 0;  // the next task of the slot waits until then
  // A task of the slot ended. One that ended by itself (not stopped by
  // droverd, not lost with its node) after less than kCrashResetAfterMs is a
  // crash and backs off base x 2^(crashes-1); a longer run resets.
  void RecordEnd(const Task& task, bool stopped, int64_t base_ms, int64_t now_ms);
};

// The status bookkeeping of a replica's end: a replica that ran less than
// kCrashResetAfterMs and was not stopped by droverd (`stopped`) nor lost
// with its node is a crash, and the next replacement waits base x 2^(n-1),
// at most kMaxRestartBackoffMs (CrashLoopBackOff).
void RecordReplicaEnd(DeploymentStatus& status, const DeploymentSpec& spec, const Task& task,
                      bool stopped, int64_t now_ms);

}  // namespace drover::controllers
