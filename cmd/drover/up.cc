// drover up: a local cluster (droverd and N drover-node processes) for first
// use, demos and tests.
#include <pwd.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <set>
#include <thread>

#include "api/http_client.h"
#include "api/token_hash.h"
#include "cmd/drover/api_session.h"
#include "cmd/drover/cli_config.h"
#include "cmd/drover/cluster_record.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/file_io.h"
#include "cmd/drover/local_cluster.h"
#include "cmd/drover/process_control.h"
#include "cmd/drover/submit_options.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::string UserName(uid_t uid) {
  struct passwd pw;
  struct passwd* result = nullptr;
  char buf[4096];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &result) == 0 && result != nullptr) {
    return result->pw_name;
  }
  return "uid" + std::to_string(uid);
}

std::string LogTail(const std::string& path, size_t lines) {
  auto text = ReadFile(path);
  if (!text.ok() || text->empty()) return "  (" + path + " is empty)\n";
  size_t pos = text->size();
  if ((*text)[pos - 1] == '\n') --pos;
  for (size_t n = 0; n < lines && pos > 0; ++n) {
    size_t nl = text->rfind('\n', pos - 1);
    pos = nl == std::string::npos ? 0 : nl;
    if (nl == std::string::npos) break;
  }
  std::string tail = text->substr(pos == 0 ? 0 : pos + 1);
  std::string out;
  size_t start = 0;
  while (start < tail.size()) {
    size_t nl = tail.find('\n', start);
    if (nl == std::string::npos) nl = tail.size();
    out += "  | " + tail.substr(start, nl - start) + "\n";
    start = nl + 1;
  }
  return out;
}

// Polls until our droverd answers: GET /healthz on its own Unix socket, and
// an authenticated request on the TCP port. The token proves the port is
// served by this droverd, not by another cluster's that took it first (then
// ours fails to bind and exits, and the caller retries on another port).
Status WaitForHealthy(const ClusterRecord& record, const std::string& token,
                      Clock::time_point deadline) {
  HttpClient local(record.socket, token);
  HttpClient tcp(record.http, token);
  std::string last = "no answer";
  while (Clock::now() < deadline) {
    if (ChildExited(record.droverd.identity.pid)) {
      return Status::Internal("droverd exited during start-up");
    }
    auto health = local.Send("GET", "/healthz", {}, std::chrono::seconds(1));
    if (health.ok() && health->status == 200) {
      auto nodes = tcp.Send("GET", "/api/v1/nodes", {}, std::chrono::seconds(1));
      if (nodes.ok() && nodes->status == 200) return Status::Ok();
      last = nodes.ok() ? "HTTP " + std::to_string(nodes->status) + " on " + record.http
                        : nodes.status().message();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::Unavailable("droverd did not become ready in time (" + last + ")");
}

// Polls until every node of `nodes` is listed Ready.
Status WaitForNodes(const std::vector<ClusterProcess>& nodes, const std::string& server,
                    const std::string& token, Clock::time_point deadline) {
  ApiSession session(server, token);
  std::string last;
  while (Clock::now() < deadline) {
    for (const auto& n : nodes) {
      if (ChildExited(n.identity.pid)) {
        return Status::Internal("drover-node " + n.name + " exited during start-up");
      }
    }
    auto list = session.GetJson("/api/v1/nodes");
    if (list.ok()) {
      std::set<std::string> ready;
      for (const Json& item : list->value("items", Json::array())) {
        auto node = NodeFromJson(item);
        if (node.ok() && node->status.phase == NodePhase::kReady) ready.insert(node->metadata.name);
      }
      size_t missing = 0;
      for (const auto& n : nodes) missing += ready.count(n.name) ? 0 : 1;
      if (missing == 0) return Status::Ok();
      last = std::to_string(missing) + " of " + std::to_string(nodes.size()) + " not Ready yet";
    } else {
      last = list.status().message();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::Unavailable("the nodes did not become Ready in time (" + last + ")");
}

}  // namespace

int RunUp(const Args& args) {
  static const VerbInfo kInfo = {
      "up", "drover up [options]",
      "Starts a local cluster in the background: droverd and N drover-node\n"
      "processes (binaries found beside drover), each node with this machine's\n"
      "topology or a synthetic one of --cores-per-node cores. Waits until every\n"
      "node is Ready, then records the cluster in your config so other commands\n"
      "find it. `drover down` stops it."};
  Environment env = Environment::FromProcess();
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("nodes,n", po::value<int>()->default_value(1), "number of drover-node processes")
      ("cores-per-node,c", po::value<int>()->default_value(0),
       "synthetic nodes of this many cores (default: this machine's topology)")
      ("mem-per-node,m", po::value<std::string>(),
       "synthetic nodes of this much memory, as sbatch --mem (4G, 512M; with --cores-per-node or this machine's core count)")
      ("config", po::value<std::string>(),
       "droverd's configuration file (YAML: queues such as a batch partition, limits, retention; see docs/admin.md)")
      ("store", po::value<std::string>(), "droverd's store URL (default sqlite:STATE/drover.db)")
      ("state-dir", po::value<std::string>(), "state, logs and database (default $XDG_DATA_HOME/drover or ~/.local/share/drover)")
      ("port", po::value<int>(), "droverd's TCP port on 127.0.0.1 (default 6817, or a free one if taken)")
      ("timeout", po::value<int>()->default_value(60), "seconds to wait for the cluster to be ready");
  // clang-format on
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, false, &vm)) return *exit;

  UpOptions options;
  options.nodes = vm["nodes"].as<int>();
  options.cores_per_node = vm["cores-per-node"].as<int>();
  if (vm.count("mem-per-node")) {
    auto bytes = ParseSlurmMemory(vm["mem-per-node"].as<std::string>());
    if (!bytes.ok()) return ReportUsage("up", "--mem-per-node: " + bytes.status().message());
    options.mem_per_node_bytes = *bytes;
    options.machine_cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (vm.count("config")) {
    options.config_path = AbsolutePath(vm["config"].as<std::string>(), CurrentDir());
    if (::access(options.config_path.c_str(), R_OK) != 0) {
      return ReportError(
          Status::NotFound("--config: cannot read " + options.config_path + ": nothing started"));
    }
  }
  options.state_dir = vm.count("state-dir")
                          ? AbsolutePath(vm["state-dir"].as<std::string>(), CurrentDir())
                          : DefaultStateDir(env);
  options.state_dir_is_default = !vm.count("state-dir");
  if (vm.count("store")) options.store = vm["store"].as<std::string>();
  options.port = vm.count("port") ? vm["port"].as<int>() : kDefaultPort;
  options.port_is_strict = vm.count("port") > 0;
  options.timeout_s = vm["timeout"].as<int>();
  Status usage = CheckUpOptions(options);
  if (!usage.ok()) return ReportUsage("up", usage.field() + ": " + usage.message());

  StatePaths paths = PathsIn(options.state_dir);
  if (paths.socket.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return ReportError(Status::Invalid("--state-dir", "\"" + paths.dir +
                                                          "\" is too long for droverd's Unix "
                                                          "socket path; choose a shorter one"));
  }
  Status made = MakeDirs(paths.logs, 0700);
  if (!made.ok()) return ReportError(made);

  // One cluster per state dir.
  if (auto running = ReadRunningCluster(paths)) {
    std::cerr << "error: a Drover cluster is already running from " << paths.dir << " (droverd pid "
              << running->droverd.identity.pid << ", " << running->nodes.size() << " node"
              << (running->nodes.size() == 1 ? "" : "s") << ")\n"
              << "Stop it with `" << DownCommand(options) << "`.\n";
    return kExitFailed;
  }
  ::unlink(paths.cluster_json.c_str());
  ::unlink(paths.socket.c_str());  // left by a droverd that died; no cluster runs here

  std::string bin_dir = SelfExeDir();
  for (const char* name : {"droverd", "drover-node"}) {
    std::string path = bin_dir + "/" + name;
    if (::access(path.c_str(), X_OK) != 0) {
      return ReportError(Status::NotFound("cannot find " + std::string(name) +
                                          " beside drover (looked for " + path + ")"));
    }
  }
  auto port = PickLoopbackPort(options.port, options.port_is_strict);
  if (!port.ok()) return ReportError(port.status());

  // droverd keeps every secret hashed (STATE/tokens holds none); each node
  // gets a credential of its own, bound to its name. The CLI needs no token: on the Unix socket it
  // is who it is (the user who ran `drover up` is droverd's own uid, so admin).
  auto admin_token = RandomToken();
  if (!admin_token.ok()) return ReportError(admin_token.status());
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  std::string user = UserName(uid);
  std::vector<TokenLine> token_lines = {{HashedTokenEntry(*admin_token), "admin", user, uid, gid}};
  std::vector<std::pair<std::string, std::string>> node_tokens;  // node name, secret
  for (int i = 1; i <= options.nodes; ++i) {
    auto token = RandomToken();
    if (!token.ok()) return ReportError(token.status());
    std::string name = "node-" + std::to_string(i);
    token_lines.push_back({HashedTokenEntry(*token), "node", name, 0, 0});
    node_tokens.emplace_back(name, *token);
  }
  Status wrote = WriteFileAtomic(paths.tokens, TokenFileText(token_lines), 0600);
  if (wrote.ok()) wrote = WriteFileAtomic(paths.admin_token, *admin_token + "\n", 0600);
  for (const auto& [name, token] : node_tokens) {
    if (wrote.ok()) wrote = MakeDirs(paths.NodeDir(name), 0700);
    if (wrote.ok()) wrote = WriteFileAtomic(paths.NodeToken(name), token, 0600);
  }
  if (!wrote.ok()) return ReportError(wrote);

  ClusterRecord record;
  record.state_dir = paths.dir;
  record.port = *port;
  record.http = "http://127.0.0.1:" + std::to_string(*port);
  record.socket = "unix:" + paths.socket;
  auto deadline = Clock::now() + std::chrono::seconds(options.timeout_s);

  // Stops whatever was started, shows the log that explains why, exits 1.
  auto fail = [&](const Status& why, const std::string& log) {
    std::vector<ProcessIdentity> started;
    for (const auto& n : record.nodes) started.push_back(n.identity);
    std::cerr << FormatError(why) << "\n";
    if (!log.empty()) std::cerr << "Last lines of " << log << ":\n" << LogTail(log, 15);
    StopProcesses(started, std::chrono::seconds(5));
    StopProcesses(FindSupervisors(paths.dir, bin_dir), std::chrono::seconds(5));
    if (record.droverd.identity.pid != 0) {
      StopProcesses({record.droverd.identity}, std::chrono::seconds(5));
    }
    ::unlink(paths.cluster_json.c_str());
    return kExitFailed;
  };

  record.droverd.name = "droverd";
  record.droverd.log = paths.Log("droverd");
  // Between probing the port and droverd binding it another program (or a
  // second `drover up`) may take it; unless the port was asked for, try
  // again on a free one.
  Status saved;
  for (int attempt = 0;; ++attempt) {
    record.port = *port;
    record.http = "http://127.0.0.1:" + std::to_string(*port);
    auto droverd = SpawnDetached(DroverdArgv(bin_dir, paths, options, *port), record.droverd.log);
    if (!droverd.ok()) return fail(droverd.status(), record.droverd.log);
    record.droverd.identity = *droverd;
    saved = WriteFileAtomic(paths.cluster_json, ToJson(record).dump(2) + "\n", 0600);
    if (!saved.ok()) return fail(saved, "");
    Status healthy = WaitForHealthy(record, *admin_token, deadline);
    if (healthy.ok()) break;
    bool exited = ChildExited(record.droverd.identity.pid);
    if (!exited || options.port_is_strict || attempt == 2) return fail(healthy, record.droverd.log);
    port = PickLoopbackPort(*port, false);
    if (!port.ok()) return fail(port.status(), "");
    ::unlink(paths.socket.c_str());
  }

  for (int i = 1; i <= options.nodes; ++i) {
    ClusterProcess node;
    node.name = "node-" + std::to_string(i);
    node.log = paths.Log(node.name);
    Status dir = MakeDirs(paths.NodeDir(node.name), 0700);
    if (!dir.ok()) return fail(dir, "");
    auto spawned = SpawnDetached(NodeArgv(bin_dir, paths, options, *port, node.name), node.log);
    if (!spawned.ok()) return fail(spawned.status(), node.log);
    node.identity = *spawned;
    record.nodes.push_back(std::move(node));
    saved = WriteFileAtomic(paths.cluster_json, ToJson(record).dump(2) + "\n", 0600);
    if (!saved.ok()) return fail(saved, "");
  }
  Status ready = WaitForNodes(record.nodes, record.socket, *admin_token, deadline);
  if (!ready.ok()) {
    std::string log = record.nodes.empty() ? record.droverd.log : record.nodes.front().log;
    for (const auto& n : record.nodes) {
      if (ChildExited(n.identity.pid)) log = n.log;
    }
    return fail(ready, log);
  }

  std::string config_path = ConfigFilePath(env);
  Status config = WriteConfigFile(config_path, {record.socket, "", paths.dir});
  if (!config.ok()) return fail(config, "");

  std::cout << UpSummary(record, options, config_path);
  return kExitOk;
}

}  // namespace drover::cli
