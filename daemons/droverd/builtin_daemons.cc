#include "daemons/droverd/builtin_daemons.h"

namespace drover::droverd {
namespace {

DaemonSet BuiltinDaemonSet(const std::string& name, const std::string& builtin,
                           std::vector<std::string> argv) {
  DaemonSet ds;
  ds.metadata.name = name;
  ds.metadata.labels[kBuiltinLabel] = builtin;
  TaskTemplate& t = ds.spec.template_.task;
  t.command = {argv.front()};
  t.args.assign(argv.begin() + 1, argv.end());
  t.working_dir = "/";
  t.resources.cpus = 0;
  t.resources.memory_bytes = 0;
  return ds;
}

}  // namespace

std::vector<DaemonSet> BuiltinDaemonSets(const BuiltinDaemonsConfig& config,
                                         const std::string& default_bin_dir) {
  const std::string dir = config.bin_dir.empty() ? default_bin_dir : config.bin_dir;
  std::vector<DaemonSet> out;
  if (config.log_shipper) {
    out.push_back(
        BuiltinDaemonSet("drover-log-shipper", kBuiltinLogShipper, {dir + "/drover-log-shipper"}));
  }
  if (config.node_monitor) {
    std::vector<std::string> argv = {dir + "/drover-node-monitor"};
    if (!config.health_check.empty()) {
      argv.insert(argv.end(), {"--health-check", config.health_check, "--health-interval",
                               std::to_string(config.health_check_interval_s)});
    }
    DaemonSet ds = BuiltinDaemonSet("drover-node-monitor", kBuiltinNodeMonitor, std::move(argv));
    ds.spec.template_.ports.push_back(PortSpec{"metrics"});
    Probe ready;
    ready.kind = Probe::Kind::kHttpGet;
    ready.path = "/healthz";
    ready.port = "metrics";
    ready.period_seconds = 10;
    ds.spec.template_.readiness_probe = ready;
    out.push_back(std::move(ds));
  }
  return out;
}

std::string BuiltinOf(const DaemonSet& ds) {
  auto it = ds.metadata.labels.find(kBuiltinLabel);
  return it == ds.metadata.labels.end() ? "" : it->second;
}

}  // namespace drover::droverd
