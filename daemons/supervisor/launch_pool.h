// LaunchPool: a few threads that run ProcessLauncher::TryLaunch for the
// supervisor's event loop.
//
// Why: a launch blocks its thread until the child has exec'd, and on a busy
// machine the new child may wait several milliseconds for a cpu (new tasks
// are placed behind running ones). One launching thread then stalls the whole
// node; a few in parallel hide that latency. The event loop keeps all task
// state; the pool only launches and hands outcomes back.
//
// Thread safety: Submit, Take and fd are called by the owner (event loop)
// thread; the workers touch only the queues, under the mutex. The destructor
// lets each worker finish the launch it is in and drops queued ones.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "executors/launch_spec.h"
#include "executors/process_launcher.h"
#include "executors/task_cgroup.h"

namespace drover::supervisor {

class LaunchPool {
 public:
  struct Outcome {
    std::string task;
    executors::LaunchAttempt attempt;
  };

  // `launcher` and `cgroups` must outlive the pool. Each task is launched
  // into a cgroup of its own made from its spec. Workers inherit the
  // caller's signal mask.
  LaunchPool(executors::ProcessLauncher* launcher, const executors::TaskCgroups* cgroups,
             int threads);
  ~LaunchPool();
  LaunchPool(const LaunchPool&) = delete;
  LaunchPool& operator=(const LaunchPool&) = delete;

  void Submit(executors::LaunchSpec spec);
  // Drops queued launches, waits for the running ones and returns every
  // outcome not yet taken. Idempotent; Submit after Stop does nothing.
  std::vector<Outcome> Stop();
  // Outcomes so far, in completion order; clears fd()'s readiness.
  std::vector<Outcome> Take();
  // An eventfd, readable while outcomes wait to be taken.
  int fd() const { return event_fd_; }

 private:
  void Work();
  executors::LaunchAttempt Launch(const executors::LaunchSpec& spec);

  executors::ProcessLauncher* launcher_;
  const executors::TaskCgroups* cgroups_;
  int event_fd_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                    // guarded by mu_
  std::deque<executors::LaunchSpec> queue_;  // guarded by mu_
  std::vector<Outcome> done_;                // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace drover::supervisor
