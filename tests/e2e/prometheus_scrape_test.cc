// A real Prometheus (Debian's `prometheus`) scrapes droverd and every node
// monitor of a `drover up` cluster (found through droverd's http_sd list),
// and a query for a running task's CPU usage returns it. Prometheus listens on loopback only and is
// stopped by pid.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/http_client.h"
#include "tests/e2e/cli_runner.h"

namespace drover::e2e {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Polls `done` every 100 ms until it holds or `timeout` passes.
template <typename Condition>
bool WaitFor(Condition done, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

TEST(PrometheusScrapeTest, PrometheusScrapesDroverdAndEveryNodeMonitorAndFindsATasksCpu) {
  const char* build = std::getenv("DROVER_BUILD_DIR");
  ASSERT_NE(build, nullptr) << "run through ctest";
  const std::string prometheus = "/usr/bin/prometheus";
  ASSERT_EQ(access(prometheus.c_str(), X_OK), 0)
      << "Debian's prometheus is not installed (scripts/install-deps.sh installs it)";
  const std::string home = MakeTempDir("drv-prom-");
  const std::string state = home + "/s";
  CliRunner cli(std::string(build) + "/bin/drover", home);
  ASSERT_EQ(cli.Run({"up", "--nodes", "2", "--cores-per-node", "2", "--state-dir", state,
                     "--timeout", "60"},
                    120s)
                .exit_code,
            0);
  pid_t prom = -1;
  // Whatever fails below, Prometheus and the cluster are stopped.
  struct Cleanup {
    std::function<void()> fn;
    ~Cleanup() { fn(); }
  } cleanup{[&] {
    if (prom > 0) {
      kill(prom, SIGTERM);
      waitpid(prom, nullptr, 0);
      prom = -1;
    }
    cli.Run({"down", "--state-dir", state, "--grace", "5"}, 60s);
    RemoveTree(home);
  }};
  // The node monitors' ports, once both run.
  std::vector<std::string> targets;
  CliResult r;
  ASSERT_TRUE(WaitFor(
      [&] {
        targets.clear();
        r = cli.Run({"get", "tasks", "daemonset/drover-node-monitor", "-o", "json"}, 30s);
        if (r.exit_code != 0) return false;
        const Json listed = Json::parse(r.out);  // kept: the loop reads into it
        for (const Json& t : listed["items"]) {
          if (t["status"]["phase"] != "Running" || !t["status"].value("ready", false)) continue;
          targets.push_back("127.0.0.1:" +
                            std::to_string(t["spec"]["ports"][0]["port"].get<int>()));
        }
        return targets.size() == 2;
      },
      // Another `drover up` on this host (a test beside this one) may hold a
      // port first: that monitor is restarted on the next port after its
      // crash back-off (10 s, then 20 s).
      90s))
      << "two ready node monitors: " << r.Describe();
  Json record = Json::parse(ReadWholeFile(state + "/cluster.json"));
  const std::string droverd = record["http"].get<std::string>().substr(7);  // http://
  CliResult job = cli.Run({"submit", "--parsable", "--wrap", "while :; do :; done"}, 30s);
  ASSERT_EQ(job.exit_code, 0) << job.Describe();
  const std::string id = job.out.substr(0, job.out.find_first_not_of("0123456789"));
  const std::string task = id + "_0.0";

  const int port = FreePort();
  std::ofstream(home + "/prometheus.yml")
      << "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
      << "scrape_configs:\n"
      << "  - job_name: droverd\n    static_configs: [{targets: ['" << droverd
      << "']}]\n"
      // The monitors come from droverd's HTTP service discovery.
      << "  - job_name: drover-node-monitor\n    http_sd_configs:\n"
      << "      - url: 'http://" << droverd << "/api/v1/prometheus/targets'\n"
      << "        refresh_interval: 1s\n"
      << "        authorization: {type: Bearer, credentials_file: '" << state << "/admin.token'}\n";
  prom = fork();
  if (prom == 0) {
    freopen((home + "/prometheus.log").c_str(), "w", stderr);
    execl(prometheus.c_str(), prometheus.c_str(),
          ("--config.file=" + home + "/prometheus.yml").c_str(),
          ("--storage.tsdb.path=" + home + "/tsdb").c_str(),
          ("--web.listen-address=127.0.0.1:" + std::to_string(port)).c_str(), nullptr);
    _exit(127);
  }
  HttpClient client("http://127.0.0.1:" + std::to_string(port));
  auto query = [&](const std::string& q) -> Json {
    std::string encoded;
    for (char c : q) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
        encoded += c;
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
        encoded += buf;
      }
    }
    auto r = client.Send("GET", "/api/v1/query?query=" + encoded, "", 5s);
    if (!r.ok() || r->status != 200) return Json::array();
    return Json::parse(r->body)["data"]["result"];
  };
  // Every target up: droverd and both monitors.
  bool all_up = WaitFor(
      [&] { return query("sum(up)").size() == 1 && query("sum(up)")[0]["value"][1] == "3"; }, 60s);
  // The busy task's CPU, as the node monitor of its node reports it.
  double cpu = 0;
  bool found = WaitFor(
      [&] {
        Json result = query("drover_task_cpu_seconds_total{task=\"" + task + "\"}");
        if (result.size() != 1) return false;
        cpu = std::stod(result[0]["value"][1].get<std::string>());
        return cpu > 0.5;
      },
      60s);
  const std::string log = ReadWholeFile(home + "/prometheus.log");
  EXPECT_TRUE(all_up) << "droverd and both node monitors scraped\n" << log.substr(0, 3000);
  EXPECT_TRUE(found) << "drover_task_cpu_seconds_total of " << task << " = " << cpu;
}

}  // namespace
}  // namespace drover::e2e
