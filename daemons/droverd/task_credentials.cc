#include "daemons/droverd/task_credentials.h"

#include <mutex>

#include "api/token_hash.h"

namespace drover::droverd {

std::string TaskCredentials::SecretFor(const std::string& task) const {
  // The prefix keeps these secrets apart from any other use of the key.
  return "dtc1." + HmacSha256Hex(key_, "drover task credential\n" + task);
}

std::string TaskCredentials::Grant(const std::string& task, const std::string& node,
                                   const std::string& builtin) {
  Caller c;
  c.role = Role::kNodeDaemon;
  c.user = "task:" + task;
  c.node = node;
  c.task = task;
  c.builtin = builtin;
  return Put(task, std::move(c));
}

std::string TaskCredentials::GrantJob(const std::string& task, uint64_t job_id,
                                      const std::string& user, uint32_t uid, uint32_t gid) {
  Caller c;
  c.role = uid == 0 ? Role::kAdmin : Role::kUser;  // root's own job acts as root
  c.user = user;
  c.uid = uid;
  c.gid = gid;
  c.task = task;
  c.job_id = job_id;
  return Put(task, std::move(c));
}

std::string TaskCredentials::Put(const std::string& task, Caller caller) {
  std::string secret = SecretFor(task);
  const std::string hash = Sha256Hex(secret);
  std::unique_lock lock(mu_);
  by_hash_[hash] = std::move(caller);
  hash_of_[task] = hash;
  return secret;
}

void TaskCredentials::Revoke(const std::string& task) {
  std::unique_lock lock(mu_);
  auto it = hash_of_.find(task);
  if (it == hash_of_.end()) return;
  by_hash_.erase(it->second);
  hash_of_.erase(it);
}

std::optional<Caller> TaskCredentials::Find(const std::string& secret) const {
  if (secret.rfind("dtc1.", 0) != 0) return std::nullopt;
  const std::string hash = Sha256Hex(secret);
  std::shared_lock lock(mu_);
  auto it = by_hash_.lower_bound(hash);
  if (it == by_hash_.end() || !SecretsEqual(it->first, hash)) return std::nullopt;
  return it->second;
}

size_t TaskCredentials::size() const {
  std::shared_lock lock(mu_);
  return hash_of_.size();
}

}  // namespace drover::droverd
