// The SLURM_* variables of a batch task that droverd knows and the node does
// not: the allocation's node count and hostlist (SLURM_JOB_NODELIST as
// "node-[1-2]"), the job's partition, account, QoS, cores and memory, an
// array's bounds, the restart count. They follow the job's own environment
// in the launch, so the submitter's (exported) values never override them.
#pragma once

#include <string>
#include <vector>

#include "api/job.h"
#include "api/task.h"

namespace drover::droverd {

std::vector<EnvVar> SlurmJobEnvironment(const Job& job, const Task& task,
                                        const std::string& nodelist);

}  // namespace drover::droverd
