#include "daemons/node/probe_runner.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "daemons/node/probe_checks.h"

namespace drover::node {

Result<TaskProbes> TaskProbesFromLaunch(const Json& probes) {
  TaskProbes out;
  if (!probes.is_object()) return Status::Invalid("launch.probes", "must be an object");
  try {
    for (const auto& [key, p] : probes.items()) {
      ProbeSpec spec;
      const std::string kind = p.at("kind").get<std::string>();
      spec.kind = kind == "exec"      ? ProbeSpec::Kind::kExec
                  : kind == "httpGet" ? ProbeSpec::Kind::kHttpGet
                                      : ProbeSpec::Kind::kTcpSocket;
      spec.command = p.value("command", std::vector<std::string>{});
      spec.path = p.value("path", "/");
      spec.port = p.value("port", 0);
      spec.initial_delay_ms = p.value("initialDelayMs", int64_t{0});
      spec.period_ms = std::max<int64_t>(100, p.value("periodMs", int64_t{10'000}));
      spec.timeout_ms = std::max<int64_t>(100, p.value("timeoutMs", int64_t{1'000}));
      spec.success_threshold = std::max(1, p.value("successThreshold", 1));
      spec.failure_threshold = std::max(1, p.value("failureThreshold", 3));
      if (key == "readiness") {
        out.readiness = spec;
      } else if (key == "liveness") {
        out.liveness = spec;
      } else if (key == "startup") {
        out.startup = spec;
      } else {
        return Status::Invalid("launch.probes." + key, "unknown probe");
      }
    }
  } catch (const Json::exception& e) {
    return Status::Invalid("launch.probes", std::string("malformed probe: ") + e.what());
  }
  return out;
}

int64_t ProbeRunner::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

ProbeRunner::ProbeRunner(Callbacks callbacks) : callbacks_(std::move(callbacks)) {}

ProbeRunner::~ProbeRunner() { Stop(); }

void ProbeRunner::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ProbeRunner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ProbeRunner::Add(const std::string& task, TaskProbes probes, int64_t now_ms) {
  TaskState state;
  auto first = [now_ms](const std::optional<ProbeSpec>& spec) -> std::optional<ProbeState> {
    if (!spec) return std::nullopt;
    return ProbeState{*spec, now_ms + spec->initial_delay_ms, 0, 0};
  };
  state.readiness = first(probes.readiness);
  state.liveness = first(probes.liveness);
  state.startup = first(probes.startup);
  state.started = !probes.startup.has_value();
  state.exec_as = std::move(probes.exec_as);
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_[task] = std::move(state);
  }
  cv_.notify_all();
}

void ProbeRunner::Remove(const std::string& task) {
  std::lock_guard<std::mutex> lock(mu_);
  tasks_.erase(task);
}

bool ProbeRunner::Has(const std::string& task) const {
  std::lock_guard<std::mutex> lock(mu_);
  return tasks_.count(task) > 0;
}

size_t ProbeRunner::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tasks_.size();
}

Status ProbeRunner::RunCheck(const ProbeSpec& spec, const executors::LaunchSpec& exec_as) {
  switch (spec.kind) {
    case ProbeSpec::Kind::kTcpSocket:
      return CheckTcp(spec.port, spec.timeout_ms);
    case ProbeSpec::Kind::kHttpGet:
      return CheckHttpGet(spec.port, spec.path, spec.timeout_ms);
    case ProbeSpec::Kind::kExec: {
      executors::LaunchSpec run = exec_as;
      run.task = exec_as.task + ".probe";
      run.argv = spec.command;
      run.cpus.clear();
      run.mem_nodes.clear();
      return CheckExec(launcher_, std::move(run), spec.timeout_ms);
    }
  }
  return Status::Internal("unknown probe kind");
}

void ProbeRunner::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    // The next due probe of any task.
    const int64_t now = NowMs();
    std::string due_task;
    Which due_which = Which::kReadiness;
    int64_t next = now + 1000;
    for (auto& entry : tasks_) {
      const std::string& name = entry.first;  // (clang 14 cannot capture a structured binding)
      TaskState& t = entry.second;
      if (t.failed) continue;
      auto consider = [&](std::optional<ProbeState>& p, Which which) {
        if (!p) return;
        if (p->next_ms <= now && due_task.empty()) {
          due_task = name;
          due_which = which;
        }
        next = std::min(next, p->next_ms);
      };
      if (!t.started) {
        consider(t.startup, Which::kStartup);
      } else {
        consider(t.liveness, Which::kLiveness);
        consider(t.readiness, Which::kReadiness);
      }
    }
    if (due_task.empty()) {
      cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(1, next - now)));
      continue;
    }
    TaskState& t = tasks_.at(due_task);
    std::optional<ProbeState>& slot = due_which == Which::kStartup    ? t.startup
                                      : due_which == Which::kLiveness ? t.liveness
                                                                      : t.readiness;
    const ProbeSpec spec = slot->spec;
    const executors::LaunchSpec exec_as = t.exec_as;
    slot->next_ms = now + spec.period_ms;  // not due again while it runs
    lock.unlock();
    const Status result = RunCheck(spec, exec_as);
    lock.lock();
    auto it = tasks_.find(due_task);
    if (it == tasks_.end() || stopping_) continue;  // removed while it ran
    TaskState& task = it->second;
    std::optional<ProbeState>& probe = due_which == Which::kStartup    ? task.startup
                                       : due_which == Which::kLiveness ? task.liveness
                                                                       : task.readiness;
    if (!probe) continue;
    if (result.ok()) {
      ++probe->successes;
      probe->failures = 0;
    } else {
      ++probe->failures;
      probe->successes = 0;
    }
    std::optional<bool> readiness_changed;
    std::string failure;
    if (due_which == Which::kStartup) {
      if (result.ok()) {
        task.started = true;
        const int64_t at = NowMs();
        // The others' initialDelay still holds (counted from the launch).
        if (task.readiness) task.readiness->next_ms = std::max(at, task.readiness->next_ms);
        if (task.liveness) task.liveness->next_ms = std::max(at, task.liveness->next_ms);
      } else if (probe->failures >= spec.failure_threshold) {
        failure = "startup probe failed " + std::to_string(probe->failures) +
                  " times: " + result.message();
      }
    } else if (due_which == Which::kLiveness) {
      if (!result.ok() && probe->failures >= spec.failure_threshold) {
        failure = "liveness probe failed " + std::to_string(probe->failures) +
                  " times: " + result.message();
      }
    } else {
      if (!task.ready && probe->successes >= spec.success_threshold) {
        task.ready = true;
        readiness_changed = true;
      } else if (task.ready && probe->failures >= spec.failure_threshold) {
        task.ready = false;
        readiness_changed = false;
      }
    }
    if (!failure.empty()) {
      task.failed = true;
      if (task.ready) readiness_changed = false;
      task.ready = false;
    }
    const std::string name = due_task;
    lock.unlock();
    if (readiness_changed && callbacks_.on_readiness)
      callbacks_.on_readiness(name, *readiness_changed);
    if (!failure.empty() && callbacks_.on_failure) callbacks_.on_failure(name, failure);
    lock.lock();
  }
}

}  // namespace drover::node
