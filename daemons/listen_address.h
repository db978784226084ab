// HOST:PORT addresses the daemons listen on, and whether one is loopback:
// plain TCP carries bearer tokens in the clear, so the daemons serve it only
// on loopback unless told otherwise (docs/security.md).
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <string>

#include "api/status.h"

namespace drover::daemons {

struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};

// "127.0.0.1:6817", "[::1]:0". Errors: InvalidArgument naming `flag`.
inline Result<ListenAddress> ParseListenAddress(const std::string& text, const std::string& flag) {
  size_t colon = text.rfind(':');
  auto bad = [&] { return Status::Invalid(flag, "wants HOST:PORT (got \"" + text + "\")"); };
  if (colon == std::string::npos || colon + 1 == text.size()) return bad();
  ListenAddress a;
  a.host = text.substr(0, colon);
  if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']') {
    a.host = a.host.substr(1, a.host.size() - 2);
  }
  const std::string port = text.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return bad();
  int p = std::stoi(port);
  if (p > 65535) return bad();
  a.port = static_cast<uint16_t>(p);
  return a;
}

inline bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

}  // namespace drover::daemons
