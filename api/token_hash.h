// How bearer tokens are kept: as the hex SHA-256 of the secret, so a token
// file or store need not hold secrets (OpenSSL's EVP digest).
#pragma once

#include <string>

namespace drover {

// Lower-case hex SHA-256 of `text`.
std::string Sha256Hex(const std::string& text);

// "sha256:" + Sha256Hex(secret): the form a token file holds a hashed secret in.
inline std::string HashedTokenEntry(const std::string& secret) {
  return "sha256:" + Sha256Hex(secret);
}

}  // namespace drover
