// TaskCredentials: the bearer credentials droverd gives the tasks of its
// built-in per-node daemons (the log shipper, the node monitor), as
// Kubernetes mounts a service-account token into a pod, and batch scripts
// (their user's, as Slurm's munge credential, for srun). A credential is
// good while its task runs and only for what its daemon does for its own
// node (authorization.cc); it dies with the task.
//
// The secret is HMAC-SHA256(droverd's control-plane key, task name), so a
// restarted droverd (or another one on the same store) makes the same one
// again for the tasks still running, and nothing is stored. Granted and
// revoked on the state thread; looked up on the HTTP I/O threads
// (thread-safe, a shared lock).
#pragma once

#include <map>
#include <optional>
#include <shared_mutex>
#include <string>

#include "daemons/droverd/identity.h"

namespace drover::droverd {

class TaskCredentials {
 public:
  explicit TaskCredentials(std::string key) : key_(std::move(key)) {}

  // The secret of `task`'s credential (the same every time).
  std::string SecretFor(const std::string& task) const;

  // Makes the credential of `task`, running on `node` for built-in daemon
  // `builtin`, good; returns its secret.
  std::string Grant(const std::string& task, const std::string& node, const std::string& builtin);
  // Makes the credential of batch script `task` good: it stands for `owner`
  // (the job's user) and names the job, so srun in the script starts steps
  // in its allocation.
  std::string GrantJob(const std::string& task, uint64_t job_id, const std::string& user,
                       uint32_t uid, uint32_t gid);
  // Makes it no longer good (the task ended). No-op for an unknown task.
  void Revoke(const std::string& task);

  std::optional<Caller> Find(const std::string& secret) const;
  size_t size() const;

 private:
  // Makes `task`'s credential stand for `caller`; returns its secret.
  std::string Put(const std::string& task, Caller caller);

  std::string key_;
  mutable std::shared_mutex mu_;
  std::map<std::string, Caller> by_hash_;       // guarded by mu_
  std::map<std::string, std::string> hash_of_;  // task -> its hash; guarded by mu_
};

}  // namespace drover::droverd
