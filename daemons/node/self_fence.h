// SelfFence: a node cut off from droverd stops its StatefulSet tasks by
// itself (Nomad's stop_on_client_after), so that droverd may start their
// ordinals elsewhere without two copies ever running.
//
// Contact is the *send* time of a request droverd answered: droverd counted
// it as a heartbeat no earlier, so a task fenced `after_ms` past the last
// contact is stopped no later than droverd's last heartbeat + after_ms, the
// time droverd's fence rule waits for (plus the grace). Each fenced task's
// settings are kept in STATE/fence/TASK too, so a restarted agent that
// re-adopts it keeps fencing it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace drover::node {

class SelfFence {
 public:
  using KillFn = std::function<void(const std::string& task, int64_t grace_ms)>;
  // `now_ms` is a monotonic clock (tests pass their own).
  SelfFence(std::string state_dir, KillFn kill, std::function<int64_t()> now_ms);

  // A request sent at `sent_ms` was answered by droverd.
  void Contacted(int64_t sent_ms);
  // Starts fencing `task` (from its launch); persisted.
  void Watch(const std::string& task, int64_t after_ms, int64_t grace_ms);
  // The task ended: no more fencing.
  void Forget(const std::string& task);
  // Re-adopted tasks: their settings from STATE/fence, for the names given.
  void Restore(const std::vector<std::string>& tasks);
  // Kills every watched task cut off for its interval, once; returns how many.
  int Check();
  // Kills every watched task now (droverd could not be reached at start-up).
  int FenceAll();

 private:
  struct Fenced {
    int64_t after_ms = 0;
    int64_t grace_ms = 0;
    bool killed = false;
  };
  std::string dir_;
  KillFn kill_;
  std::function<int64_t()> now_ms_;
  std::mutex mu_;
  int64_t last_contact_ms_;              // guarded by mu_
  std::map<std::string, Fenced> tasks_;  // guarded by mu_
};

}  // namespace drover::node
