#include "daemons/droverd/workload_store.h"

#include <algorithm>

#include "api/daemon_set_json.h"
#include "api/deployment_json.h"
#include "api/stateful_set_json.h"
#include "daemons/droverd/stored_object.h"

namespace drover::droverd {
namespace {

// How each kind is stored: its store kinds (revisions of each kind apart, so
// a Deployment and a DaemonSet may share a name), its codec, and whether it
// is scheduled as one piece of work.
template <class Workload>
struct StoredKind;

template <>
struct StoredKind<Deployment> {
  static constexpr char kKind[] = "deployment";
  static constexpr char kRevisionKind[] = "revision";
  static constexpr char kOwnerKind[] = "Deployment";
  static constexpr bool kOneWorkId = true;
  static Result<Deployment> Decode(const Json& j) { return DeploymentFromJson(j); }
};

template <>
struct StoredKind<DaemonSet> {
  static constexpr char kKind[] = "daemonset";
  static constexpr char kRevisionKind[] = "daemonset-revision";
  static constexpr char kOwnerKind[] = "DaemonSet";
  static constexpr bool kOneWorkId = false;
  static Result<DaemonSet> Decode(const Json& j) { return DaemonSetFromJson(j); }
};

template <>
struct StoredKind<StatefulSet> {
  static constexpr char kKind[] = "statefulset";
  static constexpr char kRevisionKind[] = "statefulset-revision";
  static constexpr char kOwnerKind[] = "StatefulSet";
  static constexpr bool kOneWorkId = false;
  static Result<StatefulSet> Decode(const Json& j) { return StatefulSetFromJson(j); }
};

const std::set<std::string> kNoTasks;

}  // namespace

template <class Workload>
Status WorkloadStore<Workload>::Load(db::Store& store) {
  auto objects = store.LoadAll(StoredKind<Workload>::kKind);
  if (!objects.ok()) return objects.status();
  for (const auto& obj : *objects) {
    auto d = DecodeStored(obj, StoredKind<Workload>::kKind,
                          [](const Json& j) { return StoredKind<Workload>::Decode(j); });
    if (!d.ok()) return d.status();
    std::string name = d->metadata.name;
    template_hashes_[name] = TemplateHash(d->spec.template_);
    objects_.emplace(name, std::move(*d));
    AssignWorkId(name);
    queue_.insert(name);
  }
  auto revisions = store.LoadAll(StoredKind<Workload>::kRevisionKind);
  if (!revisions.ok()) return revisions.status();
  for (const auto& obj : *revisions) {
    auto r = DecodeStored(obj, "revision", [](const Json& j) { return RevisionFromJson(j); });
    if (!r.ok()) return r.status();
    std::string owner = r->owner_name, hash = r->hash;
    revisions_[owner].emplace(hash, std::move(*r));
  }
  return Status::Ok();
}

template <class Workload>
void WorkloadStore<Workload>::TakeMutations(std::vector<db::Mutation>& out) {
  for (const std::string& name : deleted_)
    out.push_back(db::Mutation::Delete(StoredKind<Workload>::kKind, name));
  for (const std::string& name : deleted_revisions_) {
    out.push_back(db::Mutation::Delete(StoredKind<Workload>::kRevisionKind, name));
  }
  for (const std::string& name : dirty_) {
    auto it = objects_.find(name);
    if (it != objects_.end()) {
      out.push_back(
          db::Mutation::Put(StoredKind<Workload>::kKind, name, ToJson(it->second).dump()));
    }
  }
  for (const std::string& name : dirty_revisions_) {
    // OWNER-HASH: the hash is the last 10 characters.
    const std::string owner = name.substr(0, name.size() - 11);
    const std::string hash = name.substr(name.size() - 10);
    if (const Revision* r = FindRevision(owner, hash)) {
      out.push_back(
          db::Mutation::Put(StoredKind<Workload>::kRevisionKind, name, ToJson(*r).dump()));
    }
  }
  deleted_.clear();
  deleted_revisions_.clear();
  dirty_.clear();
  dirty_revisions_.clear();
}

template <class Workload>
const Workload* WorkloadStore<Workload>::Find(const std::string& name) const {
  auto it = objects_.find(name);
  return it == objects_.end() ? nullptr : &it->second;
}

template <class Workload>
Workload* WorkloadStore<Workload>::FindMutable(const std::string& name) {
  auto it = objects_.find(name);
  return it == objects_.end() ? nullptr : &it->second;
}

template <class Workload>
Workload& WorkloadStore<Workload>::Put(Workload d) {
  std::string name = d.metadata.name;
  deleted_.erase(name);
  dirty_.insert(name);
  queue_.insert(name);
  AssignWorkId(name);
  auto& slot = objects_[name];
  slot = std::move(d);
  return slot;
}

template <class Workload>
void WorkloadStore<Workload>::Erase(const std::string& name) {
  objects_.erase(name);
  template_hashes_.erase(name);
  dirty_.erase(name);
  deleted_.insert(name);
  auto revs = revisions_.find(name);
  if (revs != revisions_.end()) {
    for (const auto& [hash, r] : revs->second) {
      dirty_revisions_.erase(r.name);
      deleted_revisions_.insert(r.name);
    }
    revisions_.erase(revs);
  }
  auto id = work_ids_.find(name);
  if (id != work_ids_.end()) {
    work_names_.erase(id->second);
    work_ids_.erase(id);
  }
}

template <class Workload>
const Revision& WorkloadStore<Workload>::EnsureRevision(const Workload& d, int64_t now_ms) {
  const std::string& owner = d.metadata.name;
  const std::string hash = TemplateHash(d.spec.template_);
  template_hashes_[owner] = hash;
  auto& revs = revisions_[owner];
  int64_t newest = 0;
  for (const auto& [h, r] : revs) newest = std::max(newest, r.number);
  auto it = revs.find(hash);
  if (it != revs.end()) {
    if (it->second.number != newest) {
      it->second.number = newest + 1;
      dirty_revisions_.insert(it->second.name);
    }
    return it->second;
  }
  Revision r;
  r.name = owner + "-" + hash;
  r.owner_kind = StoredKind<Workload>::kOwnerKind;
  r.owner_name = owner;
  r.owner_uid = d.metadata.uid;
  r.number = newest + 1;
  r.hash = hash;
  r.template_ = d.spec.template_;
  r.creation_time_ms = now_ms;
  dirty_revisions_.insert(r.name);
  deleted_revisions_.erase(r.name);
  return revs.emplace(hash, std::move(r)).first->second;
}

template <class Workload>
const Revision* WorkloadStore<Workload>::FindRevision(const std::string& owner,
                                                      const std::string& hash) const {
  auto revs = revisions_.find(owner);
  if (revs == revisions_.end()) return nullptr;
  auto it = revs->second.find(hash);
  return it == revs->second.end() ? nullptr : &it->second;
}

template <class Workload>
const std::string& WorkloadStore<Workload>::TemplateHashOf(const std::string& owner) const {
  static const std::string kNone;
  auto it = template_hashes_.find(owner);
  return it == template_hashes_.end() ? kNone : it->second;
}

template <class Workload>
const Revision* WorkloadStore<Workload>::FindRevisionNumber(const std::string& owner,
                                                            int64_t number) const {
  for (const Revision* r : RevisionsOf(owner)) {
    if (r->number == number) return r;
  }
  return nullptr;
}

template <class Workload>
std::vector<const Revision*> WorkloadStore<Workload>::RevisionsOf(const std::string& owner) const {
  std::vector<const Revision*> out;
  auto revs = revisions_.find(owner);
  if (revs == revisions_.end()) return out;
  for (const auto& [hash, r] : revs->second) out.push_back(&r);
  std::sort(out.begin(), out.end(),
            [](const Revision* a, const Revision* b) { return a->number < b->number; });
  return out;
}

template <class Workload>
void WorkloadStore<Workload>::PruneRevisions(const std::string& owner, size_t keep,
                                             const std::set<std::string>& in_use,
                                             const std::string& current) {
  std::vector<const Revision*> old;
  for (const Revision* r : RevisionsOf(owner)) {
    if (r->hash != current && !in_use.count(r->hash)) old.push_back(r);
  }
  if (old.size() <= keep) return;
  auto& revs = revisions_[owner];
  for (size_t i = 0; i + keep < old.size(); ++i) {
    const std::string name = old[i]->name, hash = old[i]->hash;
    dirty_revisions_.erase(name);
    deleted_revisions_.insert(name);
    revs.erase(hash);
  }
}

template <class Workload>
void WorkloadStore<Workload>::AddTask(const std::string& owner, const std::string& task) {
  tasks_[owner].insert(task);
}

template <class Workload>
void WorkloadStore<Workload>::RemoveTask(const std::string& owner, const std::string& task) {
  auto it = tasks_.find(owner);
  if (it == tasks_.end()) return;
  it->second.erase(task);
  if (it->second.empty()) tasks_.erase(it);
}

template <class Workload>
const std::set<std::string>& WorkloadStore<Workload>::TasksOf(const std::string& owner) const {
  auto it = tasks_.find(owner);
  return it == tasks_.end() ? kNoTasks : it->second;
}

template <class Workload>
void WorkloadStore<Workload>::AssignWorkId(const std::string& owner) {
  if (!StoredKind<Workload>::kOneWorkId || work_ids_.count(owner)) return;
  const uint64_t id = next_work_id_++;
  work_ids_.emplace(owner, id);
  work_names_.emplace(id, owner);
}

template <class Workload>
void WorkloadStore<Workload>::RecordEnded(const std::string& owner, const std::string& task) {
  ended_[owner].push_back(task);
}

template <class Workload>
std::vector<std::string> WorkloadStore<Workload>::TakeForgettable(const std::string& owner,
                                                                  size_t keep) {
  std::vector<std::string> out;
  auto it = ended_.find(owner);
  if (it == ended_.end()) return out;
  while (it->second.size() > keep) {
    out.push_back(std::move(it->second.front()));
    it->second.pop_front();
  }
  if (it->second.empty()) ended_.erase(it);
  return out;
}

template <class Workload>
uint64_t WorkloadStore<Workload>::WorkIdOf(const std::string& owner) const {
  auto it = work_ids_.find(owner);
  return it == work_ids_.end() ? 0 : it->second;
}

template <class Workload>
const std::string* WorkloadStore<Workload>::OwnerOfWork(uint64_t work_id) const {
  auto it = work_names_.find(work_id);
  return it == work_names_.end() ? nullptr : &it->second;
}

template <class Workload>
void WorkloadStore<Workload>::EnqueueAll() {
  for (const auto& [name, w] : objects_) queue_.insert(name);
}

template <class Workload>
void WorkloadStore<Workload>::EnqueueAt(const std::string& owner, int64_t when_ms) {
  auto [it, inserted] = due_.emplace(owner, when_ms);
  if (!inserted) it->second = std::min(it->second, when_ms);
}

template <class Workload>
std::vector<std::string> WorkloadStore<Workload>::TakeDue(int64_t now_ms) {
  for (auto it = due_.begin(); it != due_.end();) {
    if (it->second <= now_ms) {
      queue_.insert(it->first);
      it = due_.erase(it);
    } else {
      ++it;
    }
  }
  std::vector<std::string> out(queue_.begin(), queue_.end());
  queue_.clear();
  return out;
}

template <class Workload>
bool WorkloadStore<Workload>::HasDue(int64_t now_ms) const {
  if (!queue_.empty()) return true;
  for (const auto& [name, when] : due_) {
    if (when <= now_ms) return true;
  }
  return false;
}

template class WorkloadStore<Deployment>;
template class WorkloadStore<DaemonSet>;
template class WorkloadStore<StatefulSet>;

}  // namespace drover::droverd
