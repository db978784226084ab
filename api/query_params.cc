#include "api/query_params.h"

#include <charconv>

#include "api/json_text.h"

namespace drover {
namespace {

std::string Shown(const std::string& value) {
  return "\"" + SanitizeUtf8(value.substr(0, 40)) + (value.size() > 40 ? "...\"" : "\"");
}

}  // namespace

Result<int64_t> QueryInt(const QueryParams& query, const std::string& name, int64_t fallback,
                         int64_t min, int64_t max) {
  auto it = query.find(name);
  if (it == query.end()) return fallback;
  const std::string& text = it->second;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return Status::Invalid(name, Shown(text) + " is not an integer");
  }
  if (v < min || v > max) {
    return Status::Invalid(name, "must be between " + std::to_string(min) + " and " +
                                     std::to_string(max) + " (got " + std::to_string(v) + ")");
  }
  return v;
}

Result<std::string> QueryChoice(const QueryParams& query, const std::string& name,
                                const std::string& fallback,
                                std::initializer_list<const char*> allowed) {
  auto it = query.find(name);
  if (it == query.end()) return fallback;
  std::string list;
  for (const char* a : allowed) {
    if (it->second == a) return it->second;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return Status::Invalid(name, "must be one of " + list + " (got " + Shown(it->second) + ")");
}

Status CheckKnownParams(const QueryParams& query, std::initializer_list<const char*> known) {
  for (const auto& [key, value] : query) {
    bool found = false;
    for (const char* k : known) found = found || key == k;
    if (!found) return Status::Invalid(SanitizeUtf8(key.substr(0, 40)), "unknown query parameter");
  }
  return Status::Ok();
}

std::vector<std::string> SplitCommaList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    if (comma > start) out.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::vector<std::string> QueryList(const QueryParams& query, const std::string& name) {
  auto it = query.find(name);
  return it == query.end() ? std::vector<std::string>{} : SplitCommaList(it->second);
}

}  // namespace drover
