// Who is calling droverd (DESIGN.md, "Identity and security"): Unix-socket
// callers by SO_PEERCRED, TCP callers by bearer token.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "api/http_types.h"
#include "api/status.h"

namespace drover::droverd {

// kJoin: a join token, good only for a node to obtain its own credential
// (POST /api/v1/nodes/NAME/join), as Kubernetes' bootstrap tokens are.
// kNodeDaemon: the credential of a running built-in daemon's task
// (task_credentials.h), good only for what that daemon does for its node.
enum class Role { kUser, kAdmin, kNode, kJoin, kNodeDaemon };

struct Caller {
  Role role = Role::kUser;
  std::string user;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string node;     // kNode, kNodeDaemon: the one node this credential speaks for
  std::string task;     // kNodeDaemon: the task it was given to
  std::string builtin;  // kNodeDaemon: which built-in daemon ("log-shipper", "node-monitor")
  // A batch script's credential (kUser, as Slurm's munge credential is the
  // user's): its job, whose allocation its steps (srun) run in.
  uint64_t job_id = 0;
};

// The caller a credential of node `node` stands for (named "node:NODE").
Caller NodeCaller(const std::string& node);

// The token table from --token-file. One entry per line ('#' starts a comment):
//
//   TOKEN admin USER UID GID     an administrator
//   TOKEN user  USER UID GID     a user; UID must not be 0
//   TOKEN node  NODE             the credential of node NODE, good only for
//                                NODE's own endpoints (register, assignments, status)
//
// TOKEN is the secret itself (at least 16 characters) or "sha256:" and the hex SHA-256 of the
// secret, so the file need not hold secrets. Tokens are kept hashed in memory and compared in
// constant time.
class TokenTable {
 public:
  // Errors: InvalidArgument naming FILE:LINE and the rule for a malformed
  // entry; NotFound when the file cannot be read.
  static Result<TokenTable> Load(const std::string& path);
  // The same from text (`origin` names it in errors).
  static Result<TokenTable> Parse(const std::string& text, const std::string& origin);

  // The caller a presented secret stands for, or nullptr.
  const Caller* Find(const std::string& token) const;
  // Whether the file holds a credential for node `name`.
  bool HasNode(const std::string& name) const;

 private:
  std::map<std::string, Caller> by_hash_;  // hex SHA-256 -> caller
  std::set<std::string> nodes_;            // nodes with a credential here
};

class IssuedTokens;     // issued_tokens.h
class TaskCredentials;  // task_credentials.h

// Resolves the caller of a request: a bearer token from the token file or
// one issued through the API and not expired at `now_ms` (`issued` may be
// null), or a running task's credential (`task_credentials` may be null), else, on the Unix
// socket, the peer's uid; `daemon_uid` (droverd's own uid) and root are
// admins there. Errors: Unauthenticated for a request with an unknown token,
// or over TCP without one.
Result<Caller> IdentifyCaller(const HttpRequest& request, const TokenTable& tokens,
                              const IssuedTokens* issued, uint32_t daemon_uid, int64_t now_ms,
                              const TaskCredentials* task_credentials = nullptr);

// The login name of uid, or the uid as text when it has none.
std::string UserName(uint32_t uid);

// The names of the groups `user` (primary group `gid`) belongs to on this
// host; only the primary group's when the group database cannot be read.
std::vector<std::string> GroupNames(const std::string& user, uint32_t gid);

}  // namespace drover::droverd
