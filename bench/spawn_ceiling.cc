#include "bench/spawn_ceiling.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

extern char** environ;

namespace drover::bench {

double MeasureSpawnCeiling(int workers, double seconds) {
  if (workers <= 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    workers = n > 0 ? static_cast<int>(n) : 1;
  }
  using Clock = std::chrono::steady_clock;
  std::atomic<int64_t> launches{0};
  auto start = Clock::now();
  auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      char sh[] = "/bin/sh", dash_c[] = "-c", cmd[] = "true";
      char* argv[] = {sh, dash_c, cmd, nullptr};
      int64_t mine = 0;
      while (Clock::now() < deadline) {
        pid_t pid;
        if (posix_spawn(&pid, sh, nullptr, nullptr, argv, environ) != 0) continue;
        int status;
        // Only our own child: other workers' children are theirs to reap.
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        ++mine;
      }
      launches += mine;
    });
  }
  for (std::thread& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(launches.load()) / elapsed;
}

}  // namespace drover::bench
