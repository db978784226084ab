#include "tests/e2e/cli_runner.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace drover::e2e {

std::string CliResult::Describe() const {
  return "exit " + std::to_string(exit_code) + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
}

CliRunner::CliRunner(std::string drover, std::string home)
    : drover_(std::move(drover)), home_(std::move(home)) {}

CliResult CliRunner::Run(const std::vector<std::string>& args, std::chrono::seconds timeout) const {
  return RunWithEnv(args, {}, timeout);
}

CliResult CliRunner::RunWithEnv(const std::vector<std::string>& args,
                                const std::vector<std::string>& extra_env,
                                std::chrono::seconds timeout) const {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view v = *e;
    if (v.starts_with("HOME=") || v.starts_with("XDG_") || v.starts_with("DROVER_SERVER=") ||
        v.starts_with("DROVER_TOKEN=")) {
      continue;
    }
    env_strings.emplace_back(v);
  }
  env_strings.push_back("HOME=" + home_);
  env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  std::vector<std::string> argv_strings = {drover_};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  // Files, not pipes: no deadlock whatever the amount of output.
  std::string out_path = home_ + "/.cli.out", err_path = home_ + "/.cli.err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addchdir_np(&actions, home_.c_str());
  pid_t pid = 0;
  CliResult result;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    result.err = std::string("cannot run ") + drover_ + ": " + std::strerror(rc);
    return result;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.err = "(timed out) ";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = ReadWholeFile(out_path);
  result.err += ReadWholeFile(err_path);
  return result;
}

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "XXXXXX";
  char* made = mkdtemp(tmpl.data());
  return made == nullptr ? std::string() : std::string(made);
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<int> ProcessesMentioning(const std::string& needle) {
  std::vector<int> out;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return out;
  while (struct dirent* e = readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || pid == getpid()) continue;
    std::string base = std::string("/proc/") + e->d_name;
    std::string stat = ReadWholeFile(base + "/stat");
    size_t close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] == 'Z') continue;
    if (ReadWholeFile(base + "/cmdline").find(needle) != std::string::npos ||
        ReadWholeFile(base + "/environ").find(needle) != std::string::npos) {
      out.push_back(static_cast<int>(pid));
    }
  }
  closedir(dir);
  return out;
}

}  // namespace drover::e2e
