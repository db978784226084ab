#include "daemons/droverd/issued_tokens.h"

#include <mutex>

#include "api/json_fields.h"
#include "api/quantities.h"
#include "api/token_hash.h"

namespace drover::droverd {

Json ToJson(const IssuedToken& t, bool with_hash) {
  Json j = {{"id", t.id},
            {"role", t.caller.role == Role::kAdmin ? "admin" : "user"},
            {"user", t.caller.user},
            {"uid", t.caller.uid},
            {"gid", t.caller.gid},
            {"created", FormatTime(t.created_ms)}};
  if (!t.description.empty()) j["description"] = t.description;
  if (with_hash) j["sha256"] = t.hash;
  return j;
}

Result<IssuedToken> IssuedTokenFromJson(const Json& j) {
  using namespace json_fields;
  DROVER_RETURN_IF_ERROR(CheckKnownFields(
      j, {"id", "role", "user", "uid", "gid", "created", "description", "sha256"}, ""));
  IssuedToken t;
  std::string role;
  DROVER_RETURN_IF_ERROR(GetString(j, "id", "", &t.id));
  DROVER_RETURN_IF_ERROR(GetString(j, "role", "", &role));
  DROVER_RETURN_IF_ERROR(GetString(j, "user", "", &t.caller.user));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "uid", "", &t.caller.uid));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "gid", "", &t.caller.gid));
  DROVER_RETURN_IF_ERROR(GetTime(j, "created", "", &t.created_ms));
  DROVER_RETURN_IF_ERROR(GetString(j, "description", "", &t.description));
  DROVER_RETURN_IF_ERROR(GetString(j, "sha256", "", &t.hash));
  if (role != "admin" && role != "user") return Status::Invalid("role", "must be admin or user");
  t.caller.role = role == "admin" ? Role::kAdmin : Role::kUser;
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

std::optional<Caller> IssuedTokens::Find(const std::string& secret) const {
  const std::string key = Sha256Hex(secret);
  std::shared_lock lock(mu_);
  auto it = by_hash_.find(key);
  if (it == by_hash_.end() || !SecretsEqual(it->first, key)) {
    return std::nullopt;
  }
  return it->second.caller;
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
