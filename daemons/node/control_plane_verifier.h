// ControlPlaneVerifier: tells droverd's calls to this node (log reads) from
// anyone else's. droverd presents its control-plane key; the node knows only
// the key's SHA-256, learned from droverd's answer to its registration (over
// the channel the node already trusts), so this node's own credential and
// the other nodes' never open it. Until the node has registered, nothing does.
#pragma once

#include <mutex>
#include <string>

#include "api/token_hash.h"

namespace drover::node {

class ControlPlaneVerifier {
 public:
  void SetKeyHash(std::string sha256_hex) {
    std::lock_guard<std::mutex> lock(mu_);
    key_hash_ = std::move(sha256_hex);
  }

  bool Verify(const std::string& bearer_token) const {
    if (bearer_token.empty()) return false;
    const std::string presented = Sha256Hex(bearer_token);
    std::lock_guard<std::mutex> lock(mu_);
    return key_hash_.size() == 64 && SecretsEqual(presented, key_hash_);
  }

 private:
  mutable std::mutex mu_;
  std::string key_hash_;  // guarded by mu_
};

}  // namespace drover::node
