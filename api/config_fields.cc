#include "api/config_fields.h"

#include "api/json_text.h"

namespace drover::config {

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

Status CheckObject(const Json& json, const std::string& path) {
  if (json.is_object()) return Status::Ok();
  return Status::Invalid(path, "must be an object (got " + DumpJson(json) + ")");
}

Status ReadBoundedInt(const Json& object, const char* key, const std::string& path, int64_t min,
                      int64_t max, int64_t* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::Ok();
  const std::string field = path + "." + key;
  const bool huge =
      it->is_number_unsigned() &&
      it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  const bool unbounded =
      min == std::numeric_limits<int64_t>::min() && max == std::numeric_limits<int64_t>::max();
  if (!it->is_number_integer() || (huge && unbounded)) {
    return Status::Invalid(field, "must be an integer (got " + DumpJson(*it) + ")");
  }
  if (huge || it->get<int64_t>() < min || it->get<int64_t>() > max) {
    return Status::Invalid(field, "must be in [" + std::to_string(min) + ", " +
                                      std::to_string(max) + "] (got " + DumpJson(*it) + ")");
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

Status ReadString(const Json& object, const char* key, const std::string& path, std::string* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) {
    return Status::Invalid(path + "." + key, "must be a string (got " + DumpJson(*it) + ")");
  }
  *out = it->get<std::string>();
  return Status::Ok();
}

Status ReadBool(const Json& object, const char* key, const std::string& path, bool* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::Ok();
  if (!it->is_boolean()) {
    return Status::Invalid(path + "." + key, "must be true or false (got " + DumpJson(*it) + ")");
  }
  *out = it->get<bool>();
  return Status::Ok();
}

}  // namespace drover::config
