#include "daemons/droverd/history_records.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "api/hostlist.h"
#include "api/slurm_state.h"
#include "controllers/job_dependencies.h"
#include "daemons/droverd/cluster_state.h"

namespace drover::droverd {
namespace {

// The fields every record of a job shares.
HistoryRecord JobFields(const Job& job) {
  HistoryRecord r;
  r.job_id = job.id;
  r.name = job.metadata.name;
  r.user = job.owner.user;
  r.uid = job.owner.uid;
  r.account = job.spec.account;
  r.partition = job.spec.queue;
  r.qos = job.spec.qos;
  r.submit_ms = job.metadata.creation_time_ms;
  r.eligible_ms = std::max(job.metadata.creation_time_ms, job.spec.begin_time_ms);
  r.timelimit_s = job.spec.task.time_limit_s;
  r.work_dir = job.spec.task.working_dir;
  return r;
}

int32_t ExitCodeOf(const Task& t) { return std::max(0, t.status.exit_code); }

// Fills what the tasks tell: the last attempt's shape and times (end only
// once all of them ended), the usage of all. Returns the last attempt's
// tasks.
std::vector<const Task*> AddTasks(HistoryRecord& r, const std::vector<const Task*>& tasks) {
  int32_t last = 0;
  for (const Task* t : tasks) last = std::max(last, t->spec.attempt);
  std::vector<const Task*> final_tasks;
  std::set<std::string> nodes;
  bool all_ended = !tasks.empty();
  for (const Task* t : tasks) {
    if (t->status.start_time_ms > 0) r.core_seconds += CoreSeconds(*t);
    r.user_cpu_ms += t->status.usage.user_cpu_ms;
    r.system_cpu_ms += t->status.usage.system_cpu_ms;
    r.max_rss_kb = std::max(r.max_rss_kb, t->status.usage.max_rss_kb);
    if (t->spec.attempt != last) continue;
    final_tasks.push_back(t);
    r.alloc_cpus += static_cast<int64_t>(t->spec.cores.size());
    if (!t->spec.node.empty()) nodes.insert(t->spec.node);
    if (t->status.start_time_ms > 0 && (r.start_ms == 0 || t->status.start_time_ms < r.start_ms)) {
      r.start_ms = t->status.start_time_ms;
    }
    all_ended = all_ended && IsTerminal(t->status.phase);
    r.end_ms = std::max(r.end_ms, t->status.finish_time_ms);
  }
  if (!all_ended) r.end_ms = 0;
  r.restarts = last;
  r.alloc_nodes = static_cast<int64_t>(nodes.size());
  r.nodelist = CompressHostlist({nodes.begin(), nodes.end()});
  return final_tasks;
}

// The task whose end speaks for the record: the script of a batch
// allocation (part 0), else the worst-ended one. Placeholders run nothing.
const Task* Speaker(const std::vector<const Task*>& final_tasks) {
  const Task* speaker = nullptr;
  for (const Task* t : final_tasks) {
    if (t->spec.placeholder) continue;
    if (t->spec.part > 0) continue;
    const auto badness = [](const Task* x) {
      return std::pair(x->status.phase != TaskPhase::kSucceeded, ExitCodeOf(*x));
    };
    if (speaker == nullptr || badness(t) > badness(speaker)) speaker = t;
  }
  return speaker;
}

void AddEnd(HistoryRecord& r, const Task* speaker) {
  if (speaker == nullptr) return;
  r.exit_code = ExitCodeOf(*speaker);
  r.signal = speaker->status.signal;
  if (r.reason.empty()) r.reason = speaker->status.message;
}

// The indexes of `set` at or after `from`.
IndexSet From(const IndexSet& set, int64_t from) {
  IndexSet out;
  for (auto first = set.FirstFrom(from); first;) {
    const int64_t last = set.FirstAbsentFrom(*first) - 1;
    out.InsertRange(*first, last);
    first = set.FirstFrom(last + 1);
  }
  return out;
}

}  // namespace

bool IsArray(const Job& job) {
  return job.spec.completion_mode == CompletionMode::kIndexed && !job.spec.gang;
}

HistoryRecord ArrayTaskRecord(const Job& job, int64_t index,
                              const std::vector<const Task*>& index_tasks) {
  HistoryRecord r = JobFields(job);
  r.id = std::to_string(job.id) + "_" + std::to_string(index);
  r.array_index = index;
  const std::vector<const Task*> final_tasks = AddTasks(r, index_tasks);
  r.ntasks = IsAllocation(job.spec) ? job.spec.allocation.tasks : 1;
  r.req_mem_bytes = job.spec.task.resources.memory_bytes * r.ntasks;
  const Task* speaker = Speaker(final_tasks);
  AddEnd(r, speaker);
  if (speaker == nullptr) {
    r.state = IsTerminal(job.status.phase) ? SlurmJobState(job) : "PENDING";
  } else if (!IsTerminal(job.status.phase) && r.end_ms > 0 &&
             job.status.failed_indexes_pending.Contains(index)) {
    r.state = "REQUEUED";  // its last attempt failed; another will run
  } else if (job.status.cancelled_indexes.Contains(index) &&
             speaker->status.phase != TaskPhase::kSucceeded) {
    // scancel JOB_TASK: killed (a signal, to its node), cancelled to its user.
    r.state = IsTerminal(speaker->status.phase) ? "CANCELLED" : "RUNNING";
  } else {
    r.state = SlurmTaskState(*speaker);
  }
  return r;
}

HistoryRecord StepRecord(const Job& job, const std::vector<const Task*>& ranks) {
  HistoryRecord r = JobFields(job);
  const Task& first = *ranks.front();
  const std::string step = std::to_string(first.spec.step.id);
  r.id = IsArray(job) ? std::to_string(job.id) + "_" + std::to_string(first.spec.index) + "." + step
                      : std::to_string(job.id) + "." + step;
  r.array_index = IsArray(job) ? first.spec.index : -1;
  r.step = step;
  r.name = first.spec.step.name;
  AddTasks(r, ranks);
  r.restarts = 0;
  r.ntasks = static_cast<int64_t>(ranks.size());
  r.req_mem_bytes = 0;
  r.timelimit_s = 0;
  r.reason.clear();
  const Task* speaker = Speaker(ranks);
  AddEnd(r, speaker);
  r.state = r.end_ms == 0 ? "RUNNING" : SlurmTaskState(*speaker);
  return r;
}

std::vector<HistoryRecord> JobHistoryRecords(const Job& job, const std::vector<const Task*>& tasks,
                                             const std::vector<const Task*>& step_tasks) {
  std::vector<HistoryRecord> out;
  const std::string id = std::to_string(job.id);
  // Per index (arrays) or all together, then the batch script of each.
  std::map<int64_t, std::vector<const Task*>> by_index;
  for (const Task* t : tasks) by_index[IsArray(job) ? t->spec.index : 0].push_back(t);
  if (IsArray(job)) {
    for (const auto& [index, index_tasks] : by_index) {
      out.push_back(ArrayTaskRecord(job, index, index_tasks));
    }
    IndexSet never = From(AllIndexes(job.spec), job.status.next_index);
    if (controllers::HasCorrespondingDependency(job)) {
      // aftercorr starts indexes as they become ready, not upwards: below
      // next_index too, one may not have started yet.
      IndexSet started = job.status.completed_indexes;
      started.InsertAll(job.status.failed_indexes);
      for (const auto& [index, index_tasks] : by_index) started.Insert(index);
      never.InsertAll(AllIndexes(job.spec).Minus(started));
    }
    for (auto i = job.status.cancelled_indexes.First(); i;
         i = job.status.cancelled_indexes.FirstFrom(*i + 1)) {
      if (!by_index.count(*i)) never.Insert(*i);
    }
    if (!never.empty()) {
      HistoryRecord r = JobFields(job);
      r.id = id + "_[" + never.ToString() + "]";
      r.array_index = *never.First();
      r.state = IsTerminal(job.status.phase) ? "CANCELLED" : "PENDING";
      r.ntasks = never.Count();
      if (IsTerminal(job.status.phase)) r.end_ms = job.status.completion_time_ms;
      out.push_back(std::move(r));
    }
  } else {
    HistoryRecord r = JobFields(job);
    r.id = id;
    r.reason = IsTerminal(job.status.phase) ? job.status.message : "";
    const std::vector<const Task*> final_tasks = AddTasks(r, tasks);
    r.ntasks = IsAllocation(job.spec) ? job.spec.allocation.tasks
                                      : static_cast<int64_t>(final_tasks.size());
    r.req_mem_bytes = job.spec.task.resources.memory_bytes * std::max<int64_t>(1, r.ntasks);
    AddEnd(r, Speaker(final_tasks));
    r.state = SlurmJobState(job);
    if (!IsTerminal(job.status.phase)) {
      r.end_ms = 0;
    } else {
      r.end_ms = std::max(r.end_ms, job.status.completion_time_ms);
    }
    out.push_back(std::move(r));
  }
  if (job.spec.allocation.mode == AllocationMode::kBatch) {
    for (const auto& [index, index_tasks] : by_index) {
      int32_t last = 0;
      for (const Task* t : index_tasks) last = std::max(last, t->spec.attempt);
      for (const Task* t : index_tasks) {
        if (t->spec.attempt != last || t->spec.part != 0 || t->spec.placeholder) continue;
        HistoryRecord r = JobFields(job);
        r.id = (IsArray(job) ? id + "_" + std::to_string(index) : id) + ".batch";
        r.array_index = IsArray(job) ? index : -1;
        r.step = "batch";
        r.name = "batch";
        AddTasks(r, {t});
        r.restarts = 0;
        r.ntasks = 1;
        r.timelimit_s = 0;
        AddEnd(r, t);
        r.state = SlurmTaskState(*t);
        if (!IsTerminal(t->status.phase)) r.end_ms = 0;
        out.push_back(std::move(r));
      }
    }
  }
  std::map<std::pair<int64_t, int32_t>, std::vector<const Task*>> steps;
  for (const Task* t : step_tasks) steps[{t->spec.index, t->spec.step.id}].push_back(t);
  for (const auto& [key, ranks] : steps) out.push_back(StepRecord(job, ranks));
  return out;
}

}  // namespace drover::droverd
