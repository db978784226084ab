// drover-node-monitor: the built-in node monitor, run by droverd as the
// DaemonSet drover-node-monitor on every node (docs/node-monitor.md). It
// serves /metrics (node CPU, memory, load, disk, per-task usage, and a
// textfile directory of *.prom files) and /healthz, and, given a health
// check, runs it every interval and reports the result to droverd, which
// drains the node while it fails. The node agent gives it DROVER_NODENAME,
// DROVER_NODE_HOST, DROVER_PORT_METRICS, DROVER_NODE_STATE_DIR,
// DROVER_SERVER and DROVER_TASK_TOKEN; flags override them.
#include <spdlog/spdlog.h>

#include <boost/program_options.hpp>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "api/http_client.h"
#include "api/http_server.h"
#include "api/json_text.h"
#include "api/url_encoding.h"
#include "daemons/environment.h"
#include "daemons/node_monitor/health_check.h"
#include "daemons/node_monitor/metrics_page.h"
#include "daemons/node_monitor/node_readings.h"
#include "daemons/stop_signals.h"

namespace po = boost::program_options;
using namespace drover;
using namespace drover::node_monitor;

using daemons::EnvOrEmpty;

int main(int argc, char** argv) {
  std::string node = EnvOrEmpty("DROVER_NODENAME"), host = EnvOrEmpty("DROVER_NODE_HOST");
  std::string state_dir = EnvOrEmpty("DROVER_NODE_STATE_DIR"), server = EnvOrEmpty("DROVER_SERVER");
  std::string token = EnvOrEmpty("DROVER_TASK_TOKEN"), ca_file = EnvOrEmpty("DROVER_CA_FILE");
  std::string port_text = EnvOrEmpty("DROVER_PORT_METRICS");
  std::string textfile_dir, health_check, proc = "/proc";
  int64_t health_interval_s = 60;
  int port = port_text.empty() ? 0 : std::atoi(port_text.c_str());
  po::options_description opts("drover-node-monitor options");
  opts.add_options()("help,h", "show this help")("node", po::value(&node), "this node's name")(
      "host", po::value(&host), "address to serve /metrics on (default: the node's)")(
      "port", po::value(&port), "port to serve /metrics on")(
      "textfile-dir", po::value(&textfile_dir),
      "directory of *.prom files to serve too (default: STATE/textfile)")(
      "health-check", po::value(&health_check), "program that says whether the node is healthy")(
      "health-interval", po::value(&health_interval_s)->default_value(60),
      "seconds between health checks")("proc", po::value(&proc), "the proc filesystem");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "drover-node-monitor: " << e.what() << "\n" << opts;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  if (host.empty()) host = "127.0.0.1";
  if (node.empty() || port < 0 || port > 65535 || health_interval_s < 1) {
    std::cerr << "drover-node-monitor: needs the node's name and a port (DROVER_NODENAME, "
                 "DROVER_PORT_METRICS): it is run by droverd as a DaemonSet\n";
    return 2;
  }
  if (textfile_dir.empty() && !state_dir.empty()) {
    textfile_dir = state_dir + "/textfile";
    std::error_code ec;
    std::filesystem::create_directories(textfile_dir, ec);
  }
  std::vector<std::string> filesystems = {"/"};
  if (!state_dir.empty()) filesystems.push_back(state_dir);

  daemons::StopSignals signals;
  signals.Block();
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  HealthState health;  // guarded by mu

  HttpServer http(
      [&](HttpRequest req, HttpResponder respond) {
        if (req.method != "GET") return respond(HttpResponse{405, "text/plain", "GET only\n"});
        if (req.path == "/healthz") return respond(HttpResponse{200, "text/plain", "ok\n"});
        if (req.path != "/metrics")
          return respond(HttpResponse{404, "text/plain", "no such page\n"});
        HealthState h;
        {
          std::lock_guard<std::mutex> lock(mu);
          h = health;
        }
        respond(
            HttpResponse{200, "text/plain; version=0.0.4",
                         RenderMetrics(node, ReadNode(proc, node, filesystems), h, textfile_dir)});
      },
      1, 0);
  Status st = http.ListenTcp(host, static_cast<uint16_t>(port));
  // The node agent probes its tasks on loopback; serve there too.
  if (st.ok() && host != "127.0.0.1" && host != "localhost" && host != "::1") {
    st = http.ListenTcp("127.0.0.1", http.tcp_port());
  }
  if (!st.ok()) {
    std::cerr << "drover-node-monitor: " << st.ToString() << "\n";
    return 1;
  }
  http.Start();
  spdlog::info("drover-node-monitor: node {} metrics on http://{}:{}/metrics", node, host,
               http.tcp_port());

  std::thread checker;
  if (!health_check.empty()) {
    checker = std::thread([&] {
      HttpClient client(server, token, HttpClientOptions{ca_file});
      for (;;) {
        HealthResult r = RunHealthCheck(health_check, std::chrono::seconds(health_interval_s));
        {
          std::lock_guard<std::mutex> lock(mu);
          health = {true, r.healthy, r.message};
        }
        if (!r.healthy) spdlog::warn("drover-node-monitor: unhealthy: {}", r.message);
        if (!server.empty()) {
          auto sent = client.Send("POST", "/api/v1/nodes/" + PercentEncode(node) + "/health",
                                  Json{{"healthy", r.healthy}, {"message", r.message}}.dump(),
                                  std::chrono::seconds(10));
          Status s = sent.ok() ? StatusFromResponse(*sent) : sent.status();
          if (!s.ok()) spdlog::warn("drover-node-monitor: cannot report health: {}", s.ToString());
        }
        std::unique_lock<std::mutex> lock(mu);
        if (cv.wait_for(lock, std::chrono::seconds(health_interval_s), [&] { return stopping; })) {
          return;
        }
      }
    });
  }
  signals.Wait();
  {
    std::lock_guard<std::mutex> lock(mu);
    stopping = true;
  }
  cv.notify_all();
  if (checker.joinable()) checker.join();
  http.Stop();
  return 0;
}
