// The local cluster of `drover up` / `drover down`: its options, the command
// lines of droverd and drover-node, and the record of what runs. The argv
// builders and texts are pure; ReadRunningCluster looks at /proc.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/status.h"
#include "cmd/drover/cluster_record.h"

namespace drover::cli {

inline constexpr int kDefaultPort = 6817;  // Slurm's slurmctld port, for familiarity

struct UpOptions {
  int nodes = 1;
  int cores_per_node = 0;  // 0: the machine's own topology
  // Synthetic nodes of this much memory (with cores_per_node cores, or as
  // many as this machine has); 0: the topology's own.
  int64_t mem_per_node_bytes = 0;
  int machine_cores = 1;    // this machine's, for mem_per_node_bytes alone
  std::string config_path;  // droverd's --config (absolute); "" = none
  std::string state_dir;    // absolute
  bool state_dir_is_default = true;
  std::string store;  // empty: sqlite:STATE/drover.db
  int port = kDefaultPort;
  bool port_is_strict = false;  // given with --port: do not fall back to a free one
  int timeout_s = 60;
};

// Usage errors (InvalidArgument naming the flag) for out-of-range values.
Status CheckUpOptions(const UpOptions& options);

std::vector<std::string> DroverdArgv(const std::string& bin_dir, const StatePaths& paths,
                                     const UpOptions& options, int port);
std::vector<std::string> NodeArgv(const std::string& bin_dir, const StatePaths& paths,
                                  const UpOptions& options, int port, const std::string& name);

// The command that stops this cluster ("drover down", with --state-dir when
// not the default).
std::string DownCommand(const UpOptions& options);

// What `drover up` prints once the cluster is ready.
std::string UpSummary(const ClusterRecord& record, const UpOptions& options,
                      const std::string& config_path);

// The cluster recorded in paths.cluster_json if any of its processes still
// runs (checked by pid, executable and start time); nullopt otherwise.
std::optional<ClusterRecord> ReadRunningCluster(const StatePaths& paths);

// The drover-supervisor processes of a cluster's nodes. drover-node starts
// them detached, so running tasks survive an agent restart; stopping the
// whole cluster stops them too (StopProcesses then ends the tasks in their
// session). They are recognised by their executable (bin_dir/drover-supervisor)
// and by an argument (their socket) inside state_dir/nodes/.
std::vector<ProcessIdentity> FindSupervisors(const std::string& state_dir,
                                             const std::string& bin_dir);

// The record in paths.cluster_json, running or not; NotFound if there is none.
Result<ClusterRecord> ReadClusterRecord(const StatePaths& paths);

}  // namespace drover::cli
