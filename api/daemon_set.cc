#include "api/daemon_set.h"

namespace drover {
namespace {

// Its tasks are named NAME-HASH-xxxxx, as a Deployment's.
constexpr size_t kMaxDaemonSetName = 200;

}  // namespace

std::pair<int64_t, int64_t> ResolveDaemonFenceposts(const DaemonSetUpdateStrategy& s,
                                                    int64_t desired) {
  const int64_t surge = s.max_surge.Resolve(desired, true);
  int64_t unavailable = s.max_unavailable.Resolve(desired, true);
  if (surge == 0 && unavailable == 0) unavailable = 1;
  return {surge, unavailable};
}

Status ValidateDaemonSet(const DaemonSet& ds) {
  DROVER_RETURN_IF_ERROR(ValidateWorkloadMeta(ds.metadata, "DaemonSet", kMaxDaemonSetName));
  const DaemonSetSpec& s = ds.spec;
  DROVER_RETURN_IF_ERROR(ValidateNodeSelector(s.node_selector));
  // cpus: 0 is a daemon's own: it reserves nothing and runs beside its
  // node's work, unpinned (a Kubernetes BestEffort pod). The rest of a
  // task's rules apply to it as to any.
  ReplicaTemplate checked = s.template_;
  if (checked.task.resources.cpus == 0) {
    if (checked.task.resources.memory_bytes != 0) {
      return Status::Invalid("spec.template.resources.memory",
                             "a daemon with cpus: 0 reserves nothing, so it cannot reserve "
                             "memory either (give it cpus: 1 or more, or no memory)");
    }
    checked.task.resources.cpus = 1;
  }
  DROVER_RETURN_IF_ERROR(ValidateReplicaTemplate(ds.metadata.name, checked, "DaemonSet"));
  const DaemonSetUpdateStrategy& u = s.update_strategy;
  if (u.type == DaemonSetUpdateType::kRollingUpdate) {
    const std::string p = "spec.updateStrategy.rollingUpdate";
    DROVER_RETURN_IF_ERROR(CheckCountOrPercent(u.max_unavailable, p + ".maxUnavailable"));
    DROVER_RETURN_IF_ERROR(CheckCountOrPercent(u.max_surge, p + ".maxSurge"));
    if (u.max_unavailable.value == 0 && u.max_surge.value == 0) {
      return Status::Invalid(p,
                             "maxUnavailable and maxSurge must not both be 0 (no node's "
                             "daemon task could ever be replaced)");
    }
  }
  DROVER_RETURN_IF_ERROR(CheckNotNegative(s.min_ready_seconds, "spec.minReadySeconds"));
  return CheckNotNegative(s.revision_history_limit, "spec.revisionHistoryLimit");
}

}  // namespace drover
