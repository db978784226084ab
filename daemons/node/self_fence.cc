#include "daemons/node/self_fence.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <vector>

namespace drover::node {

SelfFence::SelfFence(std::string state_dir, KillFn kill, std::function<int64_t()> now_ms)
    : dir_(std::move(state_dir) + "/fence"),
      kill_(std::move(kill)),
      now_ms_(std::move(now_ms)),
      last_contact_ms_(now_ms_()) {
  ::mkdir(dir_.c_str(), 0700);
}

void SelfFence::Contacted(int64_t sent_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  last_contact_ms_ = std::max(last_contact_ms_, sent_ms);
}

void SelfFence::Watch(const std::string& task, int64_t after_ms, int64_t grace_ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, fresh] = tasks_.try_emplace(task, Fenced{after_ms, grace_ms, false});
    if (!fresh) return;
  }
  std::ofstream(dir_ + "/" + task) << after_ms << " " << grace_ms << "\n";
}

void SelfFence::Forget(const std::string& task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!tasks_.erase(task)) return;
  }
  ::unlink((dir_ + "/" + task).c_str());
}

void SelfFence::Restore(const std::vector<std::string>& tasks) {
  for (const std::string& task : tasks) {
    std::ifstream in(dir_ + "/" + task);
    int64_t after = 0, grace = 0;
    if (!(in >> after >> grace) || after <= 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.try_emplace(task, Fenced{after, grace, false});
  }
}

int SelfFence::Check() {
  std::vector<std::pair<std::string, int64_t>> due;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t silent = now_ms_() - last_contact_ms_;
    for (auto& [task, f] : tasks_) {
      if (f.killed || silent < f.after_ms) continue;
      f.killed = true;
      due.emplace_back(task, f.grace_ms);
    }
    if (!due.empty()) {
      spdlog::warn("no answer from droverd for {} ms: stopping {} StatefulSet task(s) (fence)",
                   silent, due.size());
    }
  }
  for (const auto& [task, grace] : due) kill_(task, grace);
  return static_cast<int>(due.size());
}

int SelfFence::FenceAll() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_contact_ms_ = INT64_MIN / 2;
  }
  return Check();
}

}  // namespace drover::node
