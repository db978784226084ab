// bench_spawn_ceiling: the machine's bare spawn rate next to Drover's own
// launcher, directly and through drover-supervisor, so a slow pipeline can be
// blamed on the right part.
//
//   bench_spawn_ceiling [--seconds S] [--workers N] [--supervisor PATH]
//                       [--only direct|supervisor|ceiling]
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
#include <memory>
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

// Launches through one drover-supervisor, keeping up to kWindow tasks in
// flight, and counts exits per round.
class SupervisorBench {
 public:
  ~SupervisorBench() {
    if (client_) (void)client_->Shutdown(true);
    if (!dir_.empty()) (void)!std::system(("rm -rf " + dir_).c_str());
  }

  bool Start(const std::string& binary) {
    dir_ = "/tmp/drover-spawn-bench-" + std::to_string(getpid());
    std::string socket = dir_ + "/supervisor.sock";
    mkdir(dir_.c_str(), 0700);
    drover::Status started = drover::executors::EnsureSupervisor(binary, socket, dir_ + "/log");
    if (!started.ok()) {
      std::fprintf(stderr, "%s\n", started.ToString().c_str());
      return false;
    }
    auto client = drover::executors::SupervisorClient::Connect(socket);
    if (!client.ok()) {
      std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
      return false;
    }
    client_ = std::make_unique<drover::executors::SupervisorClient>(std::move(client).value());
    return true;
  }

  // Launches/s over `seconds`, or -1 on failure. Drains its tasks before returning.
  double Measure(double seconds) {
    constexpr int kWindow = 128;
    constexpr int kBatch = 32;
    int64_t launched = 0, exited = 0;
    auto start = Clock::now();
    auto deadline =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    double rate = -1;
    for (;;) {
      bool measuring = Clock::now() < deadline;
      if (!measuring && rate < 0) {
        rate = static_cast<double>(exited) /
               std::chrono::duration<double>(Clock::now() - start).count();
      }
      if (!measuring && exited == launched) break;
      if (measuring && launched - exited <= kWindow - kBatch) {
        std::vector<LaunchSpec> batch;
        for (int i = 0; i < kBatch; ++i) batch.push_back(TrueSpec("t" + std::to_string(next_++)));
        if (!client_->LaunchBatch(batch).ok()) return -1;
        launched += kBatch;
      }
      auto events = client_->WaitEvents(std::chrono::milliseconds(100));
      if (!events.ok()) return -1;
      std::vector<std::string> done;
      for (const auto& e : *events) {
        if (e.kind != drover::executors::TaskEvent::Kind::kExited) continue;
        ++exited;
        if (!e.error.empty()) {
          std::fprintf(stderr, "launch failed: %s\n", e.error.c_str());
          return -1;
        }
        done.push_back(e.task);
      }
      if (!done.empty() && !client_->Ack(done).ok()) return -1;
    }
    return rate;
  }

 private:
  std::string dir_;
  std::unique_ptr<drover::executors::SupervisorClient> client_;
  int64_t next_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  int workers = 0;
  std::string supervisor = DROVER_SUPERVISOR_BIN;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (arg == "--workers") {
      workers = std::atoi(argv[i + 1]);
    } else if (arg == "--only") {
      only = argv[i + 1];
    } else if (arg == "--supervisor") {
      supervisor = argv[i + 1];
    } else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (workers <= 0) workers = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  std::printf("workers=%d seconds=%.1f\n", workers, seconds);
  // Rounds interleave the three measurements so that load from other
  // processes on a shared machine hits them alike.
  constexpr int kRounds = 3;
  const double round_s = seconds / kRounds;
  bool want_direct = only.empty() || only == "direct";
  bool want_supervisor = only.empty() || only == "supervisor";
  bool want_ceiling = only.empty() || only == "ceiling";
  SupervisorBench bench;
  if (want_supervisor && !bench.Start(supervisor)) return 1;
  double direct = 0, through_supervisor = 0, ceiling = 0;
  for (int round = 0; round < kRounds; ++round) {
    if (want_direct) direct += MeasureLauncherDirect(workers, round_s) / kRounds;
    if (want_supervisor) {
      double rate = bench.Measure(round_s);
      if (rate < 0) return 1;
      through_supervisor += rate / kRounds;
    }
    if (want_ceiling) ceiling += drover::bench::MeasureSpawnCeiling(workers, round_s) / kRounds;
  }
  if (want_direct) std::printf("launcher_direct_per_s=%.0f launches/s\n", direct);
  if (want_supervisor) std::printf("supervisor_launch_per_s=%.0f launches/s\n", through_supervisor);
  if (want_ceiling) std::printf("spawn_ceiling_per_s=%.0f launches/s\n", ceiling);
  return 0;
}
