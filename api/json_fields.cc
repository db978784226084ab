#include "api/json_fields.h"

#include <charconv>

#include "api/quantities.h"

namespace drover::json_fields {

std::string Join(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

std::string Shown(const Json& v) {
  std::string text = DumpJson(v);
  if (text.size() > 64) text = text.substr(0, 61) + "...";
  return SanitizeUtf8(text);
}

Status CheckObject(const Json& v, std::string_view path) {
  if (!v.is_object()) {
    return Status::Invalid(std::string(path),
                           "must be an object (got " + std::string(v.type_name()) + ")");
  }
  return Status::Ok();
}

Status CheckKnownFields(const Json& obj, std::initializer_list<std::string_view> allowed,
                        std::string_view path) {
  DROVER_RETURN_IF_ERROR(CheckObject(obj, path));
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    for (std::string_view a : allowed) {
      if (key == a) {
        known = true;
        break;
      }
    }
    if (!known) return Status::Invalid(Join(path, SanitizeUtf8(key)), "unknown field");
  }
  return Status::Ok();
}

const Json* Find(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Status GetInt(const Json& obj, std::string_view key, std::string_view path, int64_t* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  if (v->is_number_unsigned() &&
      v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Status::Invalid(Join(path, key), "value " + Shown(*v) + " is out of range");
  }
  if (!v->is_number_integer()) {
    return Status::Invalid(Join(path, key), "must be an integer (got " + Shown(*v) + ")");
  }
  *out = v->get<int64_t>();
  return Status::Ok();
}

Status GetIntOrDigits(const Json& obj, std::string_view key, std::string_view path, int64_t* out) {
  const Json* v = Find(obj, key);
  if (v != nullptr && v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    int64_t parsed = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), parsed);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
      return Status::Invalid(Join(path, key), "must be an integer (got " + Shown(*v) + ")");
    }
    *out = parsed;
    return Status::Ok();
  }
  return GetInt(obj, key, path, out);
}

Status GetUint64(const Json& obj, std::string_view key, std::string_view path, uint64_t* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  if (v->is_number_unsigned() || (v->is_number_integer() && v->get<int64_t>() >= 0)) {
    *out = v->get<uint64_t>();
    return Status::Ok();
  }
  return Status::Invalid(Join(path, key), "must be a non-negative integer (got " + Shown(*v) + ")");
}

Status CheckString(const Json& v, std::string_view path) {
  if (!v.is_string()) {
    return Status::Invalid(std::string(path),
                           "must be a string (got " + std::string(v.type_name()) + ")");
  }
  // A NUL would be stored whole and cut short at exec time.
  if (v.get_ref<const std::string&>().find('\0') != std::string::npos) {
    return Status::Invalid(std::string(path), "must not contain a NUL byte");
  }
  return Status::Ok();
}

Status GetString(const Json& obj, std::string_view key, std::string_view path, std::string* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  DROVER_RETURN_IF_ERROR(CheckString(*v, Join(path, key)));
  *out = v->get<std::string>();
  return Status::Ok();
}

Status GetBool(const Json& obj, std::string_view key, std::string_view path, bool* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_boolean()) {
    return Status::Invalid(Join(path, key), "must be true or false (got " + Shown(*v) + ")");
  }
  *out = v->get<bool>();
  return Status::Ok();
}

Status GetStringList(const Json& obj, std::string_view key, std::string_view path,
                     std::vector<std::string>* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  if (v->is_string()) {
    DROVER_RETURN_IF_ERROR(CheckString(*v, Join(path, key)));
    out->assign(1, v->get<std::string>());
    return Status::Ok();
  }
  if (!v->is_array()) {
    return Status::Invalid(Join(path, key),
                           "must be a list of strings (got " + std::string(v->type_name()) + ")");
  }
  out->clear();
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& item = (*v)[i];
    DROVER_RETURN_IF_ERROR(CheckString(item, Join(path, key) + "[" + std::to_string(i) + "]"));
    out->push_back(item.get<std::string>());
  }
  return Status::Ok();
}

Status GetLabels(const Json& obj, std::string_view key, std::string_view path, Labels* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  std::string p = Join(path, key);
  DROVER_RETURN_IF_ERROR(CheckObject(*v, p));
  for (const auto& [k, value] : v->items()) {
    if (!value.is_string()) {
      return Status::Invalid(Join(p, SanitizeUtf8(k)),
                             "label values must be strings (got " + Shown(value) + ")");
    }
    DROVER_RETURN_IF_ERROR(CheckString(value, Join(p, SanitizeUtf8(k))));
    (*out)[k] = value.get<std::string>();
  }
  return Status::Ok();
}

Status GetTime(const Json& obj, std::string_view key, std::string_view path, int64_t* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return Status::Invalid(Join(path, key), "must be an RFC 3339 time string");
  auto t = ParseTime(v->get_ref<const std::string&>());
  if (!t.ok()) return t.status().WithFieldPrefix(Join(path, key));
  *out = *t;
  return Status::Ok();
}

}  // namespace drover::json_fields
