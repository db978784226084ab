// Drover's phases in Slurm's words (COMPLETED, FAILED, CANCELLED, TIMEOUT,
// NODE_FAIL, OUT_OF_MEMORY, ...), for squeue, sacct and the history table.
#pragma once

#include <string>

#include "api/job.h"
#include "api/task.h"

namespace drover {

std::string SlurmJobState(const Job& job);
// One task's (an array task's attempt, a batch script, a step's rank).
std::string SlurmTaskState(const Task& task);

}  // namespace drover
