// Who is calling droverd, and what they may do (DESIGN.md, "Identity and
// security"): Unix-socket callers by SO_PEERCRED, TCP callers by bearer token.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "api/http_types.h"
#include "api/status.h"

namespace drover::droverd {

enum class Role { kUser, kAdmin, kNode };

struct Caller {
  Role role = Role::kUser;
  std::string user;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// The token table from --token-file: one line per token,
// "TOKEN ROLE USER UID GID" (ROLE = admin | user | node); '#' starts a comment.
class TokenTable {
 public:
  // Errors: InvalidArgument naming the line for a malformed entry;
  // NotFound when the file is missing.
  static Result<TokenTable> Load(const std::string& path);

  const Caller* Find(const std::string& token) const;
  // Any node token, for droverd's own calls to node agents (logs).
  const std::string& node_token() const { return node_token_; }

 private:
  std::map<std::string, Caller> tokens_;
  std::string node_token_;
};

// Resolves the caller of a request. `daemon_uid` (droverd's own uid) and root
// are admins on the Unix socket. Errors: Unauthenticated for a TCP request
// without a known token.
Result<Caller> IdentifyCaller(const HttpRequest& request, const TokenTable& tokens,
                              uint32_t daemon_uid);

// The login name of uid, or the uid as text when it has none.
std::string UserName(uint32_t uid);

}  // namespace drover::droverd
