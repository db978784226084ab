#include "daemons/droverd/identity.h"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <vector>

#include "api/token_hash.h"
#include "daemons/droverd/issued_tokens.h"
#include "daemons/droverd/task_credentials.h"

namespace drover::droverd {
namespace {

bool IsHex(const std::string& s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Result<uint32_t> ParseId(const std::string& text, const std::string& where, const char* what) {
  uint32_t v = 0;
  if (text.empty() || text.size() > 10 || !std::all_of(text.begin(), text.end(), ::isdigit)) {
    return Status::Invalid(where, std::string(what) + " \"" + text + "\" is not a number");
  }
  uint64_t wide = std::stoull(text);
  // (uid_t)-1 means "unchanged" to setresuid: a task would keep root's identity.
  if (wide >= UINT32_MAX) return Status::Invalid(where, std::string(what) + " is out of range");
  v = static_cast<uint32_t>(wide);
  return v;
}

}  // namespace

Caller NodeCaller(const std::string& node) {
  Caller c;
  c.role = Role::kNode;
  c.node = node;
  c.user = "node:" + node;
  return c;
}

Result<TokenTable> TokenTable::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("token file " + path + " cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

Result<TokenTable> TokenTable::Parse(const std::string& text, const std::string& origin) {
  TokenTable table;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    const std::string where = origin + ":" + std::to_string(number);
    size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    if (f.empty()) continue;
    if (f.size() < 2) return Status::Invalid(where, "want \"TOKEN ROLE ...\"");
    const std::string& token = f[0];
    const std::string& role = f[1];
    Caller caller;
    bool hashed = token.rfind("sha256:", 0) == 0;
    if (hashed) {
      std::string hex = token.substr(7);
      if (hex.size() != 64 || !IsHex(hex)) {
        return Status::Invalid(where, "a sha256: token needs 64 hex digits");
      }
    } else if (token.size() < 16) {
      return Status::Invalid(where, "tokens must be at least 16 characters");
    }
    if (role == "node") {
      if (f.size() != 3) {
        return Status::Invalid(where, "want \"TOKEN node NODE\" (the node it is bound to)");
      }
      caller = NodeCaller(f[2]);
      if (!table.nodes_.insert(caller.node).second) {
        return Status::Invalid(where, "node " + caller.node + " has a token already");
      }
    } else if (role == "admin" || role == "user") {
      if (f.size() != 5) return Status::Invalid(where, "want \"TOKEN " + role + " USER UID GID\"");
      caller.role = role == "admin" ? Role::kAdmin : Role::kUser;
      caller.user = f[2];
      auto uid = ParseId(f[3], where, "UID");
      if (!uid.ok()) return uid.status();
      auto gid = ParseId(f[4], where, "GID");
      if (!gid.ok()) return gid.status();
      caller.uid = *uid;
      caller.gid = *gid;
      // A user token for uid 0 would run tasks as root without being an admin.
      if (caller.role == Role::kUser && (caller.uid == 0 || caller.gid == 0)) {
        return Status::Invalid(
            where, "a user token must not carry uid 0 or gid 0 (make it an admin token)");
      }
    } else {
      return Status::Invalid(where, "role \"" + role + "\" is not admin, user or node");
    }
    std::string key = hashed ? token.substr(7) : Sha256Hex(token);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!table.by_hash_.emplace(key, caller).second) {
      return Status::Invalid(where, "the same token appears twice");
    }
  }
  return table;
}

const Caller* TokenTable::Find(const std::string& token) const {
  // Looking up by the secret's hash reveals nothing of other secrets through
  // timing; the final comparison is constant-time all the same.
  const std::string key = Sha256Hex(token);
  auto it = by_hash_.lower_bound(key);
  if (it == by_hash_.end() || !SecretsEqual(it->first, key)) {
    return nullptr;
  }
  return &it->second;
}

bool TokenTable::HasNode(const std::string& name) const { return nodes_.count(name) > 0; }

std::string UserName(uint32_t uid) {
  struct passwd pw;
  struct passwd* result = nullptr;
  std::vector<char> buf(16384);
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &result) == 0 && result != nullptr) {
    return pw.pw_name;
  }
  return std::to_string(uid);
}

std::vector<std::string> GroupNames(const std::string& user, uint32_t gid) {
  std::vector<gid_t> gids(64);
  int count = static_cast<int>(gids.size());
  if (getgrouplist(user.c_str(), gid, gids.data(), &count) < 0) {
    gids.resize(static_cast<size_t>(count));
    if (getgrouplist(user.c_str(), gid, gids.data(), &count) < 0) count = 0;
  }
  gids.resize(static_cast<size_t>(std::max(count, 0)));
  if (gids.empty()) gids.push_back(gid);
  std::vector<std::string> names;
  std::vector<char> buf(16384);
  for (gid_t g : gids) {
    struct group gr;
    struct group* found = nullptr;
    if (getgrgid_r(g, &gr, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
      names.push_back(gr.gr_name);
    }
  }
  return names;
}

Result<Caller> IdentifyCaller(const HttpRequest& request, const TokenTable& tokens,
                              const IssuedTokens* issued, uint32_t daemon_uid, int64_t now_ms,
                              const TaskCredentials* task_credentials) {
  if (!request.bearer_token.empty()) {
    if (const Caller* c = tokens.Find(request.bearer_token)) return *c;
    if (issued != nullptr) {
      if (auto c = issued->Find(request.bearer_token, now_ms)) return *c;
    }
    if (task_credentials != nullptr) {
      if (auto c = task_credentials->Find(request.bearer_token)) return *c;
    }
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
