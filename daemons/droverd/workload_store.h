// WorkloadStore: droverd's objects of one kind of long-running workload
// (Deployments, DaemonSets) and their Revisions, with the indexes their
// controller needs (tasks by owner, scheduling ids) and the work queue of
// keys to reconcile. One template, one instance per kind: a new workload
// kind is a new instance, not a copy of the store.
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

#include "api/daemon_set.h"
#include "api/deployment.h"
#include "api/stateful_set.h"
#include "api/status.h"
#include "db/store.h"

namespace drover::droverd {

// Scheduling ids (scheduler::PendingJob::job_id) of services live above
// every Job id, so one scheduler pass orders jobs and services together:
// Deployments from kFirstServiceWorkId, the StatefulSet ordinals waiting for
// their task from kFirstOrdinalWorkId, the (DaemonSet, node) pairs from
// kFirstDaemonWorkId.
inline constexpr uint64_t kFirstServiceWorkId = uint64_t{1} << 62;
inline constexpr uint64_t kFirstOrdinalWorkId = kFirstServiceWorkId + (uint64_t{1} << 60);
inline constexpr uint64_t kFirstDaemonWorkId = kFirstServiceWorkId + (uint64_t{1} << 61);

inline bool IsServiceWorkId(uint64_t id) { return id >= kFirstServiceWorkId; }
inline bool IsDaemonWorkId(uint64_t id) { return id >= kFirstDaemonWorkId; }
inline bool IsOrdinalWorkId(uint64_t id) {
  return id >= kFirstOrdinalWorkId && id < kFirstDaemonWorkId;
}

template <class Workload>
class WorkloadStore {
 public:
  Status Load(db::Store& store);
  void TakeMutations(std::vector<db::Mutation>& out);

  const std::map<std::string, Workload>& all() const { return objects_; }
  const Workload* Find(const std::string& name) const;
  Workload* FindMutable(const std::string& name);
  // Adds or replaces; marks it dirty (the caller has set resourceVersion).
  Workload& Put(Workload w);
  // Forgets the object and its revisions (its tasks stay until they end).
  void Erase(const std::string& name);
  void MarkDirty(const std::string& name) { dirty_.insert(name); }

  // The revision of `w`'s template, made if new: a template seen before gets
  // the newest number again (Kubernetes: undo to 2 from 3 gives 4).
  const Revision& EnsureRevision(const Workload& w, int64_t now_ms);
  const Revision* FindRevision(const std::string& owner, const std::string& hash) const;
  // TemplateHash of the object's spec.template, kept as it changes
  // (EnsureRevision is called on every change of it).
  const std::string& TemplateHashOf(const std::string& owner) const;
  const Revision* FindRevisionNumber(const std::string& owner, int64_t number) const;
  // Oldest first.
  std::vector<const Revision*> RevisionsOf(const std::string& owner) const;
  // Drops the oldest revisions beyond `keep` that no task in `in_use` runs
  // and that are not `current`.
  void PruneRevisions(const std::string& owner, size_t keep, const std::set<std::string>& in_use,
                      const std::string& current);

  // Tasks by owner: every task of the object droverd still remembers.
  void AddTask(const std::string& owner, const std::string& task);
  void RemoveTask(const std::string& owner, const std::string& task);
  const std::set<std::string>& TasksOf(const std::string& owner) const;
  // Ended tasks of an object, oldest end first (what may be forgotten).
  void RecordEnded(const std::string& owner, const std::string& task);
  // The oldest ended tasks beyond the newest `keep`, taken off the record.
  std::vector<std::string> TakeForgettable(const std::string& owner, size_t keep);

  // Scheduling ids, assigned in memory when an object is put or loaded (not
  // stored: tasks know their owner by name), for the kinds scheduled as one
  // piece of work (Deployments). 0 for a deleted one, and for DaemonSets,
  // whose work is one per node (ClusterState numbers those).
  uint64_t WorkIdOf(const std::string& owner) const;
  const std::string* OwnerOfWork(uint64_t work_id) const;

  // The work queue: objects to reconcile at the next turn, now or when due.
  void Enqueue(const std::string& owner) { queue_.insert(owner); }
  void EnqueueAll();
  void EnqueueAt(const std::string& owner, int64_t when_ms);
  std::vector<std::string> TakeDue(int64_t now_ms);
  bool HasDue(int64_t now_ms) const;

 private:
  void AssignWorkId(const std::string& owner);

  std::map<std::string, Workload> objects_;
  // owner -> hash -> revision
  std::map<std::string, std::map<std::string, Revision>> revisions_;
  std::unordered_map<std::string, std::set<std::string>> tasks_;
  std::unordered_map<std::string, std::string> template_hashes_;
  std::unordered_map<std::string, std::deque<std::string>> ended_;
  std::unordered_map<std::string, uint64_t> work_ids_;
  std::unordered_map<uint64_t, std::string> work_names_;
  uint64_t next_work_id_ = kFirstServiceWorkId;
  std::set<std::string> queue_;
  std::map<std::string, int64_t> due_;  // owner -> earliest due time
  std::set<std::string> dirty_;
  std::set<std::string> deleted_;
  std::set<std::string> dirty_revisions_;    // revision names
  std::set<std::string> deleted_revisions_;  // revision names
};

using DeploymentStore = WorkloadStore<Deployment>;
using DaemonSetStore = WorkloadStore<DaemonSet>;
using StatefulSetStore = WorkloadStore<StatefulSet>;

extern template class WorkloadStore<Deployment>;
extern template class WorkloadStore<DaemonSet>;
extern template class WorkloadStore<StatefulSet>;

}  // namespace drover::droverd
