// One run of a probe against a task on this node: a TCP connect or an HTTP
// GET on 127.0.0.1:PORT, or a command run as the task's user. Each returns
// Ok when the probe passes, or a Status saying why not (refused, timed out,
// HTTP 503, exit 1), within its timeout.
#pragma once

#include <cstdint>
#include <string>

#include "api/status.h"
#include "executors/launch_spec.h"
#include "executors/process_launcher.h"

namespace drover::node {

Status CheckTcp(int32_t port, int64_t timeout_ms);
// Passes on a status 200-399 (Kubernetes' rule).
Status CheckHttpGet(int32_t port, const std::string& path, int64_t timeout_ms);
// `command` runs as spec's user, in spec's environment and working directory;
// passes on exit 0. A command still running at the timeout is killed.
Status CheckExec(executors::ProcessLauncher& launcher, executors::LaunchSpec spec,
                 int64_t timeout_ms);

}  // namespace drover::node
