// Raw HTTP over loopback TCP, for tests that must send what no well-behaved
// client would (bytes that are not UTF-8, a head without its body, one byte
// at a time) and read exactly what the server answers.
#pragma once

#include <chrono>
#include <string>

namespace drover::testing {

// A connected socket to 127.0.0.1:port, or -1.
int ConnectLoopback(int port);
// Reads until a complete head has arrived, the peer closes, or `timeout` passes.
std::string ReadHead(int fd, std::chrono::milliseconds timeout);
// Sends `bytes` on a new connection and returns what comes back: one whole
// response (head and Content-Length body), or what arrived before the close
// or the timeout.
std::string RawExchange(int port, const std::string& bytes,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));
// The status code of a response's status line, 0 if there is none.
int StatusOf(const std::string& response);
// The port of "http://host:port" or "host:port".
int PortOf(const std::string& endpoint);

}  // namespace drover::testing
