#include "tests/support/local_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "api/token_hash.h"
#include "executors/supervisor_client.h"

extern char** environ;

namespace drover::testing {
namespace {

std::string RandomHex(int n) {
  static std::mt19937_64 rng(std::random_device{}());
  std::string s;
  for (int i = 0; i < n; ++i) s += "0123456789abcdef"[rng() % 16];
  return s;
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

void Terminate(pid_t& pid, int sig) {
  if (pid <= 0) return;
  ::kill(pid, sig);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      pid = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  pid = -1;
}

int FreePort() {
  // Bind port 0 on loopback, read the port, release it.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

std::string BinDir() {
  if (const char* b = std::getenv("DROVER_BUILD_DIR")) return std::string(b) + "/bin";
  // Every binary is built into build/bin, next to whoever is asking.
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "build/bin" : exe.parent_path().string();
}

namespace {

constexpr int kPortBlocks = 150;
constexpr int kPortBlockSize = 200;  // 20000-49999

// Locks the first free block of service ports (flock on a file per block,
// released when the process or the cluster ends). Returns the fd, or -1.
int ReservePortBlock(int* first_port) {
  const std::string dir = std::filesystem::temp_directory_path().string() + "/drover-port-blocks";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::filesystem::permissions(dir, std::filesystem::perms::all, ec);
  for (int b = 0; b < kPortBlocks; ++b) {
    const std::string path = dir + "/" + std::to_string(b);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      *first_port = 20000 + b * kPortBlockSize;
      return fd;
    }
    ::close(fd);
  }
  return -1;
}

}  // namespace

LocalCluster::LocalCluster(LocalClusterOptions options) : options_(std::move(options)) {
  bin_dir_ = BinDir();
  droverds_.assign(1 + options_.standbys, -1);
  ports_.assign(1 + options_.standbys, 0);
  port_block_fd_ = ReservePortBlock(&service_port_min_);
  dir_ = std::filesystem::temp_directory_path().string() + "/drover-cluster-" + RandomHex(8);
  std::filesystem::create_directories(dir_);
  // Tasks of other users must reach their log directories.
  std::filesystem::permissions(dir_, std::filesystem::perms::all);
  // An admin token (kept hashed, as an admin would) and one credential per node.
  admin_token_ = RandomHex(32);
  std::ofstream tokens(dir_ + "/tokens");
  tokens << HashedTokenEntry(admin_token_) << " admin root 0 0\n";
  for (int i = 0; i < options_.nodes && !options_.join_nodes; ++i) {
    node_tokens_.push_back(RandomHex(32));
    tokens << node_tokens_.back() << " node " << node_name(i) << "\n";
    std::ofstream(dir_ + "/" + node_name(i) + ".token") << node_tokens_.back() << "\n";
  }
}

LocalCluster::~LocalCluster() {
  Stop();
  if (port_block_fd_ >= 0) ::close(port_block_fd_);
  // Each cluster leaves a store, logs and sockets behind; a test suite makes
  // hundreds. DROVER_KEEP_CLUSTER_DIR keeps them to debug a failure.
  if (std::getenv("DROVER_KEEP_CLUSTER_DIR") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

Status LocalCluster::StartDroverd(int which) {
  int& port = ports_.at(which);
  if (port == 0) port = FreePort();
  std::string store = options_.store.empty() ? "sqlite:" + dir_ + "/drover.db" : options_.store;
  std::vector<std::string> argv = {bin_dir_ + "/droverd",
                                   "--state-dir",
                                   droverd_dir(which),
                                   "--store",
                                   store,
                                   "--listen",
                                   options_.droverd_host + ":" + std::to_string(port),
                                   "--token-file",
                                   dir_ + "/tokens"};
  if (options_.standbys > 0) argv.insert(argv.end(), {"--standby-poll-ms", "200"});
  if (options_.droverd_host != "127.0.0.1") argv.push_back("--allow-plain-tcp");
  if (options_.heartbeat_timeout_ms > 0) {
    argv.insert(argv.end(),
                {"--heartbeat-timeout-ms", std::to_string(options_.heartbeat_timeout_ms)});
  }
  if (options_.tls) {
    if (tls_port_ == 0) {
      tls_port_ = FreePort();
      std::string cmd =
          "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
          " -subj /CN=droverd -addext subjectAltName=IP:127.0.0.1 -keyout " +
          dir_ + "/tls.key -out " + ca_file() + " >/dev/null 2>&1";
      if (std::system(cmd.c_str()) != 0) return Status::Internal("openssl could not make a cert");
    }
    argv.insert(argv.end(), {"--tls-listen", "127.0.0.1:" + std::to_string(tls_port_), "--tls-cert",
                             ca_file(), "--tls-key", dir_ + "/tls.key"});
  }
  std::string config = options_.config;
  if (port_block_fd_ >= 0 && config.find("services:") == std::string::npos) {
    config += "services:\n  portRange: \"" + std::to_string(service_port_min_) + "-" +
              std::to_string(service_port_min_ + kPortBlockSize - 1) + "\"\n";
  }
  if (!options_.builtin_daemons && config.find("builtinDaemons:") == std::string::npos) {
    config += "builtinDaemons:\n  logShipper: false\n  nodeMonitor: false\n";
  }
  if (!config.empty()) {
    std::ofstream(dir_ + "/droverd.yaml") << config;
    argv.push_back("--config");
    argv.push_back(dir_ + "/droverd.yaml");
  }
  if (options_.wrap) {
    std::vector<std::string> prefix = options_.wrap("droverd");
    argv.insert(argv.begin(), prefix.begin(), prefix.end());
  }
  pid_t& pid = droverds_.at(which);
  const std::string log =
      which == 0 ? dir_ + "/droverd.log" : dir_ + "/droverd-" + std::to_string(which) + ".log";
  pid = Spawn(argv, log);
  if (pid < 0) return Status::Internal("cannot start droverd from " + bin_dir_);
  // A standby answers /healthz too ("standby ...").
  HttpClient client("unix:" + droverd_dir(which) + "/droverd.sock");
  for (int i = 0; i < 300; ++i) {
    auto r = client.Send("GET", "/healthz", "", std::chrono::milliseconds(500));
    if (r.ok() && r->status == 200) return Status::Ok();
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      pid = -1;
      return Status::Internal("droverd exited at start; see " + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::Unavailable("droverd did not answer /healthz");
}

std::string LocalCluster::droverd_dir(int which) const {
  return which == 0 ? dir_ : dir_ + "/droverd-" + std::to_string(which);
}

std::string LocalCluster::server_list() const {
  std::string list;
  for (int port : ports_) {
    list += (list.empty() ? "" : ",") + std::string("http://127.0.0.1:") + std::to_string(port);
  }
  return list;
}

int LocalCluster::LeadingDroverd() const {
  for (size_t i = 0; i < droverds_.size(); ++i) {
    if (droverds_[i] <= 0) continue;
    HttpClient client("unix:" + droverd_dir(static_cast<int>(i)) + "/droverd.sock");
    auto r = client.Send("GET", "/healthz", "", std::chrono::milliseconds(2000));
    if (r.ok() && r->status == 200 && r->body == "ok\n") return static_cast<int>(i);
  }
  return -1;
}

void LocalCluster::KillDroverd(int which) { Terminate(droverds_.at(which), SIGKILL); }

std::optional<int> LocalCluster::WaitForDroverdExit(int which, std::chrono::milliseconds timeout) {
  pid_t& pid = droverds_.at(which);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pid > 0 && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

Status LocalCluster::StartNode(int index) {
  std::string name = node_name(index);
  std::string server =
      options_.tls ? tls_endpoint() : (options_.standbys > 0 ? server_list() : tcp_endpoint());
  if (options_.node_server) server = options_.node_server(index, server);
  std::vector<std::string> argv = {
      bin_dir_ + "/drover-node",
      "--server",
      server,
      options_.join_nodes ? "--join-token-file" : "--token-file",
      options_.join_nodes ? dir_ + "/join.token" : dir_ + "/" + name + ".token",
      "--name",
      name,
      "--topology",
      options_.node_topology,
      "--state-dir",
      dir_ + "/" + name};
  if (options_.node_heartbeat_ms > 0) {
    argv.insert(argv.end(), {"--heartbeat-ms", std::to_string(options_.node_heartbeat_ms)});
  }
  if (options_.tls) argv.insert(argv.end(), {"--ca-file", ca_file()});
  argv.insert(argv.end(), options_.node_args.begin(), options_.node_args.end());
  if (options_.node_listen) {
    argv.insert(argv.end(), {"--listen", options_.node_listen(index), "--allow-plain-tcp"});
  }
  if (options_.wrap) {
    std::vector<std::string> prefix = options_.wrap(std::to_string(index));
    argv.insert(argv.begin(), prefix.begin(), prefix.end());
  }
  pid_t pid = Spawn(argv, dir_ + "/" + name + ".log");
  if (pid < 0) return Status::Internal("cannot start drover-node");
  if (static_cast<size_t>(index) < nodes_.size()) {
    nodes_[index] = pid;
  } else {
    nodes_.push_back(pid);
  }
  return Status::Ok();
}

Status LocalCluster::WaitReady(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto nodes = Call("GET", "/api/v1/nodes");
    if (nodes.ok()) {
      int ready = 0;
      for (const auto& n : (*nodes)["items"]) ready += n["status"]["phase"] == "Ready";
      if (ready >= options_.nodes) return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::Unavailable("nodes did not become Ready; see logs in " + dir_);
}

std::string LocalCluster::node_token(int index) const {
  if (!options_.join_nodes) return node_tokens_.at(index);
  std::ifstream in(dir_ + "/" + node_name(index) + "/node.credential");
  std::string token;
  in >> token;
  return token;
}

Status LocalCluster::Start() {
  DROVER_RETURN_IF_ERROR(StartDroverd(0));
  for (int k = 1; k <= options_.standbys; ++k) DROVER_RETURN_IF_ERROR(StartDroverd(k));
  if (options_.join_nodes) {
    auto made = Call("POST", "/api/v1/tokens", Json{{"role", "join"}, {"description", "test"}});
    if (!made.ok()) return made.status();
    join_token_ = (*made)["token"].get<std::string>();
    std::ofstream(dir_ + "/join.token") << join_token_ << "\n";
  }
  for (int i = 0; i < options_.nodes; ++i) DROVER_RETURN_IF_ERROR(StartNode(i));
  return WaitReady(std::chrono::seconds(20));
}

Status LocalCluster::RestartDroverd(bool hard) {
  Terminate(droverds_[0], hard ? SIGKILL : SIGTERM);
  return StartDroverd(0);
}

void LocalCluster::KillNode(int index) {
  Terminate(nodes_[index], SIGKILL);
  std::string socket = dir_ + "/" + node_name(index) + "/supervisor.sock";
  auto supervisor = executors::SupervisorClient::Connect(socket);
  if (!supervisor.ok()) return;
  if (!supervisor->Shutdown(/*kill_tasks=*/true).ok()) return;
  // Wait until it has gone (its end of the socket closes), so that a node
  // started next cannot find this supervisor still answering.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    struct pollfd pfd = {supervisor->fd(), POLLIN, 0};
    if (::poll(&pfd, 1, 50) > 0 && !supervisor->ReadEvents().ok()) return;
  }
}

Status LocalCluster::RebootNode(int index) {
  KillNode(index);
  return StartNode(index);
}

void LocalCluster::PauseNodeAgent(int index) { ::kill(nodes_.at(index), SIGSTOP); }

void LocalCluster::ResumeNodeAgent(int index) { ::kill(nodes_.at(index), SIGCONT); }

Status LocalCluster::RestartNodeAgent(int index) {
  KillNodeAgent(index);
  return StartNode(index);
}

void LocalCluster::KillNodeAgent(int index) { Terminate(nodes_.at(index), SIGKILL); }

void LocalCluster::Stop() {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i] > 0) KillNode(static_cast<int>(i));
  }
  for (pid_t& pid : droverds_) Terminate(pid, SIGTERM);
}

HttpClient LocalCluster::Client() const {
  std::string sockets;
  for (size_t i = 0; i < droverds_.size(); ++i) {
    sockets += (i == 0 ? "unix:" : ",unix:") + droverd_dir(static_cast<int>(i)) + "/droverd.sock";
  }
  return HttpClient(sockets);
}

Result<Json> LocalCluster::Call(const std::string& method, const std::string& target,
                                const Json& body) const {
  HttpClient client = Client();
  auto r = client.Send(method, target, body.is_null() ? "" : body.dump());
  if (!r.ok()) return r.status();
  DROVER_RETURN_IF_ERROR(StatusFromResponse(*r));
  if (r->content_type.rfind("application/json", 0) != 0) return Json(r->body);
  return ParseJson(r->body);
}

Result<Json> LocalCluster::Submit(const Json& job) const {
  return Call("POST", "/api/v1/jobs", job);
}

Result<Json> LocalCluster::WaitForJob(uint64_t id, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto job = Call("GET", "/api/v1/jobs/" + std::to_string(id));
    if (!job.ok()) return job.status();
    std::string phase = (*job)["status"]["phase"];
    if (phase == "Succeeded" || phase == "Failed" || phase == "Cancelled") return job;
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable("job " + std::to_string(id) + " still " + phase +
                                 " after the timeout: " + job->dump());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Json ShellJob(const std::string& name, const std::string& script, int64_t completions,
              int64_t parallelism, bool indexed) {
  return Json{{"apiVersion", "drover.io/v1"},
              {"kind", "Job"},
              {"metadata", {{"name", name}}},
              {"spec",
               {{"completions", completions},
                {"parallelism", parallelism},
                {"completionMode", indexed ? "Indexed" : "NonIndexed"},
                {"template", {{"command", {"/bin/sh", "-c", script}}}}}}};
}

// A web Deployment: python's http.server on its port, ready when it answers.
Json WebDeployment(const std::string& name, int replicas, const std::string& extra_arg) {
  return Json{
      {"apiVersion", "drover.io/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", name}}},
      {"spec",
       {{"replicas", replicas},
        {"strategy", {{"rollingUpdate", {{"maxSurge", 1}, {"maxUnavailable", 0}}}}},
        {"template",
         {{"command",
           {"sh", "-c", "exec python3 -m http.server --bind 127.0.0.1 $DROVER_PORT" + extra_arg}},
          {"workingDir", "/tmp"},
          {"ports", {{{"name", "http"}}}},
          {"readinessProbe",
           {{"httpGet", {{"path", "/"}, {"port", "http"}}},
            {"periodSeconds", 1},
            // A loaded test machine (ctest -j) may take more than the default 1 s.
            {"timeoutSeconds", 3}}}}}}}};
}

}  // namespace drover::testing
