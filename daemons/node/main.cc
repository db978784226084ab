// drover-node: the per-machine agent. Discovers the machine with hwloc,
// registers with droverd, runs assigned tasks through the node's supervisor,
// and reports what happens to them.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "api/http_server.h"
#include "api/quantities.h"
#include "api/query_params.h"
#include "daemons/listen_address.h"
#include "daemons/node/agent.h"
#include "daemons/node/agent_id.h"
#include "daemons/node/node_credential.h"
#include "daemons/node/node_http.h"
#include "daemons/stop_signals.h"
#include "executors/supervisor_client.h"
#include "executors/topology_discovery.h"

namespace po = boost::program_options;
using namespace drover;

namespace {

std::string SelfDirectory() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "." : exe.parent_path().string();
}

}  // namespace

int main(int argc, char** argv) {
  std::string server, token_file, join_token_file, name, topology, state_dir, listen,
      supervisor_binary, ca_file, log_disk_min_free;
  bool allow_plain_tcp = false;
  int64_t log_disk_check_ms = 10'000;
  std::vector<std::string> labels;
  int64_t heartbeat_ms = 2000;
  po::options_description opts("drover-node options");
  char host[256] = "node";
  gethostname(host, sizeof host - 1);
  opts.add_options()("help,h", "show this help")(
      "server", po::value(&server)->default_value("http://127.0.0.1:6817"),
      "droverd's address, or several separated by commas (droverd and its standbys)")(
      "token-file", po::value(&token_file)->default_value(""),
      "file holding this node's credential (from the admin's token file or drover token "
      "create --node NAME)")(
      "join-token-file", po::value(&join_token_file)->default_value(""),
      "file holding a join token (drover token create --join): on first start the node "
      "obtains its own credential with it and keeps it in STATE/node.credential")(
      "name", po::value(&name)->default_value(host), "this node's name")(
      "topology", po::value(&topology)->default_value("hwloc"),
      "hwloc (this machine), synthetic:\"package:2 numa:2 core:8 pu:2\" or xml:FILE")(
      "label", po::value(&labels)->composing(), "a node label KEY=VALUE (repeatable)")(
      "state-dir", po::value(&state_dir)->default_value(""),
      "logs and the supervisor socket (default: ./drover-node-NAME)")(
      "listen", po::value(&listen)->default_value("127.0.0.1:0"),
      "address of this agent's log and metrics endpoint")(
      "supervisor", po::value(&supervisor_binary)->default_value(""),
      "the drover-supervisor binary (default: beside drover-node)")(
      "heartbeat-ms", po::value(&heartbeat_ms)->default_value(2000), "heartbeat interval")(
      "log-disk-min-free", po::value(&log_disk_min_free)->default_value("64Mi"),
      "drain this node while STATE/logs has less free space than this (as 64Mi, 1Gi; 0 = "
      "only when it is full or read-only), and fail tasks that would log there")(
      "log-disk-check-ms", po::value(&log_disk_check_ms)->default_value(10'000),
      "how often a file is written in STATE/logs to check that it takes writes")(
      "ca-file", po::value(&ca_file)->default_value(""),
      "PEM CA certificates to verify an https:// --server with (default: the system's)")(
      "allow-plain-tcp", po::bool_switch(&allow_plain_tcp),
      "serve logs on a --listen address that is not loopback, or talk to droverd over plain "
      "http:// off loopback (the credential travels in clear)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "drover-node: " << e.what() << "\n" << opts;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  if (state_dir.empty()) state_dir = "drover-node-" + name;
  state_dir = std::filesystem::absolute(state_dir).string();
  std::filesystem::create_directories(state_dir + "/logs");
  if (supervisor_binary.empty()) supervisor_binary = SelfDirectory() + "/drover-supervisor";

  node::AgentOptions options;
  options.server = server;
  options.name = name;
  options.state_dir = state_dir;
  auto agent_id = node::LoadOrCreateAgentId(state_dir);
  if (!agent_id.ok()) {
    std::cerr << "drover-node: " << agent_id.status().ToString() << "\n";
    return 1;
  }
  options.agent_id = *agent_id;
  options.heartbeat_ms = heartbeat_ms;
  auto min_free = ParseQuantity(Json(log_disk_min_free));
  if (!min_free.ok()) {
    std::cerr << "drover-node: --log-disk-min-free: " << min_free.status().message() << "\n";
    return 2;
  }
  options.log_disk_min_free_bytes = *min_free;
  options.log_disk_check_ms = log_disk_check_ms;
  options.ca_file = ca_file;
  // A list (droverd and its standbys): every one of them is checked.
  for (const std::string& one : SplitCommaList(server)) {
    if (allow_plain_tcp || one.rfind("http://", 0) != 0) continue;
    auto host = daemons::ParseListenAddress(one.substr(7), "--server");
    if (host.ok() && !daemons::IsLoopbackHost(host->host)) {
      std::cerr << "drover-node: --server " << one
                << " is plain HTTP off loopback: the node's credential would cross the network "
                   "in clear. Use droverd's https:// address (and --ca-file), or pass "
                   "--allow-plain-tcp\n";
      return 2;
    }
  }
  for (const std::string& l : labels) {
    size_t eq = l.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "drover-node: --label wants KEY=VALUE (got \"" << l << "\")\n";
      return 2;
    }
    options.labels[l.substr(0, eq)] = l.substr(eq + 1);
  }
  auto topo = executors::DiscoverTopology(topology);
  if (!topo.ok()) {
    std::cerr << "drover-node: " << topo.status().ToString() << "\n";
    return 2;
  }
  options.topology = std::move(*topo);
  options.labels["drover.io/hostname"] = host;
  options.labels["drover.io/cores"] = std::to_string(options.topology.cores.size());

  daemons::StopSignals stop_signals;
  stop_signals.Block();

  // Before anything is started: a node that cannot join leaves nothing behind.
  auto credential = node::ObtainNodeCredential(
      node::CredentialSource{server, ca_file, name, state_dir, token_file, join_token_file});
  if (!credential.ok()) {
    std::cerr << "drover-node: " << credential.status().ToString() << "\n";
    return 2;
  }
  options.token = *credential;

  std::string socket = state_dir + "/supervisor.sock";
  Status st = executors::EnsureSupervisor(supervisor_binary, socket, state_dir + "/supervisor.log");
  if (!st.ok()) {
    std::cerr << "drover-node: cannot start the supervisor: " << st.ToString() << "\n";
    return 1;
  }
  auto supervisor = executors::SupervisorClient::Connect(socket);
  if (!supervisor.ok()) {
    std::cerr << "drover-node: " << supervisor.status().ToString() << "\n";
    return 1;
  }

  auto listen_address = daemons::ParseListenAddress(listen, "--listen");
  if (!listen_address.ok()) {
    std::cerr << "drover-node: " << listen_address.status().ToString() << "\n";
    return 2;
  }
  const std::string listen_host = listen_address->host;
  const uint16_t listen_port = listen_address->port;
  if (!daemons::IsLoopbackHost(listen_host) && !allow_plain_tcp) {
    std::cerr << "drover-node: --listen " << listen
              << " is not loopback and the log endpoint speaks plain HTTP; pass "
                 "--allow-plain-tcp to serve it there anyway\n";
    return 2;
  }
  // The handler needs the agent, the agent needs the server's port: the
  // handler is filled in before the server starts serving.
  HttpHandler node_handler;
  HttpServerOptions http_options;
  // Log reads run on these threads, as the task's user; several, so one slow
  // filesystem does not stop /healthz and the other logs.
  http_options.io_threads = 4;
  http_options.max_connections = 256;
  http_options.max_connections_per_peer = 64;
  node::ControlPlaneVerifier control_plane;
  options.control_plane = &control_plane;
  http_options.gate = node::MakeNodeGate(&control_plane);
  HttpServer http(
      [&node_handler](HttpRequest req, HttpResponder respond) {
        node_handler(std::move(req), std::move(respond));
      },
      std::move(http_options));
  st = http.ListenTcp(listen_host, listen_port);
  if (!st.ok()) {
    std::cerr << "drover-node: " << st.ToString() << "\n";
    return 1;
  }
  options.address = listen_host + ":" + std::to_string(http.tcp_port());
  node::Agent agent(std::move(options), std::move(*supervisor));
  node_handler = node::MakeNodeHandler(&agent, &control_plane);
  http.Start();
  st = agent.Start();
  if (!st.ok()) {
    std::cerr << "drover-node: cannot join the cluster: " << st.ToString() << "\n";
    return 1;
  }
  int sig = stop_signals.Wait();
  spdlog::info("drover-node: signal {}, leaving; the supervisor keeps running tasks", sig);
  // Tasks belong to the supervisor; the agent can go at once.
  std::_Exit(0);
}
