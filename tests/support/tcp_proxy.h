// TcpProxy: a TCP forwarder on 127.0.0.1 that a test can cut, to put one
// node agent on the far side of a network partition from droverd. Cut, it
// black-holes: open connections stay open and carry nothing, new ones are
// accepted and carry nothing (as packets dropped on the floor, not refused).
// Restored, the connections held during the cut are closed, so clients
// reconnect.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace drover::testing {

class TcpProxy {
 public:
  explicit TcpProxy(int upstream_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  void Cut();
  void Restore();

 private:
  void AcceptLoop();
  void Pump(int client, int upstream, uint64_t born);

  int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> cut_{false};
  // Bumped by each restore: connections born before it are closed.
  std::atomic<uint64_t> generation_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> pumps_;  // guarded by mu_
};

}  // namespace drover::testing
