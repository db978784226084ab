// ClusterState: droverd's live view of the cluster (jobs, tasks, nodes, what
// each node holds), and the operations that change it.
//
// Owned by the state thread (StateLoop); nothing here locks. Every change
// marks the changed objects dirty; TakeMutations() turns them into one store
// batch, so each object is written once per batch however often it changed.
// Operations validate first and change nothing when they fail.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "api/job.h"
#include "api/node.h"
#include "api/status.h"
#include "api/task.h"
#include "daemons/droverd/daemon_config.h"
#include "daemons/droverd/identity.h"
#include "daemons/droverd/node_channel.h"
#include "db/store.h"
#include "scheduler/schedule.h"

namespace drover::droverd {

// A node agent's report about one task.
struct TaskReport {
  std::string task;
  TaskPhase phase = TaskPhase::kRunning;  // Running, or the end (Succeeded/Failed)
  int32_t pid = 0;
  int32_t exit_code = -1;
  int32_t signal = 0;
  bool timed_out = false;
  int64_t time_ms = 0;
  int64_t start_time_ms = 0;  // final reports: when it started, if no Running report came
  ResourceUsage usage{};
  std::string message{};
};

// Counts the metrics layer reads after each batch.
struct StateCounters {
  std::map<JobPhase, int64_t> jobs_by_phase;
  int64_t tasks_assigned = 0;
  int64_t tasks_running = 0;
  int64_t tasks_started_total = 0;
  int64_t tasks_succeeded_total = 0;
  int64_t tasks_failed_total = 0;
  int64_t tasks_fenced_total = 0;  // kills of copies a node ran that droverd gave up on
};

// How long a cancelled task gets between SIGTERM and SIGKILL.
inline constexpr int64_t kCancelGraceMs = 10'000;
// ... and a fenced one (a copy that must not run beside its replacement).
inline constexpr int64_t kFenceGraceMs = 2'000;

// What a finished task charges to fair-share: its cores times its run time.
double CoreSeconds(const Task& task);

// Finished tasks droverd remembers per job (for `drover show` and logs).
inline constexpr size_t kFinishedTasksKeptPerJob = 1000;

class ClusterState {
 public:
  explicit ClusterState(std::string epoch, DaemonConfig config = {})
      : epoch_(std::move(epoch)), config_(std::move(config)), fair_share_(config_.fair_share) {}

  // Rebuilds everything from the store (at start-up, before serving).
  Status Load(db::Store& store, int64_t now_ms);

  // --- jobs
  // Validates, assigns id/uid/owner/creation time, checks the job can ever
  // fit the registered nodes, and adds it. Errors: InvalidArgument,
  // Unschedulable.
  Result<const Job*> SubmitJob(Job job, const Caller& caller, int64_t now_ms);
  // Checks a submission without adding it (for all-or-nothing bulk submits):
  // valid, and able to run some day on the registered nodes within its
  // queue's limits (scheduler/admission.h).
  Status CheckSubmission(const Job& job) const;
  // Ok if `name` is "default" or a configured queue.
  Status CheckQueueExists(const std::string& name) const;
  // Fills what the job's queue supplies when the job is silent (time limit).
  void ApplyQueueDefaults(Job& job) const;
  Status CancelJob(uint64_t id, const Caller& caller, int64_t now_ms);
  // Holds an unfinished job (no new task starts; running ones go on) or
  // releases it, as scontrol hold/release. Owner or admin.
  Status SetHold(uint64_t id, bool hold, const Caller& caller, int64_t now_ms);
  // Cancels pending jobs whose dependencies can never hold any more (afterok
  // on a job that failed, ...), naming the dependency; cascades down chains.
  // Returns how many were cancelled.
  int64_t CancelUnsatisfiableJobs(int64_t now_ms);
  // Asks for a scheduling pass when a job's beginTime has come.
  void WakeJobsDue(int64_t now_ms);
  // Forgets jobs that finished more than the configured retention ago, with
  // their tasks, in memory and in the store (a sweep at most every 10 s, or a
  // tenth of the retention when that is shorter).
  // A job an unfinished job depends on, or one with a task still ending, is
  // kept. Returns how many jobs were forgotten.
  int64_t ForgetExpiredJobs(int64_t now_ms);
  const Job* FindJob(uint64_t id) const;
  const std::map<uint64_t, Job>& jobs() const { return jobs_; }
  // Every attempt of every index of a job, oldest first.
  std::vector<const Task*> TasksOfJob(uint64_t id) const;
  const Task* FindTask(const std::string& name) const;

  // --- nodes
  Status RegisterNode(Node node, int64_t now_ms);
  // At a node's registration, with the tasks it holds (`held`: running, or
  // ended and not yet acknowledged): tasks droverd saw start there that the
  // node no longer holds are Lost (their jobs retry them); Assigned ones it
  // does not hold are launched again; held tasks droverd does not want there
  // (ended, lost and replaced, forgotten) are fenced.
  void ReconcileHeldTasks(const std::string& node, const std::set<std::string>& held,
                          int64_t now_ms);
  // Kills every task in `held` (what the node says it runs) that droverd does
  // not assign to `node`, before the node takes new work.
  void FenceTasks(const std::string& node, const std::set<std::string>& held);
  Status Heartbeat(const std::string& node, int64_t now_ms);
  // Applies one report from `node`. A report about an unknown task, a task of
  // another node, or a transition that cannot happen is refused (Invalid /
  // NotFound / Conflict) and changes nothing; a repeat of a report already
  // applied is accepted and ignored.
  Status ApplyReport(const std::string& node, const TaskReport& report, int64_t now_ms);
  const std::map<std::string, Node>& nodes() const { return nodes_; }
  NodeChannel* Channel(const std::string& node);
  // Marks nodes silent past the timeout NotReady and their tasks Lost.
  void ReconcileNodes(int64_t now_ms, int64_t heartbeat_timeout_ms);

  // --- scheduling
  // What the scheduler needs: the nodes, the running tasks, the pending jobs.
  void BuildSchedulerInput(int64_t now_ms, scheduler::ClusterSnapshot* cluster,
                           std::vector<scheduler::PendingJob>* pending) const;
  // Creates the tasks of the decision's placements and queues their launch;
  // kills the victims of its preemptions (see scheduler/schedule.h for the
  // contract: requeued victims run again without counting a failure; the
  // placements that need their cores wait for a later pass); records pending
  // reasons. Returns the number of tasks created.
  int64_t ApplyDecision(const scheduler::Decision& decision, int64_t now_ms);
  bool needs_scheduling() const { return needs_scheduling_; }
  void clear_needs_scheduling() { needs_scheduling_ = false; }

  // --- persistence
  std::vector<db::Mutation> TakeMutations();
  // Answers node long-polls that have news from durable batches (up to
  // `durable_batch`) or timed out.
  void FlushChannels(int64_t now_ms, uint64_t durable_batch);
  // The state loop's batch being built: node instructions appended now belong
  // to it and wait for its commit. Instructions rebuilt at Load() are batch 0.
  void set_building_batch(uint64_t batch) { building_batch_ = batch; }
  bool InstructionsAppendedIn(uint64_t batch) const;

  const StateCounters& counters() const { return counters_; }
  const scheduler::SchedulerConfig& scheduler_config() const { return config_.scheduler; }
  // A job's priority on the scheduler's scale: multifactor when configured,
  // else its own spec.priority.
  int32_t EffectivePriority(const Job& job, int64_t now_ms) const;
  const std::string& epoch() const { return epoch_; }

 private:
  struct NodeAllocation {
    std::vector<bool> core_busy;
    int64_t memory_used = 0;
    std::set<std::string> tasks;  // active tasks on the node
  };

  void TouchJob(Job& job);
  void TouchTask(Task& task);
  void TouchNode(Node& node);
  void Release(const Task& task);
  void Hold(const Task& task);
  // Keeps at most kFinishedTasksKeptPerJob finished tasks of a job (the newest;
  // `keep` is never forgotten): a job's progress lives in its status, and an
  // array of a million frames must not cost a million task records.
  void ForgetOldFinishedTasks(uint64_t job_id, const std::string& keep);
  // Ends an active task (Succeeded/Failed/Cancelled/Lost) and lets its job react.
  void EndTask(Task& task, TaskPhase phase, int64_t now_ms);
  void KillActiveTasks(uint64_t job_id, int64_t grace_ms);
  void Preempt(const scheduler::Preemption& victim, int64_t now_ms);
  scheduler::PendingJob PendingJobFor(const Job& job, int64_t tasks_wanted, bool gang,
                                      int32_t priority) const;
  Json LaunchInstruction(const Task& task, const Job& job, const std::string& nodelist) const;
  void CountJobPhase(JobPhase phase, int delta);

  std::string epoch_;
  DaemonConfig config_;
  queue::FairShare fair_share_;  // decayed core-seconds per user, from finished tasks
  // Tasks being killed, and why: kRequeue/kCancel for preemption victims,
  // kOff for tasks of cancelled or finished jobs.
  std::map<std::string, scheduler::PreemptMode> terminating_;
  uint64_t next_job_id_ = 1;
  int64_t resource_version_ = 0;
  std::map<uint64_t, Job> jobs_;
  std::unordered_map<std::string, Task> tasks_;
  std::map<std::string, Node> nodes_;
  std::unordered_map<uint64_t, std::vector<std::string>> job_tasks_;
  // The attempt number the next task of (job, index) gets, for indexes that
  // failed before; absent = 0.
  std::map<std::pair<uint64_t, int64_t>, int32_t> next_attempt_;
  std::set<uint64_t> unfinished_jobs_;
  std::multimap<int64_t, uint64_t> begin_times_;  // future beginTime -> job, to wake a pass
  std::unordered_map<std::string, NodeAllocation> allocations_;
  std::unordered_map<std::string, NodeChannel> channels_;
  std::unordered_set<uint64_t> dirty_jobs_;
  std::unordered_set<std::string> dirty_tasks_;
  std::set<std::string> dirty_nodes_;
  bool meta_dirty_ = false;
  std::vector<uint64_t> deleted_jobs_;  // forgotten: deleted from the store next batch
  std::vector<std::string> deleted_tasks_;
  int64_t next_forget_ms_ = 0;
  bool needs_scheduling_ = true;
  uint64_t building_batch_ = 0;
  StateCounters counters_;
};

}  // namespace drover::droverd
