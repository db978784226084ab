#include "daemons/droverd/mail_sender.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

namespace drover::droverd {

void MailSender::Send(JobMail mail) {
  worker_.Post([this, mail = std::move(mail)] {
    const int status = RunProgram(mail);
    std::lock_guard<std::mutex> lock(mu_);
    if (status == 0) {
      ++sent_;
      return;
    }
    ++failed_;
    spdlog::warn("droverd: mail program {} for \"{}\" to {} failed (status {})", program_,
                 mail.subject, mail.user, status);
  });
}

int64_t MailSender::sent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sent_;
}

int64_t MailSender::failed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_;
}

int MailSender::RunProgram(const JobMail& mail) const {
  std::vector<std::string> args = {program_, "-s", mail.subject, mail.user};
  std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"};
  for (const auto& [k, v] : mail.env) env.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // An empty body on stdin; what the program prints goes nowhere.
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, program_.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  // A hung mail program must not hold up every later mail: wait at most the
  // timeout (a pidfd becomes readable when the process exits), then kill it.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd exited{pidfd, POLLIN, 0};
    int ready;
    while ((ready = ::poll(&exited, 1, static_cast<int>(timeout_ms_))) < 0 && errno == EINTR) {
    }
    ::close(pidfd);
    if (ready == 0) ::kill(pid, SIGKILL);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace drover::droverd
