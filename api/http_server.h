// HttpServer: HTTP/1.1 with keep-alive over TCP and Unix sockets (Boost.Beast).
//
// Each request is handed to one HttpHandler with a responder; the handler may
// answer at once or hold the responder (long-poll). The server owns its I/O
// threads. Thread safety: Listen*() before Start(); Stop() from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/http_types.h"
#include "api/status.h"

namespace drover {

class HttpServer {
 public:
  explicit HttpServer(HttpHandler handler, int io_threads = 1, size_t body_limit = 64 << 20);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (port 0 picks a free one; see tcp_port()). Errors:
  // Unavailable when the address cannot be bound.
  Status ListenTcp(const std::string& host, uint16_t port);
  // Binds a Unix stream socket at path (replacing a stale socket file), mode 0666:
  // callers are told apart by SO_PEERCRED, not by file permissions.
  Status ListenUnix(const std::string& path);
  uint16_t tcp_port() const;

  void Start();
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace drover
