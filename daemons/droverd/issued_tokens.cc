#include "daemons/droverd/issued_tokens.h"

#include <algorithm>
#include <mutex>

#include "api/json_fields.h"
#include "api/quantities.h"
#include "api/token_hash.h"

namespace drover::droverd {

std::string RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kUser:
      return "user";
    case Role::kNode:
      return "node";
    case Role::kJoin:
      return "join";
    case Role::kNodeDaemon:
      return "node-daemon";
  }
  return "user";
}

Json ToJson(const IssuedToken& t, bool with_hash) {
  Json j = {{"id", t.id}, {"role", RoleName(t.caller.role)}, {"created", FormatTime(t.created_ms)}};
  if (t.caller.role == Role::kAdmin || t.caller.role == Role::kUser) {
    j["user"] = t.caller.user;
    j["uid"] = t.caller.uid;
    j["gid"] = t.caller.gid;
  }
  if (t.caller.role == Role::kNode) j["node"] = t.caller.node;
  if (t.expires_ms > 0) j["expires"] = FormatTime(t.expires_ms);
  if (!t.description.empty()) j["description"] = t.description;
  if (with_hash) j["sha256"] = t.hash;
  return j;
}

Result<IssuedToken> IssuedTokenFromJson(const Json& j) {
  using namespace json_fields;
  DROVER_RETURN_IF_ERROR(CheckKnownFields(
      j,
      {"id", "role", "user", "uid", "gid", "node", "created", "expires", "description", "sha256"},
      ""));
  IssuedToken t;
  std::string role;
  DROVER_RETURN_IF_ERROR(GetString(j, "id", "", &t.id));
  DROVER_RETURN_IF_ERROR(GetString(j, "role", "", &role));
  DROVER_RETURN_IF_ERROR(GetString(j, "user", "", &t.caller.user));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "uid", "", &t.caller.uid));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "gid", "", &t.caller.gid));
  DROVER_RETURN_IF_ERROR(GetString(j, "node", "", &t.caller.node));
  DROVER_RETURN_IF_ERROR(GetTime(j, "created", "", &t.created_ms));
  if (j.contains("expires")) DROVER_RETURN_IF_ERROR(GetTime(j, "expires", "", &t.expires_ms));
  DROVER_RETURN_IF_ERROR(GetString(j, "description", "", &t.description));
  DROVER_RETURN_IF_ERROR(GetString(j, "sha256", "", &t.hash));
  bool known = false;
  for (Role r : {Role::kAdmin, Role::kUser, Role::kNode, Role::kJoin}) {
    if (role == RoleName(r)) {
      t.caller.role = r;
      known = true;
    }
  }
  if (!known) return Status::Invalid("role", "must be admin, user, node or join");
  if (t.caller.role == Role::kNode) {
    if (t.caller.node.empty()) return Status::Invalid("node", "a node credential names its node");
    t.caller = NodeCaller(t.caller.node);
  }
  if (t.caller.role == Role::kJoin) t.caller.user = "join:" + t.id;
  if (t.id.empty() || t.hash.size() != 64) return Status::Invalid("sha256", "is missing");
  return t;
}

Status IssuedTokens::Load(db::Store& store) {
  auto stored = store.LoadAll(kTokenKind);
  if (!stored.ok()) return stored.status();
  std::unique_lock lock(mu_);
  by_hash_.clear();
  for (const db::StoredObject& o : *stored) {
    auto json = ParseJson(o.data);
    if (!json.ok()) return json.status().WithFieldPrefix("token " + o.key);
    auto t = IssuedTokenFromJson(*json);
    if (!t.ok()) return t.status().WithFieldPrefix("token " + o.key);
    by_hash_[t->hash] = std::move(*t);
  }
  return Status::Ok();
}

std::optional<Caller> IssuedTokens::Find(const std::string& secret, int64_t now_ms) const {
  const std::string key = Sha256Hex(secret);
  std::shared_lock lock(mu_);
  auto it = by_hash_.find(key);
  if (it == by_hash_.end() || !SecretsEqual(it->first, key)) {
    return std::nullopt;
  }
  if (it->second.expires_ms > 0 && now_ms >= it->second.expires_ms) return std::nullopt;
  return it->second.caller;
}

bool IssuedTokens::HasNode(const std::string& name) const {
  std::shared_lock lock(mu_);
  for (const auto& [hash, t] : by_hash_) {
    if (t.caller.role == Role::kNode && t.caller.node == name) return true;
  }
  return false;
}

void IssuedTokens::Add(IssuedToken token) {
  std::unique_lock lock(mu_);
  by_hash_[token.hash] = std::move(token);
}

bool IssuedTokens::Remove(const std::string& id) {
  std::unique_lock lock(mu_);
  for (auto it = by_hash_.begin(); it != by_hash_.end(); ++it) {
    if (it->second.id == id) {
      by_hash_.erase(it);
      return true;
    }
  }
  return false;
}

std::optional<IssuedToken> IssuedTokens::FindById(const std::string& id) const {
  std::shared_lock lock(mu_);
  for (const auto& [hash, t] : by_hash_) {
    if (t.id == id) return t;
  }
  return std::nullopt;
}

std::vector<IssuedToken> IssuedTokens::List() const {
  std::shared_lock lock(mu_);
  std::vector<IssuedToken> out;
  for (const auto& [hash, t] : by_hash_) out.push_back(t);
  std::sort(out.begin(), out.end(),
            [](const IssuedToken& a, const IssuedToken& b) { return a.created_ms < b.created_ms; });
  return out;
}

}  // namespace drover::droverd
