#include "api/deployment.h"

#include <cctype>
#include <cstdio>
#include <set>

#include "api/deployment_json.h"
#include "api/validation.h"

namespace drover {

int64_t IntOrPercent::Resolve(int64_t total, bool round_up) const {
  if (!percent) return value;
  const int64_t scaled = value * total;
  return round_up ? (scaled + 99) / 100 : scaled / 100;
}

std::string IntOrPercent::ToString() const { return std::to_string(value) + (percent ? "%" : ""); }

std::pair<int64_t, int64_t> ResolveFenceposts(const DeploymentStrategy& s, int64_t replicas) {
  int64_t surge = s.max_surge.Resolve(replicas, true);
  int64_t unavailable = s.max_unavailable.Resolve(replicas, false);
  // Both 0 would make no progress possible: Kubernetes lets one go.
  if (surge == 0 && unavailable == 0) unavailable = 1;
  return {surge, unavailable};
}

std::string TemplateHash(const ReplicaTemplate& t) {
  // FNV-1a over the template's canonical JSON (keys sorted by nlohmann).
  const std::string text = DumpJson(ReplicaTemplateToJson(t));
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return std::string(buf, 10);
}

std::string PortEnvName(const std::string& port) {
  std::string out = "DROVER_PORT_";
  for (char c : port) {
    out += std::isalnum(static_cast<unsigned char>(c))
               ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
               : '_';
  }
  return out;
}

namespace {

// Task names are DEPLOYMENT-HASH10-SUFFIX5: the name leaves room for both.
constexpr size_t kMaxDeploymentName = 200;
constexpr int32_t kMaxReplicas = 1'000'000;
constexpr size_t kMaxPorts = 16;

Status CheckPortName(const std::string& name, const std::string& field) {
  if (name.empty() || name.size() > 15) {
    return Status::Invalid(field, "a port name has 1 to 15 characters (got \"" + name + "\")");
  }
  for (char c : name) {
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '-') {
      return Status::Invalid(field,
                             "\"" + name + "\": port names hold only [a-z0-9-], as Kubernetes'");
    }
  }
  return Status::Ok();
}

Status CheckProbe(const Probe& p, const std::string& field, const std::vector<PortSpec>& ports,
                  bool success_must_be_one) {
  if (p.kind == Probe::Kind::kExec) {
    if (p.command.empty()) return Status::Invalid(field + ".exec.command", "is required");
  } else {
    const std::string handler = p.kind == Probe::Kind::kHttpGet ? ".httpGet" : ".tcpSocket";
    if (p.port.empty())
      return Status::Invalid(field + handler + ".port", "is required (a port name)");
    bool known = false;
    std::string names;
    for (const PortSpec& port : ports) {
      known |= port.name == p.port;
      names += (names.empty() ? "" : ", ") + port.name;
    }
    if (!known) {
      return Status::Invalid(field + handler + ".port",
                             "no port is named \"" + p.port + "\" in spec.template.ports" +
                                 (names.empty() ? " (it has none)" : " (" + names + ")"));
    }
    if (p.kind == Probe::Kind::kHttpGet && (p.path.empty() || p.path[0] != '/')) {
      return Status::Invalid(field + ".httpGet.path", "must start with / (got \"" + p.path + "\")");
    }
  }
  struct Bound {
    int32_t value;
    const char* name;
    int32_t min;
  };
  for (const Bound& b :
       {Bound{p.initial_delay_seconds, "initialDelaySeconds", 0},
        Bound{p.period_seconds, "periodSeconds", 1}, Bound{p.timeout_seconds, "timeoutSeconds", 1},
        Bound{p.success_threshold, "successThreshold", 1},
        Bound{p.failure_threshold, "failureThreshold", 1}}) {
    if (b.value < b.min || b.value > 86400) {
      return Status::Invalid(field + "." + b.name, "must be between " + std::to_string(b.min) +
                                                       " and 86400 (got " +
                                                       std::to_string(b.value) + ")");
    }
  }
  if (success_must_be_one && p.success_threshold != 1) {
    return Status::Invalid(field + ".successThreshold",
                           "must be 1 for liveness and startup probes (got " +
                               std::to_string(p.success_threshold) + ")");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateReplicaTemplate(const std::string& owner, const ReplicaTemplate& t,
                               std::string_view kind) {
  if (t.task.time_limit_s != 0) {
    return Status::Invalid("spec.template.timeLimit", "a " + std::string(kind) +
                                                          "'s tasks run until stopped; timeLimit "
                                                          "is for Jobs");
  }
  // The task template follows a Job's rules (same fields, same paths).
  Job as_job;
  as_job.metadata.name = owner;
  as_job.spec.task = t.task;
  DROVER_RETURN_IF_ERROR(ValidateJobSubmission(as_job));
  if (t.ports.size() > kMaxPorts) {
    return Status::Invalid("spec.template.ports",
                           "at most " + std::to_string(kMaxPorts) + " ports per task");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < t.ports.size(); ++i) {
    const std::string field = "spec.template.ports[" + std::to_string(i) + "].name";
    DROVER_RETURN_IF_ERROR(CheckPortName(t.ports[i].name, field));
    if (!seen.insert(t.ports[i].name).second) {
      return Status::Invalid(field, "port \"" + t.ports[i].name + "\" is named twice");
    }
  }
  if (t.readiness_probe) {
    DROVER_RETURN_IF_ERROR(
        CheckProbe(*t.readiness_probe, "spec.template.readinessProbe", t.ports, false));
  }
  if (t.liveness_probe) {
    DROVER_RETURN_IF_ERROR(
        CheckProbe(*t.liveness_probe, "spec.template.livenessProbe", t.ports, true));
  }
  if (t.startup_probe) {
    DROVER_RETURN_IF_ERROR(
        CheckProbe(*t.startup_probe, "spec.template.startupProbe", t.ports, true));
  }
  return Status::Ok();
}

Status ValidateNodeSelector(const Labels& selector) {
  if (Status st = ValidateLabels(selector); !st.ok()) {
    std::string field = st.field();
    const std::string from = "metadata.labels";
    if (field.rfind(from, 0) == 0) field = "spec.nodeSelector" + field.substr(from.size());
    return Status(st.code(), st.message(), field);
  }
  return Status::Ok();
}

Status CheckCountOrPercent(const IntOrPercent& v, const std::string& field) {
  if (v.value < 0) return Status::Invalid(field, "must not be negative (got " + v.ToString() + ")");
  if (v.percent && v.value > 100) {
    return Status::Invalid(field, "a percentage is at most 100% (got " + v.ToString() + ")");
  }
  return Status::Ok();
}

Status CheckNotNegative(int64_t v, const std::string& field) {
  if (v >= 0) return Status::Ok();
  return Status::Invalid(field, "must not be negative (got " + std::to_string(v) + ")");
}

Status ValidateWorkloadMeta(const ObjectMeta& meta, std::string_view kind, size_t max_name) {
  DROVER_RETURN_IF_ERROR(ValidateName("metadata.name", meta.name));
  if (meta.name.size() > max_name) {
    return Status::Invalid("metadata.name", "a " + std::string(kind) + "'s name is at most " +
                                                std::to_string(max_name) +
                                                " characters (its tasks add a suffix)");
  }
  return ValidateLabels(meta.labels);
}

Status ValidateDeployment(const Deployment& d) {
  DROVER_RETURN_IF_ERROR(ValidateWorkloadMeta(d.metadata, "Deployment", kMaxDeploymentName));
  const DeploymentSpec& s = d.spec;
  DROVER_RETURN_IF_ERROR(ValidateNodeSelector(s.node_selector));
  if (s.replicas < 0 || s.replicas > kMaxReplicas) {
    return Status::Invalid("spec.replicas", "must be between 0 and " +
                                                std::to_string(kMaxReplicas) + " (got " +
                                                std::to_string(s.replicas) + ")");
  }
  DROVER_RETURN_IF_ERROR(ValidateReplicaTemplate(d.metadata.name, s.template_, "Deployment"));
  if (s.strategy.type == DeploymentStrategyType::kRollingUpdate) {
    DROVER_RETURN_IF_ERROR(
        CheckCountOrPercent(s.strategy.max_surge, "spec.strategy.rollingUpdate.maxSurge"));
    DROVER_RETURN_IF_ERROR(CheckCountOrPercent(s.strategy.max_unavailable,
                                               "spec.strategy.rollingUpdate.maxUnavailable"));
    if (s.strategy.max_surge.value == 0 && s.strategy.max_unavailable.value == 0) {
      return Status::Invalid("spec.strategy.rollingUpdate",
                             "maxSurge and maxUnavailable must not both be 0 (no replica could "
                             "ever be replaced)");
    }
  }
  DROVER_RETURN_IF_ERROR(CheckNotNegative(s.min_ready_seconds, "spec.minReadySeconds"));
  DROVER_RETURN_IF_ERROR(CheckNotNegative(s.revision_history_limit, "spec.revisionHistoryLimit"));
  DROVER_RETURN_IF_ERROR(CheckNotNegative(s.max_replicas_per_node, "spec.maxReplicasPerNode"));
  if (s.progress_deadline_seconds <= s.min_ready_seconds) {
    return Status::Invalid("spec.progressDeadlineSeconds",
                           "must be greater than minReadySeconds (" +
                               std::to_string(s.min_ready_seconds) + "), got " +
                               std::to_string(s.progress_deadline_seconds));
  }
  if (s.restart_backoff_seconds < 1 || s.restart_backoff_seconds > 300) {
    return Status::Invalid(
        "spec.restartBackoffSeconds",
        "must be between 1 and 300 (got " + std::to_string(s.restart_backoff_seconds) + ")");
  }
  return Status::Ok();
}

}  // namespace drover
