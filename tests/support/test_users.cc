#include "tests/support/test_users.h"

#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

extern char** environ;

namespace drover::testing {
namespace {

// Runs argv with `input` on stdin; stdout and stderr into the result.
Result<CommandResult> Run(const std::vector<std::string>& argv, const std::string& input) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
    return Status::Internal(std::string("pipe: ") + strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    return Status::Internal("cannot run " + argv[0] + ": " + strerror(rc));
  }
  // Feed stdin from a thread so a large input cannot deadlock against output.
  std::thread feeder([fd = in[1], input] {
    size_t off = 0;
    while (off < input.size()) {
      ssize_t n = ::write(fd, input.data() + off, input.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::close(fd);
  });
  CommandResult result;
  char buf[65536];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) result.out.append(buf, n);
  ::close(out[0]);
  feeder.join();
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace

Result<TestUser> EnsureTestUser(const std::string& name) {
  if (geteuid() != 0) return Status::Unavailable("making test users needs root");
  if (getpwnam(name.c_str()) == nullptr) {
    auto made = Run({"useradd", "-m", "-s", "/bin/sh", name}, "");
    if (!made.ok()) return made.status();
    // Another test process may have made it meanwhile (exit 9: already exists).
    if (made->exit_code != 0 && made->exit_code != 9) {
      return Status::Unavailable("useradd " + name + " failed: " + made->out);
    }
  }
  struct passwd* pw = getpwnam(name.c_str());
  if (pw == nullptr) return Status::Unavailable("user " + name + " does not exist after useradd");
  return TestUser{name, pw->pw_uid, pw->pw_gid, pw->pw_dir};
}

Result<CommandResult> RunAs(const TestUser& user, const std::vector<std::string>& argv,
                            const std::string& input) {
  std::vector<std::string> full = {"runuser", "-u", user.name, "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  return Run(full, input);
}

Result<HttpResponse> RequestAs(const TestUser& user, const std::string& socket,
                               const std::string& method, const std::string& target,
                               const std::string& body) {
  // The status code goes on a line of its own after the body.
  std::vector<std::string> argv = {"curl",
                                   "-sS",
                                   "--unix-socket",
                                   socket,
                                   "-X",
                                   method,
                                   "-w",
                                   "\n%{http_code}",
                                   "http://droverd" + target};
  if (!body.empty()) {
    argv.insert(argv.end(), {"-H", "Content-Type: application/json", "--data-binary", "@-"});
  }
  auto r = RunAs(user, argv, body);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return Status::Unavailable("curl as " + user.name + ": " + r->out);
  size_t nl = r->out.rfind('\n');
  if (nl == std::string::npos) return Status::Internal("curl printed no status: " + r->out);
  HttpResponse response;
  response.status = std::atoi(r->out.c_str() + nl + 1);
  response.body = r->out.substr(0, nl);
  return response;
}

}  // namespace drover::testing
