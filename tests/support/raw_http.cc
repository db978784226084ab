#include "tests/support/raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace drover::testing {

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

namespace {

// Reads into `out` until `done(out)`, the peer closes, or the deadline.
template <typename Done>
void ReadUntil(int fd, std::chrono::milliseconds timeout, std::string& out, Done done) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline && !done(out)) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, n);
  }
}

}  // namespace

std::string ReadHead(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  ReadUntil(fd, timeout, out,
            [](const std::string& s) { return s.find("\r\n\r\n") != std::string::npos; });
  return out;
}

std::string RawExchange(int port, const std::string& bytes, std::chrono::milliseconds timeout) {
  int fd = ConnectLoopback(port);
  if (fd < 0) return "";
  (void)!::write(fd, bytes.data(), bytes.size());
  std::string out;
  ReadUntil(fd, timeout, out, [](const std::string& s) {
    size_t head = s.find("\r\n\r\n");
    size_t length = s.find("Content-Length: ");
    if (head == std::string::npos || length == std::string::npos || length > head) return false;
    return s.size() >= head + 4 + std::stoul(s.substr(length + 16));
  });
  ::close(fd);
  return out;
}

int StatusOf(const std::string& response) {
  return response.rfind("HTTP/1.1 ", 0) == 0 && response.size() >= 12
             ? std::stoi(response.substr(9, 3))
             : 0;
}

int PortOf(const std::string& endpoint) {
  return std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
}

}  // namespace drover::testing
