#include "daemons/droverd/identity.h"

#include <pwd.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace drover::droverd {

Result<TokenTable> TokenTable::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("token file " + path + " cannot be read");
  TokenTable table;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    std::string token, role;
    Caller caller;
    if (!(fields >> token)) continue;
    if (!(fields >> role >> caller.user >> caller.uid >> caller.gid)) {
      return Status::Invalid(path + ":" + std::to_string(number),
                             "want \"TOKEN ROLE USER UID GID\"");
    }
    if (role == "admin") {
      caller.role = Role::kAdmin;
    } else if (role == "user") {
      caller.role = Role::kUser;
    } else if (role == "node") {
      caller.role = Role::kNode;
      if (table.node_token_.empty()) table.node_token_ = token;
    } else {
      return Status::Invalid(path + ":" + std::to_string(number),
                             "role \"" + role + "\" is not admin, user or node");
    }
    if (token.size() < 16) {
      return Status::Invalid(path + ":" + std::to_string(number),
                             "tokens must be at least 16 characters");
    }
    table.tokens_[token] = caller;
  }
  return table;
}

const Caller* TokenTable::Find(const std::string& token) const {
  auto it = tokens_.find(token);
  return it == tokens_.end() ? nullptr : &it->second;
}

std::string UserName(uint32_t uid) {
  struct passwd pw;
  struct passwd* result = nullptr;
  std::vector<char> buf(16384);
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &result) == 0 && result != nullptr) {
    return pw.pw_name;
  }
  return std::to_string(uid);
}

Result<Caller> IdentifyCaller(const HttpRequest& request, const TokenTable& tokens,
                              uint32_t daemon_uid) {
  if (!request.bearer_token.empty()) {
    if (const Caller* c = tokens.Find(request.bearer_token)) return *c;
    return Status::Unauthenticated("unknown bearer token");
  }
  if (request.peer.via_unix_socket) {
    Caller c;
    c.uid = request.peer.uid;
    c.gid = request.peer.gid;
    c.user = UserName(c.uid);
    c.role = (c.uid == 0 || c.uid == daemon_uid) ? Role::kAdmin : Role::kUser;
    return c;
  }
  return Status::Unauthenticated("a bearer token is required over TCP");
}

}  // namespace drover::droverd
