// HttpServer: HTTP/1.1 with keep-alive over TCP, TLS and Unix sockets (Boost.Beast).
//
// Each connection reads a request head first (bounded in size and time), asks
// the optional HttpRequestGate whether to accept it and how large a body it may
// have, then reads the body (bounded too) and hands the request to one
// HttpHandler with a responder; the handler may answer at once or hold the
// responder (long-poll). Malformed requests are answered 400/413/414/431 and
// the connection closed; a client too slow for a timeout is answered 408 (when
// no response has started) and closed; connections over the caps are answered
// 503 and closed. An exception from the handler or the gate is answered 500
// and the server serves on.
//
// The server owns its I/O threads. Thread safety: Listen*() before Start();
// Stop() and stats() from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/http_types.h"
#include "api/status.h"

namespace drover {

struct HttpServerOptions {
  int io_threads = 1;
  // From accept (or from the first byte of a kept-alive connection's next
  // request) to the end of the request head; also bounds the TLS handshake.
  std::chrono::milliseconds header_timeout = std::chrono::seconds(10);
  // From the end of the head to the end of the body.
  std::chrono::milliseconds body_timeout = std::chrono::seconds(30);
  // A kept-alive connection waiting for its next request.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
  // Writing one whole response to a client that does not read.
  std::chrono::milliseconds write_timeout = std::chrono::seconds(60);
  // Connections open at once, over all listeners; and per peer (remote IP on
  // TCP and TLS, uid on the Unix socket). Over either, a new connection is
  // answered 503 and closed (TLS ones are closed).
  size_t max_connections = 1024;
  size_t max_connections_per_peer = 128;
  // Header fields (without the request line) → 431 over it; the request
  // target → 414 over it.
  size_t max_header_bytes = 16 << 10;
  size_t max_target_bytes = 8 << 10;
  // The body limit when there is no gate.
  uint64_t default_body_limit = 64 << 20;
  // Optional; see HttpRequestGate (http_types.h).
  HttpRequestGate gate;
};

struct TlsServerConfig {
  std::string cert_file;  // PEM: the server certificate, then any intermediates
  std::string key_file;   // PEM: its private key, unencrypted
};

// Counters since the server was built, for metrics.
struct HttpServerStats {
  uint64_t connections_open = 0;
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;  // over max_connections or max_connections_per_peer
  uint64_t accept_errors = 0;        // accept() failed (EMFILE, ...); each backs off 50-200 ms
  uint64_t requests = 0;             // handed to the handler
  uint64_t requests_refused = 0;     // refused by the gate
  uint64_t requests_malformed = 0;   // answered 400, 414 or 431
  uint64_t requests_too_large = 0;   // answered 413
  uint64_t requests_timed_out = 0;   // a head or body not in time; answered 408 or closed
  uint64_t idle_timeouts = 0;        // connections closed with no request started
  uint64_t handler_exceptions = 0;   // thrown by the handler or the gate; answered 500
  uint64_t tls_handshake_failures = 0;
};

class HttpServer {
 public:
  HttpServer(HttpHandler handler, HttpServerOptions options);
  // The same with HttpServerOptions{.io_threads, .default_body_limit} and
  // every other option at its default.
  explicit HttpServer(HttpHandler handler, int io_threads = 1, size_t body_limit = 64 << 20);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (port 0 picks a free one; see tcp_port()). Errors:
  // InvalidArgument for a bad address; Unavailable when it cannot be bound.
  Status ListenTcp(const std::string& host, uint16_t port);
  // The same, speaking TLS (1.2 or later) with the given certificate; see
  // tls_port(). Errors: InvalidArgument naming the file that cannot be loaded
  // or a key that does not match the certificate; as ListenTcp otherwise.
  Status ListenTls(const std::string& host, uint16_t port, const TlsServerConfig& tls);
  // Binds a Unix stream socket at path (replacing a stale socket file), mode 0666:
  // callers are told apart by SO_PEERCRED, not by file permissions.
  Status ListenUnix(const std::string& path);
  // The port of the last ListenTcp() / ListenTls().
  uint16_t tcp_port() const;
  uint16_t tls_port() const;

  void Start();
  // Stops serving and closes the listeners; idempotent.
  void Stop();

  HttpServerStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace drover
