#include "cmd/drover/local_cluster.h"

#include "cmd/drover/file_io.h"
#include "cmd/drover/process_control.h"

namespace drover::cli {

Status CheckUpOptions(const UpOptions& o) {
  if (o.nodes < 1 || o.nodes > 256) {
    return Status::Invalid("--nodes",
                           "must be between 1 and 256 (got " + std::to_string(o.nodes) + ")");
  }
  if (o.cores_per_node < 0 || o.cores_per_node > 4096) {
    return Status::Invalid("--cores-per-node", "must be between 1 and 4096 (got " +
                                                   std::to_string(o.cores_per_node) + ")");
  }
  if (o.port < 1 || o.port > 65535) {
    return Status::Invalid("--port",
                           "must be between 1 and 65535 (got " + std::to_string(o.port) + ")");
  }
  if (o.mem_per_node_bytes < 0 ||
      (o.mem_per_node_bytes > 0 && o.mem_per_node_bytes < (int64_t{1} << 20))) {
    return Status::Invalid("--mem-per-node", "must be at least 1M (got " +
                                                 std::to_string(o.mem_per_node_bytes) + " bytes)");
  }
  if (o.timeout_s < 1) return Status::Invalid("--timeout", "must be at least 1 second");
  return Status::Ok();
}

std::vector<std::string> DroverdArgv(const std::string& bin_dir, const StatePaths& paths,
                                     const UpOptions& options, int port) {
  std::vector<std::string> argv = {
      bin_dir + "/droverd",
      "--store",
      options.store.empty() ? "sqlite:" + paths.database : options.store,
      "--listen",
      "127.0.0.1:" + std::to_string(port),
      "--socket",
      paths.socket,
      "--state-dir",
      paths.dir,
      "--token-file",
      paths.tokens};
  if (!options.config_path.empty()) argv.insert(argv.end(), {"--config", options.config_path});
  return argv;
}

std::vector<std::string> NodeArgv(const std::string& bin_dir, const StatePaths& paths,
                                  const UpOptions& options, int port, const std::string& name) {
  std::vector<std::string> argv = {bin_dir + "/drover-node",
                                   "--server",
                                   "http://127.0.0.1:" + std::to_string(port),
                                   "--token-file",
                                   paths.NodeToken(name),
                                   "--name",
                                   name,
                                   "--state-dir",
                                   paths.NodeDir(name),
                                   "--listen",
                                   "127.0.0.1:0"};
  if (options.mem_per_node_bytes > 0) {
    // hwloc's synthetic form gives the one NUMA node its memory.
    const int cores = options.cores_per_node > 0 ? options.cores_per_node : options.machine_cores;
    argv.push_back("--topology");
    argv.push_back(
        "synthetic:package:1 numa:1(memory=" + std::to_string(options.mem_per_node_bytes) +
        ") core:" + std::to_string(cores) + " pu:1");
  } else if (options.cores_per_node > 0) {
    argv.push_back("--topology");
    argv.push_back("synthetic:package:1 core:" + std::to_string(options.cores_per_node) + " pu:1");
  }
  return argv;
}

std::string DownCommand(const UpOptions& options) {
  return options.state_dir_is_default ? "drover down"
                                      : "drover down --state-dir " + options.state_dir;
}

namespace {

std::string NodeShape(const UpOptions& o) {
  if (o.mem_per_node_bytes > 0) {
    const int cores = o.cores_per_node > 0 ? o.cores_per_node : o.machine_cores;
    return " of " + std::to_string(cores) + " cores and " +
           std::to_string(o.mem_per_node_bytes >> 20) + " MiB each";
  }
  if (o.cores_per_node > 0) return " of " + std::to_string(o.cores_per_node) + " cores each";
  return " with this machine's topology";
}

}  // namespace

std::string UpSummary(const ClusterRecord& record, const UpOptions& options,
                      const std::string& config_path) {
  std::string out;
  out += "Drover is up: droverd and " + std::to_string(record.nodes.size()) + " node" +
         (record.nodes.size() == 1 ? "" : "s") + NodeShape(options) + ".\n";
  out += "  server:  " + record.socket + "  (and " + record.http + ", token in " +
         record.state_dir + "/admin.token)\n";
  out += "  state:   " + record.state_dir + "  (logs in " + record.state_dir + "/logs)\n";
  out += "  config:  " + config_path + "\n";
  if (!options.config_path.empty()) out += "  droverd: --config " + options.config_path + "\n";
  out += "  pids:    droverd " + std::to_string(record.droverd.identity.pid);
  for (const auto& n : record.nodes) out += ", " + n.name + " " + std::to_string(n.identity.pid);
  out += "\n\n";
  out += "Try:   drover nodes\n";
  out += "       drover submit --wrap \"hostname\" --wait\n";
  out += "Stop:  " + DownCommand(options) + "\n";
  return out;
}

std::vector<ProcessIdentity> FindSupervisors(const std::string& state_dir,
                                             const std::string& bin_dir) {
  std::vector<ProcessIdentity> out;
  std::string prefix = state_dir + "/nodes/";
  for (const ProcessInfo& p : ProcessesRunning(bin_dir + "/drover-supervisor")) {
    for (const std::string& arg : p.argv) {
      if (arg.rfind(prefix, 0) == 0) {
        out.push_back(p.identity);
        break;
      }
    }
  }
  return out;
}

Result<ClusterRecord> ReadClusterRecord(const StatePaths& paths) {
  auto text = ReadFile(paths.cluster_json);
  if (!text.ok()) return text.status();
  auto json = ParseJson(*text);
  if (!json.ok()) return Status::Invalid(paths.cluster_json, json.status().message());
  auto record = ClusterRecordFromJson(*json);
  if (!record.ok()) {
    return Status::Invalid(paths.cluster_json + ": " + record.status().field(),
                           record.status().message());
  }
  return record;
}

std::optional<ClusterRecord> ReadRunningCluster(const StatePaths& paths) {
  auto record = ReadClusterRecord(paths);
  if (!record.ok()) return std::nullopt;
  for (const ProcessIdentity& p : StopOrder(*record)) {
    if (IsSameProcess(p)) return std::move(*record);
  }
  return std::nullopt;
}

}  // namespace drover::cli
