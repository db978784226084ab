#include "cmd/drover/process_control.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <functional>
#include <thread>

#include "api/token_hash.h"
#include "cmd/drover/file_io.h"

extern char** environ;

namespace drover::cli {
namespace {

std::string ReadLink(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
  if (n < 0) return {};
  return std::string(buf, static_cast<size_t>(n));
}

struct ProcStat {
  char state = '?';
  pid_t session = 0;
  uint64_t start_time = 0;
};

// Fields of /proc/PID/stat after the command name, which may hold spaces
// and parentheses, so parse from the last ')'.
std::optional<ProcStat> ReadProcStat(pid_t pid) {
  auto text = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!text.ok()) return std::nullopt;
  size_t close = text->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::vector<std::string> fields;
  size_t pos = close + 2;
  while (pos < text->size()) {
    size_t space = text->find(' ', pos);
    if (space == std::string::npos) space = text->size();
    fields.push_back(text->substr(pos, space - pos));
    pos = space + 1;
  }
  // fields[0] is field 3 (state); session is field 6; starttime field 22.
  if (fields.size() < 20) return std::nullopt;
  ProcStat st;
  st.state = fields[0].empty() ? '?' : fields[0][0];
  st.session = static_cast<pid_t>(std::stol(fields[3]));
  st.start_time = std::stoull(fields[19]);
  return st;
}

std::string StripDeleted(std::string exe) {
  constexpr std::string_view kDeleted = " (deleted)";
  if (exe.size() > kDeleted.size() && exe.ends_with(kDeleted)) {
    exe.resize(exe.size() - kDeleted.size());
  }
  return exe;
}

bool Gone(pid_t pid) {
  ChildExited(pid);  // reap if it is our own child
  auto st = ReadProcStat(pid);
  return !st || st->state == 'Z' || st->state == 'X';
}

// Calls `visit` with every pid in /proc.
void ForEachPid(const std::function<void(pid_t)>& visit) {
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return;
  while (struct dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || pid <= 0) continue;
    visit(static_cast<pid_t>(pid));
  }
  ::closedir(dir);
}

// Processes (not zombies) whose session id is `sid`.
std::vector<pid_t> SessionMembers(pid_t sid) {
  std::vector<pid_t> out;
  ForEachPid([&](pid_t pid) {
    auto st = ReadProcStat(pid);
    if (st && st->session == sid && st->state != 'Z' && st->state != 'X') out.push_back(pid);
  });
  return out;
}

// SIGTERM, wait up to `grace`, SIGKILL; returns how many needed SIGKILL.
int TermThenKill(const std::vector<ProcessIdentity>& targets, std::chrono::milliseconds grace) {
  for (const auto& p : targets) ::kill(p.pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  auto all_gone = [&] {
    for (const auto& p : targets) {
      if (!Gone(p.pid) && IsSameProcess(p)) return false;
    }
    return true;
  };
  while (!all_gone() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  int killed = 0;
  for (const auto& p : targets) {
    if (!Gone(p.pid) && IsSameProcess(p)) {
      ::kill(p.pid, SIGKILL);
      ++killed;
    }
  }
  auto kill_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!all_gone() && std::chrono::steady_clock::now() < kill_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return killed;
}

}  // namespace

std::string SelfExeDir() { return DirName(ReadLink("/proc/self/exe")); }

Result<ProcessIdentity> SpawnDetached(const std::vector<std::string>& argv,
                                      const std::string& log_path) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // A new session: the daemons outlive this terminal and `drover up` itself.
  // Default dispositions and no blocked signals: an ignored SIGTERM or SIGHUP
  // of the invoking shell (nohup) must not make the daemons unstoppable.
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, cargv[0], &actions, &attr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return Status::Internal("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  auto identity = CurrentIdentity(pid);
  if (!identity) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return Status::Internal(argv[0] + " exited at once (see " + log_path + ")");
  }
  return *identity;
}

std::optional<ProcessIdentity> CurrentIdentity(pid_t pid) {
  auto st = ReadProcStat(pid);
  if (!st || st->state == 'Z' || st->state == 'X') return std::nullopt;
  ProcessIdentity id;
  id.pid = pid;
  id.exe = StripDeleted(ReadLink("/proc/" + std::to_string(pid) + "/exe"));
  id.start_time = st->start_time;
  return id;
}

bool IsSameProcess(const ProcessIdentity& recorded) {
  if (recorded.pid <= 0) return false;
  auto now = CurrentIdentity(recorded.pid);
  return now && now->start_time == recorded.start_time && now->exe == recorded.exe;
}

std::vector<ProcessInfo> ProcessesRunning(const std::string& exe) {
  std::vector<ProcessInfo> out;
  ForEachPid([&](pid_t pid) {
    auto id = CurrentIdentity(pid);
    if (!id || id->exe != exe) return;
    auto cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
    if (!cmdline.ok()) return;
    ProcessInfo info{*id, {}};
    size_t pos = 0;
    while (pos < cmdline->size()) {
      size_t nul = cmdline->find('\0', pos);
      if (nul == std::string::npos) nul = cmdline->size();
      info.argv.push_back(cmdline->substr(pos, nul - pos));
      pos = nul + 1;
    }
    out.push_back(std::move(info));
  });
  return out;
}

int StopProcesses(const std::vector<ProcessIdentity>& processes, std::chrono::milliseconds grace) {
  std::vector<ProcessIdentity> targets;
  std::vector<pid_t> sessions;
  for (const auto& p : processes) {
    if (!IsSameProcess(p)) continue;
    targets.push_back(p);
    if (auto st = ReadProcStat(p.pid)) sessions.push_back(st->session);
  }
  int killed = TermThenKill(targets, grace);
  // Our daemons lead their own sessions (setsid at spawn), and a supervisor's
  // tasks share its session; anything still in one of those sessions was
  // started by them and outlived them.
  std::vector<ProcessIdentity> leftovers;
  for (pid_t sid : sessions) {
    if (sid <= 1 || sid == ::getsid(0)) continue;
    for (pid_t member : SessionMembers(sid)) {
      if (auto id = CurrentIdentity(member)) leftovers.push_back(*id);
    }
  }
  if (!leftovers.empty()) killed += TermThenKill(leftovers, grace);
  return killed;
}

bool ChildExited(pid_t pid) {
  int status = 0;
  pid_t r = ::waitpid(pid, &status, WNOHANG);
  return r == pid || (r < 0 && errno == ECHILD && !CurrentIdentity(pid));
}

Result<int> PickLoopbackPort(int preferred, bool strict) {
  auto try_bind = [](int port) -> int {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    int result = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      socklen_t len = sizeof addr;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
      result = ntohs(addr.sin_port);
    }
    ::close(fd);
    return result;
  };
  if (try_bind(preferred) == preferred) return preferred;
  if (strict) {
    return Status::Unavailable("port " + std::to_string(preferred) +
                               " on 127.0.0.1 is in use (choose another with --port)");
  }
  int port = try_bind(0);
  if (port <= 0) return Status::Internal("cannot find a free port on 127.0.0.1");
  return port;
}

Result<std::string> RandomToken() { return RandomHex(32); }

}  // namespace drover::cli
