// Reading a configuration object (parsed from YAML or JSON) field by field.
// Every error names the field by its full path ("queues[1].maxTime") and the
// rule it broke; an absent or null field leaves the output untouched, so the
// caller's defaults stand.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>

#include "api/json_codec.h"
#include "api/status.h"

namespace drover::config {

// Fails on the first key of `object` not in `known`, listing the known ones.
Status RejectUnknownKeys(const Json& object, const std::string& path,
                         std::initializer_list<std::string_view> known);

// Fails unless `json` is an object.
Status CheckObject(const Json& json, const std::string& path);

// An integer in [min, max(T)].
Status ReadBoundedInt(const Json& object, const char* key, const std::string& path, int64_t min,
                      int64_t max, int64_t* out);

template <typename T>
Status ReadInt(const Json& object, const char* key, const std::string& path, T* out,
               T min = std::numeric_limits<T>::min()) {
  int64_t value = *out;
  Status st = ReadBoundedInt(object, key, path, static_cast<int64_t>(min),
                             static_cast<int64_t>(std::numeric_limits<T>::max()), &value);
  if (st.ok()) *out = static_cast<T>(value);
  return st;
}

// A duration in seconds: an integer, or Slurm's forms ("MM:SS", "D-HH:MM:SS", ...).
Status ReadDuration(const Json& object, const char* key, const std::string& path, int64_t* out);

Status ReadString(const Json& object, const char* key, const std::string& path, std::string* out);

Status ReadBool(const Json& object, const char* key, const std::string& path, bool* out);

}  // namespace drover::config
