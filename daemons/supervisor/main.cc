// drover-supervisor: owns a node's tasks so they outlive drover-node.
//
//   drover-supervisor --socket PATH [--log FILE] [--launch-threads N]
//
// --launch-threads: launches that may run at once (default 4; see launch_pool.h).
// Exits 0 on a "shutdown" request or SIGTERM/SIGINT (running tasks are left
// alone unless the shutdown asked to kill them), 1 on a start-up failure,
// 2 on bad arguments, 3 if another supervisor already answers on PATH.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "daemons/supervisor/supervisor_server.h"

namespace {

constexpr char kUsage[] =
    "usage: drover-supervisor --socket PATH [--log FILE] [--launch-threads N]\n";
constexpr int kDefaultLaunchThreads = 4;

}  // namespace

int main(int argc, char** argv) {
  std::string socket_path;
  std::string log_path;
  int launch_threads = kDefaultLaunchThreads;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--socket" || arg == "--log") && i + 1 < argc) {
      (arg == "--socket" ? socket_path : log_path) = argv[++i];
    } else if (arg == "--launch-threads" && i + 1 < argc) {
      launch_threads = std::atoi(argv[++i]);
      if (launch_threads < 1 || launch_threads > 256) {
        std::fprintf(stderr, "drover-supervisor: --launch-threads must be 1..256 (got %s)\n",
                     argv[i]);
        return 2;
      }
    } else if (arg.rfind("--socket=", 0) == 0) {
      socket_path = arg.substr(9);
    } else if (arg.rfind("--log=", 0) == 0) {
      log_path = arg.substr(6);
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "drover-supervisor: unknown argument \"%s\"\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (socket_path.empty()) {
    std::fprintf(stderr, "drover-supervisor: --socket is required\n%s", kUsage);
    return 2;
  }
  FILE* log = stderr;
  if (!log_path.empty()) {
    log = std::fopen(log_path.c_str(), "ae");  // append, close-on-exec
    if (log == nullptr) {
      std::fprintf(stderr, "drover-supervisor: cannot open log %s: %s\n", log_path.c_str(),
                   std::strerror(errno));
      return 1;
    }
  }
  int code = 0;
  {
    drover::supervisor::SupervisorServer server(log, launch_threads);
    drover::Status status = server.Listen(socket_path);
    if (!status.ok()) {
      std::fprintf(log, "drover-supervisor: %s\n", status.ToString().c_str());
      std::fflush(log);
      code = status.code() == drover::StatusCode::kConflict ? 3 : 1;
    } else {
      code = server.Run();
    }
  }
  if (log != stderr) std::fclose(log);
  return code;
}
