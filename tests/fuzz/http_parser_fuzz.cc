// Raw bytes on an API connection, through the real HttpServer
// (api/http_server.cc, api/http_session.cc: Boost.Beast's parser as they
// configure it, the head read first, the request gate, body limits,
// keep-alive, the conversion into HttpRequest, the 4xx answers, the response
// writer). The server listens on a Unix socket in a temporary directory with
// the default options (one I/O thread, droverd's limits and timeouts), a gate
// that refuses paths under /refuse and allows bodies of up to 4 KiB (64 MiB
// for PUT), and a handler that answers at once. Each input is written on a
// fresh connection whose write side is then shut, and the answers are read
// until the server closes it. Checks that the server always closes (it waits
// for nothing once the client is done) and that what reaches the handler is
// what the handlers rely on.
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "api/http_server.h"
#include "fuzz_support.h"

using namespace drover;

namespace {

constexpr int kCloseTimeoutMs = 3000;

std::string* socket_path = nullptr;
HttpServer* server = nullptr;  // lives as long as the process

void Handle(HttpRequest req, HttpResponder respond) {
  FUZZ_CHECK(!req.method.empty(), "a request without a method reached the handler");
  FUZZ_CHECK(req.path.size() <= 64 << 20, "a path longer than any request");
  FUZZ_CHECK(req.path.rfind("/refuse", 0) != 0, "a request the gate refused reached the handler");
  FUZZ_CHECK(req.body.size() <= (req.method == "PUT" ? 64u << 20 : 4096u),
             "a body over the gate's limit reached the handler");
  respond(HttpResponse{200, "text/plain", req.method + " " + std::to_string(req.body.size())});
}

bool WriteAll(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // the server closed early (e.g. a bad request)
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  socket_path = new std::string(fuzz::ScratchDir() + "/api.sock");
  HttpServerOptions options;
  options.gate = [](const HttpRequest& head) {
    if (head.path.rfind("/refuse", 0) == 0) {
      return HttpGateDecision::Refuse(HttpResponse{404, "application/json", "{}"});
    }
    return HttpGateDecision::Allow(head.method == "PUT" ? 64 << 20 : 4096);
  };
  server = new HttpServer(Handle, std::move(options));
  if (!server->ListenUnix(*socket_path).ok()) std::abort();
  server->Start();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  socket_path->copy(addr.sun_path, sizeof addr.sun_path - 1);
  int rc;
  do {
    rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  FUZZ_CHECK(rc == 0, "cannot connect to the server");
  if (WriteAll(fd, data, size)) shutdown(fd, SHUT_WR);
  // libFuzzer's timeout alarm (SIGALRM) interrupts system calls: retry them.
  char buf[65536];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kCloseTimeoutMs);
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (ready < 0 && errno == EINTR) continue;
    FUZZ_CHECK(ready == 1, "the server neither answered nor closed the connection within 3 s");
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
  }
  close(fd);
  return 0;
}
