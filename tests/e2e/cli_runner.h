// CliRunner: runs the real drover binary as a user would, in a private HOME,
// and captures its exit code, stdout and stderr. For the end-to-end tests.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace drover::e2e {

struct CliResult {
  int exit_code = -1;  // -1: killed (timeout) or did not exit normally
  std::string out;
  std::string err;
  std::string Describe() const;  // for test failure messages
};

class CliRunner {
 public:
  // `drover` is the binary's path; `home` the HOME the commands see (XDG_*
  // and DROVER_* variables of the test's own environment are not passed).
  CliRunner(std::string drover, std::string home);

  // Runs `drover args...` in `home`; kills it after `timeout`.
  CliResult Run(const std::vector<std::string>& args,
                std::chrono::seconds timeout = std::chrono::seconds(120)) const;
  // The same with extra "KEY=VALUE" environment entries (DROVER_TOKEN, ...).
  CliResult RunWithEnv(const std::vector<std::string>& args, const std::vector<std::string>& env,
                       std::chrono::seconds timeout = std::chrono::seconds(120)) const;

 private:
  std::string drover_;
  std::string home_;
};

// A fresh directory under /tmp with a short name (Unix socket paths are short).
std::string MakeTempDir(const std::string& prefix);
void RemoveTree(const std::string& path);
std::string ReadWholeFile(const std::string& path);

// pids of live (non-zombie) processes whose command line or environment
// contains `needle`.
std::vector<int> ProcessesMentioning(const std::string& needle);

}  // namespace drover::e2e
