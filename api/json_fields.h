// Strict readers of typed fields out of decoded JSON objects, shared by the
// codecs of every kind.
//
// Each reader leaves *out alone when the key is absent or null and otherwise
// accepts only the exact type: an integer field takes a JSON integer in
// range (not "5", not 2.0, not 2^63), a string field takes a string without
// NUL bytes. A refusal is InvalidArgument naming the field's JSON path
// ("spec.template.resources.cpus") and the rule.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "api/json_text.h"
#include "api/object_meta.h"
#include "api/status.h"

namespace drover::json_fields {

// "spec" + "template" -> "spec.template"; "" + "spec" -> "spec".
std::string Join(std::string_view path, std::string_view key);

Status CheckObject(const Json& v, std::string_view path);
// Rejects keys outside `allowed`, naming the first unknown one.
Status CheckKnownFields(const Json& obj, std::initializer_list<std::string_view> allowed,
                        std::string_view path);
// The value at key, or nullptr when it is absent or null.
const Json* Find(const Json& obj, std::string_view key);

Status GetInt(const Json& obj, std::string_view key, std::string_view path, int64_t* out);
// An integer written as a decimal string, as Kubernetes writes resourceVersion.
Status GetIntOrDigits(const Json& obj, std::string_view key, std::string_view path, int64_t* out);
Status GetUint64(const Json& obj, std::string_view key, std::string_view path, uint64_t* out);
Status GetString(const Json& obj, std::string_view key, std::string_view path, std::string* out);
Status GetBool(const Json& obj, std::string_view key, std::string_view path, bool* out);
// A list of strings; a single string is a list of one, as YAML users expect.
Status GetStringList(const Json& obj, std::string_view key, std::string_view path,
                     std::vector<std::string>* out);
Status GetLabels(const Json& obj, std::string_view key, std::string_view path, Labels* out);
// An RFC 3339 UTC time string, to Unix milliseconds.
Status GetTime(const Json& obj, std::string_view key, std::string_view path, int64_t* out);

// A value as an error message shows it: JSON, cut at 64 bytes.
std::string Shown(const Json& v);

// A string value's own check (NUL bytes), for callers that walk a value themselves.
Status CheckString(const Json& v, std::string_view path);

template <typename T>
Status GetIntAs(const Json& obj, std::string_view key, std::string_view path, T* out) {
  int64_t v = static_cast<int64_t>(*out);
  DROVER_RETURN_IF_ERROR(GetInt(obj, key, path, &v));
  // T's max as int64_t would wrap for uint64_t, whose range holds every int64_t >= 0.
  constexpr bool bounded_above = static_cast<uint64_t>(std::numeric_limits<T>::max()) <=
                                 static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
      (bounded_above && v > static_cast<int64_t>(std::numeric_limits<T>::max()))) {
    return Status::Invalid(Join(path, key), "value " + std::to_string(v) + " is out of range");
  }
  *out = static_cast<T>(v);
  return Status::Ok();
}

template <typename T>
Status GetIntList(const Json& obj, std::string_view key, std::string_view path,
                  std::vector<T>* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_array()) return Status::Invalid(Join(path, key), "must be a list of integers");
  out->clear();
  for (size_t i = 0; i < v->size(); ++i) {
    std::string item_path = Join(path, key) + "[" + std::to_string(i) + "]";
    const Json& item = (*v)[i];
    bool in_range = item.is_number_integer() &&
                    (!item.is_number_unsigned() ||
                     item.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max()));
    if (in_range) {
      int64_t n = item.get<int64_t>();
      in_range = n >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                 n <= static_cast<int64_t>(std::numeric_limits<T>::max());
    }
    if (!in_range) {
      return Status::Invalid(item_path, "must be an integer in range (got " + Shown(item) + ")");
    }
    out->push_back(static_cast<T>(item.get<int64_t>()));
  }
  return Status::Ok();
}

}  // namespace drover::json_fields
