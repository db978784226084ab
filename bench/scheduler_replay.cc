// drover-sim's EASY replay of the whole shared KTH trace, parsing included.
// Last line: `sim_easy_replay_s=<value> s`.
#include <chrono>
#include <cstdio>
#include <string>

#include "cmd/sim/replay.h"
#include "cmd/sim/workload.h"

int main(int argc, char** argv) {
  const std::string trace = argc > 1 ? argv[1] : DROVER_TRACE;
  const auto t0 = std::chrono::steady_clock::now();
  auto text = drover::sim::ReadMaybeGzip(trace);
  if (!text.ok()) {
    std::fprintf(stderr, "%s\n", text.status().ToString().c_str());
    return 1;
  }
  auto w = drover::sim::ParseSwf(*text);
  if (!w.ok()) {
    std::fprintf(stderr, "%s\n", w.status().ToString().c_str());
    return 1;
  }
  const auto t1 = std::chrono::steady_clock::now();
  drover::sim::ReplayResult r =
      drover::sim::Replay(*w, drover::sim::Machine{1, static_cast<int32_t>(w->max_procs)}, {});
  const auto t2 = std::chrono::steady_clock::now();
  const double parse = std::chrono::duration<double>(t1 - t0).count();
  const double total = std::chrono::duration<double>(t2 - t0).count();
  std::printf("jobs=%zu passes=%lld mean_bsld=%.3f parse_s=%.3f\n", r.jobs.size(),
              static_cast<long long>(r.passes), r.mean_bounded_slowdown, parse);
  std::printf("sim_easy_replay_s=%.3f s\n", total);
  return 0;
}
