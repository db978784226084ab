// Accounting history: one record per line sacct prints. A job ("12"), an
// array task of an Indexed job ("12_3", or "12_[4-9]" for indexes that never
// started), the batch script of an allocation ("12.batch", "12_3.batch") and
// each step ("12.0"). droverd writes a job's records to the store's
// job_history table once the job and all its tasks have ended; the table
// outlives jobs.retention (it has its own), so sacct, `drover history`,
// fair-share and dependencies reach jobs droverd no longer keeps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/json_text.h"
#include "api/status.h"

namespace drover {

struct HistoryRecord {
  std::string id;  // Slurm's JobID form: "12", "12_3", "12_[4-9]", "12.batch", "12.0"
  uint64_t job_id = 0;
  int64_t array_index = -1;  // the array task's index; -1 when not one
  std::string step;          // "" (the job or array task), "batch", or the step id
  std::string name;
  std::string user;
  int64_t uid = -1;
  std::string account;
  std::string partition;  // the job's queue
  std::string qos;
  std::string state;  // Slurm's words: COMPLETED, FAILED, CANCELLED, TIMEOUT, ...
  int32_t exit_code = 0;
  int32_t signal = 0;
  std::string reason;  // why it ended so, when droverd knows ("" otherwise)
  int64_t submit_ms = 0;
  int64_t eligible_ms = 0;
  int64_t start_ms = 0;  // 0 = never started
  int64_t end_ms = 0;    // 0 = not ended (live records only)
  int64_t alloc_cpus = 0;
  int64_t alloc_nodes = 0;
  int64_t ntasks = 0;
  std::string nodelist;  // a hostlist
  int64_t req_mem_bytes = 0;
  int64_t timelimit_s = 0;  // 0 = none
  // Cores held × seconds held, over every attempt: what fair-share charges.
  double core_seconds = 0;
  int64_t user_cpu_ms = 0;
  int64_t system_cpu_ms = 0;
  int64_t max_rss_kb = 0;
  int32_t restarts = 0;  // attempts before the last
  std::string work_dir;

  bool IsStep() const { return !step.empty(); }
  bool operator==(const HistoryRecord&) const = default;
};

// Which records a reader wants: every given filter must hold (each list: any
// of its values; empty = no filter).
struct HistoryQuery {
  std::vector<uint64_t> job_ids;
  std::vector<std::string> users;
  std::vector<std::string> accounts;
  std::vector<std::string> partitions;
  std::vector<std::string> states;  // Slurm's words, upper case
  std::vector<std::string> names;
  // Records still going, or that ended at or after this (sacct -S); 0 = any.
  int64_t ended_after_ms = 0;
  // Records submitted at or before this (sacct -E); 0 = any.
  int64_t submitted_before_ms = 0;
  bool steps = true;  // false: jobs and array tasks only (sacct -X)
  int64_t limit = 0;  // at most this many, oldest job first; 0 = no limit
};

// The same rules the store's SQL applies, for records in memory.
bool Matches(const HistoryQuery& query, const HistoryRecord& record);

// sacct's order: by job id, then array index, then the job line before its
// batch script before its steps in id order.
bool HistoryOrder(const HistoryRecord& a, const HistoryRecord& b);

Json ToJson(const HistoryRecord& record);
Result<HistoryRecord> HistoryRecordFromJson(const Json& json, std::string_view path = "");

}  // namespace drover
