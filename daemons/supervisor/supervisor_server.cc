#include "daemons/supervisor/supervisor_server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstring>
#include <ctime>
#include <thread>

namespace drover::supervisor {
namespace {

using executors::TaskEvent;

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxReadPerWakeup = 256 * 1024;  // keep reaping while a client floods us

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t TimevalMs(const timeval& tv) {
  return static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}

constexpr auto kCgroupRemovalRetry = std::chrono::milliseconds(200);
constexpr int kStopRemovalPolls = 100;

// The supervisor's own cgroup name: the socket's directory (the node's state
// directory, readable in a listing) and a hash of the socket's whole path, so
// that two supervisors on one host never share one.
std::string CgroupName(const std::string& socket_path) {
  char resolved[PATH_MAX];
  std::string path = realpath(socket_path.c_str(), resolved) != nullptr ? resolved : socket_path;
  uint32_t hash = 2166136261u;  // FNV-1a
  for (unsigned char c : path) hash = (hash ^ c) * 16777619u;
  std::string dir = path.substr(0, path.rfind('/'));
  dir = dir.substr(dir.rfind('/') + 1);
  for (char& c : dir) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  }
  char suffix[16];
  std::snprintf(suffix, sizeof(suffix), "-%08x", hash);
  return dir.substr(0, 64) + suffix;
}

}  // namespace

SupervisorServer::SupervisorServer(FILE* log, int launch_threads)
    : log_(log), launch_threads_(launch_threads) {}

SupervisorServer::~SupervisorServer() {
  pool_.reset();  // joins the launch threads first
  for (auto& client : clients_) close(client->fd);
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    unlink(socket_path_.c_str());
  }
  if (signal_fd_ >= 0) close(signal_fd_);
  if (timer_fd_ >= 0) close(timer_fd_);
}

void SupervisorServer::Log(const char* fmt, ...) {
  if (log_ == nullptr) return;
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc;
  gmtime_r(&ts.tv_sec, &utc);
  char when[32];
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &utc);
  fprintf(log_, "%s.%03ldZ drover-supervisor[%d]: ", when, ts.tv_nsec / 1000000, getpid());
  va_list args;
  va_start(args, fmt);
  vfprintf(log_, fmt, args);
  va_end(args);
  fputc('\n', log_);
  fflush(log_);
}

Status SupervisorServer::Listen(const std::string& socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof(addr.sun_path)) {
    return Status::Invalid("socket", "path must be 1.." +
                                         std::to_string(sizeof(addr.sun_path) - 1) +
                                         " bytes (got \"" + socket_path + "\")");
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  auto* sa = reinterpret_cast<sockaddr*>(&addr);

  // Another live supervisor on this socket owns the node's tasks: never steal it.
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe >= 0) {
    bool answered = connect(probe, sa, sizeof(addr)) == 0;
    close(probe);
    if (answered) return Status::Conflict("a supervisor already answers on " + socket_path);
  }
  unlink(socket_path.c_str());

  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) return Status::Internal("socket: " + std::string(std::strerror(errno)));
  // Whoever can connect can run tasks as any user: owner only.
  mode_t old_umask = umask(0077);
  int rc = bind(listen_fd_, sa, sizeof(addr));
  int bind_errno = errno;
  umask(old_umask);
  if (rc < 0) {
    return Status::Internal("bind " + socket_path + ": " + std::strerror(bind_errno));
  }
  socket_path_ = socket_path;
  chmod(socket_path.c_str(), 0600);
  if (listen(listen_fd_, 128) < 0) {
    return Status::Internal("listen " + socket_path + ": " + std::strerror(errno));
  }

  sigset_t handled;
  sigemptyset(&handled);
  sigaddset(&handled, SIGCHLD);
  sigaddset(&handled, SIGTERM);
  sigaddset(&handled, SIGINT);
  sigprocmask(SIG_BLOCK, &handled, nullptr);
  signal_fd_ = signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) return Status::Internal("signalfd: " + std::string(std::strerror(errno)));
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd_ < 0) return Status::Internal("timerfd: " + std::string(std::strerror(errno)));
  cgroups_ = executors::TaskCgroups::Open(CgroupName(socket_path));
  Log("%s", cgroups_->Describe().c_str());
  ReclaimLeftCgroups();
  // Created after the handled signals are blocked, so the workers inherit the mask.
  pool_ = std::make_unique<LaunchPool>(&launcher_, cgroups_.get(), launch_threads_);
  Log("listening on %s", socket_path.c_str());
  return Status::Ok();
}

int SupervisorServer::Run() {
  std::vector<pollfd> fds;
  while (!stop_) {
    fds.clear();
    fds.push_back({signal_fd_, POLLIN, 0});
    fds.push_back({timer_fd_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    fds.push_back({pool_->fd(), POLLIN, 0});
    for (auto& c : clients_) {
      bool want_out = !c->out.empty() && !c->write_broken;
      fds.push_back({c->fd, static_cast<short>(POLLIN | (want_out ? POLLOUT : 0)), 0});
    }
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      Log("poll: %s", std::strerror(errno));
      return 1;
    }
    if (fds[0].revents) HandleSignals();
    if (fds[1].revents) FireTimers();
    if (fds[2].revents) Accept();
    if (fds[3].revents) HandleOutcomes();
    // clients_ may have grown in Accept(); only the polled ones have revents.
    constexpr size_t kFirstClient = 4;
    for (size_t i = kFirstClient; i < fds.size(); ++i) {
      Client* c = clients_[i - kFirstClient].get();
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) ReadClient(c);
    }
    for (auto& c : clients_) Flush(c.get());
    std::erase_if(clients_, [this](const std::unique_ptr<Client>& c) {
      if (!c->closing) return false;
      close(c->fd);
      Log("client disconnected (%zu left)", clients_.size() - 1);
      return true;
    });
    ArmTimer();
  }
  // Launches still in the pool: finish them, and kill them too if asked.
  for (const LaunchPool::Outcome& outcome : pool_->Stop()) {
    if (kill_on_stop_ && outcome.attempt.status.ok()) {
      SignalAll(outcome.task, outcome.attempt.process.pid, SIGKILL);
    }
    cgroups_to_remove_.insert(outcome.task);
  }
  for (auto& c : clients_) Flush(c.get());  // best effort: the final replies
  // Killed tasks leave their cgroups once the kernel has ended them; wait a
  // little for that. Tasks left running keep theirs (the next supervisor here
  // kills them: see ReclaimLeftCgroups).
  if (kill_on_stop_) {
    for (const auto& [pid, name] : task_by_pid_) cgroups_to_remove_.insert(name);
  }
  for (int i = 0; i < kStopRemovalPolls; ++i) {
    RemoveCgroups();
    if (cgroups_to_remove_.empty() || !kill_on_stop_) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  cgroups_->RemoveBase();  // only if no task cgroup is left in it
  Log("stopping; %zu tasks still running are left alone", task_by_pid_.size());
  return 0;
}

void SupervisorServer::ReclaimLeftCgroups() {
  const std::vector<std::string> left = cgroups_->Tasks();
  int killed = 0;
  for (const std::string& task : left) {
    killed += cgroups_->Signal(task, SIGKILL);
    cgroups_to_remove_.insert(task);
  }
  if (!left.empty()) {
    Log("killed %d processes left by an earlier supervisor in %zu task cgroups", killed,
        left.size());
  }
  RemoveCgroups();
}

void SupervisorServer::RemoveCgroups() {
  std::erase_if(cgroups_to_remove_,
                [this](const std::string& task) { return cgroups_->Remove(task); });
  if (!cgroups_to_remove_.empty() && !removal_timer_armed_) {
    removal_timer_armed_ = true;
    timers_.emplace(Clock::now() + kCgroupRemovalRetry, Timer{"", 0, TimerAction::kRemoveCgroups});
  }
}

void SupervisorServer::SignalAll(const std::string& task, pid_t pid, int sig) {
  kill(-pid, sig);
  cgroups_->Signal(task, sig, pid);
}

void SupervisorServer::Accept() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a transient error we retry on the next wakeup
    if (clients_.size() >= kMaxClients) {
      std::string line;
      executors::AppendErrorLine("too many clients", &line);
      (void)!write(fd, line.data(), line.size());
      close(fd);
      Log("refused a client: already %zu", clients_.size());
      continue;
    }
    auto client = std::make_unique<Client>();
    client->fd = fd;
    // Replay: what a (re)connecting agent needs to re-adopt the node's tasks.
    std::vector<const Task*> known;
    known.reserve(tasks_.size());
    for (const auto& [name, task] : tasks_) known.push_back(&task);
    std::sort(known.begin(), known.end(),
              [](const Task* a, const Task* b) { return a->seq < b->seq; });
    for (const Task* task : known) AppendState(*task, &client->out);
    Log("client connected; replaying %zu tasks", known.size());
    clients_.push_back(std::move(client));
  }
}

void SupervisorServer::AppendState(const Task& task, std::string* out) const {
  if (task.state == TaskState::kLaunching) return;  // its outcome is broadcast when known
  if (task.started.pid != 0) executors::AppendEventLine(task.started, out);
  if (task.state == TaskState::kExited) executors::AppendEventLine(task.exited, out);
}

void SupervisorServer::Broadcast(const TaskEvent& event) {
  if (clients_.empty()) return;
  std::string line;
  executors::AppendEventLine(event, &line);
  for (auto& c : clients_) c->out += line;
}

void SupervisorServer::ReadClient(Client* client) {
  char buf[kReadChunk];
  size_t total = 0;
  while (total < kMaxReadPerWakeup) {
    ssize_t n = read(client->fd, buf, sizeof(buf));
    if (n > 0) {
      client->in.append(buf, static_cast<size_t>(n));
      total += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    client->closing = true;  // EOF or error; still handle what was read
    break;
  }
  size_t begin = 0;
  for (size_t nl; (nl = client->in.find('\n', begin)) != std::string::npos; begin = nl + 1) {
    if (nl > begin) HandleLine(client, std::string_view(client->in).substr(begin, nl - begin));
  }
  client->in.erase(0, begin);
}

void SupervisorServer::HandleLine(Client* client, std::string_view line) {
  Result<executors::SupervisorRequest> request = executors::ParseRequest(line);
  if (!request.ok()) {
    executors::AppendErrorLine(request.status().ToString(), &client->out);
    Log("bad request: %s", request.status().ToString().c_str());
    return;
  }
  using Op = executors::SupervisorRequest::Op;
  switch (request->op) {
    case Op::kLaunch:
      HandleLaunch(client, std::move(request->spec));
      break;
    case Op::kKill:
      HandleKill(request->task, request->grace_ms);
      break;
    case Op::kSignal: {
      auto it = tasks_.find(request->task);
      if (it == tasks_.end() || it->second.state != TaskState::kRunning) break;  // ignored
      SignalAll(request->task, it->second.started.pid, request->signal);
      Log("task %s (pid %d): signal %d, as asked", request->task.c_str(), it->second.started.pid,
          request->signal);
      break;
    }
    case Op::kLimit:
      HandleTimeLimit(request->task, request->time_limit_s);
      break;
    case Op::kList: {
      std::vector<const Task*> known;
      for (const auto& [name, task] : tasks_) known.push_back(&task);
      std::sort(known.begin(), known.end(),
                [](const Task* a, const Task* b) { return a->seq < b->seq; });
      std::vector<TaskEvent> latest;
      latest.reserve(known.size());
      for (const Task* t : known) {
        if (t->state == TaskState::kLaunching) {
          TaskEvent launching;  // "started" with pid 0: its launch is under way
          launching.task = t->spec.task;
          latest.push_back(std::move(launching));
        }
        if (t->state == TaskState::kRunning) latest.push_back(t->started);
        if (t->state == TaskState::kExited) latest.push_back(t->exited);
        latest.back().stdout_path = t->spec.stdout_path;
        latest.back().stderr_path = t->spec.stderr_path;
        latest.back().uid = t->spec.uid;
        latest.back().gid = t->spec.gid;
      }
      executors::AppendListLine(latest, &client->out);
      break;
    }
    case Op::kAck:
      for (const std::string& name : request->tasks) {
        auto it = tasks_.find(name);
        if (it != tasks_.end() && it->second.state == TaskState::kExited) tasks_.erase(it);
      }
      break;
    case Op::kShutdown:
      if (request->kill_tasks) {
        kill_on_stop_ = true;
        for (const auto& [pid, name] : task_by_pid_) SignalAll(name, pid, SIGKILL);
        Log("shutdown requested; killed %zu tasks", task_by_pid_.size());
      } else {
        Log("shutdown requested");
      }
      stop_ = true;
      break;
  }
}

void SupervisorServer::HandleLaunch(Client* client, executors::LaunchSpec spec) {
  if (auto it = tasks_.find(spec.task); it != tasks_.end()) {
    AppendState(it->second, &client->out);  // a re-sent launch: report, don't repeat
    return;
  }
  Task task;
  task.seq = next_seq_++;
  task.spec = spec;
  tasks_.emplace(spec.task, std::move(task));
  pool_->Submit(std::move(spec));
}

void SupervisorServer::HandleOutcomes() {
  for (LaunchPool::Outcome& outcome : pool_->Take()) {
    const executors::LaunchAttempt& attempt = outcome.attempt;
    pid_t pid = attempt.process.pid;
    auto it = tasks_.find(outcome.task);
    if (!attempt.status.ok()) {
      // The failed child is ours to reap; it may already have been.
      if (pid > 0 && parked_exits_.erase(pid) == 0) failed_children_.insert(pid);
      cgroups_to_remove_.insert(outcome.task);  // once the failed child is reaped
      RemoveCgroups();
      if (it == tasks_.end()) continue;
      Task& task = it->second;
      task.state = TaskState::kExited;
      task.exited.kind = TaskEvent::Kind::kExited;
      task.exited.task = outcome.task;
      task.exited.time_ms = NowMs();
      task.exited.error = attempt.status.message();
      Log("task %s failed to start: %s", outcome.task.c_str(), task.exited.error.c_str());
      Broadcast(task.exited);
      continue;
    }
    if (it == tasks_.end()) {  // cannot happen: launching tasks are never erased
      kill(-pid, SIGKILL);
      continue;
    }
    Task& task = it->second;
    task.state = TaskState::kRunning;
    task.started.kind = TaskEvent::Kind::kStarted;
    task.started.task = outcome.task;
    task.started.pid = pid;
    task.started.time_ms = attempt.process.start_time_ms;
    Broadcast(task.started);
    if (auto parked = parked_exits_.find(pid); parked != parked_exits_.end()) {
      ParkedExit exit = parked->second;
      parked_exits_.erase(parked);
      FinishTask(task, pid, exit.status, exit.usage, exit.time_ms);
      continue;
    }
    task_by_pid_.emplace(pid, outcome.task);
    task.started_at = Clock::now();
    ArmLimitTimers(outcome.task, task);
    if (task.kill_grace_ms >= 0) SignalTask(task, task.kill_grace_ms);
  }
}

void SupervisorServer::ArmLimitTimers(const std::string& name, Task& task) {
  if (task.spec.time_limit_s <= 0) return;
  const pid_t pid = task.started.pid;
  const uint32_t generation = task.limit_generation;
  timers_.emplace(task.started_at + std::chrono::seconds(task.spec.time_limit_s),
                  Timer{name, pid, TimerAction::kTimeLimit, generation});
  if (task.spec.warning_signal > 0 && !task.warned) {
    const int64_t at = std::max<int64_t>(0, task.spec.time_limit_s - task.spec.warning_seconds);
    timers_.emplace(task.started_at + std::chrono::seconds(at),
                    Timer{name, pid, TimerAction::kWarning, generation});
  }
}

void SupervisorServer::HandleTimeLimit(const std::string& name, int64_t time_limit_s) {
  auto it = tasks_.find(name);
  if (it == tasks_.end() || it->second.state == TaskState::kExited) return;  // idempotent
  Task& task = it->second;
  if (task.spec.time_limit_s == time_limit_s || task.timed_out) return;
  task.spec.time_limit_s = time_limit_s;
  if (task.state == TaskState::kLaunching) return;  // armed once it runs
  ++task.limit_generation;
  ArmLimitTimers(name, task);
  Log("task %s (pid %d): time limit now %lld s", name.c_str(), task.started.pid,
      static_cast<long long>(time_limit_s));
}

void SupervisorServer::HandleKill(const std::string& name, int64_t grace_ms) {
  auto it = tasks_.find(name);
  if (it == tasks_.end() || it->second.state == TaskState::kExited) return;  // idempotent
  Task& task = it->second;
  if (grace_ms < 0) grace_ms = task.spec.kill_grace_ms;
  if (task.state == TaskState::kLaunching) {
    task.kill_grace_ms = grace_ms;  // applied as soon as it has a pid
    return;
  }
  SignalTask(task, grace_ms);
}

void SupervisorServer::SignalTask(Task& task, int64_t grace_ms) {
  pid_t pid = task.started.pid;
  SignalAll(task.spec.task, pid, SIGTERM);
  timers_.emplace(Clock::now() + std::chrono::milliseconds(grace_ms),
                  Timer{task.spec.task, pid, TimerAction::kKill});
  Log("task %s (pid %d): SIGTERM, SIGKILL in %lld ms", task.spec.task.c_str(), pid,
      static_cast<long long>(grace_ms));
}

void SupervisorServer::HandleSignals() {
  signalfd_siginfo info[16];
  bool child = false;
  for (;;) {
    ssize_t n = read(signal_fd_, info, sizeof(info));
    if (n <= 0) break;
    for (size_t i = 0; i < static_cast<size_t>(n) / sizeof(info[0]); ++i) {
      if (info[i].ssi_signo == SIGCHLD) {
        child = true;
      } else {
        Log("signal %u: stopping", info[i].ssi_signo);
        stop_ = true;
      }
    }
  }
  if (child) Reap();
}

void SupervisorServer::Reap() {
  // SIGCHLD coalesces: one signal may stand for many exits, so drain.
  for (;;) {
    int status = 0;
    rusage usage{};
    pid_t pid = wait4(-1, &status, WNOHANG, &usage);
    if (pid <= 0) return;
    // Stray members of the task's group end with the task.
    kill(-pid, SIGKILL);
    auto by_pid = task_by_pid_.find(pid);
    if (by_pid == task_by_pid_.end()) {
      // A child that failed before exec, or one whose launch outcome is
      // still on its way from the pool.
      if (failed_children_.erase(pid) == 0) parked_exits_[pid] = ParkedExit{status, usage, NowMs()};
      continue;
    }
    auto it = tasks_.find(by_pid->second);
    task_by_pid_.erase(by_pid);
    if (it != tasks_.end()) FinishTask(it->second, pid, status, usage, NowMs());
  }
}

void SupervisorServer::FinishTask(Task& task, pid_t pid, int status, const rusage& usage,
                                  int64_t time_ms) {
  task.state = TaskState::kExited;
  TaskEvent& e = task.exited;
  e.kind = TaskEvent::Kind::kExited;
  e.task = task.spec.task;
  e.pid = pid;
  // The start time is taken on a launch thread and the exit on the loop; with
  // a clock tick between them a fast task could seem to end before it began.
  e.time_ms = std::max(time_ms, task.started.time_ms);
  e.timed_out = task.timed_out;
  if (WIFEXITED(status)) {
    e.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    e.signal = WTERMSIG(status);
  }
  e.usage.user_cpu_ms = TimevalMs(usage.ru_utime);
  e.usage.system_cpu_ms = TimevalMs(usage.ru_stime);
  e.usage.max_rss_kb = usage.ru_maxrss;
  // Its processes outside the group (setsid) end with it too; then the
  // cgroup tells what the whole task used and whether memory ran out.
  if (int strays = cgroups_->Signal(task.spec.task, SIGKILL); strays > 0) {
    Log("task %s: killed %d processes left in its cgroup", e.task.c_str(), strays);
  }
  const executors::CgroupReport report = cgroups_->Report(task.spec.task);
  e.usage.max_rss_kb = std::max<int64_t>(e.usage.max_rss_kb, report.peak_memory_bytes / 1024);
  const bool succeeded = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  e.out_of_memory = report.oom_killed && !succeeded;
  if (report.oom_killed) {
    Log("task %s: the kernel killed a process of it for memory (limit %lld bytes)", e.task.c_str(),
        static_cast<long long>(task.spec.memory_limit_bytes));
  }
  cgroups_to_remove_.insert(task.spec.task);
  RemoveCgroups();
  Broadcast(e);
}

void SupervisorServer::FireTimers() {
  uint64_t expirations;
  (void)!read(timer_fd_, &expirations, sizeof(expirations));
  auto now = Clock::now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    Timer timer = std::move(timers_.begin()->second);
    timers_.erase(timers_.begin());
    if (timer.action == TimerAction::kRemoveCgroups) {
      removal_timer_armed_ = false;
      RemoveCgroups();
      continue;
    }
    auto it = tasks_.find(timer.task);
    if (it == tasks_.end() || it->second.state != TaskState::kRunning ||
        it->second.started.pid != timer.pid) {
      continue;  // the task ended meanwhile
    }
    Task& task = it->second;
    const bool limit_timer =
        timer.action == TimerAction::kWarning || timer.action == TimerAction::kTimeLimit;
    if (limit_timer && timer.generation != task.limit_generation) continue;  // the limit changed
    if (timer.action == TimerAction::kWarning) {
      task.warned = true;
      if (task.spec.warning_shell_only) {
        kill(timer.pid, task.spec.warning_signal);
      } else {
        SignalAll(timer.task, timer.pid, task.spec.warning_signal);
      }
      Log("task %s (pid %d): %lld s before its time limit, signal %d", timer.task.c_str(),
          timer.pid, static_cast<long long>(task.spec.warning_seconds), task.spec.warning_signal);
    } else if (timer.action == TimerAction::kTimeLimit) {
      task.timed_out = true;
      SignalAll(timer.task, timer.pid, SIGTERM);
      timers_.emplace(now + std::chrono::milliseconds(task.spec.kill_grace_ms),
                      Timer{timer.task, timer.pid, TimerAction::kKill});
      Log("task %s (pid %d): time limit of %lld s reached, SIGTERM", timer.task.c_str(), timer.pid,
          static_cast<long long>(task.spec.time_limit_s));
    } else {
      SignalAll(timer.task, timer.pid, SIGKILL);
      Log("task %s (pid %d): grace over, SIGKILL", timer.task.c_str(), timer.pid);
    }
  }
}

void SupervisorServer::ArmTimer() {
  itimerspec spec{};
  if (!timers_.empty()) {
    auto when = timers_.begin()->first.time_since_epoch();
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when).count();
    if (ns <= 0) ns = 1;  // 0 would disarm
    spec.it_value.tv_sec = ns / 1000000000;
    spec.it_value.tv_nsec = ns % 1000000000;
  }
  timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void SupervisorServer::Flush(Client* client) {
  while (!client->out.empty() && !client->write_broken) {
    ssize_t n = send(client->fd, client->out.data(), client->out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      client->out.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      // The peer is gone or half-closed. Its last requests (a shutdown, say)
      // may still be queued for reading: close only when read sees EOF.
      client->write_broken = true;
      client->out.clear();
    }
  }
  if (client->write_broken) client->out.clear();
  if (client->out.size() > kMaxClientBacklogBytes) {
    Log("client does not read: %zu bytes queued, dropping it", client->out.size());
    client->closing = true;
  }
}

}  // namespace drover::supervisor
