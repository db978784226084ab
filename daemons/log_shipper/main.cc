// drover-log-shipper: the built-in log shipper, run by droverd as the
// DaemonSet drover-log-shipper on every node (docs/logs.md). The node agent
// gives it DROVER_SERVER, DROVER_TASK_TOKEN, DROVER_NODENAME and
// DROVER_NODE_STATE_DIR; flags override them (tests).
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

#include "daemons/environment.h"
#include "daemons/log_shipper/log_shipper.h"
#include "daemons/stop_signals.h"

namespace po = boost::program_options;
using namespace drover;

using daemons::EnvOrEmpty;

int main(int argc, char** argv) {
  log_shipper::LogShipperOptions options;
  std::string state_dir = EnvOrEmpty("DROVER_NODE_STATE_DIR");
  options.server = EnvOrEmpty("DROVER_SERVER");
  options.token = EnvOrEmpty("DROVER_TASK_TOKEN");
  options.ca_file = EnvOrEmpty("DROVER_CA_FILE");
  options.node = EnvOrEmpty("DROVER_NODENAME");
  int64_t idle_ms = 100;
  po::options_description opts("drover-log-shipper options");
  opts.add_options()("help,h", "show this help")("node-state-dir", po::value(&state_dir),
                                                 "the node agent's state directory")(
      "server", po::value(&options.server), "droverd's address")("node", po::value(&options.node),
                                                                 "this node's name")(
      "idle-ms", po::value(&idle_ms)->default_value(100),
      "how often to look for new output when there was none");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "drover-log-shipper: " << e.what() << "\n" << opts;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  if (state_dir.empty() || options.server.empty() || options.node.empty() ||
      options.token.empty()) {
    std::cerr << "drover-log-shipper: needs the node's state directory, droverd's address, the "
                 "node's name and a credential (DROVER_NODE_STATE_DIR, DROVER_SERVER, "
                 "DROVER_NODENAME, DROVER_TASK_TOKEN): it is run by droverd as a DaemonSet\n";
    return 2;
  }
  options.logs_dir = state_dir + "/logs";
  options.checkpoint_path = state_dir + "/log-shipper.checkpoint";

  daemons::StopSignals signals;
  signals.Block();
  auto shipper = log_shipper::LogShipper::Create(options);
  if (!shipper.ok()) {
    std::cerr << "drover-log-shipper: " << shipper.status().ToString() << "\n";
    return 1;
  }
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::thread waiter([&] {
    signals.Wait();
    std::lock_guard<std::mutex> lock(mu);
    stopping = true;
    cv.notify_all();
  });
  spdlog::info("drover-log-shipper: shipping {} to {} as node {}", options.logs_dir, options.server,
               options.node);
  int64_t backoff_ms = 0;
  for (;;) {
    auto shipped = (*shipper)->ShipOnce();
    int64_t wait_ms = idle_ms;
    if (!shipped.ok()) {
      // Nothing is lost while droverd is away: the files wait.
      backoff_ms = backoff_ms == 0 ? 200 : std::min<int64_t>(backoff_ms * 2, 5000);
      wait_ms = backoff_ms;
      spdlog::warn("drover-log-shipper: {} (again in {} ms)", shipped.status().ToString(), wait_ms);
    } else {
      backoff_ms = 0;
      if (shipped->more) wait_ms = 0;
    }
    std::unique_lock<std::mutex> lock(mu);
    if (cv.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return stopping; })) break;
  }
  waiter.join();
  spdlog::info("drover-log-shipper: stopped");
  return 0;
}
