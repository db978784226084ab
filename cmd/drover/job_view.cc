#include "cmd/drover/job_view.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "api/json_codec.h"
#include "api/validation.h"
#include "cmd/drover/text_format.h"

namespace drover::cli {
namespace {

bool ParseNumber(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && *out >= 0;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

std::string QuoteArgv(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`*?[]{}()<>|&;#~") == std::string::npos;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) {
        if (c == '\'') {
          out += "'\\''";
        } else {
          out += c;
        }
      }
      out += '\'';
    }
  }
  return out;
}

std::string Shorten(std::string s, size_t max) {
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  for (char& c : s) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return s;
}

}  // namespace

Result<JobRef> ParseJobRef(std::string_view text) {
  auto bad = [&] {
    return Status::Invalid("JOB", "\"" + std::string(text) +
                                      "\" is neither a job id (42, 42/3 or 42_3) nor a job name "
                                      "(render, render/3)");
  };
  JobRef ref;
  if (!text.empty() && !std::isdigit(static_cast<unsigned char>(text[0]))) {
    const size_t slash = text.rfind('/');
    ref.name = std::string(text.substr(0, slash));
    if (slash != std::string_view::npos) {
      int64_t index = 0;
      if (!ParseNumber(text.substr(slash + 1), &index)) return bad();
      ref.index = index;
    }
    if (!ValidateName("JOB", ref.name).ok()) return bad();
    return ref;
  }
  size_t sep = text.find_first_of("/_");
  int64_t id = 0;
  if (!ParseNumber(text.substr(0, sep), &id) || id == 0) return bad();
  ref.id = static_cast<uint64_t>(id);
  if (sep != std::string_view::npos) {
    int64_t index = 0;
    if (!ParseNumber(text.substr(sep + 1), &index)) return bad();
    ref.index = index;
  }
  return ref;
}

Result<JobPhase> ParseJobPhaseName(std::string_view text) {
  std::string s = Lower(text);
  if (s == "pending" || s == "pd") return JobPhase::kPending;
  if (s == "running" || s == "r") return JobPhase::kRunning;
  if (s == "succeeded" || s == "completed" || s == "cd") return JobPhase::kSucceeded;
  if (s == "failed" || s == "f") return JobPhase::kFailed;
  if (s == "cancelled" || s == "canceled" || s == "ca") return JobPhase::kCancelled;
  return Status::Invalid("--state", "unknown state \"" + std::string(text) +
                                        "\" (Pending, Running, Succeeded, Failed, Cancelled)");
}

std::string TasksCell(const Job& job) {
  return std::to_string(job.status.active) + "/" + std::to_string(job.status.succeeded) + "/" +
         std::to_string(job.status.failed) + " of " + std::to_string(job.spec.completions);
}

std::string TimeCell(const Job& job, int64_t now_ms) {
  if (job.status.start_time_ms == 0) return "0:00";
  int64_t end = job.status.completion_time_ms != 0 ? job.status.completion_time_ms : now_ms;
  return FormatElapsed((end - job.status.start_time_ms) / 1000);
}

std::string ReasonCell(const Job& job) {
  if (job.status.phase == JobPhase::kPending && !job.status.reasons.empty()) {
    return job.status.reasons.front();
  }
  if (job.status.phase == JobPhase::kFailed) return Shorten(job.status.message, 60);
  return "";
}

Table QueueTable(const std::vector<Job>& jobs, int64_t now_ms, bool show_start) {
  std::vector<std::string> headers = {"ID", "NAME", "USER", "STATE", "TASKS", "CPUS", "TIME"};
  if (show_start) headers.push_back("START");
  headers.push_back("REASON");
  Table table(std::move(headers));
  for (const Job& job : jobs) {
    std::vector<std::string> row = {
        std::to_string(job.id),
        job.metadata.name,
        job.owner.user.empty() ? std::to_string(job.owner.uid) : job.owner.user,
        std::string(JobPhaseName(job.status.phase)),
        TasksCell(job),
        std::to_string(job.spec.task.resources.cpus),
        TimeCell(job, now_ms)};
    if (show_start) {
      std::string start = job.status.phase == JobPhase::kPending
                              ? FormatLocalTime(job.status.estimated_start_ms)
                              : FormatLocalTime(job.status.start_time_ms);
      row.push_back(start.empty() ? "N/A" : start);
    }
    row.push_back(ReasonCell(job));
    table.AddRow(std::move(row));
  }
  return table;
}

std::string NodeState(const Node& node) {
  std::string state(NodePhaseName(node.status.phase));
  if (node.spec.draining) {
    state += node.status.running_tasks > node.status.daemon_tasks ? ",Draining" : ",Drained";
  } else if (node.spec.unschedulable) {
    state += ",Cordoned";
  }
  return state;
}

std::string DescribeNode(const Node& node, const std::vector<Task>& tasks, int64_t now_ms) {
  const NodeStatus& st = node.status;
  std::string out = "Name:          " + node.metadata.name + "\n" +
                    "State:         " + NodeState(node) + "\n" +
                    "Address:       " + (st.address.empty() ? "-" : st.address) + "\n";
  if (!node.spec.reason.empty()) out += "Reason:        " + node.spec.reason + "\n";
  if (st.health_checked_ms > 0) {
    out += "Health:        " + std::string(st.healthy ? "ok" : "failing") +
           (st.health_message.empty() ? "" : " (" + st.health_message + ")") + ", checked " +
           FormatLocalTime(st.health_checked_ms) + "\n";
  }
  std::vector<std::string> labels;
  for (const auto& [k, v] : node.metadata.labels) labels.push_back(k + "=" + v);
  out += "Labels:        " + (labels.empty() ? std::string("<none>") : Join(labels, ",")) + "\n";
  out += "Topology:      " + std::to_string(st.topology.packages) + " packages, " +
         std::to_string(st.topology.numa_nodes) + " NUMA nodes, " +
         std::to_string(st.topology.cores.size()) + " cores, " +
         FormatBytes(st.topology.memory_bytes) + " (" + st.topology.source + ")\n";
  out += "Allocated:     " + std::to_string(st.allocated_cpus) + "/" +
         std::to_string(st.topology.cores.size()) + " cores, " +
         FormatBytes(st.allocated_memory_bytes) + "/" + FormatBytes(st.topology.memory_bytes) +
         " memory\n";
  if (st.last_heartbeat_ms > 0) {
    out += "Heartbeat:     " + FormatLocalTime(st.last_heartbeat_ms) + " (" +
           std::to_string(std::max<int64_t>(0, now_ms - st.last_heartbeat_ms) / 1000) + " s ago)\n";
  }
  out += "Tasks:         " + std::to_string(tasks.size()) + "\n";
  if (tasks.empty()) return out;
  Table table({"TASK", "OWNER", "PHASE", "CORES", "STOPPING"});
  for (const Task& t : tasks) {
    std::vector<std::string> cores;
    for (int32_t c : t.spec.cores) cores.push_back(std::to_string(c));
    const std::string owner =
        t.spec.owner.kind.empty() ? "job/" + std::to_string(t.spec.job_id)
        : t.spec.owner.kind == "Job"
            ? "job/" + std::to_string(t.spec.job_id) + " (" + t.spec.owner.name + ")"
            : Lower(t.spec.owner.kind) + "/" + t.spec.owner.name;
    table.AddRow({t.metadata.name, owner, std::string(TaskPhaseName(t.status.phase)),
                  Join(cores, ","), t.status.terminating ? "yes" : ""});
  }
  return out + table.Render();
}

Table NodesTable(const std::vector<Node>& nodes) {
  Table table({"NAME", "STATE", "CPUS", "MEMORY", "TASKS", "LABELS"});
  for (const Node& node : nodes) {
    const NodeStatus& st = node.status;
    const std::string state = NodeState(node);
    std::vector<std::string> labels;
    for (const auto& [k, v] : node.metadata.labels) labels.push_back(k + "=" + v);
    table.AddRow(
        {node.metadata.name, state,
         std::to_string(st.allocated_cpus) + "/" + std::to_string(st.topology.cores.size()),
         FormatBytes(st.allocated_memory_bytes) + "/" + FormatBytes(st.topology.memory_bytes),
         std::to_string(st.running_tasks), labels.empty() ? "<none>" : Join(labels, ",")});
  }
  return table;
}

std::string DescribeJob(const Job& job, const std::vector<Task>& tasks, int64_t now_ms) {
  const JobSpec& s = job.spec;
  const TaskTemplate& t = s.task;
  const JobStatus& st = job.status;
  std::string out;
  auto line = [&](std::string_view key, const std::string& value) {
    out += key;
    out += ": ";
    out += value.empty() ? "-" : value;
    out += '\n';
  };
  line("Id", std::to_string(job.id));
  line("Name", job.metadata.name);
  line("Uid", job.metadata.uid);
  line("User", job.owner.user + " (uid " + std::to_string(job.owner.uid) + ", gid " +
                   std::to_string(job.owner.gid) + ")");
  std::vector<std::string> labels;
  for (const auto& [k, v] : job.metadata.labels) labels.push_back(k + "=" + v);
  line("Labels", Join(labels, ","));
  line("State", std::string(JobPhaseName(st.phase)));
  line("Reasons", Join(st.reasons, ", "));
  line("Message", st.message);
  line("Queue", s.queue);
  line("Account", s.account);
  line("Priority", std::to_string(s.priority));
  line("CompletionMode", s.completion_mode == CompletionMode::kIndexed ? "Indexed" : "NonIndexed");
  line("Completions", s.work_queue
                          ? "none: a work queue of " + std::to_string(s.parallelism) + " workers"
                          : std::to_string(s.completions));
  line("Parallelism", std::to_string(s.parallelism));
  line("BackoffLimit", s.backoff_limit == std::numeric_limits<int32_t>::max()
                           ? "none"
                           : std::to_string(s.backoff_limit));
  if (s.backoff_limit_per_index >= 0) {
    line("BackoffLimitPerIndex", std::to_string(s.backoff_limit_per_index));
    line("MaxFailedIndexes",
         s.max_failed_indexes < 0 ? "no limit" : std::to_string(s.max_failed_indexes));
  }
  line("Gang", s.gang ? "yes" : "no");
  line("Exclusive", s.exclusive ? "yes" : "no");
  line("Nodes", s.nodes == 0 ? "any" : std::to_string(s.nodes));
  line("NtasksPerNode", s.ntasks_per_node == 0 ? "no cap" : std::to_string(s.ntasks_per_node));
  line("Placement", s.placement);
  if (s.hold) line("Hold", "yes (drover release " + std::to_string(job.id) + ")");
  std::vector<std::string> deps;
  for (const JobDependency& d : s.dependencies)
    deps.push_back(d.type + ":" + std::to_string(d.job_id));
  line("Dependency", Join(deps, ","));
  line("BeginTime", FormatLocalTime(s.begin_time_ms));
  line("Tasks", std::to_string(st.active) + " active, " + std::to_string(st.succeeded) +
                    " succeeded, " + std::to_string(st.failed) + " failed");
  if (s.completion_mode == CompletionMode::kIndexed) {
    line("CompletedIndexes", st.completed_indexes.ToString());
    line("RetryIndexes", st.failed_indexes_pending.ToString());
    if (s.backoff_limit_per_index >= 0) line("FailedIndexes", st.failed_indexes.ToString());
  }
  line("SubmitTime", FormatLocalTime(job.metadata.creation_time_ms));
  line("EstimatedStart", FormatLocalTime(st.estimated_start_ms));
  line("StartTime", FormatLocalTime(st.start_time_ms));
  line("EndTime", FormatLocalTime(st.completion_time_ms));
  line("RunTime", TimeCell(job, now_ms));
  line("TimeLimit", FormatTimeLimit(t.time_limit_s));
  line("Command", QuoteArgv(t.command));
  line("Args", QuoteArgv(t.args));
  line("WorkDir", t.working_dir);
  std::vector<std::string> env;
  for (const auto& [k, v] : t.env) env.push_back(k + "=" + v);
  line("Env", Join(env, " "));
  line("CpusPerTask", std::to_string(t.resources.cpus));
  line("MemoryPerTask", t.resources.memory_bytes == 0 ? "" : FormatBytes(t.resources.memory_bytes));
  if (t.resources.memory_bind != "none") line("MemoryBind", t.resources.memory_bind);
  line("StdOut", t.stdout_path);
  line("StdErr", t.stderr_path);
  if (!tasks.empty()) {
    Table table({"TASK", "INDEX", "ATTEMPT", "NODE", "STATE", "EXIT", "CPUS", "START", "END"});
    for (const Task& task : tasks) {
      const TaskStatus& ts = task.status;
      std::string exit;
      if (ts.signal != 0) {
        exit = "signal " + std::to_string(ts.signal);
      } else if (ts.exit_code >= 0) {
        exit = std::to_string(ts.exit_code);
      }
      std::vector<std::string> cpus;
      for (int32_t c : task.spec.cpus) cpus.push_back(std::to_string(c));
      table.AddRow({task.metadata.name, std::to_string(task.spec.index),
                    std::to_string(task.spec.attempt), task.spec.node,
                    std::string(TaskPhaseName(ts.phase)), exit, Join(cpus, ","),
                    FormatLocalTime(ts.start_time_ms), FormatLocalTime(ts.finish_time_ms)});
    }
    out += "\n" + table.Render();
  }
  return out;
}

}  // namespace drover::cli
