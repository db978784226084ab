// How jobs and nodes look to people: the cells of `drover queue` and
// `drover nodes`, the text of `drover show`, and the parsing of job
// references and state names typed by people. Pure: `now_ms` is passed in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/job.h"
#include "api/node.h"
#include "api/status.h"
#include "api/task.h"
#include "cmd/drover/table.h"

namespace drover::cli {

// "42", "42/3" or Slurm's "42_3": a job and optionally one task index; or a
// job's name, "render" or "render/3" (ResolveJobId finds its id, when the
// name is unique).
struct JobRef {
  uint64_t id = 0;   // 0: by name
  std::string name;  // when id is 0
  std::optional<int64_t> index;
};
Result<JobRef> ParseJobRef(std::string_view text);

// A job state as typed: the phase name in any case, or Slurm's short codes
// (PD, R, CD, F, CA). "Completed" is accepted for Succeeded.
Result<JobPhase> ParseJobPhaseName(std::string_view text);

// "active/succeeded/failed of completions", e.g. "8/42/0 of 100".
std::string TasksCell(const Job& job);
// Run time so far (or until completion), Slurm style; "0:00" if not started.
std::string TimeCell(const Job& job, int64_t now_ms);
// The first pending reason; for a failed job its message; else "".
std::string ReasonCell(const Job& job);

// ID NAME USER STATE TASKS CPUS TIME [START] REASON.
Table QueueTable(const std::vector<Job>& jobs, int64_t now_ms, bool show_start);

// NAME STATE CPUS(alloc/total) MEMORY(alloc/total) TASKS LABELS.
Table NodesTable(const std::vector<Node>& nodes);
// "Ready", "Ready,Cordoned", "NotReady,Draining", "Ready,Drained", ...
std::string NodeState(const Node& node);
// `drover describe node/NAME`: the node and the tasks it holds now.
std::string DescribeNode(const Node& node, const std::vector<Task>& tasks, int64_t now_ms);

// Every field of a job, one "Key: value" per line, in the spirit of
// `scontrol show job`, followed by its tasks when given.
std::string DescribeJob(const Job& job, const std::vector<Task>& tasks, int64_t now_ms);

}  // namespace drover::cli
