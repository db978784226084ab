#include "api/daemon_set.h"

#include "api/validation.h"

namespace drover {
namespace {

// Its tasks are named NAME-HASH-xxxxx, as a Deployment's.
constexpr size_t kMaxDaemonSetName = 200;

Status CheckCountOrPercent(const IntOrPercent& v, const std::string& field) {
  if (v.value < 0) return Status::Invalid(field, "must not be negative (got " + v.ToString() + ")");
  if (v.percent && v.value > 100) {
    return Status::Invalid(field, "a percentage is at most 100% (got " + v.ToString() + ")");
  }
  return Status::Ok();
}

}  // namespace

std::pair<int64_t, int64_t> ResolveDaemonFenceposts(const DaemonSetUpdateStrategy& s,
                                                    int64_t desired) {
  const int64_t surge = s.max_surge.Resolve(desired, true);
  int64_t unavailable = s.max_unavailable.Resolve(desired, true);
  if (surge == 0 && unavailable == 0) unavailable = 1;
  return {surge, unavailable};
}

Status ValidateDaemonSet(const DaemonSet& ds) {
  DROVER_RETURN_IF_ERROR(ValidateName("metadata.name", ds.metadata.name));
  if (ds.metadata.name.size() > kMaxDaemonSetName) {
    return Status::Invalid("metadata.name", "a DaemonSet's name is at most " +
                                                std::to_string(kMaxDaemonSetName) +
                                                " characters (its tasks add a suffix)");
  }
  DROVER_RETURN_IF_ERROR(ValidateLabels(ds.metadata.labels));
  const DaemonSetSpec& s = ds.spec;
  DROVER_RETURN_IF_ERROR(ValidateNodeSelector(s.node_selector));
  DROVER_RETURN_IF_ERROR(ValidateReplicaTemplate(ds.metadata.name, s.template_, "DaemonSet"));
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
  if (s.min_ready_seconds < 0) {
    return Status::Invalid("spec.minReadySeconds", "must not be negative (got " +
                                                       std::to_string(s.min_ready_seconds) + ")");
  }
  if (s.revision_history_limit < 0) {
    return Status::Invalid(
        "spec.revisionHistoryLimit",
        "must not be negative (got " + std::to_string(s.revision_history_limit) + ")");
  }
  return Status::Ok();
}

}  // namespace drover
