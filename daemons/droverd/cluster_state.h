// ClusterState: droverd's live view of the cluster (jobs, tasks, nodes, what
// each node holds, Deployments), and the operations that change it. Split by
// concept: cluster_state.cc (jobs, task ends, reports), _nodes.cc, _scheduling.cc,
// _services.cc (Deployments, and what every service kind shares), _daemons.cc
// (DaemonSets), _stateful.cc (StatefulSets), _volumes.cc (their ordinals'
// directories), _store.cc (load and mutations).
//
// Owned by the state thread (StateLoop); nothing here locks. Every change
// marks the changed objects dirty; TakeMutations() turns them into one store
// batch, so each object is written once per batch however often it changed.
// Operations validate first and change nothing when they fail.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "api/daemon_set.h"
#include "api/deployment.h"
#include "api/history.h"
#include "api/job.h"
#include "api/node.h"
#include "api/random_uuid.h"
#include "api/stateful_set.h"
#include "api/status.h"
#include "api/task.h"
#include "controllers/deployment_controller.h"
#include "controllers/stateful_set_controller.h"
#include "daemons/droverd/daemon_config.h"
#include "daemons/droverd/identity.h"
#include "daemons/droverd/job_mail.h"
#include "daemons/droverd/node_channel.h"
#include "daemons/droverd/step_fences.h"
#include "daemons/droverd/task_credentials.h"
#include "daemons/droverd/workload_store.h"
#include "db/store.h"
#include "scheduler/admission.h"
#include "scheduler/schedule.h"
#include "scheduler/step_placement.h"

namespace drover::droverd {

// A node agent's report about one task.
struct TaskReport {
  std::string task;
  TaskPhase phase = TaskPhase::kRunning;  // Running, or the end (Succeeded/Failed)
  int32_t pid = 0;
  int32_t exit_code = -1;
  int32_t signal = 0;
  bool timed_out = false;
  bool out_of_memory = false;
  int64_t time_ms = 0;
  int64_t start_time_ms = 0;  // final reports: when it started, if no Running report came
  ResourceUsage usage{};
  std::string message{};
  // Running reports of a task with a readiness probe: whether it passes.
  std::optional<bool> ready{};
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

// The key of ClusterState's index of submission ids ("UID:ID").
std::string SubmissionKey(uint32_t uid, const std::string& submission_id);
// Five random characters for a service task's name (as a pod's suffix).
std::string NewTaskSuffix();

// The env var droverd sets on a rollout restart; a changed value is a changed
// template, hence a new revision (Kubernetes uses a pod-template annotation).
inline constexpr char kRestartedAtEnv[] = "DROVER_RESTARTED_AT";
// Sets it to `now_ms` in the template.
void SetRestartedAt(ReplicaTemplate& t, int64_t now_ms);

// What a finished task charges to fair-share: its cores times its run time.
double CoreSeconds(const Task& task);

// Finished tasks droverd remembers per job (for `drover show` and logs).
inline constexpr size_t kFinishedTasksKeptPerJob = 1000;
// ... and per Deployment or DaemonSet (its tasks that ended: crashes, old
// revisions).
inline constexpr size_t kFinishedTasksKeptPerDeployment = 20;
// The first restart back-off of a crashing daemon or StatefulSet task
// (doubling to controllers::kMaxRestartBackoffMs, as a kubelet's
// CrashLoopBackOff).
inline constexpr int64_t kDaemonRestartBackoffMs = 10'000;

// One task of a Deployment as its endpoints list it (GET /api/v1/endpoints).
struct Endpoint {
  std::string task;
  std::string node;
  std::string host;  // the node's address, without the agent's port
  std::vector<std::pair<std::string, int32_t>> ports;
  bool ready = false;        // serving and not terminating: send traffic here
  bool serving = false;      // passes readiness, even while terminating
  bool terminating = false;  // being stopped
};

// What `apply` did to a Deployment.
enum class ApplyVerb { kCreated, kConfigured, kUnchanged };

// Which tasks of a job scancel --signal reaches (Slurm's default, -b, -f). A
// job that is not an allocation has no batch script or steps: its tasks are
// signalled whichever is asked.
enum class JobSignalTargets { kSteps, kBatch, kFull };
std::string_view ApplyVerbName(ApplyVerb verb);

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
  // scancel JOB_TASK: indexes of an array job stop and never run again; the
  // job goes on with the others. Owner or admin. Errors: NotFound; Conflict
  // (finished, or not an array); Invalid (an index the array does not have).
  Status CancelIndexes(uint64_t id, const IndexSet& indexes, const Caller& caller);
  // Holds an unfinished job (no new task starts; running ones go on) or
  // releases it, as scontrol hold/release. Owner or admin.
  Status SetHold(uint64_t id, bool hold, const Caller& caller, int64_t now_ms);
  // scontrol requeue: a running job's tasks stop and it waits to run again
  // from the start, as after a node failure (not a failure; SLURM_RESTART_COUNT
  // counts it). Owner or admin. Errors: NotFound; Conflict (pending,
  // finished, or --no-requeue, as Slurm refuses those).
  Status RequeueJob(uint64_t id, const Caller& caller);
  // scontrol update job: the fields set change; the rest stay.
  struct JobUpdate {
    // Raised by admins only; a running job's nodes count the new one from
    // each task's start (one already past ends the task: TIMEOUT).
    std::optional<int64_t> time_limit_s;
    std::optional<int32_t> priority;     // admins only
    std::optional<int32_t> nice;         // negative by admins only
    std::optional<int64_t> parallelism;  // ArrayTaskThrottle; 0 = no throttle
  };
  // Owner or admin, as Slurm's rules say (above). All or nothing: a refused
  // field changes nothing. Errors: NotFound, Conflict (finished; a gang's
  // size), PermissionDenied, Invalid (range, or over the queue's maxTime).
  Status UpdateJob(uint64_t id, const JobUpdate& update, const Caller& caller);
  // Cancels pending jobs whose dependencies can never hold any more (afterok
  // on a job that failed, ...), naming the dependency; cascades down chains.
  // Returns how many were cancelled.
  // Then aftercorr's gate: which indexes each such array may start now
  // (ClaimableIndexes); indexes that never can are cancelled.
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
  // The ids of the jobs not yet ended (Pending or Running), ascending.
  const std::set<uint64_t>& unfinished_jobs() const { return unfinished_jobs_; }
  // Every attempt of every index of a job, oldest first.
  std::vector<const Task*> TasksOfJob(uint64_t id) const;
  // Accounting (cluster_state_history.cc): the records, matching `query`, of
  // the jobs droverd holds whose records are not all in the store yet
  // (unfinished jobs, and finished ones whose tasks still end). The store's
  // job_history table holds the rest.
  std::vector<HistoryRecord> LiveHistory(const HistoryQuery& query) const;
  // The job mails (--mail-type) the jobs changed since the last batch call
  // for, marked sent in this batch; the state loop sends them once it is
  // durable (cluster_state_mail.cc).
  std::vector<JobMail> TakeMail(int64_t now_ms);
  // Jobs droverd no longer holds, as their history records tell how they
  // ended, so that a dependency on a long-finished job still resolves
  // (records of jobs it holds are ignored). The job routes look the
  // dependencies of a submission up in the table before it is submitted.
  void NoteEndedJobs(const std::vector<HistoryRecord>& records);
  // A dependency's job: one droverd holds, or one NoteEndedJobs noted.
  const Job* DependencyTarget(uint64_t id) const;
  const Task* FindTask(const std::string& name) const;

  // Runs the Job controller (controllers/job_controller.h) over every job
  // whose key is queued: a task of it was created or ended, it was cancelled,
  // droverd started. Applies what it says: the recounted status, the ends
  // now counted (and their fair-share usage), the kills of a finished job's
  // tasks. The state loop runs it every turn, before and after the pass.
  void ReconcileJobs(int64_t now_ms);

  // --- nodes
  Status RegisterNode(Node node, int64_t now_ms);
  // At a node's registration, with the tasks it holds (`held`: running, or
  // ended and not yet acknowledged): tasks droverd saw start there that the
  // node no longer holds are Lost (their jobs retry them); Assigned ones it
  // does not hold are launched again; held tasks droverd does not want there
  // (ended, lost and replaced, forgotten) are fenced. A held running replica
  // with probes is sent its launch again, so that a restarted agent resumes
  // its probes.
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
  // The tasks that hold cores on `node` now (assigned, running, being stopped).
  std::vector<const Task*> TasksOnNode(const std::string& node) const;
  NodeChannel* Channel(const std::string& node);
  // Sets and removes a node's labels, as `kubectl label node`: a key that has
  // a value is changed only with `overwrite`, and removing a key it lacks is
  // fine. Labels an admin set outlive the agent's re-registrations (the
  // agent's own --label keys are set again by each). On any error nothing
  // changes. NotFound, Invalid (naming the label), Conflict.
  Status LabelNode(const std::string& name, const Labels& set,
                   const std::vector<std::string>& remove, bool overwrite);
  // Cordons a node (no new task is placed on it; what runs goes on) or
  // uncordons it (which also ends a drain), as `kubectl cordon|uncordon`.
  Status CordonNode(const std::string& name, bool cordoned);
  // Drains a node, as `kubectl drain` and Slurm's DRAIN: cordoned, its
  // Deployments' replicas replaced elsewhere and then stopped (within what
  // their rollout strategy allows to be unavailable), its batch tasks left to
  // finish, or with `force` stopped at once and run again elsewhere (not
  // counted as failures).
  // `reason` is recorded (Slurm's Reason=; "" = an admin's drain).
  Status DrainNode(const std::string& name, bool force, const std::string& reason = "");
  // The node monitor's health check result: a failing node is drained (its
  // reason says so); one drained for its health is undrained once it passes
  // again. An admin's own cordon or drain is never undone by it.
  Status ReportNodeHealth(const std::string& name, bool healthy, const std::string& message,
                          int64_t now_ms);
  // The agent's word on its task-log disk (its every report): a problem
  // drains the node, its reason saying what is wrong ("task logs cannot be
  // written: ..."); once fine again, a node drained for it is undrained.
  // Another drain (an admin's, the health check's) is left alone.
  Status ReportLogDisk(const std::string& name, const std::string& problem);
  // What both share: a node failing for `cause` is drained with the reason
  // "CAUSE: DETAIL" (unless drained already for something else); once it no
  // longer fails, a drain of that cause is lifted.
  Status DrainForCause(const std::string& name, std::string_view cause, bool failing,
                       const std::string& detail);
  // Marks nodes silent past the timeout NotReady and their tasks Lost.
  void ReconcileNodes(int64_t now_ms, int64_t heartbeat_timeout_ms);

  // --- deployments (cluster_state_services.cc)
  // Creates a Deployment, or changes its spec (a changed template is a new
  // revision and a rollout); the same spec again changes nothing. Owner or
  // admin for changes.
  Result<std::pair<const Deployment*, ApplyVerb>> ApplyDeployment(Deployment d,
                                                                  const Caller& caller,
                                                                  int64_t now_ms);
  // Whether ApplyDeployment(d, caller) would succeed, changing nothing.
  Status CheckDeploymentApply(const Deployment& d, const Caller& caller) const;
  Result<const Deployment*> ScaleDeployment(const std::string& name, int32_t replicas,
                                            const Caller& caller, int64_t now_ms);
  Result<const Deployment*> PauseDeployment(const std::string& name, bool paused,
                                            const Caller& caller, int64_t now_ms);
  // Rolls back to revision `to` (0 = the one before the current), which
  // becomes the newest revision. NotFound when there is no such revision.
  Result<const Deployment*> UndoDeployment(const std::string& name, int64_t to,
                                           const Caller& caller, int64_t now_ms);
  // Replaces every replica (a rollout of the same template), as
  // `kubectl rollout restart`.
  Result<const Deployment*> RestartDeployment(const std::string& name, const Caller& caller,
                                              int64_t now_ms);
  // Deletes it and stops its replicas.
  Status DeleteDeployment(const std::string& name, const Caller& caller, int64_t now_ms);
  const DeploymentStore& deployments() const { return deployments_; }
  // Every task of it droverd remembers, oldest first.
  std::vector<const Task*> TasksOfDeployment(const std::string& name) const;
  std::vector<Endpoint> EndpointsOf(const std::string& name) const;
  // The newest resourceVersion among its tasks and itself: what a watch of
  // its endpoints waits to pass.
  int64_t EndpointsVersion(const std::string& name) const;
  // A watch of a Deployment's endpoints: `answer` is called on the state
  // thread (from FlushChannels) once EndpointsVersion passes `after`, or at
  // `deadline_ms` with what there is.
  using EndpointsAnswer = std::function<void(std::vector<Endpoint>, int64_t version)>;
  void WatchEndpoints(const std::string& name, int64_t after, int64_t deadline_ms,
                      EndpointsAnswer answer);
  // Runs the Deployment controller over every Deployment whose key is queued
  // (something of it changed) or due (a timer it asked for).
  void ReconcileDeployments(int64_t now_ms);

  // --- daemon sets (cluster_state_daemons.cc)
  // Creates a DaemonSet, or changes its spec (a changed template is a new
  // revision, rolled out node by node); the same spec again changes nothing.
  // Owner or admin for changes.
  Result<std::pair<const DaemonSet*, ApplyVerb>> ApplyDaemonSet(DaemonSet ds, const Caller& caller,
                                                                int64_t now_ms);
  // Whether ApplyDaemonSet(ds, caller) would succeed, changing nothing.
  Status CheckDaemonSetApply(const DaemonSet& ds, const Caller& caller) const;
  // Replaces every daemon task (a rollout of the same template).
  Result<const DaemonSet*> RestartDaemonSet(const std::string& name, const Caller& caller,
                                            int64_t now_ms);
  // Deletes it and stops its tasks.
  Status DeleteDaemonSet(const std::string& name, const Caller& caller, int64_t now_ms);
  const DaemonSetStore& daemon_sets() const { return daemon_sets_; }
  // Every task of it droverd remembers, oldest first.
  std::vector<const Task*> TasksOfDaemonSet(const std::string& name) const;
  // Runs the DaemonSet controller over every DaemonSet whose key is queued
  // (something of it changed, a node joined, left, or was relabelled) or due.
  void ReconcileDaemonSets(int64_t now_ms);
  // Creates each of `wanted` (the built-in daemons) that does not exist yet,
  // owned by `system`; one that exists is left as it is (an admin's edits
  // stay). Returns the names created.
  std::vector<std::string> EnsureDaemonSets(const std::vector<DaemonSet>& wanted,
                                            const Caller& system, int64_t now_ms);
  // Where built-in daemons' task credentials are granted (null = none are):
  // grants them to the built-in daemon tasks that run already (a restart).
  void SetTaskCredentials(TaskCredentials* credentials);

  // --- stateful sets (cluster_state_stateful.cc)
  // Creates a StatefulSet, or changes its spec (a changed template rolls
  // from the highest ordinal down); the same spec again changes nothing.
  // Shared volumes must lie under a configured root. Owner or admin for
  // changes.
  Result<std::pair<const StatefulSet*, ApplyVerb>> ApplyStatefulSet(StatefulSet ss,
                                                                    const Caller& caller,
                                                                    int64_t now_ms);
  Status CheckStatefulSetApply(const StatefulSet& ss, const Caller& caller) const;
  Result<const StatefulSet*> ScaleStatefulSet(const std::string& name, int32_t replicas,
                                              const Caller& caller, int64_t now_ms);
  Result<const StatefulSet*> RestartStatefulSet(const std::string& name, const Caller& caller,
                                                int64_t now_ms);
  // Deletes it and stops its tasks. Its ordinals' directories are kept,
  // unless whenDeleted is Delete: then it stays, Terminating, until every
  // directory is removed (cluster_state_volumes.cc).
  Status DeleteStatefulSet(const std::string& name, const Caller& caller, int64_t now_ms);
  const StatefulSetStore& stateful_sets() const { return stateful_sets_; }
  // Every task of it droverd remembers, by ordinal.
  std::vector<const Task*> TasksOfStatefulSet(const std::string& name) const;
  // Why each ordinal without a task waits (its node is down and holds its
  // NodeLocal volume; its old node may still run it until the fence passes).
  std::map<int32_t, std::string> WaitingOrdinals(const std::string& name, int64_t now_ms) const;
  // Runs the StatefulSet controller over every StatefulSet whose key is
  // queued or due.
  void ReconcileStatefulSets(int64_t now_ms);
  // A node's word that it removed (or, with `error`, could not remove) the
  // directories of removal `id` ("SET/UID/ORDINAL") droverd sent it.
  void ConfirmVolumeRemoval(const std::string& node, const std::string& id,
                            const std::string& error);

  // --- allocations and steps (cluster_state_steps.cc): Slurm's model
  struct StepRequest {
    scheduler::StepRequest placement;  // cpus_per_task 0: the job's cores per task
    bool kill_on_bad_exit = true;
    std::string mpi = "none";  // StepSpec::mpi
    TaskTemplate command;      // argv, env, working dir of every rank
  };
  // Starts a step in the running allocation of job `id`: the one whose
  // batch script holds the caller's credential, else the job's only one.
  // Owner or admin. Errors: NotFound, Conflict (not an allocation, or not
  // running), Unschedulable (can never fit it), Unavailable (other steps
  // hold the cores now: ask again).
  Result<std::vector<const Task*>> CreateStep(uint64_t id, StepRequest request,
                                              const Caller& caller, int64_t now_ms);
  // Every step task droverd keeps of a job, oldest first.
  std::vector<const Task*> StepTasksOfJob(uint64_t id) const;
  // Node `node`'s share of fence `sequence` of MPI step `step` of job `id`
  // (StepFences); the last node's share sends every node the gathered data.
  // Errors: NotFound (no such step), PermissionDenied (none of its ranks
  // runs there), Conflict (sent already), Invalid (too much data).
  Status ContributeFence(const std::string& node, uint64_t id, int32_t step, int64_t sequence,
                         std::string data);
  // Stops step `step` of job `id` (Ctrl-C at srun). Owner or admin.
  Status CancelStep(uint64_t id, int32_t step, const Caller& caller);
  // Slurm's scancel --signal: `signal` to the job's running tasks, as
  // `targets` says (see JobSignalTargets). Returns how many were signalled.
  Result<int32_t> SignalJob(uint64_t id, int32_t signal, JobSignalTargets targets,
                            const Caller& caller);
  // Ends an Interactive allocation (salloc, srun outside one) with its
  // command's exit code: 0 Succeeded, else Failed. Owner or admin.
  Status CompleteAllocation(uint64_t id, int32_t exit_code, const Caller& caller, int64_t now_ms);

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
  // Ports are a host's, not a node's: the nodes of `drover up` share one.
  struct HostPorts {
    std::set<int32_t> used;  // held by active tasks of the host's nodes
    int32_t next = 0;        // where the search for a free one starts
  };
  // The host part of a node's address (its name when it has none).
  std::string HostOf(const std::string& node) const;
  // The registered nodes that have every label of `selector` (their cores and
  // memory): what admission checks judge "could ever run" on. Without a
  // selector, a list kept until a node changes, so a submission costs no
  // copy of the nodes; with one, made into *matching.
  std::span<const scheduler::NodeCapacity> NodeCapacities(
      const Labels& selector, std::vector<scheduler::NodeCapacity>* matching) const;
  bool IsDraining(const std::string& node) const {
    auto it = nodes_.find(node);
    return it != nodes_.end() && it->second.spec.draining;
  }
  // Queues every Deployment's and StatefulSet's key (a node's drain began or ended).
  void EnqueueAllDeployments();
  // Queues the keys of every DaemonSet and StatefulSet: a node joined, left,
  // came back or changed labels, so where each should run (a DaemonSet's
  // nodes, an ordinal pinned to its node) may have changed.
  void EnqueueNodeWatchers() {
    daemon_sets_.EnqueueAll();
    stateful_sets_.EnqueueAll();
  }

  void TouchJob(Job& job);
  void TouchTask(Task& task);
  void TouchNode(Node& node);
  void Release(const Task& task);
  void Hold(const Task& task);
  // Keeps at most kFinishedTasksKeptPerJob finished tasks of a job (the
  // newest; uncounted ones are never forgotten): a job's progress lives in its
  // status, and an array of a million frames must not cost a million tasks.
  void ForgetOldFinishedTasks(uint64_t job_id);
  // Ends an active task (Succeeded/Failed/Cancelled/Lost) and lets its job react.
  void EndTask(Task& task, TaskPhase phase, int64_t now_ms);
  // Tells a task's node to stop it (SIGTERM, SIGKILL after `grace_ms`), once;
  // `why` says what its end means (a requeued preemption victim runs again).
  void KillTask(Task& task, scheduler::PreemptMode why, int64_t grace_ms);
  // aftercorr arrays (cluster_state_dependencies.cc): the indexes each may
  // start now, recomputed before every pass; nullptr for other jobs.
  void UpdateCorrespondingIndexes();
  IndexSet* ClaimableIndexes(uint64_t job_id);
  const IndexSet* ClaimableIndexes(uint64_t job_id) const;
  std::unordered_map<uint64_t, IndexSet> corresponding_;
  // Tells the node of a running job task the job's time limit now.
  void SendTimeLimit(const Task& task);
  void EnqueueJob(uint64_t id) { jobs_to_reconcile_.insert(id); }
  void Preempt(const scheduler::Preemption& victim, int64_t now_ms);
  scheduler::PendingJob PendingJobFor(const Job& job, int64_t tasks_wanted, bool gang,
                                      int32_t priority, int64_t now_ms) const;
  Json LaunchInstruction(const Task& task, const Job& job, const std::string& nodelist) const;
  // The fields of a launch every owner's task has: where it runs, what, as
  // whom. Callers add their owner's own (job id, index, nodelist, probes).
  static Json TaskLaunch(const Task& task, const TaskTemplate& t, const Owner& owner);
  // The launch of an active task, whoever owns it (relaunches, restarts).
  Json LaunchOf(const Task& task, const std::string& nodelist) const;
  // Services (cluster_state_services.cc): tasks of Deployments and
  // DaemonSets, which run from a Revision until stopped.
  static bool IsReplica(const Task& task) { return task.spec.owner.kind == "Deployment"; }
  static bool IsDaemon(const Task& task) { return task.spec.owner.kind == "DaemonSet"; }
  static bool IsOrdinal(const Task& task) { return task.spec.owner.kind == "StatefulSet"; }
  static bool IsService(const Task& task) {
    return IsReplica(task) || IsDaemon(task) || IsOrdinal(task);
  }
  // The revision a service task runs; null if its owner or revision is gone.
  const Revision* ServiceRevision(const Task& task) const;
  // Queues the key of a service task's owner with its controller.
  void EnqueueOwner(const Task& task);
  // The revision a Deployment rolls out: its template's, or while paused the
  // one it was rolling when paused. Null for an unknown Deployment.
  const Revision* RolloutTarget(const std::string& deployment) const;
  // Its hash, or "".
  std::string RolloutRevision(const std::string& deployment) const;
  // Makes a service task of `owner` named PREFIX-xxxxx from a placement,
  // holds its resources and queues its launch; the caller records it with
  // its owner's store.
  const Task& StartServiceTask(const std::string& prefix, const scheduler::TaskPlacement& p,
                               TaskOwner owner, const std::string& revision,
                               std::vector<std::pair<std::string, int32_t>> ports, int64_t index,
                               int64_t now_ms);
  // The launch of a service task: its revision's template, ports, probes.
  Json ServiceLaunch(const Task& task) const;
  void CreateReplica(const scheduler::TaskPlacement& p, const std::string& deployment,
                     int64_t now_ms);
  void EndReplica(Task& task, bool stopped, int64_t now_ms);
  // Forgets the oldest ended tasks of a service beyond the newest few.
  template <class Store>
  void ForgetEndedServiceTasks(Store& store, const std::string& owner, const std::string& ended);
  void ReconcileOneDeployment(const std::string& name, int64_t now_ms);
  void AddReplicaDemand(std::vector<scheduler::PendingJob>* pending) const;
  std::vector<std::pair<std::string, int32_t>> AllocatePorts(const std::string& node,
                                                             const std::vector<PortSpec>& ports);
  Result<Deployment*> ChangeableDeployment(const std::string& name, const Caller& caller,
                                           const std::string& verb);
  void TouchDeployment(Deployment& d);
  // A Running report of a service task: readiness from its probe, or from running.
  void SetServiceReadiness(Task& task, const TaskReport& report, int64_t when_ms);
  // DaemonSets (cluster_state_daemons.cc).
  void ReconcileOneDaemonSet(const std::string& name, int64_t now_ms);
  // The daemon tasks waiting for their node, on Ready nodes that are cordoned
  // (`cordoned`) or not: the main pass places the latter; the former are
  // placed by PlaceDaemonsOnCordonedNodes.
  void AddDaemonDemand(std::vector<scheduler::PendingJob>* pending, bool cordoned) const;
  // A cordon keeps new work off a node, not the node's own daemons (as
  // Kubernetes' DaemonSet pods tolerate it): each daemon wanted on a
  // cordoned node is placed by a scheduler pass over that node alone.
  void PlaceDaemonsOnCordonedNodes(int64_t now_ms);
  // A node as the scheduler sees it, and the active tasks it holds.
  scheduler::NodeSnapshot NodeSnapshotOf(const std::string& name, const Node& node) const;
  void AddRunningOn(const std::string& node, int64_t now_ms,
                    scheduler::ClusterSnapshot* cluster) const;
  void CreateDaemonTask(const scheduler::TaskPlacement& p, int64_t now_ms);
  // The credential of a built-in daemon's task, granted ("" for other tasks).
  std::string GrantDaemonCredential(const Task& task, const DaemonSet& ds) const;
  void EndDaemonTask(Task& task, bool stopped, int64_t now_ms);
  Result<DaemonSet*> ChangeableDaemonSet(const std::string& name, const Caller& caller,
                                         const std::string& verb);
  void TouchDaemonSet(DaemonSet& ds);
  // StatefulSets (cluster_state_stateful.cc).
  void ReconcileOneStatefulSet(const std::string& name, int64_t now_ms);
  void AddOrdinalDemand(std::vector<scheduler::PendingJob>* pending) const;
  void CreateOrdinalTask(const scheduler::TaskPlacement& p, int64_t now_ms);
  void EndOrdinalTask(Task& task, bool stopped, int64_t now_ms);
  Result<StatefulSet*> ChangeableStatefulSet(const std::string& name, const Caller& caller,
                                             const std::string& verb);
  void TouchStatefulSet(StatefulSet& ss);
  // What an ordinal's launch adds: DROVER_ORDINAL, DROVER_PEERS, volumes, fencing.
  void AddOrdinalLaunch(const Task& task, const StatefulSet& ss, Json& launch) const;
  // Forgets a StatefulSet (its tasks stopped, its keys dropped).
  void EraseStatefulSet(const std::string& name);
  // The ordinals' directories (cluster_state_volumes.cc): records the
  // ordinals that have them, decides which to remove under the retention
  // policy and asks a node to; returns when to look again (0: on an event).
  int64_t ReconcileOrdinalVolumes(const StatefulSet& ss,
                                  const std::vector<controllers::OrdinalTaskView>& live,
                                  int64_t now_ms, StatefulSetStatus* kept);
  // A Terminating StatefulSet: stops its tasks, removes its directories, then goes.
  void ReconcileDeletingStatefulSet(StatefulSet& ss, int64_t now_ms);
  // Instructions for `node` were dropped (it went NotReady): removals sent
  // there are sent again, there or elsewhere.
  void ForgetVolumeRemovalsSentTo(const std::string& node);
  // Allocations (cluster_state_steps.cc): the tasks, one per node, of one
  // allocation from the placements of one scheduler pass.
  void CreateAllocation(Job& job, const std::vector<const scheduler::TaskPlacement*>& placements,
                        int64_t now_ms);
  // Every task of the allocation `part` belongs to, by part.
  std::vector<const Task*> AllocationParts(const Task& part) const;
  // The batch script's launch: the allocation described in SLURM_*.
  Json AllocationLaunch(const Task& script) const;
  // A step task's launch: its rank's command and SLURM_STEP_*, SLURM_PROCID...
  Json StepLaunch(const Task& task) const;
  // A step task ended: a failed rank stops its step (--kill-on-bad-exit).
  void EndStepTask(Task& task, int64_t now_ms);
  // The allocation `part` belongs to is ending: its steps stop.
  void StopStepsIn(const Task& part);
  // Placeholders run nothing on their node: stopping one ends it here.
  void EndStoppedPlaceholders(int64_t now_ms);
  // Whether a job's singleton dependency (if any) holds: no earlier unfinished
  // job of its owner has its name.
  bool SingletonFree(const Job& job) const;
  // Asks for a pass at `at_ms` for job `id` (a time nothing else happens at).
  void WakeAt(int64_t at_ms, uint64_t id);
  void CountJobPhase(JobPhase phase, int delta);
  // Accounting (cluster_state_history.cc). Queues the records of the array
  // indexes whose attempts `counted` were just counted.
  void RecordArrayIndexes(const Job& job, const std::vector<const Task*>& tasks,
                          const std::vector<std::string>& counted);
  // Queues a step's record once all its ranks have ended.
  void RecordStepIfEnded(uint64_t job_id, int32_t step);
  // The queued records, every record of each job just done (it and its
  // tasks ended; it becomes `recorded`), and a due prune.
  void TakeHistoryMutations(std::vector<db::Mutation>& out);
  // Fair-share's usage from the history table (recorded jobs) and from the
  // counted tasks of jobs not yet recorded.
  Status ReplayFairShare(db::Store& store, int64_t now_ms);

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
  std::unordered_map<uint64_t, std::vector<std::string>> job_steps_;  // step tasks, oldest first
  StepFences step_fences_;                                            // MPI steps' fences in flight
  std::vector<std::string> placeholders_stopping_;  // killed, ended at the next ReconcileJobs
  // The attempt number the next task of (job, index) gets, for indexes that
  // failed before; absent = 0.
  std::map<std::pair<uint64_t, int64_t>, int32_t> next_attempt_;
  std::set<uint64_t> unfinished_jobs_;
  // "UID:SUBMISSIONID" -> the job it made (Job::submission_id: safe retries).
  std::unordered_map<std::string, uint64_t> submissions_;
  std::set<uint64_t> jobs_to_reconcile_;          // the Job controller's work queue
  std::multimap<int64_t, uint64_t> begin_times_;  // future beginTime -> job, to wake a pass
  // When a job's next TIME_LIMIT mail is due (0: look at it at the next batch).
  std::multimap<int64_t, uint64_t> mail_times_;
  // Adds (at_ms, id) to `times` unless it is there already.
  static void AddTimeOnce(std::multimap<int64_t, uint64_t>& times, int64_t at_ms, uint64_t id);
  std::unordered_map<std::string, NodeAllocation> allocations_;
  std::unordered_map<std::string, HostPorts> host_ports_;
  std::unordered_map<std::string, NodeChannel> channels_;
  std::unordered_set<uint64_t> dirty_jobs_;
  std::unordered_set<std::string> dirty_tasks_;
  std::set<std::string> dirty_nodes_;
  mutable std::vector<scheduler::NodeCapacity> capacities_;  // NodeCapacities({})
  mutable bool capacities_stale_ = true;                     // a node changed since
  bool meta_dirty_ = false;
  std::vector<uint64_t> deleted_jobs_;  // forgotten: deleted from the store next batch
  std::vector<std::string> deleted_tasks_;
  int64_t next_forget_ms_ = 0;
  std::vector<HistoryRecord> history_out_;  // records for the next batch
  std::map<uint64_t, Job> ended_jobs_;      // NoteEndedJobs: forgotten, ended jobs
  int64_t history_prune_before_ms_ = 0;     // 0 = no prune due
  int64_t next_history_prune_ms_ = 0;
  bool needs_scheduling_ = true;
  uint64_t building_batch_ = 0;
  DeploymentStore deployments_;
  // Replicas each Deployment's last reconcile asked for that the scheduler
  // has not placed yet (a Pending pod, in Kubernetes' terms).
  std::map<std::string, int32_t> replica_demand_;
  struct EndpointsWatch {
    std::string name;
    int64_t after = 0;
    int64_t deadline_ms = 0;
    EndpointsAnswer answer;
  };
  std::vector<EndpointsWatch> endpoint_watches_;
  DaemonSetStore daemon_sets_;
  // The (DaemonSet, node) pairs whose controller asked for a task there that
  // the scheduler has not placed yet, by their scheduling id, and back.
  using DaemonNode = std::pair<std::string, std::string>;
  std::map<uint64_t, DaemonNode> daemon_demand_;
  std::map<DaemonNode, uint64_t> daemon_work_ids_;
  uint64_t next_daemon_work_id_ = kFirstDaemonWorkId;
  // Restart back-off of crashing daemon tasks, per (DaemonSet, node): in
  // memory, as a kubelet keeps its CrashLoopBackOff.
  std::map<DaemonNode, controllers::CrashBackoff> daemon_backoff_;
  TaskCredentials* task_credentials_ = nullptr;
  StatefulSetStore stateful_sets_;
  // The ordinals whose controller asked for a task that the scheduler has
  // not placed yet, and the revision each gets.
  using SetOrdinal = std::pair<std::string, int32_t>;
  std::map<SetOrdinal, std::string> ordinal_wants_;
  // Scheduling ids: (set, -1) is the set's ordinals that may go anywhere,
  // placed as one piece of work spread over the nodes (its running tasks
  // carry the id, so the per-node cap counts them); (set, K) an ordinal
  // pinned to the node of its NodeLocal volumes. Kept while the set is.
  std::map<SetOrdinal, uint64_t> ordinal_work_ids_;
  std::map<uint64_t, SetOrdinal> ordinal_work_;
  // ... and of crashing ordinals, per (StatefulSet, ordinal).
  std::map<SetOrdinal, controllers::CrashBackoff> ordinal_backoff_;
  uint64_t next_ordinal_work_id_ = kFirstOrdinalWorkId;
  // Directory removals sent and not yet confirmed: to which node, when (sent
  // again after a while: the node may have restarted before it answered),
  // and the last error a node gave. In memory: after a restart, the
  // StatefulSet's status.removingVolumes makes droverd send them again.
  struct VolumeRemovalSent {
    std::string node;
    int64_t sent_ms = 0;
    std::string error;
  };
  std::map<SetOrdinal, VolumeRemovalSent> volume_removals_sent_;
  uint64_t OrdinalWorkId(const std::string& set, int32_t ordinal);
  void FlushEndpointWatches(int64_t now_ms);
  StateCounters counters_;
};

}  // namespace drover::droverd
