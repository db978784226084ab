// Drover's phases in Slurm's words (COMPLETED, FAILED, CANCELLED, TIMEOUT,
// NODE_FAIL, OUT_OF_MEMORY, ...), for squeue, sacct and the history table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/job.h"
#include "api/task.h"

namespace drover {

std::string SlurmJobState(const Job& job);
// One task's (an array task's attempt, a batch script, a step's rank).
std::string SlurmTaskState(const Task& task);
// The phase an ended job's state word means (FAILED, TIMEOUT, OUT_OF_MEMORY,
// NODE_FAIL: Failed; CANCELLED; COMPLETED: Succeeded); nullopt for the others.
std::optional<JobPhase> EndedPhaseOfSlurmState(std::string_view state);
// Slurm's durations (sacct's Elapsed, its mails' run times): "00:00:05",
// "01:02:03", "2-03:04:05"; negative values are 0.
std::string SlurmDuration(int64_t seconds);

}  // namespace drover
