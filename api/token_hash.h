// Bearer token secrets: how they are made (random), kept (as the hex
// SHA-256 of the secret, so a token file or store need not hold secrets) and
// compared (in constant time). OpenSSL underneath.
#pragma once

#include <cstddef>
#include <string>

#include "api/status.h"

namespace drover {

// Lower-case hex SHA-256 of `text`.
std::string Sha256Hex(const std::string& text);

// "sha256:" + Sha256Hex(secret): the form a token file holds a hashed secret in.
inline std::string HashedTokenEntry(const std::string& secret) {
  return "sha256:" + Sha256Hex(secret);
}

// Lower-case hex HMAC-SHA256 of `text` under `key`: secrets droverd can make
// again from its own key (a task's credential after a restart) but no one
// without the key can.
std::string HmacSha256Hex(const std::string& key, const std::string& text);

// `bytes` random bytes from the OS's CSPRNG (OpenSSL RAND_bytes), as hex:
// token secrets and ids. Errors: Internal when no randomness can be had.
Result<std::string> RandomHex(size_t bytes);

// Whether two secrets are equal, in time that depends on their lengths only.
bool SecretsEqual(const std::string& a, const std::string& b);

}  // namespace drover
