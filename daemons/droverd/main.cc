// droverd: the control plane. Owns cluster state, makes it durable in the
// store, schedules, and serves the API (docs/api.md).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>
#include <random>

#include "api/http_server.h"
#include "daemons/droverd/api_routes.h"
#include "daemons/droverd/cluster_state.h"
#include "daemons/droverd/daemon_config.h"
#include "daemons/droverd/metrics.h"
#include "daemons/droverd/state_loop.h"
#include "daemons/stop_signals.h"
#include "db/store.h"

namespace po = boost::program_options;
using namespace drover;
using namespace drover::droverd;

namespace {

std::string RandomEpoch() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

bool SplitHostPort(const std::string& text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  *host = text.substr(0, colon);
  if (host->size() > 2 && host->front() == '[') *host = host->substr(1, host->size() - 2);
  int p = std::atoi(text.c_str() + colon + 1);
  if (p < 0 || p > 65535) return false;
  *port = static_cast<uint16_t>(p);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string store_url, listen, socket_path, state_dir, token_file, config_file;
  int64_t heartbeat_timeout_ms = 30'000;
  int io_threads = 2;
  po::options_description opts("droverd options");
  opts.add_options()("help,h", "show this help")(
      "state-dir", po::value(&state_dir)->default_value(""),
      "directory for the SQLite store and the socket (default: current directory)")(
      "store", po::value(&store_url)->default_value(""),
      "sqlite:/path/drover.db or postgresql://user@host:port/db (default: STATE/drover.db)")(
      "listen", po::value(&listen)->default_value("127.0.0.1:6817"),
      "TCP address to serve the API on (port 0 = any free port)")(
      "socket", po::value(&socket_path)->default_value(""),
      "Unix socket to serve the API on (default: STATE/droverd.sock)")(
      "token-file", po::value(&token_file)->default_value(""),
      "bearer tokens: lines of \"TOKEN admin|user USER UID GID\" or \"TOKEN node NODE\"")(
      "config", po::value(&config_file)->default_value(""),
      "scheduler policy, queues, priority weights (YAML; see docs/admin.md)")(
      "heartbeat-timeout-ms", po::value(&heartbeat_timeout_ms)->default_value(30'000),
      "a node silent this long is NotReady and its tasks are Lost")(
      "io-threads", po::value(&io_threads)->default_value(2), "HTTP I/O threads");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "droverd: " << e.what() << "\n" << opts;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  if (state_dir.empty()) state_dir = std::filesystem::current_path().string();
  std::filesystem::create_directories(state_dir);
  if (store_url.empty()) store_url = "sqlite:" + state_dir + "/drover.db";
  if (socket_path.empty()) socket_path = state_dir + "/droverd.sock";
  if (heartbeat_timeout_ms < 100) {
    std::cerr << "droverd: --heartbeat-timeout-ms must be at least 100\n";
    return 2;
  }
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(listen, &host, &port)) {
    std::cerr << "droverd: --listen wants HOST:PORT (got \"" << listen << "\")\n";
    return 2;
  }

  daemons::StopSignals stop_signals;
  stop_signals.Block();

  TokenTable tokens;
  if (!token_file.empty()) {
    auto t = TokenTable::Load(token_file);
    if (!t.ok()) {
      std::cerr << "droverd: " << t.status().ToString() << "\n";
      return 1;
    }
    tokens = std::move(*t);
  }
  DaemonConfig config;
  if (!config_file.empty()) {
    auto c = LoadDaemonConfig(config_file);
    if (!c.ok()) {
      std::cerr << "droverd: bad configuration: " << c.status().ToString() << "\n";
      return 2;
    }
    config = std::move(*c);
  }
  auto store = db::OpenStore(store_url);
  if (!store.ok()) {
    std::cerr << "droverd: cannot open store: " << store.status().ToString() << "\n";
    return 1;
  }
  const bool logs_public = config.logs_public;
  ClusterState state(RandomEpoch(), std::move(config));
  Status loaded = state.Load(**store, NowMs());
  if (!loaded.ok()) {
    std::cerr << "droverd: cannot load state: " << loaded.ToString() << "\n";
    return 1;
  }
  spdlog::info("droverd: store {} (schema v{}), {} jobs, {} nodes loaded", (*store)->Backend(),
               (*store)->SchemaVersion(), state.jobs().size(), state.nodes().size());

  Metrics metrics;
  StateLoop loop(state, **store, metrics,
                 StateLoopOptions{.tick_ms = 100, .heartbeat_timeout_ms = heartbeat_timeout_ms});
  LogFetcher log_fetcher;
  ApiContext ctx{.loop = &loop,
                 .metrics = &metrics,
                 .tokens = &tokens,
                 .logs = &log_fetcher,
                 .daemon_uid = static_cast<uint32_t>(getuid()),
                 .logs_public = logs_public};
  HttpServer server(MakeApiHandler(ctx), io_threads);
  Status st = server.ListenTcp(host, port);
  if (st.ok()) st = server.ListenUnix(socket_path);
  if (!st.ok()) {
    std::cerr << "droverd: " << st.ToString() << "\n";
    return 1;
  }
  loop.Start();
  server.Start();
  spdlog::info("droverd: serving on http://{}:{} and unix:{}", host, server.tcp_port(),
               socket_path);
  // For scripts that start droverd with port 0.
  std::cout << "listening " << host << ":" << server.tcp_port() << std::endl;

  int sig = stop_signals.Wait();
  spdlog::info("droverd: signal {}, stopping", sig);
  server.Stop();
  loop.Stop();
  std::filesystem::remove(socket_path);
  return 0;
}
