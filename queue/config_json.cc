#include "queue/config_json.h"

#include <string>

#include "api/config_fields.h"

namespace drover::queue {

using config::CheckObject;
using config::ReadBool;
using config::ReadDuration;
using config::ReadInt;
using config::RejectUnknownKeys;

Result<PriorityWeights> PriorityWeightsFromJson(const Json& json) {
  const std::string path = "priority";
  PriorityWeights w;
  if (json.is_null()) return w;
  DROVER_RETURN_IF_ERROR(CheckObject(json, path));
  DROVER_RETURN_IF_ERROR(RejectUnknownKeys(
      json, path,
      {"weightAge", "weightJobSize", "weightFairShare", "weightQueue", "maxAge", "favorSmall"}));
  DROVER_RETURN_IF_ERROR(ReadInt(json, "weightAge", path, &w.age));
  DROVER_RETURN_IF_ERROR(ReadInt(json, "weightJobSize", path, &w.job_size));
  DROVER_RETURN_IF_ERROR(ReadInt(json, "weightFairShare", path, &w.fair_share));
  DROVER_RETURN_IF_ERROR(ReadInt(json, "weightQueue", path, &w.queue));
  DROVER_RETURN_IF_ERROR(ReadDuration(json, "maxAge", path, &w.max_age_s));
  DROVER_RETURN_IF_ERROR(ReadBool(json, "favorSmall", path, &w.favor_small));
  // Ranges: every weight in [0, 1e8], maxAge > 0 (the same names as above).
  DROVER_RETURN_IF_ERROR(ValidatePriorityWeights(w));
  return w;
}

Result<FairShareConfig> FairShareConfigFromJson(const Json& json) {
  const std::string path = "fairShare";
  FairShareConfig config;
  if (json.is_null()) return config;
  DROVER_RETURN_IF_ERROR(CheckObject(json, path));
  DROVER_RETURN_IF_ERROR(RejectUnknownKeys(json, path, {"halfLife"}));
  DROVER_RETURN_IF_ERROR(ReadDuration(json, "halfLife", path, &config.half_life_s));
  DROVER_RETURN_IF_ERROR(ValidateFairShareConfig(config));
  return config;
}

}  // namespace drover::queue
