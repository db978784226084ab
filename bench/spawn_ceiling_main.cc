// bench_spawn_ceiling: the machine's bare spawn rate next to Drover's own
// launcher, directly and through drover-supervisor, so a slow pipeline can be
// blamed on the right part.
//
//   bench_spawn_ceiling [--seconds S] [--workers N] [--supervisor PATH]
//
// Prints launcher_direct_per_s=, supervisor_launch_per_s= and, last,
// spawn_ceiling_per_s= (all launches/s of `/bin/sh -c true`).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bench/spawn_ceiling.h"
#include "executors/process_launcher.h"
#include "executors/supervisor_client.h"

namespace {

using Clock = std::chrono::steady_clock;
using drover::executors::LaunchSpec;

LaunchSpec TrueSpec(const std::string& name) {
  LaunchSpec spec;
  spec.task = name;
  spec.argv = {"/bin/sh", "-c", "true"};
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.uid = geteuid();
  spec.gid = getegid();
  return spec;
}

// ProcessLauncher + waitpid on `workers` threads: the launcher's own cost.
double MeasureLauncherDirect(int workers, double seconds) {
  drover::executors::ProcessLauncher launcher;
  std::atomic<int64_t> launches{0};
  auto start = Clock::now();
  auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      LaunchSpec spec = TrueSpec("direct-" + std::to_string(w));
      int64_t mine = 0;
      while (Clock::now() < deadline) {
        auto launched = launcher.Launch(spec);
        if (!launched.ok()) {
          std::fprintf(stderr, "launch: %s\n", launched.status().ToString().c_str());
          return;
        }
        int status;
        while (waitpid(launched->pid, &status, 0) < 0 && errno == EINTR) {
        }
        ++mine;
      }
      launches += mine;
    });
  }
  for (std::thread& t : threads) t.join();
  return static_cast<double>(launches.load()) /
         std::chrono::duration<double>(Clock::now() - start).count();
}

// Launches through drover-supervisor with up to `window` tasks in flight;
// counts exited events. Returns -1 on failure.
double MeasureSupervisor(const std::string& binary, double seconds) {
  std::string dir = "/tmp/drover-spawn-bench-" + std::to_string(getpid());
  std::string socket = dir + "/supervisor.sock";
  mkdir(dir.c_str(), 0700);
  drover::Status started = drover::executors::EnsureSupervisor(binary, socket, dir + "/log");
  if (!started.ok()) {
    std::fprintf(stderr, "%s\n", started.ToString().c_str());
    return -1;
  }
  auto client = drover::executors::SupervisorClient::Connect(socket);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return -1;
  }
  constexpr int kWindow = 128;
  constexpr int kBatch = 32;
  int64_t next = 0, exited = 0, failed = 0;
  auto start = Clock::now();
  auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (Clock::now() < deadline) {
    if (next - exited <= kWindow - kBatch) {
      std::vector<LaunchSpec> batch;
      for (int i = 0; i < kBatch; ++i) batch.push_back(TrueSpec("t" + std::to_string(next++)));
      if (!client->LaunchBatch(batch).ok()) return -1;
    }
    auto events = client->WaitEvents(std::chrono::milliseconds(100));
    if (!events.ok()) return -1;
    std::vector<std::string> done;
    for (const auto& e : *events) {
      if (e.kind != drover::executors::TaskEvent::Kind::kExited) continue;
      ++exited;
      if (!e.error.empty()) ++failed;
      done.push_back(e.task);
    }
    if (!done.empty() && !client->Ack(done).ok()) return -1;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  (void)client->Shutdown(true);
  if (failed > 0) std::fprintf(stderr, "%lld launches failed\n", static_cast<long long>(failed));
  std::string cleanup = "rm -rf " + dir;
  (void)!std::system(cleanup.c_str());
  return static_cast<double>(exited) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  int workers = 0;
  std::string supervisor = DROVER_SUPERVISOR_BIN;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (arg == "--workers") {
      workers = std::atoi(argv[i + 1]);
    } else if (arg == "--supervisor") {
      supervisor = argv[i + 1];
    } else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (workers <= 0) workers = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  std::printf("workers=%d seconds=%.1f\n", workers, seconds);
  std::printf("launcher_direct_per_s=%.0f launches/s\n", MeasureLauncherDirect(workers, seconds));
  std::fflush(stdout);
  std::printf("supervisor_launch_per_s=%.0f launches/s\n", MeasureSupervisor(supervisor, seconds));
  std::fflush(stdout);
  std::printf("spawn_ceiling_per_s=%.0f launches/s\n",
              drover::bench::MeasureSpawnCeiling(workers, seconds));
  return 0;
}
