// drover-sim: replays a workload trace (SWF or a Drover JSON job list) through
// the Drover scheduler in simulated time and prints, per policy, jobs,
// utilization, mean wait, mean bounded slowdown and makespan.
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "cmd/sim/replay.h"
#include "cmd/sim/workload.h"
#include "scheduler/queue_policy.h"

namespace po = boost::program_options;
using drover::sim::Machine;
using drover::sim::ReplayResult;
using drover::sim::Workload;

int main(int argc, char** argv) {
  std::string trace, format, policies, starts_path;
  int32_t nodes = 0, cores_per_node = 0, depth = 100;
  int64_t limit = 0;
  po::options_description opts("drover-sim [options] TRACE");
  opts.add_options()("help,h", "this help")("policy", po::value(&policies)->default_value("all"),
                                            "fcfs, easy, conservative, or all (side by side)")(
      "format", po::value(&format)->default_value("auto"), "swf, json, or auto (by extension)")(
      "nodes", po::value(&nodes), "map the machine's processors onto this many nodes")(
      "cores-per-node", po::value(&cores_per_node), "cores of each node")(
      "depth", po::value(&depth)->default_value(100), "conservative: reservations per pass")(
      "jobs", po::value(&limit)->default_value(0), "replay only the first N jobs (0 = all)")(
      "starts", po::value(&starts_path),
      "write 'id submit start end' per job of the last policy to this file")(
      "trace", po::value(&trace), "SWF (.swf, .swf.gz) or JSON job list");
  po::positional_options_description pos;
  pos.add("trace", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "drover-sim: " << e.what() << "\n" << opts;
    return 2;
  }
  if (vm.count("help") || trace.empty()) {
    std::cout << opts;
    return trace.empty() && !vm.count("help") ? 2 : 0;
  }
  if ((nodes > 0) != (cores_per_node > 0)) {
    std::cerr << "drover-sim: --nodes and --cores-per-node go together\n";
    return 2;
  }
  const int64_t machine_procs = static_cast<int64_t>(nodes) * cores_per_node;

  const auto t0 = std::chrono::steady_clock::now();
  auto text = drover::sim::ReadMaybeGzip(trace);
  if (!text.ok()) {
    std::cerr << "drover-sim: " << text.status().ToString() << "\n";
    return 1;
  }
  if (format == "auto") format = trace.find(".json") != std::string::npos ? "json" : "swf";
  auto workload = format == "json" ? drover::sim::ParseJobList(*text, machine_procs)
                                   : drover::sim::ParseSwf(*text, machine_procs);
  if (!workload.ok()) {
    std::cerr << "drover-sim: " << trace << ": " << workload.status().ToString() << "\n";
    return 1;
  }
  if (limit > 0 && static_cast<int64_t>(workload->jobs.size()) > limit) {
    workload->jobs.resize(limit);
  }
  Machine machine;
  if (nodes > 0) {
    machine.nodes = nodes;
    machine.cores_per_node = cores_per_node;
  } else {
    machine.cores_per_node = static_cast<int32_t>(workload->max_procs);
  }
  if (machine.cores_per_node <= 0) {
    std::cerr << "drover-sim: the trace gives no MaxProcs; use --nodes/--cores-per-node\n";
    return 1;
  }
  const double parse_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::vector<std::string> names;
  if (policies == "all") {
    names = {"fcfs", "easy", "conservative"};
  } else {
    names = {policies};
  }
  std::printf("trace %s: %zu jobs (%lld dropped), machine %d x %d cores, parse %.3f s\n",
              trace.c_str(), workload->jobs.size(), static_cast<long long>(workload->dropped),
              machine.nodes, machine.cores_per_node, parse_s);
  std::printf("%-13s %7s %8s %12s %14s %12s %8s %9s\n", "policy", "jobs", "util", "mean_wait_s",
              "mean_bsld(10s)", "makespan_s", "passes", "replay_s");
  ReplayResult last;
  for (const std::string& name : names) {
    drover::scheduler::SchedulerConfig config;
    config.policy = name;
    config.reservation_depth = depth;
    if (auto st = drover::scheduler::ValidateSchedulerConfig(config); !st.ok()) {
      std::cerr << "drover-sim: " << st.ToString() << "\n";
      return 2;
    }
    const auto r0 = std::chrono::steady_clock::now();
    last = drover::sim::Replay(*workload, machine, config);
    const double replay_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count();
    std::printf("%-13s %7zu %8.4f %12.1f %14.3f %12lld %8lld %9.3f\n", name.c_str(),
                last.jobs.size(), last.utilization, last.mean_wait_s, last.mean_bounded_slowdown,
                static_cast<long long>(last.makespan_s), static_cast<long long>(last.passes),
                replay_s);
  }
  if (!starts_path.empty()) {
    std::ofstream out(starts_path);
    for (const auto& o : last.jobs) {
      out << o.id << ' ' << o.submit_s << ' ' << o.start_s << ' ' << o.end_s << '\n';
    }
  }
  return 0;
}
