#include "queue/config_json.h"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace drover::queue {
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

Status ReadInt(const Json& object, const char* key, const std::string& path, int64_t* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::Ok();
  if (!it->is_number_integer() || (it->is_number_unsigned() && it->get<uint64_t>() > INT64_MAX)) {
    return Status::Invalid(path + "." + key, "must be an integer (got " + it->dump() + ")");
  }
  *out = it->get<int64_t>();
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

Status CheckObject(const Json& json, const std::string& path) {
  if (json.is_object()) return Status::Ok();
  return Status::Invalid(path, "must be an object (got " + json.dump() + ")");
}

}  // namespace

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
  if (auto it = json.find("favorSmall"); it != json.end() && !it->is_null()) {
    if (!it->is_boolean()) {
      return Status::Invalid(path + ".favorSmall",
                             "must be true or false (got " + it->dump() + ")");
    }
    w.favor_small = it->get<bool>();
  }
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
