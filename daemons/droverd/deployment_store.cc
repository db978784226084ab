#include "daemons/droverd/deployment_store.h"

#include <algorithm>

#include "api/deployment_json.h"
#include "daemons/droverd/stored_object.h"

namespace drover::droverd {
namespace {

constexpr char kDeploymentKind[] = "deployment";
constexpr char kRevisionKind[] = "revision";

const std::set<std::string> kNoTasks;

}  // namespace

Status DeploymentStore::Load(db::Store& store) {
  auto deployments = store.LoadAll(kDeploymentKind);
  if (!deployments.ok()) return deployments.status();
  for (const auto& obj : *deployments) {
    auto d = DecodeStored(obj, "deployment", [](const Json& j) { return DeploymentFromJson(j); });
    if (!d.ok()) return d.status();
    std::string name = d->metadata.name;
    template_hashes_[name] = TemplateHash(d->spec.template_);
    deployments_.emplace(name, std::move(*d));
    AssignWorkId(name);
    queue_.insert(name);
  }
  auto revisions = store.LoadAll(kRevisionKind);
  if (!revisions.ok()) return revisions.status();
  for (const auto& obj : *revisions) {
    auto r = DecodeStored(obj, "revision", [](const Json& j) { return RevisionFromJson(j); });
    if (!r.ok()) return r.status();
    std::string owner = r->owner_name, hash = r->hash;
    revisions_[owner].emplace(hash, std::move(*r));
  }
  return Status::Ok();
}

void DeploymentStore::TakeMutations(std::vector<db::Mutation>& out) {
  for (const std::string& name : deleted_)
    out.push_back(db::Mutation::Delete(kDeploymentKind, name));
  for (const std::string& name : deleted_revisions_) {
    out.push_back(db::Mutation::Delete(kRevisionKind, name));
  }
  for (const std::string& name : dirty_) {
    auto it = deployments_.find(name);
    if (it != deployments_.end()) {
      out.push_back(db::Mutation::Put(kDeploymentKind, name, ToJson(it->second).dump()));
    }
  }
  for (const std::string& name : dirty_revisions_) {
    // DEPLOYMENT-HASH: the hash is the last 10 characters.
    const std::string owner = name.substr(0, name.size() - 11);
    const std::string hash = name.substr(name.size() - 10);
    if (const Revision* r = FindRevision(owner, hash)) {
      out.push_back(db::Mutation::Put(kRevisionKind, name, ToJson(*r).dump()));
    }
  }
  deleted_.clear();
  deleted_revisions_.clear();
  dirty_.clear();
  dirty_revisions_.clear();
}

const Deployment* DeploymentStore::Find(const std::string& name) const {
  auto it = deployments_.find(name);
  return it == deployments_.end() ? nullptr : &it->second;
}

Deployment* DeploymentStore::FindMutable(const std::string& name) {
  auto it = deployments_.find(name);
  return it == deployments_.end() ? nullptr : &it->second;
}

Deployment& DeploymentStore::Put(Deployment d) {
  std::string name = d.metadata.name;
  deleted_.erase(name);
  dirty_.insert(name);
  queue_.insert(name);
  AssignWorkId(name);
  auto& slot = deployments_[name];
  slot = std::move(d);
  return slot;
}

void DeploymentStore::Erase(const std::string& name) {
  deployments_.erase(name);
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

const Revision& DeploymentStore::EnsureRevision(const Deployment& d, int64_t now_ms) {
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

const Revision* DeploymentStore::FindRevision(const std::string& deployment,
                                              const std::string& hash) const {
  auto revs = revisions_.find(deployment);
  if (revs == revisions_.end()) return nullptr;
  auto it = revs->second.find(hash);
  return it == revs->second.end() ? nullptr : &it->second;
}

const std::string& DeploymentStore::TemplateHashOf(const std::string& deployment) const {
  static const std::string kNone;
  auto it = template_hashes_.find(deployment);
  return it == template_hashes_.end() ? kNone : it->second;
}

const Revision* DeploymentStore::FindRevisionNumber(const std::string& deployment,
                                                    int64_t number) const {
  for (const Revision* r : RevisionsOf(deployment)) {
    if (r->number == number) return r;
  }
  return nullptr;
}

std::vector<const Revision*> DeploymentStore::RevisionsOf(const std::string& deployment) const {
  std::vector<const Revision*> out;
  auto revs = revisions_.find(deployment);
  if (revs == revisions_.end()) return out;
  for (const auto& [hash, r] : revs->second) out.push_back(&r);
  std::sort(out.begin(), out.end(),
            [](const Revision* a, const Revision* b) { return a->number < b->number; });
  return out;
}

void DeploymentStore::PruneRevisions(const std::string& deployment, size_t keep,
                                     const std::set<std::string>& in_use,
                                     const std::string& current) {
  std::vector<const Revision*> old;
  for (const Revision* r : RevisionsOf(deployment)) {
    if (r->hash != current && !in_use.count(r->hash)) old.push_back(r);
  }
  if (old.size() <= keep) return;
  auto& revs = revisions_[deployment];
  for (size_t i = 0; i + keep < old.size(); ++i) {
    const std::string name = old[i]->name, hash = old[i]->hash;
    dirty_revisions_.erase(name);
    deleted_revisions_.insert(name);
    revs.erase(hash);
  }
}

void DeploymentStore::AddTask(const std::string& deployment, const std::string& task) {
  tasks_[deployment].insert(task);
}

void DeploymentStore::RemoveTask(const std::string& deployment, const std::string& task) {
  auto it = tasks_.find(deployment);
  if (it == tasks_.end()) return;
  it->second.erase(task);
  if (it->second.empty()) tasks_.erase(it);
}

const std::set<std::string>& DeploymentStore::TasksOf(const std::string& deployment) const {
  auto it = tasks_.find(deployment);
  return it == tasks_.end() ? kNoTasks : it->second;
}

void DeploymentStore::AssignWorkId(const std::string& deployment) {
  if (work_ids_.count(deployment)) return;
  const uint64_t id = next_work_id_++;
  work_ids_.emplace(deployment, id);
  work_names_.emplace(id, deployment);
}

void DeploymentStore::RecordEnded(const std::string& deployment, const std::string& task) {
  ended_[deployment].push_back(task);
}

std::vector<std::string> DeploymentStore::TakeForgettable(const std::string& deployment,
                                                          size_t keep) {
  std::vector<std::string> out;
  auto it = ended_.find(deployment);
  if (it == ended_.end()) return out;
  while (it->second.size() > keep) {
    out.push_back(std::move(it->second.front()));
    it->second.pop_front();
  }
  if (it->second.empty()) ended_.erase(it);
  return out;
}

uint64_t DeploymentStore::WorkIdOf(const std::string& deployment) const {
  auto it = work_ids_.find(deployment);
  return it == work_ids_.end() ? 0 : it->second;
}

const std::string* DeploymentStore::DeploymentOfWork(uint64_t work_id) const {
  auto it = work_names_.find(work_id);
  return it == work_names_.end() ? nullptr : &it->second;
}

void DeploymentStore::EnqueueAt(const std::string& deployment, int64_t when_ms) {
  auto [it, inserted] = due_.emplace(deployment, when_ms);
  if (!inserted) it->second = std::min(it->second, when_ms);
}

std::vector<std::string> DeploymentStore::TakeDue(int64_t now_ms) {
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

bool DeploymentStore::HasDue(int64_t now_ms) const {
  if (!queue_.empty()) return true;
  for (const auto& [name, when] : due_) {
    if (when <= now_ms) return true;
  }
  return false;
}

}  // namespace drover::droverd
