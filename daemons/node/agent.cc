#include "daemons/node/agent.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <unordered_map>

#include "api/http_client.h"
#include "daemons/node/task_volumes.h"
#include "executors/task_environment.h"
#include "executors/user_accounts.h"
#include "executors/user_files.h"

namespace drover::node {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The fence measures silence on a clock no one can set.
int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Whether the task writes a log in `dir` (the node's own log directory).
bool WritesUnder(const executors::LaunchSpec& spec, const std::string& dir) {
  for (const std::string* path : {&spec.stdout_path, &spec.stderr_path}) {
    if (path->rfind(dir + "/", 0) == 0) return true;
  }
  return false;
}

std::string HomeOf(uint32_t uid) {
  auto account = executors::LookupUser(uid);
  return account ? account->home : "/";
}

// Slurm's filename patterns: %j and %A job id, %a and %i task index, %x job
// name, %N node name, %u user, %% a percent sign.
std::string ExpandPattern(const std::string& pattern, const Json& launch, const std::string& node) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%' || i + 1 == pattern.size()) {
      out += pattern[i];
      continue;
    }
    char c = pattern[++i];
    switch (c) {
      case 'j':
      case 'A':
        out += std::to_string(launch.value("jobId", uint64_t{0}));
        break;
      case 'a':
      case 'i':
        out += std::to_string(launch.value("index", int64_t{0}));
        break;
      case 'x':
        out += launch.value("jobName", "");
        break;
      case 'N':
        out += node;
        break;
      case 'u':
        out += launch.value("user", "");
        break;
      case '%':
        out += '%';
        break;
      default:
        out += '%';
        out += c;
    }
  }
  return out;
}

Json ReportFromEvent(const executors::TaskEvent& e) {
  Json r = {{"task", e.task}, {"timeMs", e.time_ms}};
  if (e.pid != 0) r["pid"] = e.pid;
  if (e.kind == executors::TaskEvent::Kind::kStarted) {
    r["phase"] = "Running";
    return r;
  }
  bool ok = e.error.empty() && e.exit_code == 0 && e.signal == 0;
  r["phase"] = ok ? "Succeeded" : "Failed";
  r["exitCode"] = e.exit_code;
  r["signal"] = e.signal;
  r["timedOut"] = e.timed_out;
  if (e.out_of_memory) r["outOfMemory"] = true;
  if (!e.error.empty()) r["message"] = e.error;
  r["usage"] = {{"userCpuMs", e.usage.user_cpu_ms},
                {"systemCpuMs", e.usage.system_cpu_ms},
                {"maxRssKb", e.usage.max_rss_kb}};
  return r;
}

// A task that started and ended within one batch needs one report, not two:
// the final one, carrying the start time. Halves the reports of short tasks.
void CoalesceReports(std::vector<Json>& batch) {
  std::unordered_map<std::string, size_t> running;  // task -> its Running report
  std::vector<bool> drop(batch.size(), false);
  for (size_t i = 0; i < batch.size(); ++i) {
    const std::string task = batch[i].value("task", "");
    if (batch[i].value("phase", "") == "Running") {
      running[task] = i;
      continue;
    }
    auto it = running.find(task);
    if (it == running.end()) continue;
    batch[i]["startTimeMs"] = batch[it->second].value("timeMs", int64_t{0});
    drop[it->second] = true;
    running.erase(it);
  }
  size_t kept = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!drop[i]) batch[kept++] = std::move(batch[i]);
  }
  batch.resize(kept);
}

}  // namespace

Agent::Agent(AgentOptions options, executors::SupervisorClient supervisor)
    : options_(std::move(options)),
      supervisor_(std::move(supervisor)),
      probes_(ProbeRunner::Callbacks{
          [this](const std::string& task, bool ready) {
            QueueReport(
                {{"task", task}, {"phase", "Running"}, {"ready", ready}, {"timeMs", NowMs()}});
          },
          [this](const std::string& task, const std::string& why) { OnProbeFailure(task, why); }}),
      mpi_(MpiStepsOptions{options_.server, options_.token, options_.ca_file, options_.name,
                           options_.state_dir + "/pmix"}),
      fence_(
          options_.state_dir,
          [this](const std::string& task, int64_t grace_ms) {
            std::lock_guard<std::mutex> lock(supervisor_mu_);
            Status st = supervisor_.Kill(task, grace_ms);
            if (!st.ok()) spdlog::warn("fence {}: {}", task, st.ToString());
          },
          MonotonicMs),
      log_disk_(options_.state_dir + "/logs", options_.log_disk_min_free_bytes,
                options_.log_disk_check_ms) {}

void Agent::FenceLoop() {
  while (!stopping_) {
    fence_.Check();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void Agent::OnProbeFailure(const std::string& task, const std::string& why) {
  spdlog::warn("task {}: {}; restarting it", task, why);
  {
    std::lock_guard<std::mutex> lock(tasks_mu_);
    probe_failures_[task] = why;
  }
  std::lock_guard<std::mutex> lock(supervisor_mu_);
  Status st = supervisor_.Kill(task, options_.kill_grace_ms);
  if (!st.ok()) spdlog::warn("kill {}: {}", task, st.ToString());
}

Agent::~Agent() { Stop(); }

Status Agent::Register() {
  Node node;
  node.metadata.name = options_.name;
  node.metadata.labels = options_.labels;
  node.status.address = options_.address;
  node.status.agent_id = options_.agent_id;
  node.status.topology = options_.topology;
  // Every task this node still holds (running, or ended and not yet
  // acknowledged): droverd takes a task it thinks runs here and is not in
  // this list as lost (the machine rebooted, the supervisor was killed).
  Json held = Json::array();
  {
    std::lock_guard<std::mutex> lock(tasks_mu_);
    for (const auto& [name, task] : tasks_) held.push_back(name);
  }
  Json body = {{"node", ToJson(node)}, {"tasks", std::move(held)}};
  HttpClient client(options_.server, options_.token, HttpClientOptions{options_.ca_file});
  const int64_t sent = MonotonicMs();
  auto r = client.Send("POST", "/api/v1/nodes/" + options_.name + "/register", body.dump(),
                       std::chrono::seconds(10));
  if (!r.ok()) return r.status();
  DROVER_RETURN_IF_ERROR(StatusFromResponse(*r));
  fence_.Contacted(sent);
  auto answer = ParseJson(r->body);
  if (answer.ok() && answer->is_object() && answer->contains("controlPlaneKeySha256") &&
      (*answer)["controlPlaneKeySha256"].is_string()) {
    if (options_.control_plane != nullptr) {
      options_.control_plane->SetKeyHash((*answer)["controlPlaneKeySha256"].get<std::string>());
    }
  } else {
    spdlog::warn(
        "droverd's registration answer names no control-plane key: log reads will be "
        "refused");
  }
  return Status::Ok();
}

Status Agent::Start() {
  // Tasks the supervisor already owns (the agent restarted while they ran):
  // report them as they are now, so droverd's view catches up.
  {
    std::lock_guard<std::mutex> lock(supervisor_mu_);
    auto known = supervisor_.List();
    if (!known.ok()) return known.status();
    std::lock_guard<std::mutex> tasks_lock(tasks_mu_);
    std::vector<std::string> adopted;
    for (const auto& e : *known) adopted.push_back(e.task);
    fence_.Restore(adopted);
    for (const auto& e : *known) {
      tasks_[e.task] = LaunchedTask{
          e.stdout_path, e.stderr_path.empty() ? e.stdout_path : e.stderr_path, e.uid, e.gid};
      QueueReport(ReportFromEvent(e));
      if (e.kind == executors::TaskEvent::Kind::kStarted) running_.insert(e.task);
    }
    if (!known->empty()) spdlog::info("re-adopted {} tasks from the supervisor", known->size());
  }
  Status st;
  for (int attempt = 0; attempt < 50; ++attempt) {
    st = Register();
    if (st.ok() || st.code() != StatusCode::kUnavailable) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (!st.ok()) {
    // Cut off from the start: the StatefulSet tasks it re-adopted may not
    // wait for a contact that may never come.
    if (const int fenced = fence_.FenceAll(); fenced > 0) {
      spdlog::warn("droverd unreachable at start: stopped {} StatefulSet task(s)", fenced);
    }
    return st;
  }
  probes_.Start();
  mpi_.Start();
  fence_thread_ = std::thread([this] { FenceLoop(); });
  spdlog::info("registered node {} ({} cores) with {}", options_.name,
               options_.topology.cores.size(), options_.server);
  poll_thread_ = std::thread([this] { PollLoop(); });
  event_thread_ = std::thread([this] { EventLoop(); });
  report_thread_ = std::thread([this] { ReportLoop(); });
  return Status::Ok();
}

void Agent::Stop() {
  if (stopping_.exchange(true)) return;
  probes_.Stop();
  mpi_.Stop();
  reports_cv_.notify_all();
  // The poll thread may sit in a long-poll; it notices within its timeout.
  for (std::thread* t : {&poll_thread_, &event_thread_, &report_thread_, &fence_thread_}) {
    if (t->joinable()) t->join();
  }
}

void Agent::PollLoop() {
  HttpClient client(options_.server, options_.token, HttpClientOptions{options_.ca_file});
  int64_t backoff_ms = 100;
  while (!stopping_) {
    std::string target = "/api/v1/nodes/" + options_.name + "/assignments?epoch=" + epoch_ +
                         "&after=" + std::to_string(after_) + "&timeoutMs=20000" +
                         (options_.agent_id.empty() ? "" : "&agent=" + options_.agent_id);
    const int64_t sent = MonotonicMs();
    auto r = client.Send("GET", target, "", std::chrono::seconds(40));
    Status st = r.ok() ? StatusFromResponse(*r) : r.status();
    if (st.ok()) fence_.Contacted(sent);
    if (st.code() == StatusCode::kNotFound) {
      // droverd lost us (e.g. a fresh store): register again.
      st = Register();
    }
    if (!st.ok()) {
      spdlog::warn("polling droverd: {}", st.ToString());
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms = std::min<int64_t>(backoff_ms * 2, 5'000);
      continue;
    }
    backoff_ms = 100;
    if (r->status != 200) continue;
    auto body = ParseJson(r->body);
    if (!body.ok() || !body->is_object()) {
      spdlog::warn("droverd sent a malformed assignment list");
      continue;
    }
    std::string epoch = body->value("epoch", "");
    if (epoch != epoch_) {
      if (!epoch_.empty()) spdlog::info("droverd restarted (epoch {}): resynchronizing", epoch);
      epoch_ = epoch;
    }
    HandleInstructions(*body);
    after_ = body->value("seq", after_);
  }
}

Result<std::string> Agent::DefaultLogPath(const std::string& task, uint64_t job_id, uint32_t uid,
                                          gid_t gid) {
  // STATE/logs/UID/JOB/TASK.out: the user's directory is theirs (0700), so a
  // task running as that user can create its files and no other user can read
  // them; a directory per job keeps directories small. STATE/logs is root's,
  // so UID is made there on descriptors (no symlink followed); JOB lies in
  // the user's own directory, so it is made as the user.
  const std::string logs_dir = options_.state_dir + "/logs";
  const std::string user_dir = logs_dir + "/" + std::to_string(uid);
  const std::string job = std::to_string(job_id);
  if (!log_dirs_.count(user_dir + "/" + job)) {
    DROVER_RETURN_IF_ERROR(
        executors::MakeOwnedDirectory(logs_dir, std::to_string(uid), uid, gid, 0700));
    DROVER_RETURN_IF_ERROR(executors::MakeDirectoryAs(user_dir, job, uid, gid, 0700));
    log_dirs_.insert(user_dir + "/" + job);
  }
  return user_dir + "/" + job + "/" + task + ".out";
}

Result<executors::LaunchSpec> Agent::BuildLaunchSpec(const Json& l) {
  executors::LaunchSpec spec;
  try {
    spec.task = l.at("task").get<std::string>();
    spec.argv = l.at("argv").get<std::vector<std::string>>();
    spec.cpus = l.value("cpus", std::vector<int32_t>{});
    // memoryBind local: bind to the NUMA nodes the task's memory was taken from.
    const auto numa_memory = l.value("numaMemory", std::vector<int64_t>{});
    const auto& os_indexes = options_.topology.numa_os_indexes;
    for (size_t numa = 0; numa < numa_memory.size(); ++numa) {
      if (numa_memory[numa] <= 0) continue;
      spec.mem_nodes.push_back(numa < os_indexes.size() ? os_indexes[numa]
                                                        : static_cast<int32_t>(numa));
    }
    // Who the task runs as must be said, never defaulted: a default would be root.
    if (!l.contains("uid") || !l.contains("gid")) {
      return Status::Invalid("launch.uid", "a launch instruction must name the uid and gid");
    }
    const int64_t uid = l.at("uid").get<int64_t>();
    const int64_t gid = l.at("gid").get<int64_t>();
    // (uid_t)-1 would leave the task with the agent's own identity.
    if (uid < 0 || uid >= UINT32_MAX || gid < 0 || gid >= UINT32_MAX) {
      return Status::Invalid("launch.uid", "uid and gid must be in 0..4294967294");
    }
    spec.uid = static_cast<uint32_t>(uid);
    spec.gid = static_cast<uint32_t>(gid);
    spec.time_limit_s = l.value("timeLimit", int64_t{0});
    spec.memory_limit_bytes = std::max<int64_t>(0, l.value("memory", int64_t{0}));
    spec.confine_cpus = options_.topology.source == "hwloc";
    if (l.contains("warningSignal")) {
      const Json& w = l["warningSignal"];
      spec.warning_signal = w.value("signal", 0);
      spec.warning_seconds = w.value("secondsBefore", int64_t{60});
      spec.warning_shell_only = w.value("shellOnly", false);
    }
    spec.kill_grace_ms = options_.kill_grace_ms;
    spec.working_dir = l.value("workingDir", "");
    if (spec.working_dir.empty()) spec.working_dir = HomeOf(spec.uid);
    executors::TaskEnvironmentInput env;
    env.job_id = l.value("jobId", uint64_t{0});
    env.job_name = l.value("jobName", "");
    env.task_name = spec.task;
    env.task_index = l.value("index", int64_t{0});
    env.ntasks = l.value("ntasks", int64_t{1});
    env.nodelist = l.value("nodelist", options_.name);
    env.node = options_.name;
    env.cpus = spec.cpus;
    env.uid = spec.uid;
    for (const auto& kv : l.value("env", Json::array())) {
      env.user_env.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::string>());
    }
    if (l.contains("credential")) {
      // A built-in daemon (log shipper, node monitor) works for this node:
      // it gets the node's context and its own credential towards droverd.
      env.user_env.emplace_back("DROVER_SERVER", options_.server);
      env.user_env.emplace_back("DROVER_TASK_TOKEN", l.at("credential").get<std::string>());
      env.user_env.emplace_back("DROVER_NODE_STATE_DIR", options_.state_dir);
      // The host this node serves on: a daemon that serves (the monitor's
      // /metrics) listens there, as the node's own endpoint does.
      std::string host = options_.address.substr(0, options_.address.rfind(':'));
      if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
      env.user_env.emplace_back("DROVER_NODE_HOST", host);
      if (!options_.ca_file.empty()) env.user_env.emplace_back("DROVER_CA_FILE", options_.ca_file);
    }
    if (l.contains("jobCredential")) {
      // A batch script of an allocation: srun in it reaches droverd as the
      // job's user, for steps in this allocation (Slurm's job credential).
      // After the job's own environment, so an exported one never wins.
      env.user_env.emplace_back("DROVER_SERVER", options_.server);
      env.user_env.emplace_back("DROVER_TOKEN", l.at("jobCredential").get<std::string>());
      if (!options_.ca_file.empty()) env.user_env.emplace_back("DROVER_CA_FILE", options_.ca_file);
    }
    if (l.contains("volumes")) {
      auto volumes = MakeTaskVolumes(l["volumes"], options_.state_dir, spec.uid, spec.gid);
      if (!volumes.ok()) return volumes.status();
      for (auto& [name, path] : *volumes) env.user_env.emplace_back(name, path);
    }
    spec.env = executors::BuildTaskEnvironment(env);
    std::string out = l.value("stdout", "");
    std::string err = l.value("stderr", "");
    // As in Slurm and Kubernetes, stderr joins stdout unless asked otherwise.
    if (out.empty()) {
      auto path = DefaultLogPath(spec.task, env.job_id, spec.uid, spec.gid);
      if (!path.ok()) return path.status();
      spec.stdout_path = *path;
    } else {
      spec.stdout_path = ExpandPattern(out, l, options_.name);
    }
    if (!err.empty()) spec.stderr_path = ExpandPattern(err, l, options_.name);
  } catch (const Json::exception& e) {
    return Status::Invalid("launch", std::string("malformed launch instruction: ") + e.what());
  }
  return spec;
}

void Agent::HandleInstructions(const Json& body) {
  std::vector<executors::LaunchSpec> launches;
  std::vector<std::pair<std::string, TaskProbes>> probed;
  const Json no_items = Json::array();
  const Json& launch_list =
      body.contains("launch") && body["launch"].is_array() ? body["launch"] : no_items;
  const Json& kill_list =
      body.contains("kill") && body["kill"].is_array() ? body["kill"] : no_items;
  // Kills of tasks this node already runs go first, so a fenced copy stops
  // before new work takes its cores; a kill of a task launched in this same
  // answer (a job cancelled at once) must follow its launch.
  std::set<std::string> launched_now;
  for (const Json& l : launch_list) {
    if (l.is_object() && l.contains("task") && l["task"].is_string()) {
      launched_now.insert(l["task"].get<std::string>());
    }
  }
  struct Kill {
    std::string task;
    int64_t grace_ms;
    int32_t signal = 0;  // scancel --signal: only this signal, no kill
  };
  std::vector<Kill> kills_first, kills_after;
  for (const Json& k : kill_list) {
    if (!k.is_object() || !k.contains("task") || !k["task"].is_string()) {
      spdlog::warn("droverd sent a malformed kill instruction");
      continue;
    }
    Kill kill{k["task"].get<std::string>(), options_.kill_grace_ms};
    if (k.contains("graceMs") && k["graceMs"].is_number_integer()) {
      kill.grace_ms = k["graceMs"].get<int64_t>();
    }
    if (k.contains("signal") && k["signal"].is_number_integer()) {
      kill.signal = k["signal"].get<int32_t>();
    }
    (launched_now.count(kill.task) ? kills_after : kills_first).push_back(std::move(kill));
  }
  auto apply = [this](const std::vector<Kill>& kills) {
    std::lock_guard<std::mutex> lock(supervisor_mu_);
    for (const Kill& k : kills) {
      Status st = k.signal > 0 ? supervisor_.Signal(k.task, k.signal)
                               : supervisor_.Kill(k.task, k.grace_ms);
      if (!st.ok()) spdlog::warn("kill {}: {}", k.task, st.ToString());
    }
  };
  apply(kills_first);
  if (body.contains("removeVolumes")) RemoveVolumes(body["removeVolumes"]);
  // A task whose log cannot be written fails at once, saying why, and the
  // next report tells droverd to give this node no more work.
  const std::string log_disk = launch_list.empty() ? "" : log_disk_.BeforeLaunch();
  for (const Json& l : launch_list) {
    if (!l.is_object() || !l.contains("task") || !l["task"].is_string()) {
      spdlog::warn("droverd sent a malformed launch instruction");
      continue;
    }
    std::string task = l["task"].get<std::string>();
    bool running;
    {
      std::lock_guard<std::mutex> lock(tasks_mu_);
      running = tasks_.count(task) > 0;
    }
    if (running) {
      // Re-sent (droverd restarted, or this agent did and re-adopted the
      // task): nothing starts again, but a re-adopted task's probes resume.
      if (l.contains("probes") && !probes_.Has(task)) ResumeProbes(task, l);
      WatchFence(task, l);
      continue;
    }
    auto spec = BuildLaunchSpec(l);
    // Its log would go to the node's directory (a default log cannot even be
    // made there): the disk's problem is the reason.
    if (!log_disk.empty() &&
        (spec.ok() ? WritesUnder(*spec, log_disk_.dir()) : l.value("stdout", "").empty())) {
      QueueReport({{"task", task},
                   {"phase", "Failed"},
                   {"message", "not started on node " + options_.name + ": " + log_disk},
                   {"timeMs", NowMs()}});
      continue;
    }
    if (!spec.ok()) {
      spdlog::warn("{}", spec.status().ToString());
      if (!task.empty()) {
        QueueReport({{"task", task},
                     {"phase", "Failed"},
                     {"message", spec.status().message()},
                     {"timeMs", NowMs()}});
      }
      continue;
    }
    if (l.contains("probes")) {
      auto probes = TaskProbesFromLaunch(l["probes"]);
      if (!probes.ok()) {
        QueueReport({{"task", task},
                     {"phase", "Failed"},
                     {"message", probes.status().message()},
                     {"timeMs", NowMs()}});
        continue;
      }
      probes->exec_as = *spec;
      probed.emplace_back(task, std::move(*probes));
    }
    if (l.contains("pmix")) {
      Status mpi = mpi_.PrepareRank(task, l["pmix"], spec->argv, spec->uid, spec->gid, &spec->env);
      if (!mpi.ok()) {
        QueueReport(
            {{"task", task}, {"phase", "Failed"}, {"message", mpi.message()}, {"timeMs", NowMs()}});
        continue;
      }
    }
    WatchFence(task, l);
    {
      std::lock_guard<std::mutex> lock(tasks_mu_);
      tasks_[task] = LaunchedTask{spec->stdout_path,
                                  spec->stderr_path.empty() ? spec->stdout_path : spec->stderr_path,
                                  spec->uid, spec->gid};
    }
    launches.push_back(std::move(*spec));
  }
  if (!launches.empty()) {
    std::lock_guard<std::mutex> lock(supervisor_mu_);
    Status st = supervisor_.LaunchBatch(launches);
    if (!st.ok()) {
      spdlog::error("supervisor refused {} launches: {}", launches.size(), st.ToString());
      for (const auto& s : launches) {
        mpi_.RankEnded(s.task);
        QueueReport({{"task", s.task},
                     {"phase", "Failed"},
                     {"message", st.message()},
                     {"timeMs", NowMs()}});
      }
    } else {
      counters_.launched += static_cast<int64_t>(launches.size());
      for (auto& [task, probes] : probed)
        probes_.Add(task, std::move(probes), ProbeRunner::NowMs());
    }
  }
  apply(kills_after);
  if (body.contains("fences")) mpi_.CompleteFences(body["fences"]);
  // After the launches: a limit may be for a task launched in this answer.
  if (body.contains("limits") && body["limits"].is_array()) {
    std::lock_guard<std::mutex> lock(supervisor_mu_);
    for (const Json& l : body["limits"]) {
      if (!l.is_object() || !l.contains("task") || !l["task"].is_string() ||
          !l.contains("timeLimit") || !l["timeLimit"].is_number_integer()) {
        spdlog::warn("droverd sent a malformed time limit");
        continue;
      }
      Status st = supervisor_.SetTimeLimit(l["task"], l["timeLimit"].get<int64_t>());
      if (!st.ok())
        spdlog::warn("time limit of {}: {}", l["task"].get<std::string>(), st.ToString());
    }
  }
}

void Agent::RemoveVolumes(const Json& removals) {
  if (!removals.is_array()) return;
  for (const Json& r : removals) {
    if (!r.is_object() || !r.contains("id") || !r["id"].is_string() || !r.contains("volumes")) {
      spdlog::warn("droverd sent a malformed volume removal");
      continue;
    }
    Json report = {{"id", r["id"]}};
    Status st = RemoveTaskVolumes(r["volumes"], options_.state_dir);
    if (st.ok()) {
      spdlog::info("removed the directories of {}", r["id"].get<std::string>());
    } else {
      spdlog::warn("removing the directories of {}: {}", r["id"].get<std::string>(), st.ToString());
      report["error"] = st.ToString();
    }
    std::lock_guard<std::mutex> lock(reports_mu_);
    volume_reports_.push_back(std::move(report));
  }
  reports_cv_.notify_one();
}

void Agent::WatchFence(const std::string& task, const Json& launch) {
  const Json after = launch.value("fenceAfterMs", Json());
  if (!after.is_number_integer() || after.get<int64_t>() <= 0) return;
  fence_.Watch(task, after.get<int64_t>(), launch.value("fenceGraceMs", int64_t{2'000}));
}

void Agent::ResumeProbes(const std::string& task, const Json& launch) {
  auto spec = BuildLaunchSpec(launch);
  if (!spec.ok()) {
    spdlog::warn("probes of re-adopted task {}: {}", task, spec.status().ToString());
    return;
  }
  auto probes = TaskProbesFromLaunch(launch["probes"]);
  if (!probes.ok()) {
    spdlog::warn("probes of re-adopted task {}: {}", task, probes.status().ToString());
    return;
  }
  probes->exec_as = *spec;
  probes_.Add(task, std::move(*probes), ProbeRunner::NowMs());
  spdlog::info("probes of re-adopted task {} resumed", task);
}

void Agent::EventLoop() {
  while (!stopping_) {
    struct pollfd pfd = {supervisor_.fd(), POLLIN, 0};
    int n = ::poll(&pfd, 1, 200);
    if (n <= 0 && !supervisor_.has_buffered_events()) continue;
    std::vector<executors::TaskEvent> events;
    {
      std::lock_guard<std::mutex> lock(supervisor_mu_);
      auto r = supervisor_.ReadEvents();
      if (!r.ok()) {
        spdlog::critical("lost the supervisor: {}", r.status().ToString());
        std::_Exit(75);  // restart us; the supervisor keeps the tasks
      }
      events = std::move(*r);
    }
    for (const auto& e : events) {
      // The supervisor replays every task's state when the agent connects, so
      // the same event may arrive twice: count by task name.
      {
        std::lock_guard<std::mutex> lock(tasks_mu_);
        if (e.kind == executors::TaskEvent::Kind::kStarted) {
          if (!finished_.count(e.task)) running_.insert(e.task);
        } else if (finished_.insert(e.task).second) {
          running_.erase(e.task);
          (e.error.empty() && e.exit_code == 0 && e.signal == 0 ? counters_.succeeded
                                                                : counters_.failed)++;
          finished_order_.push_back(e.task);
          ForgetOldTasks();
        }
        counters_.running = static_cast<int64_t>(running_.size());
      }
      Json report = ReportFromEvent(e);
      if (e.kind == executors::TaskEvent::Kind::kExited) {
        probes_.Remove(e.task);
        fence_.Forget(e.task);
        mpi_.RankEnded(e.task);
        std::lock_guard<std::mutex> lock(tasks_mu_);
        auto failure = probe_failures_.find(e.task);
        if (failure != probe_failures_.end()) {
          // Killed for a failed probe: a failure, whatever its exit code.
          report["phase"] = "Failed";
          report["message"] = failure->second;
          probe_failures_.erase(failure);
        }
      }
      QueueReport(std::move(report));
    }
  }
}

void Agent::QueueReport(Json report) {
  {
    std::lock_guard<std::mutex> lock(reports_mu_);
    reports_.push_back(std::move(report));
  }
  reports_cv_.notify_one();
}

void Agent::ReportLoop() {
  HttpClient client(options_.server, options_.token, HttpClientOptions{options_.ca_file});
  std::vector<Json> batch;
  Json volumes = Json::array();
  while (!stopping_) {
    {
      std::unique_lock<std::mutex> lock(reports_mu_);
      reports_cv_.wait_for(lock, std::chrono::milliseconds(options_.heartbeat_ms), [this] {
        return stopping_ || !reports_.empty() || !volume_reports_.empty();
      });
      for (auto& r : reports_) batch.push_back(std::move(r));
      reports_.clear();
      for (auto& v : volume_reports_) volumes.push_back(std::move(v));
      volume_reports_.clear();
    }
    CoalesceReports(batch);
    // What runs here now: droverd kills what it no longer assigns to this
    // node (a copy it declared lost while this agent was cut off).
    Json running = Json::array();
    {
      std::lock_guard<std::mutex> lock(tasks_mu_);
      for (const std::string& name : running_) running.push_back(name);
    }
    Json body = {{"reports", batch},
                 {"running", std::move(running)},
                 {"logDisk", log_disk_.Current(MonotonicMs())}};
    if (!volumes.empty()) body["volumesRemoved"] = volumes;
    const int64_t sent = MonotonicMs();
    auto r = client.Send("POST", "/api/v1/nodes/" + options_.name + "/status", body.dump(),
                         std::chrono::seconds(15));
    Status st = r.ok() ? StatusFromResponse(*r) : r.status();
    if (st.ok()) fence_.Contacted(sent);
    if (!st.ok()) {
      // Keep the batch and send it again: droverd may be restarting.
      spdlog::warn("reporting {} task events: {}", batch.size(), st.ToString());
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    counters_.reports_sent += static_cast<int64_t>(batch.size());
    // Final reports are durable in droverd now; the supervisor may forget them.
    std::vector<std::string> done;
    for (const Json& rep : batch) {
      std::string phase = rep.value("phase", "");
      if (phase != "Running") done.push_back(rep.value("task", ""));
    }
    if (!done.empty()) {
      std::lock_guard<std::mutex> lock(supervisor_mu_);
      (void)supervisor_.Ack(done);
    }
    batch.clear();
    volumes = Json::array();
  }
}

void Agent::ForgetOldTasks() {
  while (finished_order_.size() > kFinishedTasksKept) {
    const std::string& oldest = finished_order_.front();
    tasks_.erase(oldest);
    finished_.erase(oldest);
    finished_order_.pop_front();
  }
}

std::optional<TaskLog> Agent::LogOf(const std::string& task, bool stderr_stream) const {
  std::lock_guard<std::mutex> lock(tasks_mu_);
  auto it = tasks_.find(task);
  if (it == tasks_.end()) return std::nullopt;
  const LaunchedTask& t = it->second;
  return TaskLog{stderr_stream ? t.stderr_path : t.stdout_path, t.uid, t.gid};
}

}  // namespace drover::node
