// DeploymentStore: droverd's Deployments and their Revisions, with the
// indexes the controller needs (tasks by owner, scheduling ids) and the work
// queue of Deployment keys to reconcile.
//
// Owned by the state thread, inside ClusterState; nothing here locks. Like
// ClusterState, changes mark objects dirty and TakeMutations turns them into
// store mutations.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/deployment.h"
#include "api/status.h"
#include "db/store.h"

namespace drover::droverd {

// Scheduling ids of Deployments (scheduler::PendingJob::job_id) live above
// every Job id, so one scheduler pass orders jobs and replicas together.
inline constexpr uint64_t kFirstServiceWorkId = uint64_t{1} << 62;

inline bool IsServiceWorkId(uint64_t id) { return id >= kFirstServiceWorkId; }

class DeploymentStore {
 public:
  Status Load(db::Store& store);
  void TakeMutations(std::vector<db::Mutation>& out);

  const std::map<std::string, Deployment>& all() const { return deployments_; }
  const Deployment* Find(const std::string& name) const;
  Deployment* FindMutable(const std::string& name);
  // Adds or replaces; marks it dirty (the caller has set resourceVersion).
  Deployment& Put(Deployment d);
  // Forgets the Deployment and its revisions (its tasks stay until they end).
  void Erase(const std::string& name);
  void MarkDirty(const std::string& name) { dirty_.insert(name); }

  // The revision of `d`'s template, made if new: a template seen before gets
  // the newest number again (Kubernetes: undo to 2 from 3 gives 4).
  const Revision& EnsureRevision(const Deployment& d, int64_t now_ms);
  const Revision* FindRevision(const std::string& deployment, const std::string& hash) const;
  // TemplateHash of the Deployment's spec.template, kept as it changes
  // (EnsureRevision is called on every change of it).
  const std::string& TemplateHashOf(const std::string& deployment) const;
  const Revision* FindRevisionNumber(const std::string& deployment, int64_t number) const;
  // Oldest first.
  std::vector<const Revision*> RevisionsOf(const std::string& deployment) const;
  // Drops the oldest revisions beyond `keep` that no task in `in_use` runs
  // and that are not `current`.
  void PruneRevisions(const std::string& deployment, size_t keep,
                      const std::set<std::string>& in_use, const std::string& current);

  // Tasks by owner: every task of the Deployment droverd still remembers.
  void AddTask(const std::string& deployment, const std::string& task);
  void RemoveTask(const std::string& deployment, const std::string& task);
  const std::set<std::string>& TasksOf(const std::string& deployment) const;
  // Ended tasks of a Deployment, oldest end first (what may be forgotten).
  void RecordEnded(const std::string& deployment, const std::string& task);
  // The oldest ended tasks beyond the newest `keep`, taken off the record.
  std::vector<std::string> TakeForgettable(const std::string& deployment, size_t keep);

  // Scheduling ids, assigned in memory when a Deployment is put or loaded
  // (not stored: tasks know their owner by name). 0 for a deleted one.
  uint64_t WorkIdOf(const std::string& deployment) const;
  const std::string* DeploymentOfWork(uint64_t work_id) const;

  // The work queue: Deployments to reconcile at the next turn, now or when due.
  void Enqueue(const std::string& deployment) { queue_.insert(deployment); }
  void EnqueueAt(const std::string& deployment, int64_t when_ms);
  std::vector<std::string> TakeDue(int64_t now_ms);
  bool HasDue(int64_t now_ms) const;

 private:
  void AssignWorkId(const std::string& deployment);

  std::map<std::string, Deployment> deployments_;
  // deployment -> hash -> revision
  std::map<std::string, std::map<std::string, Revision>> revisions_;
  std::unordered_map<std::string, std::set<std::string>> tasks_;
  std::unordered_map<std::string, std::string> template_hashes_;
  std::unordered_map<std::string, std::deque<std::string>> ended_;
  std::unordered_map<std::string, uint64_t> work_ids_;
  std::unordered_map<uint64_t, std::string> work_names_;
  uint64_t next_work_id_ = kFirstServiceWorkId;
  std::set<std::string> queue_;
  std::map<std::string, int64_t> due_;  // deployment -> earliest due time
  std::set<std::string> dirty_;
  std::set<std::string> deleted_;
  std::set<std::string> dirty_revisions_;    // revision names
  std::set<std::string> deleted_revisions_;  // revision names
};

}  // namespace drover::droverd
