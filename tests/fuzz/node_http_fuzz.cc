// drover-node's HTTP endpoint (daemons/node/node_http.h: /logs/TASK,
// /metrics, /healthz; its request gate and its handler, served as HttpServer
// serves them, serve.h) with requests in the format of http_fuzz_input.h
// ("node" is this node's credential). The Agent is constructed as
// daemons/node/main.cc constructs it, with a SupervisorClient connected to a
// socket this harness listens on, but not started: it has launched no task,
// so /logs/TASK answers "no log" for every task and the branch that reads a
// log file (offset, stream) is not reached (it needs tasks launched through
// droverd and a supervisor).
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "api/token_hash.h"
#include "daemons/node/agent.h"
#include "daemons/node/node_http.h"
#include "executors/supervisor_client.h"
#include "fuzz_support.h"
#include "http_fuzz_input.h"
#include "serve.h"

using namespace drover;

namespace {

constexpr size_t kMaxRequests = 8;

struct Harness {
  std::string dir;
  int listen_fd = -1;
  fuzz::FuzzTokens tokens;
  node::Agent* agent = nullptr;
  HttpRequestGate gate;
  HttpHandler handler;
  node::ControlPlaneVerifier control_plane;
};
Harness* harness = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  harness = new Harness;
  harness->dir = fuzz::ScratchDir();
  harness->tokens.node = "fuzz-node-1-token-001";
  harness->tokens.daemon_uid = static_cast<uint32_t>(getuid());

  // A stand-in supervisor: a listening socket. The agent is never started, so
  // nothing is ever sent; connect() succeeds from the listen backlog.
  std::string socket_path = harness->dir + "/supervisor.sock";
  harness->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  socket_path.copy(addr.sun_path, sizeof addr.sun_path - 1);
  if (bind(harness->listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(harness->listen_fd, 4) != 0) {
    std::abort();
  }
  auto supervisor = executors::SupervisorClient::Connect(socket_path);
  if (!supervisor.ok()) std::abort();

  node::AgentOptions options;
  options.server = "http://127.0.0.1:1";
  options.token = harness->tokens.node;
  options.name = "node-1";
  options.state_dir = harness->dir;
  options.address = "127.0.0.1:1";
  harness->agent = new node::Agent(std::move(options), std::move(*supervisor));
  // Requests the corpus sends with the "node" token stand for droverd's.
  harness->control_plane.SetKeyHash(Sha256Hex(harness->tokens.node));
  harness->gate = node::MakeNodeGate(&harness->control_plane);
  harness->handler = node::MakeNodeHandler(harness->agent, &harness->control_plane);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (HttpRequest& req :
       fuzz::ParseFuzzRequests(fuzz::Text(data, size), harness->tokens, kMaxRequests)) {
    fuzz::Serve(harness->gate, harness->handler, std::move(req), std::chrono::seconds(3));
  }
  return 0;
}
