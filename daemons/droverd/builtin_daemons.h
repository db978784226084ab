// The built-in per-node daemons droverd runs as DaemonSets of its own: the
// log shipper (ships every task's output to droverd's log store, so logs
// outlive their node) and the node monitor (node and per-task metrics on
// /metrics, a textfile directory, a health check that drains the node).
// droverd creates each at start-up when it is missing and enabled; it never
// overwrites one an admin changed (Kubernetes' addon manager, EnsureExists).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/daemon_set.h"

namespace drover::droverd {

// The label that marks a DaemonSet as one of these; only admins make
// DaemonSets, so only an admin can give a task a built-in's credential.
inline constexpr char kBuiltinLabel[] = "drover.io/builtin";
inline constexpr char kBuiltinLogShipper[] = "log-shipper";
inline constexpr char kBuiltinNodeMonitor[] = "node-monitor";

struct BuiltinDaemonsConfig {
  bool log_shipper = true;
  bool node_monitor = true;
  // Where drover-log-shipper and drover-node-monitor are installed on the
  // nodes; "" = beside droverd's own executable.
  std::string bin_dir;
  // Slurm's HealthCheckProgram: run by each node monitor every interval; a
  // non-zero exit drains the node until it passes again. "" = none.
  std::string health_check;
  int64_t health_check_interval_s = 60;
};

// The DaemonSets `config` asks for (drover-log-shipper, drover-node-monitor).
// Their tasks reserve no cores (cpus: 0), so they never take a core from
// batch work.
std::vector<DaemonSet> BuiltinDaemonSets(const BuiltinDaemonsConfig& config,
                                         const std::string& default_bin_dir);

// Which built-in `ds` is ("" = none).
std::string BuiltinOf(const DaemonSet& ds);

}  // namespace drover::droverd
