// A job's accounting records (api/history.h), built from the job and the
// tasks droverd holds for it. Pure: the same records for a live job (sacct
// while it runs) and for the rows written once it has ended.
//
// Which records: an array (an Indexed job) has a record per index that ran
// ("12_3") and one for the indexes that never started ("12_[4-9]"); any
// other job has one ("12"). An allocation's batch script adds "12.batch"
// ("12_3.batch"), each step "12.0". A record spans every attempt it holds:
// the last attempt gives its state, times, nodes and exit code; the usage
// (core-seconds, CPU time) is summed over all of them, the max RSS is the
// largest.
#pragma once

#include <cstdint>
#include <vector>

#include "api/history.h"
#include "api/job.h"
#include "api/task.h"

namespace drover::droverd {

bool IsArray(const Job& job);

// Every record of the job. `tasks` are its tasks (every attempt and part),
// `step_tasks` its steps' ranks.
std::vector<HistoryRecord> JobHistoryRecords(const Job& job, const std::vector<const Task*>& tasks,
                                             const std::vector<const Task*>& step_tasks);

// The record of one array index, from the tasks of that index.
HistoryRecord ArrayTaskRecord(const Job& job, int64_t index,
                              const std::vector<const Task*>& index_tasks);

// The record of one step, from its ranks.
HistoryRecord StepRecord(const Job& job, const std::vector<const Task*>& ranks);

}  // namespace drover::droverd
