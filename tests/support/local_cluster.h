// LocalCluster: a real droverd and real drover-node processes on this
// machine, for integration tests and benchmarks. Each cluster lives in its own
// temporary directory with its own tokens, ports and store; Stop() (or the
// destructor) ends every process it started, by pid, and the node
// supervisors with their tasks. The destructor removes the directory unless
// DROVER_KEEP_CLUSTER_DIR is set (to read the logs of a failed test).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/http_client.h"
#include "api/json_codec.h"
#include "api/status.h"

namespace drover::testing {

struct LocalClusterOptions {
  int nodes = 2;
  std::string node_topology = "synthetic:package:1 core:4 pu:1";
  std::string store;  // default: sqlite in the cluster dir
  // 0 = the daemons' own defaults (benchmarks of "default settings").
  int64_t heartbeat_timeout_ms = 30'000;
  int64_t node_heartbeat_ms = 2'000;
  std::string config;  // droverd's --config file content (YAML); empty = none
  // droverd's built-in DaemonSets (log shipper, node monitor): off unless a
  // test is about them, so other tests see only their own tasks.
  bool builtin_daemons = false;
  // droverd also serves TLS (a throw-away self-signed certificate for
  // 127.0.0.1) and the nodes reach it over https://, verifying it.
  bool tls = false;
  // The nodes have no credential in the token file: each joins with a join
  // token (made through the API once droverd runs) and keeps what it gets.
  bool join_nodes = false;
  // Where node `index` reaches droverd, given the URL it would use (a test
  // puts a TcpProxy between them); empty = that URL.
  std::function<std::string(int index, const std::string& server)> node_server;
  // Runs a daemon inside something (`ip netns exec NS`): the words put before
  // the command line of "droverd" or of node "0", "1", ...; empty = none.
  std::function<std::vector<std::string>(const std::string& who)> wrap;
  // droverd's TCP address's host, and a node's --listen (empty = loopback,
  // any port); an address that is not loopback is served with
  // --allow-plain-tcp, for network namespaces a test makes.
  std::string droverd_host = "127.0.0.1";
  std::function<std::string(int index)> node_listen;
  // droverd standbys on the same store (HA): droverd K has its own state dir
  // (droverd_dir(K)), port and socket; the nodes and Client() are given
  // every droverd, and follow the one that leads.
  int standbys = 0;
  // More drover-node options, for every node.
  std::vector<std::string> node_args;
};

class LocalCluster {
 public:
  explicit LocalCluster(LocalClusterOptions options = {});
  ~LocalCluster();

  // Starts droverd and the nodes and waits until every node is Ready.
  Status Start();
  void Stop();

  // Restarts droverd on the same store (kill -9 when `hard`).
  Status RestartDroverd(bool hard);
  // With standbys: droverd K (0 is the first started) killed with SIGKILL,
  // and started again (as a standby, if another leads by then).
  void KillDroverd(int which);
  Status StartDroverd(int which);
  // Waits for droverd K to exit by itself: its exit status (as waitpid's
  // WEXITSTATUS, or 128 + the signal), or nullopt after `timeout`.
  std::optional<int> WaitForDroverdExit(int which, std::chrono::milliseconds timeout);
  // The droverd that answers as the leader, or -1 when none does.
  int LeadingDroverd() const;
  std::string droverd_dir(int which) const;
  // droverd K's process id (-1 when it does not run), for benchmarks that
  // read its memory or CPU from /proc.
  pid_t droverd_pid(int which = 0) const { return droverds_.at(which); }
  pid_t node_pid(int index) const { return nodes_.at(index); }
  // Every droverd's TCP address, comma-separated (what the nodes are given).
  std::string server_list() const;
  // Kills one node agent (SIGKILL) and its supervisor with all its tasks.
  void KillNode(int index);
  // Kills only the node agent (SIGKILL), leaving its supervisor and tasks;
  // then starts it again.
  Status RestartNodeAgent(int index);
  // Kills only the node agent (SIGKILL); StartNode(index) brings it back.
  void KillNodeAgent(int index);
  // Kills the node agent and its supervisor with all its tasks (a machine
  // reboot, as the node sees it), then starts the agent again.
  Status RebootNode(int index);
  // Stops (SIGSTOP) and continues (SIGCONT) the node agent: a node cut off
  // from droverd whose tasks go on running under its supervisor.
  void PauseNodeAgent(int index);
  void ResumeNodeAgent(int index);

  // An admin client on droverd's Unix socket (with standbys: on every
  // droverd's, following the leader).
  HttpClient Client() const;
  // Sends a request and decodes a JSON body; non-2xx becomes the API's Status.
  Result<Json> Call(const std::string& method, const std::string& target,
                    const Json& body = nullptr) const;
  Result<Json> Submit(const Json& job) const;
  // Polls the job until it is Succeeded, Failed or Cancelled.
  Result<Json> WaitForJob(uint64_t id, std::chrono::milliseconds timeout) const;

  const std::string& dir() const { return dir_; }
  // The credential of node `index` (bound to node_name(index)); with
  // join_nodes, the one the node obtained (from its state directory).
  std::string node_token(int index = 0) const;
  // With join_nodes: the join token the nodes use.
  const std::string& join_token() const { return join_token_; }
  // Starts node `index` again, or a new node when index == the node count
  // (with join_nodes, it joins).
  Status StartNode(int index);
  const std::string& admin_token() const { return admin_token_; }
  std::string tcp_endpoint() const { return "http://127.0.0.1:" + std::to_string(ports_[0]); }
  // With options.tls: droverd's https:// endpoint and the CA that signed it.
  std::string tls_endpoint() const { return "https://127.0.0.1:" + std::to_string(tls_port_); }
  std::string ca_file() const { return dir_ + "/tls.crt"; }
  std::string node_name(int index) const { return "node-" + std::to_string(index + 1); }

 private:
  Status WaitReady(std::chrono::milliseconds timeout);

  LocalClusterOptions options_;
  std::string dir_;
  std::string bin_dir_;
  std::string admin_token_;
  std::string join_token_;
  std::vector<std::string> node_tokens_;
  std::vector<int> ports_;  // per droverd; 0 = not chosen yet
  int tls_port_ = 0;
  std::vector<pid_t> droverds_;
  std::vector<pid_t> nodes_;
  // The block of service ports this cluster gives its tasks, reserved with a
  // lock file for the cluster's life: clusters of tests running at once
  // share the machine's ports, as the nodes of one cluster do.
  int port_block_fd_ = -1;
  int service_port_min_ = 0;
};

// Builds a Job manifest running `sh -c script`.
Json ShellJob(const std::string& name, const std::string& script, int64_t completions = 1,
              int64_t parallelism = 1, bool indexed = true);

// A web Deployment: python3's http.server on its port (maxSurge 1,
// maxUnavailable 0), ready when it answers GET / (httpGet probe, 1 s period,
// a 3 s timeout for loaded test machines). `extra_arg` is appended to the
// server's command line.
Json WebDeployment(const std::string& name, int replicas, const std::string& extra_arg = "");

// The build's bin directory: $DROVER_BUILD_DIR/bin (set by CTest), else the
// directory of the running program.
std::string BinDir();

}  // namespace drover::testing
