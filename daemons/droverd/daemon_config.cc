#include "daemons/droverd/daemon_config.h"

#include <fstream>
#include <sstream>

#include "api/config_fields.h"
#include "api/quantities.h"
#include "api/yaml_codec.h"
#include "queue/config_json.h"
#include "scheduler/config_json.h"

namespace drover::droverd {
namespace {

// Takes allowUsers/allowGroups out of each queue of the scheduler section:
// access is droverd's business, the (pure) scheduler never sees it.
Status ExtractQueueAccess(Json& scheduler, std::map<std::string, QueueAccess>* access) {
  if (!scheduler.is_object() || !scheduler.contains("queues")) return Status::Ok();
  Json& queues = scheduler["queues"];
  if (!queues.is_array()) return Status::Ok();  // the scheduler's parser names the error
  for (size_t i = 0; i < queues.size(); ++i) {
    Json& q = queues[i];
    if (!q.is_object()) continue;
    const std::string where = "scheduler.queues[" + std::to_string(i) + "]";
    QueueAccess rules;
    for (const char* key : {"allowUsers", "allowGroups"}) {
      if (!q.contains(key)) continue;
      const Json& list = q[key];
      if (!list.is_array()) return Status::Invalid(where + "." + key, "must be a list of names");
      for (size_t k = 0; k < list.size(); ++k) {
        const std::string field = where + "." + key + "[" + std::to_string(k) + "]";
        if (!list[k].is_string() || list[k].get<std::string>().empty()) {
          return Status::Invalid(field, "must be a name");
        }
        (std::string(key) == "allowUsers" ? rules.users : rules.groups)
            .push_back(list[k].get<std::string>());
      }
      q.erase(key);
    }
    if ((!rules.users.empty() || !rules.groups.empty()) && q.contains("name") &&
        q["name"].is_string()) {
      (*access)[q["name"].get<std::string>()] = std::move(rules);
    }
  }
  return Status::Ok();
}

// services.portRange: "LOW-HIGH", the ports given to service tasks on each host.
Status ParsePortRange(const Json& v, DaemonConfig* config) {
  const std::string field = "services.portRange";
  if (!v.is_string()) return Status::Invalid(field, "must be a string \"LOW-HIGH\"");
  const std::string text = v.get<std::string>();
  int lo = 0, hi = 0;
  char dash = 0;
  std::istringstream in(text);
  if (!(in >> lo >> dash >> hi) || dash != '-' || !in.eof() || lo < 1024 || hi > 65535 || lo > hi) {
    return Status::Invalid(field, "\"" + text +
                                      "\": want LOW-HIGH with 1024 <= LOW <= HIGH <= 65535, e.g. "
                                      "\"30000-32767\"");
  }
  config->service_port_min = lo;
  config->service_port_max = hi;
  return Status::Ok();
}

// services.sharedVolumeRoots: absolute, normalised directories.
Status ParseSharedRoots(const Json& services, DaemonConfig* config) {
  if (!services.contains("sharedVolumeRoots")) return Status::Ok();
  const Json& roots = services["sharedVolumeRoots"];
  if (!roots.is_array()) return Status::Invalid("services.sharedVolumeRoots", "must be a list");
  for (size_t i = 0; i < roots.size(); ++i) {
    const std::string field = "services.sharedVolumeRoots[" + std::to_string(i) + "]";
    if (!roots[i].is_string()) return Status::Invalid(field, "must be a path");
    const std::string root = roots[i].get<std::string>();
    if (root.size() < 2 || root[0] != '/' || root.back() == '/' ||
        root.find("//") != std::string::npos || root.find("/./") != std::string::npos ||
        root.find("/../") != std::string::npos || root.ends_with("/..") || root.ends_with("/.")) {
      return Status::Invalid(field, "\"" + root +
                                        "\": want an absolute, normalised directory other "
                                        "than /");
    }
    config->shared_volume_roots.push_back(root);
  }
  return Status::Ok();
}

// builtinDaemons: which of droverd's own DaemonSets it makes, and how.
Status ParseBuiltinDaemons(const Json& v, BuiltinDaemonsConfig* b) {
  const std::string p = "builtinDaemons";
  if (v.is_null()) return Status::Ok();
  DROVER_RETURN_IF_ERROR(config::CheckObject(v, p));
  DROVER_RETURN_IF_ERROR(config::RejectUnknownKeys(
      v, p, {"logShipper", "nodeMonitor", "binDir", "healthCheck", "healthCheckInterval"}));
  DROVER_RETURN_IF_ERROR(config::ReadBool(v, "logShipper", p, &b->log_shipper));
  DROVER_RETURN_IF_ERROR(config::ReadBool(v, "nodeMonitor", p, &b->node_monitor));
  DROVER_RETURN_IF_ERROR(config::ReadString(v, "binDir", p, &b->bin_dir));
  DROVER_RETURN_IF_ERROR(config::ReadString(v, "healthCheck", p, &b->health_check));
  DROVER_RETURN_IF_ERROR(
      config::ReadDuration(v, "healthCheckInterval", p, &b->health_check_interval_s));
  for (const auto* path : {&b->bin_dir, &b->health_check}) {
    if (!path->empty() && (*path)[0] != '/') {
      return Status::Invalid(p + (path == &b->bin_dir ? ".binDir" : ".healthCheck"),
                             "must be an absolute path (got \"" + *path + "\")");
    }
  }
  if (b->health_check_interval_s < 1) {
    return Status::Invalid(p + ".healthCheckInterval", "must be at least 1 s");
  }
  return Status::Ok();
}

}  // namespace

Result<DaemonConfig> DaemonConfigFromText(const std::string& text) {
  auto docs = ParseYamlDocuments(text);  // JSON is YAML too
  if (!docs.ok()) return docs.status();
  DaemonConfig config;
  if (docs->empty()) return config;
  if (docs->size() > 1) return Status::Invalid("", "want one document, got several");
  const Json& root = docs->front();
  if (!root.is_object()) return Status::Invalid("", "must be a mapping");
  for (const auto& [key, value] : root.items()) {
    if (key == "scheduler") {
      Json section = value;
      DROVER_RETURN_IF_ERROR(ExtractQueueAccess(section, &config.queue_access));
      auto s = scheduler::SchedulerConfigFromJson(section);
      if (!s.ok()) return s.status();
      config.scheduler = std::move(*s);
    } else if (key == "priority") {
      auto p = queue::PriorityWeightsFromJson(value);
      if (!p.ok()) return p.status();
      config.priority = *p;
    } else if (key == "fairShare") {
      auto f = queue::FairShareConfigFromJson(value);
      if (!f.ok()) return f.status();
      config.fair_share = *f;
    } else if (key == "jobs") {
      if (value.is_null()) continue;
      DROVER_RETURN_IF_ERROR(config::CheckObject(value, "jobs"));
      DROVER_RETURN_IF_ERROR(config::RejectUnknownKeys(
          value, "jobs", {"retention", "historyRetention", "mailProgram"}));
      DROVER_RETURN_IF_ERROR(
          config::ReadDuration(value, "retention", "jobs", &config.job_retention_s));
      if (config.job_retention_s < 0) {
        return Status::Invalid("jobs.retention", "must not be negative");
      }
      DROVER_RETURN_IF_ERROR(
          config::ReadDuration(value, "historyRetention", "jobs", &config.history_retention_s));
      if (config.history_retention_s < 0) {
        return Status::Invalid("jobs.historyRetention", "must not be negative");
      }
      if (value.contains("mailProgram")) {
        if (!value["mailProgram"].is_string()) {
          return Status::Invalid("jobs.mailProgram", "must be a path");
        }
        config.mail_program = value["mailProgram"].get<std::string>();
        if (!config.mail_program.empty() && config.mail_program[0] != '/') {
          return Status::Invalid("jobs.mailProgram",
                                 "must be an absolute path (got \"" + config.mail_program + "\")");
        }
      }
    } else if (key == "services") {
      DROVER_RETURN_IF_ERROR(config::CheckObject(value, "services"));
      DROVER_RETURN_IF_ERROR(config::RejectUnknownKeys(
          value, "services", {"portRange", "sharedVolumeRoots", "fenceAfter"}));
      if (value.contains("portRange")) {
        DROVER_RETURN_IF_ERROR(ParsePortRange(value["portRange"], &config));
      }
      DROVER_RETURN_IF_ERROR(ParseSharedRoots(value, &config));
      DROVER_RETURN_IF_ERROR(
          config::ReadDuration(value, "fenceAfter", "services", &config.fence_after_s));
      if (config.fence_after_s < 1) {
        return Status::Invalid("services.fenceAfter", "must be at least 1 s");
      }
    } else if (key == "logs") {
      if (value.is_null()) continue;
      DROVER_RETURN_IF_ERROR(config::CheckObject(value, "logs"));
      DROVER_RETURN_IF_ERROR(
          config::RejectUnknownKeys(value, "logs", {"public", "retention", "maxBytes"}));
      DROVER_RETURN_IF_ERROR(config::ReadBool(value, "public", "logs", &config.logs_public));
      DROVER_RETURN_IF_ERROR(
          config::ReadDuration(value, "retention", "logs", &config.log_retention_s));
      if (config.log_retention_s < 0) {
        return Status::Invalid("logs.retention", "must not be negative");
      }
      if (value.contains("maxBytes")) {
        auto bytes = ParseQuantity(value["maxBytes"]);
        if (!bytes.ok()) return Status::Invalid("logs.maxBytes", bytes.status().message());
        config.log_max_bytes = *bytes;
      }
    } else if (key == "builtinDaemons") {
      DROVER_RETURN_IF_ERROR(ParseBuiltinDaemons(value, &config.builtin_daemons));
    } else {
      return Status::Invalid(key,
                             "unknown section (known: scheduler, priority, fairShare, jobs, "
                             "services, logs, builtinDaemons)");
    }
  }
  return config;
}

Result<DaemonConfig> LoadDaemonConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("config file " + path + " cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  auto config = DaemonConfigFromText(text.str());
  if (!config.ok())
    return Status::Invalid(path + ": " + config.status().field(), config.status().message());
  return config;
}

}  // namespace drover::droverd
