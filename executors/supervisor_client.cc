#include "executors/supervisor_client.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

extern char** environ;

namespace drover::executors {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

Result<int> ConnectUnix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return Status::Invalid("socket", "path must be 1.." +
                                         std::to_string(sizeof(addr.sun_path) - 1) +
                                         " bytes (got \"" + path + "\")");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Internal("socket: " + std::string(std::strerror(errno)));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
    int err = errno;
    close(fd);
    return Status::Unavailable("connect " + path + ": " + std::strerror(err));
  }
  return fd;
}

}  // namespace

Result<SupervisorClient> SupervisorClient::Connect(const std::string& socket_path) {
  Result<int> fd = ConnectUnix(socket_path);
  if (!fd.ok()) return fd.status();
  fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) | O_NONBLOCK);
  return SupervisorClient(*fd);
}

SupervisorClient::SupervisorClient(SupervisorClient&& other) noexcept { *this = std::move(other); }

SupervisorClient& SupervisorClient::operator=(SupervisorClient&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    closed_ = other.closed_;
    in_ = std::move(other.in_);
    pending_ = std::move(other.pending_);
    lists_ = std::move(other.lists_);
    errors_ = std::move(other.errors_);
  }
  return *this;
}

SupervisorClient::~SupervisorClient() {
  if (fd_ >= 0) close(fd_);
}

Status SupervisorClient::Send(const std::string& bytes) {
  if (fd_ < 0 || closed_) return Status::Unavailable("supervisor connection is closed");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The supervisor always reads (its replies are buffered in user space),
      // so waiting for room cannot deadlock.
      pollfd p{fd_, POLLOUT, 0};
      poll(&p, 1, 1000);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      closed_ = true;
      return Status::Unavailable("send to supervisor: " + std::string(std::strerror(errno)));
    }
  }
  return Status::Ok();
}

Status SupervisorClient::Launch(const LaunchSpec& spec) {
  SupervisorRequest r;
  r.op = SupervisorRequest::Op::kLaunch;
  r.spec = spec;
  return Send(EncodeRequest(r));
}

Status SupervisorClient::LaunchBatch(const std::vector<LaunchSpec>& specs) {
  std::string bytes;
  SupervisorRequest r;
  r.op = SupervisorRequest::Op::kLaunch;
  for (const LaunchSpec& spec : specs) {
    r.spec = spec;
    bytes += EncodeRequest(r);
  }
  return Send(bytes);
}

Status SupervisorClient::Kill(const std::string& task, int64_t grace_ms) {
  SupervisorRequest r;
  r.op = SupervisorRequest::Op::kKill;
  r.task = task;
  r.grace_ms = grace_ms;
  return Send(EncodeRequest(r));
}

Status SupervisorClient::Signal(const std::string& task, int32_t signal) {
  SupervisorRequest r;
  r.op = SupervisorRequest::Op::kSignal;
  r.task = task;
  r.signal = signal;
  return Send(EncodeRequest(r));
}

Status SupervisorClient::SetTimeLimit(const std::string& task, int64_t time_limit_s) {
  SupervisorRequest r;
  r.op = SupervisorRequest::Op::kLimit;
  r.task = task;
  r.time_limit_s = time_limit_s;
  return Send(EncodeRequest(r));
}

Status SupervisorClient::Ack(const std::vector<std::string>& tasks) {
  SupervisorRequest r;
  r.op = SupervisorRequest::Op::kAck;
  r.tasks = tasks;
  return Send(EncodeRequest(r));
}

Status SupervisorClient::Shutdown(bool kill_tasks) {
  SupervisorRequest r;
  r.op = SupervisorRequest::Op::kShutdown;
  r.kill_tasks = kill_tasks;
  return Send(EncodeRequest(r));
}

bool SupervisorClient::Pump() {
  if (fd_ < 0 || closed_) return false;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd_, buf, sizeof(buf));
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    closed_ = true;  // EOF or a broken connection
    break;
  }
  size_t begin = 0;
  for (size_t nl; (nl = in_.find('\n', begin)) != std::string::npos; begin = nl + 1) {
    std::string_view line(in_.data() + begin, nl - begin);
    if (line.empty()) continue;
    Result<SupervisorMessage> m = ParseMessage(line);
    if (!m.ok()) {
      errors_.push_back("unreadable message from supervisor: " + m.status().ToString());
      continue;
    }
    switch (m->type) {
      case SupervisorMessage::Type::kEvent:
        pending_.push_back(std::move(m->event));
        break;
      case SupervisorMessage::Type::kList:
        lists_.push_back(std::move(m->tasks));
        break;
      case SupervisorMessage::Type::kError:
        errors_.push_back(std::move(m->error));
        break;
    }
  }
  in_.erase(0, begin);
  return !closed_;
}

Result<std::vector<TaskEvent>> SupervisorClient::ReadEvents() {
  bool open = Pump();
  if (!open && pending_.empty()) return Status::Unavailable("supervisor closed the connection");
  std::vector<TaskEvent> out(std::make_move_iterator(pending_.begin()),
                             std::make_move_iterator(pending_.end()));
  pending_.clear();
  return out;
}

Result<std::vector<TaskEvent>> SupervisorClient::WaitEvents(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    Result<std::vector<TaskEvent>> events = ReadEvents();
    if (!events.ok() || !events->empty()) return events;
    int left = RemainingMs(deadline);
    if (left == 0) return events;
    pollfd p{fd_, POLLIN, 0};
    poll(&p, 1, left);
  }
}

Result<std::vector<TaskEvent>> SupervisorClient::List(std::chrono::milliseconds timeout) {
  lists_.clear();
  SupervisorRequest r;
  r.op = SupervisorRequest::Op::kList;
  DROVER_RETURN_IF_ERROR(Send(EncodeRequest(r)));
  auto deadline = Clock::now() + timeout;
  for (;;) {
    bool open = Pump();
    if (!lists_.empty()) {
      std::vector<TaskEvent> tasks = std::move(lists_.front());
      lists_.pop_front();
      return tasks;
    }
    if (!open) return Status::Unavailable("supervisor closed the connection during list");
    int left = RemainingMs(deadline);
    if (left == 0) return Status::Unavailable("supervisor did not answer list in time");
    pollfd p{fd_, POLLIN, 0};
    poll(&p, 1, left);
  }
}

std::vector<std::string> SupervisorClient::TakeErrors() { return std::exchange(errors_, {}); }

Status EnsureSupervisor(const std::string& binary_path, const std::string& socket_path,
                        const std::string& log_path, std::chrono::milliseconds timeout) {
  if (Result<int> fd = ConnectUnix(socket_path); fd.ok()) {
    close(*fd);
    return Status::Ok();
  } else if (fd.status().code() == StatusCode::kInvalidArgument) {
    return fd.status();
  }
  if (access(binary_path.c_str(), X_OK) != 0) {
    return Status::Invalid("supervisor_binary",
                           binary_path + " is not executable: " + std::strerror(errno));
  }
  // Prepared before fork: after it only async-signal-safe calls are allowed.
  std::vector<std::string> args = {binary_path, "--socket", socket_path, "--log", log_path};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char** envp = environ;

  pid_t pid = fork();
  if (pid < 0) return Status::Unavailable("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    // Intermediate child: new session, fork the supervisor, exit, so the
    // supervisor is reparented away from us and never becomes our zombie.
    setsid();
    if (fork() != 0) _exit(0);
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
      dup2(null_fd, 0);
      dup2(null_fd, 1);
      dup2(null_fd, 2);
    }
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(argv[0], argv.data(), envp);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (Result<int> fd = ConnectUnix(socket_path); fd.ok()) {
      close(*fd);
      return Status::Ok();
    }
    if (RemainingMs(deadline) == 0) {
      return Status::Unavailable("drover-supervisor " + binary_path + " did not answer on " +
                                 socket_path + " within " + std::to_string(timeout.count()) +
                                 " ms; see " + log_path);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace drover::executors
