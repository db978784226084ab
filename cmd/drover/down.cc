// drover down: stops exactly the processes `drover up` started.
#include <unistd.h>

#include <iostream>

#include "cmd/drover/cli_config.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/file_io.h"
#include "cmd/drover/local_cluster.h"
#include "cmd/drover/process_control.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {
int RunDown(const Args& args) {
  static const VerbInfo kInfo = {
      "down", "drover down [options]",
      "Stops the local cluster `drover up` started from the state directory: the\n"
      "nodes first, then their task supervisors and the tasks still running, then\n"
      "droverd; each gets SIGTERM, and SIGKILL after the grace period. Only the\n"
      "recorded processes (and the supervisors whose sockets lie in the state dir)\n"
      "are signalled, each checked to still be the program that was started. The\n"
      "state (database, logs) is kept."};
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("state-dir", po::value<std::string>(), "the state dir given to `drover up` (default: the one in your config, else the default)")
      ("grace", po::value<int>()->default_value(10), "seconds between SIGTERM and SIGKILL");
  // clang-format on
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, false, &vm)) return *exit;
  int grace = vm["grace"].as<int>();
  if (grace < 0) return ReportUsage("down", "--grace must not be negative");

  Environment env = Environment::FromProcess();
  std::string state_dir;
  if (vm.count("state-dir")) {
    state_dir = AbsolutePath(vm["state-dir"].as<std::string>(), CurrentDir());
  } else {
    auto config = ReadConfigFile(ConfigFilePath(env));
    state_dir = config.ok() && *config && !(*config)->state_dir.empty() ? (*config)->state_dir
                                                                        : DefaultStateDir(env);
  }
  StatePaths paths = PathsIn(state_dir);
  auto record = ReadClusterRecord(paths);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::kNotFound) {
      std::cout << "No cluster is recorded in " << state_dir << "; nothing to stop.\n";
      return kExitOk;
    }
    return ReportError(record.status());
  }

  std::vector<ProcessIdentity> nodes;
  for (const auto& n : record->nodes) nodes.push_back(n.identity);
  int running = 0;
  for (const ProcessIdentity& p : StopOrder(*record)) running += IsSameProcess(p) ? 1 : 0;
  // Nodes first, so they can still tell droverd how their tasks ended.
  int killed = StopProcesses(nodes, std::chrono::seconds(grace));
  std::vector<ProcessIdentity> supervisors =
      record->nodes.empty()
          ? std::vector<ProcessIdentity>()
          : FindSupervisors(record->state_dir, DirName(record->nodes.front().identity.exe));
  running += static_cast<int>(supervisors.size());
  killed += StopProcesses(supervisors, std::chrono::seconds(grace));
  killed += StopProcesses({record->droverd.identity}, std::chrono::seconds(grace));
  ::unlink(paths.cluster_json.c_str());
  ::unlink(paths.socket.c_str());

  std::cout << "Stopped " << running << " process" << (running == 1 ? "" : "es")
            << " of the cluster in " << state_dir;
  if (killed > 0) std::cout << " (" << killed << " needed SIGKILL)";
  std::cout << ".\n";
  return kExitOk;
}

}  // namespace drover::cli
