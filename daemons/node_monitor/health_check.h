// The node's health check (Slurm's HealthCheckProgram, e.g. LBNL NHC): a
// program the node monitor runs every interval; exit 0 is healthy, anything
// else (or no exit within the timeout) is not, and the first line of its
// output says why. droverd drains an unhealthy node and undrains it once the
// check passes again.
#pragma once

#include <chrono>
#include <string>

namespace drover::node_monitor {

struct HealthResult {
  bool healthy = false;
  std::string message;  // the program's first line of output, or what went wrong
};

HealthResult RunHealthCheck(const std::string& program, std::chrono::milliseconds timeout);

}  // namespace drover::node_monitor
