#include "cmd/drover/sacct_format.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>

#include "api/query_params.h"
#include "api/slurm_state.h"

namespace drover::cli {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ::tolower);
  return out;
}

// Slurm's widths (src/sacct/sacct.c); negative = left-justified.
const std::vector<SacctField>& Fields() {
  static const std::vector<SacctField> fields = {
      {"Account", 10},   {"AllocCPUS", 10},    {"AllocNodes", 10},
      {"CPUTime", 10},   {"CPUTimeRAW", 10},   {"DerivedExitCode", 15},
      {"Elapsed", 10},   {"ElapsedRaw", 10},   {"Eligible", 19},
      {"End", 19},       {"ExitCode", 8},      {"JobID", -12},
      {"JobIDRaw", -12}, {"JobName", 10},      {"MaxRSS", 10},
      {"NCPUS", 10},     {"NNodes", 8},        {"NodeList", 15},
      {"NTasks", 8},     {"Partition", 10},    {"QOS", 10},
      {"Reason", 22},    {"ReqMem", 10},       {"Start", 19},
      {"State", 10},     {"Submit", 19},       {"SystemCPU", 10},
      {"Timelimit", 10}, {"TimelimitRaw", 10}, {"TotalCPU", 10},
      {"UID", 6},        {"User", 9},          {"UserCPU", 10},
      {"WorkDir", 20},
  };
  return fields;
}

int64_t ElapsedSeconds(const HistoryRecord& r, int64_t now_ms) {
  if (r.start_ms <= 0) return 0;
  const int64_t end = r.end_ms > 0 ? r.end_ms : now_ms;
  return std::max<int64_t>(0, (end - r.start_ms) / 1000);
}

std::string Mem(int64_t bytes) {
  constexpr int64_t kMi = int64_t{1} << 20;
  if (bytes <= 0) return "0";
  if (bytes % (kMi * 1024) == 0) return std::to_string(bytes / (kMi * 1024)) + "G";
  return std::to_string((bytes + kMi - 1) / kMi) + "M";
}

std::string Value(const std::string& field, const HistoryRecord& r, int64_t now_ms) {
  const int64_t elapsed = ElapsedSeconds(r, now_ms);
  if (field == "Account") return r.account;
  if (field == "AllocCPUS" || field == "NCPUS") return std::to_string(r.alloc_cpus);
  if (field == "AllocNodes" || field == "NNodes") return std::to_string(r.alloc_nodes);
  if (field == "CPUTime") return SacctDuration(elapsed * r.alloc_cpus);
  if (field == "CPUTimeRAW") return std::to_string(elapsed * r.alloc_cpus);
  if (field == "DerivedExitCode") return r.IsStep() ? "" : "0:0";
  if (field == "Elapsed") return SacctDuration(elapsed);
  if (field == "ElapsedRaw") return std::to_string(elapsed);
  if (field == "Eligible") return SacctDate(r.eligible_ms);
  if (field == "End") return SacctDate(r.end_ms);
  if (field == "ExitCode") return std::to_string(r.exit_code) + ":" + std::to_string(r.signal);
  if (field == "JobID") return r.id;
  if (field == "JobIDRaw") return std::to_string(r.job_id) + (r.IsStep() ? "." + r.step : "");
  if (field == "JobName") return r.name;
  if (field == "MaxRSS") return r.max_rss_kb > 0 ? std::to_string(r.max_rss_kb) + "K" : "";
  if (field == "NodeList") return r.nodelist.empty() ? "None assigned" : r.nodelist;
  if (field == "NTasks") return r.ntasks > 0 ? std::to_string(r.ntasks) : "";
  if (field == "Partition") return r.IsStep() ? "" : r.partition;
  if (field == "QOS") return r.IsStep() ? "" : r.qos;
  if (field == "Reason") return r.reason.empty() ? "None" : r.reason;
  if (field == "ReqMem") return Mem(r.req_mem_bytes);
  if (field == "Start") return SacctDate(r.start_ms);
  if (field == "State") return r.state;
  if (field == "Submit") return SacctDate(r.submit_ms);
  if (field == "SystemCPU") return SacctCpuTime(r.system_cpu_ms);
  if (field == "Timelimit") {
    if (r.IsStep()) return "";
    return r.timelimit_s > 0 ? SacctDuration(r.timelimit_s) : "UNLIMITED";
  }
  if (field == "TimelimitRaw") {
    if (r.IsStep()) return "";
    return r.timelimit_s > 0 ? std::to_string(r.timelimit_s / 60) : "UNLIMITED";
  }
  if (field == "TotalCPU") return SacctCpuTime(r.user_cpu_ms + r.system_cpu_ms);
  if (field == "UID") return r.uid >= 0 ? std::to_string(r.uid) : "";
  if (field == "User") return r.IsStep() ? "" : r.user;
  if (field == "UserCPU") return SacctCpuTime(r.user_cpu_ms);
  if (field == "WorkDir") return r.work_dir;
  return "";
}

// One cell of the table: cut to the width with a '+' as Slurm marks it,
// then padded on the side the sign says.
std::string Cell(const std::string& text, int width) {
  const size_t w = static_cast<size_t>(std::abs(width));
  std::string shown = text.size() > w ? text.substr(0, w == 0 ? 0 : w - 1) + "+" : text;
  std::string pad(w - std::min(w, shown.size()), ' ');
  return width < 0 ? shown + pad : pad + shown;
}

std::string Join(const std::vector<std::string>& cells, const std::vector<SacctField>& fields,
                 const SacctStyle& style) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (style.parsable) {
      line += cells[i];
      if (i + 1 < cells.size() || style.trailing_delimiter) line += style.delimiter;
    } else {
      line += Cell(cells[i], fields[i].width) + " ";
    }
  }
  return line + "\n";
}

}  // namespace

std::vector<std::string> SacctFieldNames() {
  std::vector<std::string> out;
  for (const SacctField& f : Fields()) out.push_back(f.name);
  return out;
}

Result<std::vector<SacctField>> ParseSacctFormat(std::string_view format) {
  std::vector<SacctField> out;
  for (const std::string& word : SplitCommaList(format)) {
    std::string_view item = word;
    std::string_view name = item;
    std::optional<int> width;
    if (size_t pct = item.find('%'); pct != std::string_view::npos) {
      name = item.substr(0, pct);
      const std::string digits(item.substr(pct + 1));
      const bool ok = !digits.empty() && digits.size() < 6 &&
                      std::all_of(digits.begin() + (digits[0] == '-'), digits.end(), ::isdigit) &&
                      digits != "-";
      if (!ok) {
        return Status::Invalid("--format", "bad width in \"" + std::string(item) +
                                               "\" (want FIELD%WIDTH, e.g. jobname%30)");
      }
      width = std::stoi(digits);
    }
    auto known = std::find_if(Fields().begin(), Fields().end(),
                              [&](const SacctField& f) { return Lower(f.name) == Lower(name); });
    if (known == Fields().end()) {
      return Status::Invalid("--format", "Invalid field requested: \"" + std::string(name) + "\"");
    }
    SacctField f = *known;
    if (width && *width != 0) f.width = *width;
    out.push_back(f);
  }
  if (out.empty()) return Status::Invalid("--format", "names no field");
  return out;
}

std::string SacctHeader(const std::vector<SacctField>& fields, const SacctStyle& style) {
  std::vector<std::string> names, rules;
  for (const SacctField& f : fields) {
    names.push_back(f.name);
    rules.push_back(std::string(std::abs(f.width), '-'));
  }
  std::string out = Join(names, fields, style);
  if (!style.parsable) out += Join(rules, fields, style);
  return out;
}

std::string SacctLine(const std::vector<SacctField>& fields, const SacctStyle& style,
                      const HistoryRecord& record, int64_t now_ms) {
  std::vector<std::string> cells;
  for (const SacctField& f : fields) cells.push_back(Value(f.name, record, now_ms));
  return Join(cells, fields, style);
}

std::string SacctDuration(int64_t seconds) { return SlurmDuration(seconds); }

std::string SacctCpuTime(int64_t ms) {
  ms = std::max<int64_t>(0, ms);
  if (ms >= 3'600'000) return SacctDuration(ms / 1000);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld.%03lld", static_cast<long long>(ms / 60'000),
                static_cast<long long>(ms / 1000 % 60), static_cast<long long>(ms % 1000));
  return buf;
}

std::string SacctDate(int64_t unix_ms) {
  if (unix_ms <= 0) return "Unknown";
  const time_t t = static_cast<time_t>(unix_ms / 1000);
  struct tm local;
  localtime_r(&t, &local);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &local);
  return buf;
}

Result<std::vector<std::string>> ParseSacctStates(std::string_view list) {
  static const std::map<std::string, std::string> kStates = {
      {"ca", "CANCELLED"},      {"cancelled", "CANCELLED"},
      {"cd", "COMPLETED"},      {"completed", "COMPLETED"},
      {"f", "FAILED"},          {"failed", "FAILED"},
      {"nf", "NODE_FAIL"},      {"node_fail", "NODE_FAIL"},
      {"oom", "OUT_OF_MEMORY"}, {"out_of_memory", "OUT_OF_MEMORY"},
      {"pd", "PENDING"},        {"pending", "PENDING"},
      {"r", "RUNNING"},         {"running", "RUNNING"},
      {"rq", "REQUEUED"},       {"requeued", "REQUEUED"},
      {"to", "TIMEOUT"},        {"timeout", "TIMEOUT"},
      {"pr", "PREEMPTED"},      {"preempted", "PREEMPTED"},
  };
  std::vector<std::string> out;
  for (const std::string& typed : SplitCommaList(list)) {
    const std::string word = Lower(typed);
    auto it = kStates.find(word);
    if (it == kStates.end()) {
      return Status::Invalid("--state", "unknown state \"" + word +
                                            "\" (want CD, F, CA, TO, OOM, NF, PD, R, RQ, PR "
                                            "or their names)");
    }
    if (std::find(out.begin(), out.end(), it->second) == out.end()) out.push_back(it->second);
  }
  return out;
}

}  // namespace drover::cli
