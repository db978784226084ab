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

// What a batch script of an allocation adds: the task count and, per node
// in Slurm's compressed form ("4(x2)"), the task slots and cores
// (SLURM_TASKS_PER_NODE, SLURM_JOB_CPUS_PER_NODE), which OpenMPI's mpirun
// reads to lay out its ranks; the script is rank 0.
std::vector<EnvVar> SlurmAllocationEnvironment(int32_t ntasks, const std::vector<int32_t>& slots,
                                               const std::vector<int32_t>& cores);

// What a step's rank adds (as srun sets them): SLURM_STEP_ID, SLURM_PROCID,
// SLURM_LOCALID, SLURM_NODEID, the step's task count, nodes and layout.
std::vector<EnvVar> SlurmStepEnvironment(const StepSpec& step);

}  // namespace drover::droverd
