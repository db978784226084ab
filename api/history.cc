#include "api/history.h"

#include <algorithm>
#include <tuple>

#include "api/json_fields.h"

namespace drover {
namespace {

template <typename T>
bool AnyOf(const std::vector<T>& wanted, const T& value) {
  return wanted.empty() || std::find(wanted.begin(), wanted.end(), value) != wanted.end();
}

// "" < "batch" < steps by number; ids that are not numbers (none today) last.
std::tuple<int, int64_t, std::string_view> StepRank(const std::string& step) {
  if (step.empty()) return {0, 0, step};
  if (step == "batch") return {1, 0, step};
  if (!step.empty() && std::all_of(step.begin(), step.end(), ::isdigit) && step.size() < 18) {
    return {2, std::stoll(step), step};
  }
  return {3, 0, step};
}

}  // namespace

bool Matches(const HistoryQuery& q, const HistoryRecord& r) {
  if (!q.steps && r.IsStep()) return false;
  if (!AnyOf(q.job_ids, r.job_id) || !AnyOf(q.users, r.user) || !AnyOf(q.accounts, r.account) ||
      !AnyOf(q.partitions, r.partition) || !AnyOf(q.states, r.state) || !AnyOf(q.names, r.name)) {
    return false;
  }
  if (q.ended_after_ms > 0 && r.end_ms > 0 && r.end_ms < q.ended_after_ms) return false;
  if (q.submitted_before_ms > 0 && r.submit_ms > q.submitted_before_ms) return false;
  return true;
}

bool HistoryOrder(const HistoryRecord& a, const HistoryRecord& b) {
  return std::tuple(a.job_id, a.array_index, StepRank(a.step), a.id) <
         std::tuple(b.job_id, b.array_index, StepRank(b.step), b.id);
}

Json ToJson(const HistoryRecord& r) {
  Json j = Json::object();
  j["id"] = r.id;
  j["jobId"] = r.job_id;
  if (r.array_index >= 0) j["arrayIndex"] = r.array_index;
  if (!r.step.empty()) j["step"] = r.step;
  j["name"] = r.name;
  j["user"] = r.user;
  j["uid"] = r.uid;
  j["account"] = r.account;
  j["partition"] = r.partition;
  j["qos"] = r.qos;
  j["state"] = r.state;
  j["exitCode"] = r.exit_code;
  j["signal"] = r.signal;
  if (!r.reason.empty()) j["reason"] = r.reason;
  j["submitMs"] = r.submit_ms;
  j["eligibleMs"] = r.eligible_ms;
  j["startMs"] = r.start_ms;
  j["endMs"] = r.end_ms;
  j["allocCpus"] = r.alloc_cpus;
  j["allocNodes"] = r.alloc_nodes;
  j["ntasks"] = r.ntasks;
  j["nodelist"] = r.nodelist;
  j["reqMemBytes"] = r.req_mem_bytes;
  j["timelimitSeconds"] = r.timelimit_s;
  j["coreSeconds"] = r.core_seconds;
  j["userCpuMs"] = r.user_cpu_ms;
  j["systemCpuMs"] = r.system_cpu_ms;
  j["maxRssKb"] = r.max_rss_kb;
  j["restarts"] = r.restarts;
  j["workDir"] = r.work_dir;
  return j;
}

Result<HistoryRecord> HistoryRecordFromJson(const Json& j, std::string_view path) {
  using namespace json_fields;
  DROVER_RETURN_IF_ERROR(CheckObject(j, path));
  DROVER_RETURN_IF_ERROR(CheckKnownFields(
      j,
      {"id",          "jobId",      "arrayIndex",  "step",       "name",        "user",
       "uid",         "account",    "partition",   "qos",        "state",       "exitCode",
       "signal",      "reason",     "submitMs",    "eligibleMs", "startMs",     "endMs",
       "allocCpus",   "allocNodes", "ntasks",      "nodelist",   "reqMemBytes", "timelimitSeconds",
       "coreSeconds", "userCpuMs",  "systemCpuMs", "maxRssKb",   "restarts",    "workDir"},
      path));
  HistoryRecord r;
  DROVER_RETURN_IF_ERROR(GetString(j, "id", path, &r.id));
  if (r.id.empty()) return Status::Invalid(Join(path, "id"), "must not be empty");
  DROVER_RETURN_IF_ERROR(GetUint64(j, "jobId", path, &r.job_id));
  DROVER_RETURN_IF_ERROR(GetInt(j, "arrayIndex", path, &r.array_index));
  for (auto [key, out] : {std::pair{"step", &r.step},
                          {"name", &r.name},
                          {"user", &r.user},
                          {"account", &r.account},
                          {"partition", &r.partition},
                          {"qos", &r.qos},
                          {"state", &r.state},
                          {"reason", &r.reason},
                          {"nodelist", &r.nodelist},
                          {"workDir", &r.work_dir}}) {
    DROVER_RETURN_IF_ERROR(GetString(j, key, path, out));
  }
  for (auto [key, out] : {std::pair{"uid", &r.uid},
                          {"submitMs", &r.submit_ms},
                          {"eligibleMs", &r.eligible_ms},
                          {"startMs", &r.start_ms},
                          {"endMs", &r.end_ms},
                          {"allocCpus", &r.alloc_cpus},
                          {"allocNodes", &r.alloc_nodes},
                          {"ntasks", &r.ntasks},
                          {"reqMemBytes", &r.req_mem_bytes},
                          {"timelimitSeconds", &r.timelimit_s},
                          {"userCpuMs", &r.user_cpu_ms},
                          {"systemCpuMs", &r.system_cpu_ms},
                          {"maxRssKb", &r.max_rss_kb}}) {
    DROVER_RETURN_IF_ERROR(GetInt(j, key, path, out));
  }
  for (auto [key, out] :
       {std::pair{"exitCode", &r.exit_code}, {"signal", &r.signal}, {"restarts", &r.restarts}}) {
    DROVER_RETURN_IF_ERROR(GetIntAs(j, key, path, out));
  }
  if (const Json* v = Find(j, "coreSeconds")) {
    if (!v->is_number()) return Status::Invalid(Join(path, "coreSeconds"), "must be a number");
    r.core_seconds = v->get<double>();
  }
  return r;
}

}  // namespace drover
