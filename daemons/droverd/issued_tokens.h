// IssuedTokens: the bearer tokens an admin issued through the API (`drover
// token create`), kept as their SHA-256 in the store (kind "token") and in
// memory, next to the static --token-file.
//
// Callers are identified on the HTTP I/O threads, so lookups are thread-safe
// (a shared lock). Add is called as a token is issued, before its secret is
// shown (only after the store holds it); Remove once the store holds the
// revocation. The secret itself is shown once, when issued, and never stored.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "api/json_text.h"
#include "api/status.h"
#include "daemons/droverd/identity.h"
#include "db/store.h"

namespace drover::droverd {

inline constexpr const char* kTokenKind = "token";

struct IssuedToken {
  std::string id;    // short public name, for list and revoke
  std::string hash;  // hex SHA-256 of the secret
  Caller caller;     // admin, user, node (bound to caller.node) or join
  int64_t created_ms = 0;
  int64_t expires_ms = 0;  // 0: never
  std::string description;
};

std::string RoleName(Role role);

Json ToJson(const IssuedToken& token, bool with_hash);
Result<IssuedToken> IssuedTokenFromJson(const Json& json);

class IssuedTokens {
 public:
  // Reads every stored token (at start-up).
  Status Load(db::Store& store);

  // The caller of an unexpired token with this secret.
  std::optional<Caller> Find(const std::string& secret, int64_t now_ms) const;
  // Whether an issued credential speaks for node `name`.
  bool HasNode(const std::string& name) const;
  void Add(IssuedToken token);
  // False if no token has that id.
  bool Remove(const std::string& id);
  std::optional<IssuedToken> FindById(const std::string& id) const;
  std::vector<IssuedToken> List() const;

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, IssuedToken> by_hash_;  // guarded by mu_
};

}  // namespace drover::droverd
