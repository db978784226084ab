#include "scheduler/config_json.h"

#include "api/config_fields.h"
#include "api/json_text.h"
#include "scheduler/queue_policy.h"

namespace drover::scheduler {
namespace {

using config::CheckObject;
using config::ReadDuration;
using config::ReadInt;
using config::ReadString;
using config::RejectUnknownKeys;

Result<PreemptMode> ParsePreemptMode(const Json& value, const std::string& field) {
  // YAML 1.1 readers turn a bare `off` into false; accept that spelling too.
  if (value.is_boolean() && !value.get<bool>()) return PreemptMode::kOff;
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s == "off") return PreemptMode::kOff;
    if (s == "requeue") return PreemptMode::kRequeue;
    if (s == "cancel") return PreemptMode::kCancel;
  }
  return Status::Invalid(field,
                         "must be one of off, requeue, cancel (got " + DumpJson(value) + ")");
}

Result<QueueLimits> QueueFromJson(const Json& json, const std::string& path) {
  DROVER_RETURN_IF_ERROR(CheckObject(json, path));
  DROVER_RETURN_IF_ERROR(
      RejectUnknownKeys(json, path,
                        {"name", "nodes", "maxTime", "defaultTime", "maxCoresPerJob",
                         "maxNodesPerJob", "maxRunningJobsPerUser", "priority", "preempt"}));
  QueueLimits q;
  DROVER_RETURN_IF_ERROR(ReadString(json, "name", path, &q.name));
  if (q.name.empty()) return Status::Invalid(path + ".name", "is required and must not be empty");
  if (auto it = json.find("nodes"); it != json.end() && !it->is_null()) {
    if (!it->is_array()) {
      return Status::Invalid(path + ".nodes",
                             "must be a list of node names (got " + DumpJson(*it) + ")");
    }
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& n = (*it)[i];
      const std::string field = path + ".nodes[" + std::to_string(i) + "]";
      if (!n.is_string() || n.get_ref<const std::string&>().empty()) {
        return Status::Invalid(field, "must be a non-empty node name (got " + DumpJson(n) + ")");
      }
      q.nodes.push_back(n.get<std::string>());
    }
  }
  DROVER_RETURN_IF_ERROR(ReadDuration(json, "maxTime", path, &q.max_time_s));
  DROVER_RETURN_IF_ERROR(ReadDuration(json, "defaultTime", path, &q.default_time_s));
  DROVER_RETURN_IF_ERROR(ReadInt<int64_t>(json, "maxCoresPerJob", path, &q.max_cores_per_job, 0));
  DROVER_RETURN_IF_ERROR(ReadInt<int32_t>(json, "maxNodesPerJob", path, &q.max_nodes_per_job, 0));
  DROVER_RETURN_IF_ERROR(
      ReadInt<int32_t>(json, "maxRunningJobsPerUser", path, &q.max_running_jobs_per_user, 0));
  DROVER_RETURN_IF_ERROR(ReadInt<int32_t>(json, "priority", path, &q.priority, 0));
  if (auto it = json.find("preempt"); it != json.end() && !it->is_null()) {
    auto mode = ParsePreemptMode(*it, path + ".preempt");
    if (!mode.ok()) return mode.status();
    q.preempt = *mode;
  }
  return q;
}

}  // namespace

Result<SchedulerConfig> SchedulerConfigFromJson(const Json& json) {
  const std::string path = "scheduler";
  SchedulerConfig config;
  if (json.is_null()) return config;
  DROVER_RETURN_IF_ERROR(CheckObject(json, path));
  DROVER_RETURN_IF_ERROR(RejectUnknownKeys(json, path, {"policy", "reservationDepth", "queues"}));
  DROVER_RETURN_IF_ERROR(ReadString(json, "policy", path, &config.policy));
  DROVER_RETURN_IF_ERROR(
      ReadInt<int32_t>(json, "reservationDepth", path, &config.reservation_depth, 1));
  if (auto it = json.find("queues"); it != json.end() && !it->is_null()) {
    if (!it->is_array()) {
      return Status::Invalid(path + ".queues", "must be a list (got " + DumpJson(*it) + ")");
    }
    for (size_t i = 0; i < it->size(); ++i) {
      auto q = QueueFromJson((*it)[i], path + ".queues[" + std::to_string(i) + "]");
      if (!q.ok()) return q.status();
      config.queues.push_back(std::move(q).value());
    }
  }
  // Cross-field rules (policy name, unique queue names, defaultTime <= maxTime).
  DROVER_RETURN_IF_ERROR(ValidateSchedulerConfig(config));
  return config;
}

Json ToJson(const SchedulerConfig& config) {
  Json out = Json::object();
  out["policy"] = config.policy;
  if (config.reservation_depth != SchedulerConfig{}.reservation_depth) {
    out["reservationDepth"] = config.reservation_depth;
  }
  if (config.queues.empty()) return out;
  Json queues = Json::array();
  for (const QueueLimits& q : config.queues) {
    Json j = {{"name", q.name}};
    if (!q.nodes.empty()) j["nodes"] = q.nodes;
    if (q.max_time_s) j["maxTime"] = q.max_time_s;
    if (q.default_time_s) j["defaultTime"] = q.default_time_s;
    if (q.max_cores_per_job) j["maxCoresPerJob"] = q.max_cores_per_job;
    if (q.max_nodes_per_job) j["maxNodesPerJob"] = q.max_nodes_per_job;
    if (q.max_running_jobs_per_user) j["maxRunningJobsPerUser"] = q.max_running_jobs_per_user;
    if (q.priority) j["priority"] = q.priority;
    if (q.preempt != PreemptMode::kOff) j["preempt"] = std::string(PreemptModeName(q.preempt));
    queues.push_back(std::move(j));
  }
  out["queues"] = std::move(queues);
  return out;
}

}  // namespace drover::scheduler
