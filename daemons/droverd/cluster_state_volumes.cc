// ClusterState's StatefulSet directories under the retention policy
// (Kubernetes' persistentVolumeClaimRetentionPolicy): each ordinal's
// directories are kept unless whenScaled (an ordinal >= replicas) or
// whenDeleted (the set deleted) says Delete. Then, once the ordinal has no
// live task and no copy that may still run on a cut-off node (the fence), the
// decision is recorded in the set's status (removingVolumes) and a node is
// asked to remove them: the node that holds NodeLocal ones (it waits for that
// node), any Ready node for Shared ones. The ordinal gets no new task until a
// node confirms, so scaling down and up again gives it fresh directories, not
// ones being removed. A deleted set stays, Terminating, until all are gone.
#include <algorithm>

#include "api/stateful_set_json.h"
#include "daemons/droverd/cluster_state.h"

namespace drover::droverd {
namespace {

// A removal not confirmed in this long is sent again: the node may have
// restarted after it took the instruction and before it answered.
constexpr int64_t kVolumeRemovalResendMs = 30'000;

std::string RemovalId(const StatefulSet& ss, int32_t ordinal) {
  return ss.metadata.name + "/" + ss.metadata.uid + "/" + std::to_string(ordinal);
}

}  // namespace

int64_t ClusterState::ReconcileOrdinalVolumes(const StatefulSet& ss,
                                              const std::vector<controllers::OrdinalTaskView>& live,
                                              int64_t now_ms, StatefulSetStatus* kept) {
  if (ss.spec.volume_templates.empty()) return 0;
  const std::string& name = ss.metadata.name;
  std::set<int32_t> live_ordinals;
  for (const controllers::OrdinalTaskView& t : live) {
    live_ordinals.insert(t.ordinal);
    kept->volume_ordinals.insert(t.ordinal);  // level-triggered: a task has made them
  }
  const bool deleting = ss.deletion_time_ms > 0;
  for (int32_t ordinal : kept->volume_ordinals) {
    const bool unwanted = deleting ? ss.spec.retention.when_deleted == VolumeRetention::kDelete
                                   : ordinal >= ss.spec.replicas &&
                                         ss.spec.retention.when_scaled == VolumeRetention::kDelete;
    auto fence = kept->fenced_until_ms.find(ordinal);
    const bool may_run = fence != kept->fenced_until_ms.end() && fence->second > now_ms;
    if (unwanted && !live_ordinals.count(ordinal) && !may_run) {
      kept->removing_volumes.insert(ordinal);
    }
  }
  int64_t look_again = 0;
  for (int32_t ordinal : kept->removing_volumes) {
    auto ready = [&](const std::string& node) {
      auto it = nodes_.find(node);
      return it != nodes_.end() && it->second.status.phase == NodePhase::kReady;
    };
    const SetOrdinal key{name, ordinal};
    auto sent = volume_removals_sent_.find(key);
    std::string node;
    auto pinned = kept->volume_nodes.find(ordinal);
    if (pinned != kept->volume_nodes.end()) {
      node = pinned->second;  // NodeLocal: only the node that holds them can
      if (!ready(node)) continue;
    } else if (sent != volume_removals_sent_.end() && ready(sent->second.node)) {
      node = sent->second.node;
    } else {
      // Shared: any Ready node sees the shared root; one the set may run on first.
      for (const auto& [n, info] : nodes_) {
        if (!ready(n)) continue;
        const bool matches = MatchesSelector(info.metadata.labels, ss.spec.node_selector);
        if (node.empty() || matches) node = n;
        if (matches) break;
      }
      if (node.empty()) continue;
    }
    if (sent != volume_removals_sent_.end() && sent->second.node == node &&
        now_ms < sent->second.sent_ms + kVolumeRemovalResendMs) {
      const int64_t at = sent->second.sent_ms + kVolumeRemovalResendMs;
      look_again = look_again == 0 ? at : std::min(look_again, at);
      continue;
    }
    channels_[node].AppendRemoveVolumes(
        Json{{"id", RemovalId(ss, ordinal)}, {"volumes", OrdinalVolumesJson(ss, ordinal)}},
        building_batch_);
    VolumeRemovalSent& record = volume_removals_sent_[key];
    record.node = node;
    record.sent_ms = now_ms;
    const int64_t at = now_ms + kVolumeRemovalResendMs;
    look_again = look_again == 0 ? at : std::min(look_again, at);
  }
  return look_again;
}

void ClusterState::ConfirmVolumeRemoval(const std::string& node, const std::string& id,
                                        const std::string& error) {
  const size_t a = id.find('/');
  const size_t b = a == std::string::npos ? a : id.find('/', a + 1);
  if (b == std::string::npos) return;
  const std::string name = id.substr(0, a);
  StatefulSet* ss = stateful_sets_.FindMutable(name);
  if (ss == nullptr || ss->metadata.uid != id.substr(a + 1, b - a - 1)) return;
  int32_t ordinal = -1;
  try {
    ordinal = std::stoi(id.substr(b + 1));
  } catch (const std::exception&) {
    return;
  }
  if (!ss->status.removing_volumes.count(ordinal)) return;  // an old answer
  auto pinned = ss->status.volume_nodes.find(ordinal);
  if (pinned != ss->status.volume_nodes.end() && pinned->second != node) return;
  const SetOrdinal key{name, ordinal};
  if (!error.empty()) {
    // Kept: sent again (kVolumeRemovalResendMs), the error shown meanwhile.
    volume_removals_sent_[key].error = error;
    return;
  }
  volume_removals_sent_.erase(key);
  ss->status.removing_volumes.erase(ordinal);
  ss->status.volume_ordinals.erase(ordinal);
  ss->status.volume_nodes.erase(ordinal);  // a new task of it may go anywhere
  TouchStatefulSet(*ss);
}

void ClusterState::ReconcileDeletingStatefulSet(StatefulSet& ss, int64_t now_ms) {
  const std::string name = ss.metadata.name;
  std::vector<controllers::OrdinalTaskView> live;
  for (const std::string& t : stateful_sets_.TasksOf(name)) {
    Task& task = tasks_.at(t);
    if (IsTerminal(task.status.phase)) continue;
    live.push_back({t, static_cast<int32_t>(task.spec.index), task.spec.revision, task.status.phase,
                    task.status.ready, task.status.ready_since_ms, terminating_.count(t) > 0});
    if (!terminating_.count(t)) KillTask(task, scheduler::PreemptMode::kOff, kCancelGraceMs);
  }
  StatefulSetStatus kept = ss.status;
  std::erase_if(kept.fenced_until_ms, [&](const auto& e) { return e.second <= now_ms; });
  const int64_t look_again = ReconcileOrdinalVolumes(ss, live, now_ms, &kept);
  if (live.empty() && kept.volume_ordinals.empty()) {
    EraseStatefulSet(name);
    return;
  }
  if (!(kept == ss.status)) {
    ss.status = std::move(kept);
    ss.metadata.resource_version = ++resource_version_;
    stateful_sets_.MarkDirty(name);
  }
  // A fenced ordinal's removal waits for its fence to pass.
  int64_t at = look_again;
  for (const auto& [ordinal, until] : ss.status.fenced_until_ms) {
    at = at == 0 ? until : std::min(at, until);
  }
  if (at > 0) stateful_sets_.EnqueueAt(name, at);
}

void ClusterState::ForgetVolumeRemovalsSentTo(const std::string& node) {
  for (auto it = volume_removals_sent_.begin(); it != volume_removals_sent_.end();) {
    if (it->second.node == node) {
      stateful_sets_.Enqueue(it->first.first);
      it = volume_removals_sent_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace drover::droverd
