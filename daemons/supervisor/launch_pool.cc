#include "daemons/supervisor/launch_pool.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace drover::supervisor {

LaunchPool::LaunchPool(executors::ProcessLauncher* launcher, const executors::TaskCgroups* cgroups,
                       int threads)
    : launcher_(launcher), cgroups_(cgroups) {
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  for (int i = 0; i < (threads > 0 ? threads : 1); ++i) threads_.emplace_back([this] { Work(); });
}

LaunchPool::~LaunchPool() {
  Stop();
  close(event_fd_);
}

std::vector<LaunchPool::Outcome> LaunchPool::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(done_, {});
}

void LaunchPool::Submit(executors::LaunchSpec spec) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    queue_.push_back(std::move(spec));
  }
  cv_.notify_one();
}

std::vector<LaunchPool::Outcome> LaunchPool::Take() {
  uint64_t count;
  (void)!read(event_fd_, &count, sizeof(count));
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(done_, {});
}

void LaunchPool::Work() {
  for (;;) {
    executors::LaunchSpec spec;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      spec = std::move(queue_.front());
      queue_.pop_front();
    }
    Outcome outcome{spec.task, Launch(spec)};
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      wake = done_.empty();  // otherwise a wake-up is already pending
      done_.push_back(std::move(outcome));
    }
    if (wake) {
      uint64_t one = 1;
      (void)!write(event_fd_, &one, sizeof(one));
    }
  }
}

executors::LaunchAttempt LaunchPool::Launch(const executors::LaunchSpec& spec) {
  executors::CgroupLimits limits;
  limits.memory_bytes = spec.memory_limit_bytes;
  // Confine to the task's cpus only where they are this machine's own: a
  // synthetic topology (drover up) folds its cores onto the real cpus, and
  // a cpuset of folded cpus squeezes distinct cores together.
  if (spec.confine_cpus) {
    for (int32_t cpu : spec.cpus) {
      if (cpu >= 0) limits.cpus.push_back(launcher_->MapCpu(cpu));
    }
  }
  std::sort(limits.cpus.begin(), limits.cpus.end());
  limits.cpus.erase(std::unique(limits.cpus.begin(), limits.cpus.end()), limits.cpus.end());
  auto procs = cgroups_->Create(spec.task, limits);
  // A failed launch's cgroup is removed by the supervisor, as every failed one's.
  if (!procs.ok()) {
    executors::LaunchAttempt failed;
    failed.status = Status::Internal("cannot contain the task: " + procs.status().message());
    return failed;
  }
  std::vector<int> fds;
  for (const executors::UniqueFd& fd : *procs) fds.push_back(fd.get());
  return launcher_->TryLaunch(spec, fds);
}

}  // namespace drover::supervisor
