// Workload: the jobs a replay feeds to the scheduler, read from a Standard
// Workload Format trace (Parallel Workloads Archive) or a Drover JSON job list.
//
// SWF replay rules (so results compare with other simulators): processors =
// requested (field 8), else allocated (field 5); run time = field 4; estimate
// = max(requested time field 9, run time); jobs with run time < 0, processors
// <= 0 or more processors than the machine are dropped. Errors name the line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/status.h"

namespace drover::sim {

struct TraceJob {
  uint64_t id = 0;
  int64_t submit_s = 0;
  int64_t runtime_s = 0;
  int64_t estimate_s = 0;  // what backfill plans with; >= runtime_s
  int64_t procs = 1;       // processors (cores) wanted, all at once
  int32_t priority = 0;
  std::string user;
};

struct Workload {
  std::vector<TraceJob> jobs;  // by submit time, then id
  int64_t max_procs = 0;       // the machine, from the MaxProcs header (0 = unknown)
  int64_t lines = 0;           // data lines read
  int64_t dropped = 0;         // jobs dropped by the replay rules
};

// Parses SWF text. machine_procs > 0 overrides MaxProcs for the drop rule.
Result<Workload> ParseSwf(std::string_view text, int64_t machine_procs = 0);

// Parses a Drover JSON job list: {"jobs": [{"id", "submit", "runtime",
// "estimate"?, "procs", "priority"?, "user"?}, ...], "maxProcs"?}. Times in seconds.
Result<Workload> ParseJobList(std::string_view text, int64_t machine_procs = 0);

// Reads a file, gunzipping it when it ends in .gz.
Result<std::string> ReadMaybeGzip(const std::string& path);

}  // namespace drover::sim
