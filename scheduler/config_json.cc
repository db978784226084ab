#include "scheduler/config_json.h"

#include <initializer_list>
#include <limits>
#include <string_view>

#include "scheduler/queue_policy.h"

namespace drover::scheduler {
namespace {

Status RejectUnknownKeys(const Json& object, const std::string& path,
                         std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object.items()) {
    bool found = false;
    for (std::string_view k : known) found = found || k == key;
    if (!found) {
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return Status::Invalid(path + "." + key, "unknown field (known: " + list + ")");
    }
  }
  return Status::Ok();
}

// An integer in [min, max]; absent or null keeps *out.
template <typename T>
Status ReadInt(const Json& object, const char* key, const std::string& path, T min, T* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::Ok();
  const std::string field = path + "." + key;
  if (!it->is_number_integer()) {
    return Status::Invalid(field, "must be an integer (got " + it->dump() + ")");
  }
  const auto max = std::numeric_limits<T>::max();
  const bool huge =
      it->is_number_unsigned() &&
      it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (huge || it->get<int64_t>() < min || it->get<int64_t>() > max) {
    return Status::Invalid(field, "must be in [" + std::to_string(min) + ", " +
                                      std::to_string(max) + "] (got " + it->dump() + ")");
  }
  *out = static_cast<T>(it->get<int64_t>());
  return Status::Ok();
}

Status ReadDuration(const Json& object, const char* key, const std::string& path, int64_t* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::Ok();
  auto d = ParseDuration(*it);
  if (!d.ok()) return Status::Invalid(path + "." + key, d.status().message());
  *out = *d;
  return Status::Ok();
}

Status ReadString(const Json& object, const char* key, const std::string& path, std::string* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) {
    return Status::Invalid(path + "." + key, "must be a string (got " + it->dump() + ")");
  }
  *out = it->get<std::string>();
  return Status::Ok();
}

Result<PreemptMode> ParsePreemptMode(const Json& value, const std::string& field) {
  // YAML 1.1 readers turn a bare `off` into false; accept that spelling too.
  if (value.is_boolean() && !value.get<bool>()) return PreemptMode::kOff;
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s == "off") return PreemptMode::kOff;
    if (s == "requeue") return PreemptMode::kRequeue;
    if (s == "cancel") return PreemptMode::kCancel;
  }
  return Status::Invalid(field, "must be one of off, requeue, cancel (got " + value.dump() + ")");
}

Result<QueueLimits> QueueFromJson(const Json& json, const std::string& path) {
  if (!json.is_object())
    return Status::Invalid(path, "must be an object (got " + json.dump() + ")");
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
                             "must be a list of node names (got " + it->dump() + ")");
    }
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& n = (*it)[i];
      const std::string field = path + ".nodes[" + std::to_string(i) + "]";
      if (!n.is_string() || n.get_ref<const std::string&>().empty()) {
        return Status::Invalid(field, "must be a non-empty node name (got " + n.dump() + ")");
      }
      q.nodes.push_back(n.get<std::string>());
    }
  }
  DROVER_RETURN_IF_ERROR(ReadDuration(json, "maxTime", path, &q.max_time_s));
  DROVER_RETURN_IF_ERROR(ReadDuration(json, "defaultTime", path, &q.default_time_s));
  DROVER_RETURN_IF_ERROR(ReadInt<int64_t>(json, "maxCoresPerJob", path, 0, &q.max_cores_per_job));
  DROVER_RETURN_IF_ERROR(ReadInt<int32_t>(json, "maxNodesPerJob", path, 0, &q.max_nodes_per_job));
  DROVER_RETURN_IF_ERROR(
      ReadInt<int32_t>(json, "maxRunningJobsPerUser", path, 0, &q.max_running_jobs_per_user));
  DROVER_RETURN_IF_ERROR(ReadInt<int32_t>(json, "priority", path, 0, &q.priority));
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
  if (!json.is_object())
    return Status::Invalid(path, "must be an object (got " + json.dump() + ")");
  DROVER_RETURN_IF_ERROR(RejectUnknownKeys(json, path, {"policy", "reservationDepth", "queues"}));
  DROVER_RETURN_IF_ERROR(ReadString(json, "policy", path, &config.policy));
  DROVER_RETURN_IF_ERROR(
      ReadInt<int32_t>(json, "reservationDepth", path, 1, &config.reservation_depth));
  if (auto it = json.find("queues"); it != json.end() && !it->is_null()) {
    if (!it->is_array()) {
      return Status::Invalid(path + ".queues", "must be a list (got " + it->dump() + ")");
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
