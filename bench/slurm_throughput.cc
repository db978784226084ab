// The Slurm-compatible path's throughput: the tiny-job workload a Slurm user
// runs, through Drover's own `sbatch` processes against a local cluster of
// 2 nodes x 8 cores (droverd and the nodes registered): 1,000 `sbatch --wrap
// true`, one after another as a shell loop submits them, then one 1,000-task
// array. Timed from the first submission to the last job's end.
//
// Slurm's side runs in the same invocation when a Slurm is there to measure:
// SLURM_SBATCH names its sbatch (e.g. /usr/bin/sbatch) and `scontrol ping`
// answers. Without it the Slurm figure and the ratio are "n/a".
//
// Last line: drover_jobs_per_s=N slurm_jobs_per_s=M ratio=R
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "api/json_codec.h"
#include "tests/support/local_cluster.h"

extern char** environ;

using namespace drover;
using Clock = std::chrono::steady_clock;

namespace {

// Runs argv with `env` added to this process's environment; returns its
// stdout (the job id with --parsable) and whether it exited 0.
bool RunCommand(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                std::string* out) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return false;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipefd[0]);
  std::vector<std::string> env_words = env;
  for (char** e = environ; *e != nullptr; ++e) env_words.emplace_back(*e);
  std::vector<char*> args, envp;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const std::string& e : env_words) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipefd[1]);
  if (rc != 0) {
    close(pipefd[0]);
    return false;
  }
  char buf[256];
  for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) > 0;) out->append(buf, n);
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

struct Workload {
  double seconds = 0;
  double submit_seconds = 0;  // the 1,000 sbatch processes alone
  int jobs = 0;  // jobs and array tasks that ran
};

// 1,000 single jobs and a 1,000-task array through `sbatch`; `wait_all`
// waits for every id it was given to end.
template <class WaitAll>
Workload RunWorkload(const std::string& sbatch, const std::vector<std::string>& env, int jobs,
                     WaitAll wait_all) {
  Workload w;
  std::vector<uint64_t> ids;
  const auto start = Clock::now();
  for (int i = 0; i < jobs; ++i) {
    std::string out;
    if (!RunCommand({sbatch, "--parsable", "--wrap", "true"}, env, &out)) {
      std::fprintf(stderr, "%s failed: %s\n", sbatch.c_str(), out.c_str());
      return {};
    }
    ids.push_back(std::strtoull(out.c_str(), nullptr, 10));
  }
  w.submit_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::string out;
  if (!RunCommand({sbatch, "--parsable", "--array=0-" + std::to_string(jobs - 1), "--wrap",
                   "true"},
                  env, &out)) {
    std::fprintf(stderr, "%s --array failed: %s\n", sbatch.c_str(), out.c_str());
    return {};
  }
  ids.push_back(std::strtoull(out.c_str(), nullptr, 10));
  if (!wait_all(ids)) return {};
  w.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  w.jobs = 2 * jobs;
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  const int jobs = argc > 1 ? std::atoi(argv[1]) : 1000;
  testing::LocalClusterOptions options;
  options.nodes = 2;
  options.node_topology = "synthetic:package:1 core:8 pu:1";
  testing::LocalCluster cluster(options);
  Status st = cluster.Start();
  if (!st.ok()) {
    std::fprintf(stderr, "cannot start the cluster: %s\n", st.ToString().c_str());
    return 1;
  }
  const std::string sbatch = testing::BinDir() + "/sbatch";
  const std::vector<std::string> env = {"DROVER_SERVER=" + cluster.tcp_endpoint(),
                                        "DROVER_TOKEN=" + cluster.admin_token()};
  Workload drover = RunWorkload(sbatch, env, jobs, [&](const std::vector<uint64_t>& ids) {
    for (uint64_t id : ids) {
      auto done = cluster.WaitForJob(id, std::chrono::minutes(5));
      if (!done.ok() || (*done)["status"]["phase"] != "Succeeded") {
        std::fprintf(stderr, "job %llu did not succeed\n", static_cast<unsigned long long>(id));
        return false;
      }
    }
    return true;
  });
  if (drover.jobs == 0) return 1;
  const double drover_rate = drover.jobs / drover.seconds;
  std::printf(
      "drover: %d sbatch --wrap true + a %d-task array on 2 nodes x 8 cores: %.2f s (the %d "
      "sbatch processes: %.2f s)\n",
      jobs, jobs, drover.seconds, jobs, drover.submit_seconds);

  std::string slurm_rate = "n/a", ratio = "n/a";
  const char* slurm_sbatch = std::getenv("SLURM_SBATCH");
  std::string ping;
  if (slurm_sbatch != nullptr && RunCommand({"/usr/bin/scontrol", "ping"}, {}, &ping)) {
    Workload slurm = RunWorkload(slurm_sbatch, {}, jobs, [](const std::vector<uint64_t>& ids) {
      // Slurm's jobs are done when squeue no longer lists any of them.
      for (int tries = 0; tries < 6000; ++tries) {
        std::string listed;
        std::string list;
        for (uint64_t id : ids) list += (list.empty() ? "" : ",") + std::to_string(id);
        RunCommand({"/usr/bin/squeue", "-h", "-j", list}, {}, &listed);
        if (listed.empty()) return true;
        usleep(100'000);
      }
      return false;
    });
    if (slurm.jobs > 0) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.1f", slurm.jobs / slurm.seconds);
      slurm_rate = buf;
      std::snprintf(buf, sizeof buf, "%.1f", drover_rate / (slurm.jobs / slurm.seconds));
      ratio = buf;
    }
  } else {
    std::printf("slurm: not measured (set SLURM_SBATCH to a Slurm sbatch whose slurmctld "
                "answers scontrol ping)\n");
  }
  std::printf("drover_jobs_per_s=%.1f slurm_jobs_per_s=%s ratio=%s\n", drover_rate,
              slurm_rate.c_str(), ratio.c_str());
  return 0;
}
