#include "daemons/droverd/daemon_config.h"

#include <fstream>
#include <sstream>

#include "api/config_fields.h"
#include "api/yaml_codec.h"
#include "queue/config_json.h"
#include "scheduler/config_json.h"

namespace drover::droverd {

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
      auto s = scheduler::SchedulerConfigFromJson(value);
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
      DROVER_RETURN_IF_ERROR(config::RejectUnknownKeys(value, "jobs", {"retention"}));
      DROVER_RETURN_IF_ERROR(
          config::ReadDuration(value, "retention", "jobs", &config.job_retention_s));
      if (config.job_retention_s < 0) {
        return Status::Invalid("jobs.retention", "must not be negative");
      }
    } else if (key == "logs") {
      if (value.is_null()) continue;
      DROVER_RETURN_IF_ERROR(config::CheckObject(value, "logs"));
      DROVER_RETURN_IF_ERROR(config::RejectUnknownKeys(value, "logs", {"public"}));
      DROVER_RETURN_IF_ERROR(config::ReadBool(value, "public", "logs", &config.logs_public));
    } else {
      return Status::Invalid(key,
                             "unknown section (known: scheduler, priority, fairShare, jobs, logs)");
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
