#include "cmd/sim/workload.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace drover::sim {
namespace {

constexpr int kSwfFields = 18;

Status LineError(int64_t line, const std::string& what) {
  return Status::Invalid("line " + std::to_string(line), what);
}

void SortAndDrop(Workload& w, int64_t machine) {
  std::vector<TraceJob> kept;
  kept.reserve(w.jobs.size());
  for (TraceJob& j : w.jobs) {
    if (j.runtime_s < 0 || j.procs <= 0 || (machine > 0 && j.procs > machine)) {
      ++w.dropped;
      continue;
    }
    j.estimate_s = std::max(j.estimate_s, j.runtime_s);
    kept.push_back(std::move(j));
  }
  std::stable_sort(kept.begin(), kept.end(), [](const TraceJob& a, const TraceJob& b) {
    return a.submit_s != b.submit_s ? a.submit_s < b.submit_s : a.id < b.id;
  });
  w.jobs = std::move(kept);
}

}  // namespace

Result<Workload> ParseSwf(std::string_view text, int64_t machine_procs) {
  Workload w;
  int64_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    const bool last = end == std::string_view::npos;
    if (last) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;
    if (line[first] == ';') {
      constexpr std::string_view kMax = "MaxProcs:";
      const size_t at = line.find(kMax);
      if (at != std::string_view::npos) {
        std::string_view v = line.substr(at + kMax.size());
        v.remove_prefix(std::min(v.size(), v.find_first_not_of(" \t")));
        std::from_chars(v.data(), v.data() + v.size(), w.max_procs);
      }
      continue;
    }
    int64_t f[kSwfFields];
    int count = 0;
    const char* p = line.data() + first;
    const char* e = line.data() + line.size();
    while (p < e) {
      while (p < e && (*p == ' ' || *p == '\t' || *p == '\r')) ++p;
      if (p == e) break;
      if (count == kSwfFields) {
        return LineError(line_no, "more than 18 fields (SWF has 18 per job)");
      }
      // Some archive logs write fractional values (e.g. average CPU time).
      double d = 0;
      auto [next, ec] = std::from_chars(p, e, d);
      if (ec != std::errc() || (next < e && *next != ' ' && *next != '\t' && *next != '\r')) {
        const char* stop = p;
        while (stop < e && *stop != ' ' && *stop != '\t') ++stop;
        return LineError(line_no, "field " + std::to_string(count + 1) + " is not a number (\"" +
                                      std::string(p, stop) + "\")");
      }
      // Within +-2^62: larger values are not a trace and would overflow int64.
      if (!(d > -4.6e18 && d < 4.6e18)) {
        return LineError(line_no, "field " + std::to_string(count + 1) + " is out of range");
      }
      f[count++] = static_cast<int64_t>(d);
      p = next;
    }
    if (count != kSwfFields) {
      return LineError(line_no, std::string(last ? "truncated: " : "") + "has " +
                                    std::to_string(count) + " fields, SWF needs 18");
    }
    ++w.lines;
    TraceJob j;
    j.id = static_cast<uint64_t>(f[0]);
    j.submit_s = f[1];
    j.runtime_s = f[3];
    j.procs = f[7] > 0 ? f[7] : f[4];
    j.estimate_s = f[8];
    j.user = std::to_string(f[11]);
    w.jobs.push_back(std::move(j));
  }
  SortAndDrop(w, machine_procs > 0 ? machine_procs : w.max_procs);
  return w;
}

Result<Workload> ParseJobList(std::string_view text, int64_t machine_procs) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Invalid("", "job list is not valid JSON");
  const nlohmann::json* jobs = &doc;
  Workload w;
  if (doc.is_object()) {
    if (doc.contains("maxProcs")) {
      if (!doc["maxProcs"].is_number_integer()) {
        return Status::Invalid("maxProcs", "must be an integer");
      }
      w.max_procs = doc["maxProcs"].get<int64_t>();
    }
    if (!doc.contains("jobs")) return Status::Invalid("jobs", "missing");
    jobs = &doc["jobs"];
  }
  if (!jobs->is_array()) return Status::Invalid("jobs", "must be an array");
  for (size_t i = 0; i < jobs->size(); ++i) {
    const nlohmann::json& o = (*jobs)[i];
    const std::string field = "jobs[" + std::to_string(i) + "]";
    if (!o.is_object()) return Status::Invalid(field, "must be an object");
    // A number of the job, integer or float, within int64 (a float outside would overflow).
    auto number = [&](const char* key, int64_t fallback, int64_t* out) -> Status {
      if (!o.contains(key)) {
        *out = fallback;
        return Status::Ok();
      }
      const nlohmann::json& v = o[key];
      if (v.is_number_integer() && !(v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX)) {
        *out = v.get<int64_t>();
        return Status::Ok();
      }
      if (v.is_number_float() && v.get<double>() > -4.6e18 && v.get<double>() < 4.6e18) {
        *out = static_cast<int64_t>(v.get<double>());
        return Status::Ok();
      }
      return Status::Invalid(field + "." + key, "must be a number within int64");
    };
    for (const char* key : {"submit", "runtime", "procs"}) {
      if (!o.contains(key)) return Status::Invalid(field + "." + key, "must be a number");
    }
    if (o.contains("user") && !o["user"].is_string()) {
      return Status::Invalid(field + ".user", "must be a string");
    }
    TraceJob j;
    int64_t id = 0, priority = 0;
    DROVER_RETURN_IF_ERROR(number("id", static_cast<int64_t>(i + 1), &id));
    DROVER_RETURN_IF_ERROR(number("submit", 0, &j.submit_s));
    DROVER_RETURN_IF_ERROR(number("runtime", 0, &j.runtime_s));
    DROVER_RETURN_IF_ERROR(number("procs", 0, &j.procs));
    DROVER_RETURN_IF_ERROR(number("estimate", j.runtime_s, &j.estimate_s));
    DROVER_RETURN_IF_ERROR(number("priority", 0, &priority));
    if (priority < INT32_MIN || priority > INT32_MAX) {
      return Status::Invalid(field + ".priority", "is out of range");
    }
    j.id = static_cast<uint64_t>(id);
    j.priority = static_cast<int32_t>(priority);
    j.user = o.contains("user") ? o["user"].get<std::string>() : std::string();
    w.jobs.push_back(std::move(j));
    ++w.lines;
  }
  if (w.max_procs == 0) {
    for (const TraceJob& j : w.jobs) w.max_procs = std::max(w.max_procs, j.procs);
  }
  SortAndDrop(w, machine_procs > 0 ? machine_procs : w.max_procs);
  return w;
}

Result<std::string> ReadMaybeGzip(const std::string& path) {
  const bool gz = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  if (!gz) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::NotFound("cannot open " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return Status::NotFound("cannot open " + path);
  gzbuffer(f, 1 << 17);
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, n);
  const bool bad = n < 0;
  gzclose(f);
  if (bad) return Status::Invalid(path, "corrupt gzip data");
  return out;
}

}  // namespace drover::sim
