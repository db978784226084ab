// ProbeRunner: runs the readiness, liveness and startup probes of the
// node's tasks on a thread of its own, as the kubelet's prober does, and says
// when a task's readiness changes or when it must be restarted.
//
// Per task: nothing runs before initialDelay; while a startup probe has not
// passed, only it runs (failureThreshold failures in a row: restart); then
// readiness (successThreshold passes in a row: ready; failureThreshold
// failures: not ready) and liveness (failureThreshold failures: restart)
// run every period. A task starts not ready. Callbacks run on the runner's
// thread, without its lock held.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "api/json_text.h"
#include "api/status.h"
#include "executors/launch_spec.h"
#include "executors/process_launcher.h"

namespace drover::node {

struct ProbeSpec {
  enum class Kind { kExec, kHttpGet, kTcpSocket };
  Kind kind = Kind::kTcpSocket;
  std::vector<std::string> command;
  std::string path = "/";
  int32_t port = 0;
  int64_t initial_delay_ms = 0;
  int64_t period_ms = 10'000;
  int64_t timeout_ms = 1'000;
  int32_t success_threshold = 1;
  int32_t failure_threshold = 3;
};

struct TaskProbes {
  std::optional<ProbeSpec> readiness, liveness, startup;
  // Exec probes run as the task: its user, environment, working directory.
  executors::LaunchSpec exec_as;
};

// The "probes" object of a launch instruction (ports already numbers).
Result<TaskProbes> TaskProbesFromLaunch(const Json& probes);

class ProbeRunner {
 public:
  struct Callbacks {
    std::function<void(const std::string& task, bool ready)> on_readiness;
    // A liveness or startup probe failed failureThreshold times.
    std::function<void(const std::string& task, const std::string& why)> on_failure;
  };
  explicit ProbeRunner(Callbacks callbacks);
  ~ProbeRunner();

  void Start();
  void Stop();
  // Starts probing `task` (launched at `now_ms`, monotonic). Replaces earlier probes.
  void Add(const std::string& task, TaskProbes probes, int64_t now_ms);
  void Remove(const std::string& task);
  bool Has(const std::string& task) const;
  size_t size() const;

  // The clock the runner uses (monotonic milliseconds).
  static int64_t NowMs();

 private:
  struct ProbeState {
    ProbeSpec spec;
    int64_t next_ms = 0;
    int32_t successes = 0;
    int32_t failures = 0;
  };
  struct TaskState {
    std::optional<ProbeState> readiness, liveness, startup;
    executors::LaunchSpec exec_as;
    bool started = false;  // the startup probe passed (or there is none)
    bool ready = false;
    bool failed = false;  // restart asked: probing stops
  };
  enum class Which { kReadiness, kLiveness, kStartup };

  void Loop();
  Status RunCheck(const ProbeSpec& spec, const executors::LaunchSpec& exec_as);

  Callbacks callbacks_;
  executors::ProcessLauncher launcher_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, TaskState> tasks_;  // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  std::thread thread_;
};

}  // namespace drover::node
