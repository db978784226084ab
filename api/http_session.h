// Internal to HttpServer (http_server.cc): one connection's life, from the
// first byte to the close, and the state every connection shares with the
// server. Not for use outside api/http_*.cc.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "api/http_server.h"
#include "api/http_types.h"

namespace drover::http_internal {

using tcp = boost::asio::ip::tcp;
using unix_stream = boost::asio::local::stream_protocol;

struct Counters {
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_refused{0};
  std::atomic<uint64_t> accept_errors{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> requests_refused{0};
  std::atomic<uint64_t> requests_malformed{0};
  std::atomic<uint64_t> requests_too_large{0};
  std::atomic<uint64_t> requests_timed_out{0};
  std::atomic<uint64_t> idle_timeouts{0};
  std::atomic<uint64_t> handler_exceptions{0};
  std::atomic<uint64_t> tls_handshake_failures{0};
  // Refused connections still being answered (bounded; see RefuseConnection).
  std::atomic<int> refusals_in_flight{0};
};

// Shared by the server and its connections through shared_ptr, so a
// connection that outlives Stop() still finds it.
struct ServerShared {
  ServerShared(HttpHandler h, HttpServerOptions o) : handler(std::move(h)), options(std::move(o)) {}

  const HttpHandler handler;
  const HttpServerOptions options;
  Counters counters;

  std::mutex mu;
  size_t open = 0;                         // guarded by mu
  std::map<std::string, size_t> per_peer;  // guarded by mu; entries > 0 only
};

// A place under max_connections and max_connections_per_peer, given back
// when destroyed. Move-only.
class ConnectionSlot {
 public:
  // Nullopt, with the reason in *why, when either cap is reached. `peer_key`
  // names the peer ("ip:..." or "uid:...").
  static std::optional<ConnectionSlot> Acquire(std::shared_ptr<ServerShared> shared,
                                               std::string peer_key, std::string* why);
  ConnectionSlot(ConnectionSlot&& other) noexcept = default;
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ~ConnectionSlot();

 private:
  ConnectionSlot(std::shared_ptr<ServerShared> shared, std::string key)
      : shared_(std::move(shared)), key_(std::move(key)) {}
  std::shared_ptr<ServerShared> shared_;  // null once moved from
  std::string key_;
};

// Serve the connection until it closes. The socket's executor must be a strand.
void StartSession(tcp::socket socket, std::shared_ptr<ServerShared> shared, PeerIdentity peer,
                  ConnectionSlot slot);
void StartSession(unix_stream::socket socket, std::shared_ptr<ServerShared> shared,
                  PeerIdentity peer, ConnectionSlot slot);
void StartTlsSession(tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> tls,
                     std::shared_ptr<ServerShared> shared, PeerIdentity peer, ConnectionSlot slot);

// Answers 503 with `message` and closes, lingering briefly so the client can
// read the answer. At most 128 at once, for at most 500 ms each; beyond that
// the connection is closed at once.
void RefuseConnection(tcp::socket socket, std::shared_ptr<ServerShared> shared,
                      const std::string& message);
void RefuseConnection(unix_stream::socket socket, std::shared_ptr<ServerShared> shared,
                      const std::string& message);

// The API's JSON error body {code, message, field}; never throws on invalid
// UTF-8 (it is replaced).
HttpResponse JsonError(int status, std::string_view code, std::string_view message);

}  // namespace drover::http_internal
