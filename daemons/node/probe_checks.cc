#include "daemons/node/probe_checks.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "executors/unique_fd.h"

namespace drover::node {
namespace {

int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Waits until `fd` is ready for `events` or the deadline passes.
bool WaitFd(int fd, short events, int64_t deadline_ms) {
  while (true) {
    const int64_t left = deadline_ms - MonotonicMs();
    if (left <= 0) return false;
    struct pollfd pfd = {fd, events, 0};
    const int n = ::poll(&pfd, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

// A connected non-blocking socket to 127.0.0.1:port, or an error.
Result<int> Connect(int32_t port, int64_t deadline_ms) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Internal(std::string("socket: ") + std::strerror(errno));
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 && errno != EINPROGRESS) {
    const int e = errno;
    ::close(fd);
    return Status::Unavailable("connect 127.0.0.1:" + std::to_string(port) + ": " +
                               std::strerror(e));
  }
  if (!WaitFd(fd, POLLOUT, deadline_ms)) {
    ::close(fd);
    return Status::Unavailable("connect 127.0.0.1:" + std::to_string(port) + ": timed out");
  }
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    ::close(fd);
    return Status::Unavailable("connect 127.0.0.1:" + std::to_string(port) + ": " +
                               std::strerror(err));
  }
  return fd;
}

}  // namespace

Status CheckTcp(int32_t port, int64_t timeout_ms) {
  auto fd = Connect(port, MonotonicMs() + timeout_ms);
  if (!fd.ok()) return fd.status();
  ::close(*fd);
  return Status::Ok();
}

Status CheckHttpGet(int32_t port, const std::string& path, int64_t timeout_ms) {
  const int64_t deadline = MonotonicMs() + timeout_ms;
  auto connected = Connect(port, deadline);
  if (!connected.ok()) return connected.status();
  executors::UniqueFd fd(*connected);
  const std::string request = "GET " + path +
                              " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nUser-Agent: drover-probe/1.0\r\nConnection: close\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    if (!WaitFd(fd.get(), POLLOUT, deadline))
      return Status::Unavailable("GET " + path + ": timed out");
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return Status::Unavailable("GET " + path + ": " + std::strerror(errno));
    }
    if (n > 0) sent += static_cast<size_t>(n);
  }
  // Only the status line matters: "HTTP/1.x NNN ...".
  std::string head;
  while (head.find("\r\n") == std::string::npos && head.size() < 1024) {
    if (!WaitFd(fd.get(), POLLIN, deadline))
      return Status::Unavailable("GET " + path + ": timed out");
    char buf[512];
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Status::Unavailable("GET " + path + ": " + std::strerror(errno));
    }
    head.append(buf, static_cast<size_t>(n));
  }
  int code = 0;
  if (head.rfind("HTTP/", 0) == 0) {
    const size_t space = head.find(' ');
    if (space != std::string::npos) code = std::atoi(head.c_str() + space + 1);
  }
  if (code >= 200 && code < 400) return Status::Ok();
  if (code == 0) return Status::Unavailable("GET " + path + ": no HTTP answer");
  return Status::Unavailable("GET " + path + ": HTTP " + std::to_string(code));
}

Status CheckExec(executors::ProcessLauncher& launcher, executors::LaunchSpec spec,
                 int64_t timeout_ms) {
  spec.stdout_path = "/dev/null";
  spec.stderr_path = "";
  spec.time_limit_s = 0;
  auto launched = launcher.Launch(spec);
  if (!launched.ok()) return launched.status();
  const pid_t pid = launched->pid;
  const int64_t deadline = MonotonicMs() + timeout_ms;
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR)
      return Status::Internal(std::string("waitpid: ") + std::strerror(errno));
    if (MonotonicMs() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return Status::Unavailable("command timed out after " + std::to_string(timeout_ms) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  if (WIFSIGNALED(status)) {
    return Status::Unavailable("command killed by signal " + std::to_string(WTERMSIG(status)));
  }
  return Status::Unavailable("command exited " + std::to_string(WEXITSTATUS(status)));
}

}  // namespace drover::node
