#include "controllers/daemon_set_controller.h"

#include <algorithm>
#include <map>

namespace drover::controllers {
namespace {

bool Available(const DaemonTaskView& t, int32_t min_ready_seconds, int64_t now_ms) {
  if (t.terminating || t.phase != TaskPhase::kRunning || !t.ready) return false;
  return now_ms - t.ready_since_ms >= int64_t{min_ready_seconds} * 1000;
}

// What one node holds of the DaemonSet.
struct NodeTasks {
  std::vector<const DaemonTaskView*> updated, old;  // live: not terminating
  bool stopping = false;                            // a task of it is being stopped
};

}  // namespace

DaemonSetActions ReconcileDaemonSet(const DaemonSetView& view, int64_t now_ms) {
  const DaemonSet& ds = *view.daemon_set;
  const int32_t min_ready = ds.spec.min_ready_seconds;
  DaemonSetActions out;
  out.status = ds.status;

  std::map<std::string, NodeTasks> by_node;
  for (const DaemonTaskView& t : view.tasks) {
    NodeTasks& n = by_node[t.node];
    if (t.terminating) {
      n.stopping = true;
    } else {
      (t.revision == view.target_revision ? n.updated : n.old).push_back(&t);
    }
  }
  auto available = [&](const DaemonTaskView* t) { return Available(*t, min_ready, now_ms); };
  auto later = [&](const DaemonTaskView* t) {
    if (t->ready && t->phase == TaskPhase::kRunning && !available(t)) {
      const int64_t at = t->ready_since_ms + int64_t{min_ready} * 1000;
      if (out.requeue_at_ms == 0 || at < out.requeue_at_ms) out.requeue_at_ms = at;
    }
  };
  // Keeps the best one of `v` (available, then ready, then the oldest) and stops the rest.
  auto keep_one = [&](std::vector<const DaemonTaskView*>& v) {
    if (v.size() <= 1) return;
    std::stable_sort(v.begin(), v.end(), [&](const DaemonTaskView* a, const DaemonTaskView* b) {
      if (available(a) != available(b)) return available(a);
      if (a->ready != b->ready) return a->ready;
      return a->created_ms < b->created_ms;
    });
    for (size_t i = 1; i < v.size(); ++i) out.kill.push_back(v[i]->name);
    v.resize(1);
  };

  std::map<std::string, const DaemonNodeView*> nodes;
  for (const DaemonNodeView& n : view.nodes) nodes[n.name] = &n;
  DaemonSetStatus& st = out.status;
  st = DaemonSetStatus{};
  st.observed_generation = ds.generation;
  st.revision = view.target_revision_number;

  // Nodes that should not run it (no longer matching, or gone): their tasks stop.
  for (auto& [node, held] : by_node) {
    auto it = nodes.find(node);
    if (it != nodes.end() && it->second->eligible) continue;
    if (!held.updated.empty() || !held.old.empty()) ++st.number_misscheduled;
    for (const auto* t : held.updated) out.kill.push_back(t->name);
    for (const auto* t : held.old) out.kill.push_back(t->name);
  }

  const bool rolling = ds.spec.update_strategy.type == DaemonSetUpdateType::kRollingUpdate;
  int64_t desired = 0;
  for (const DaemonNodeView& n : view.nodes) desired += n.eligible;
  const auto [max_surge, max_unavailable] =
      ResolveDaemonFenceposts(ds.spec.update_strategy, desired);

  // First pass: per eligible node, duplicates go, and count what is unavailable.
  int64_t unavailable = 0, surging = 0;
  for (const DaemonNodeView& n : view.nodes) {
    if (!n.eligible) continue;
    NodeTasks& held = by_node[n.name];
    keep_one(held.updated);
    keep_one(held.old);
    const bool has_available = (!held.updated.empty() && available(held.updated[0])) ||
                               (!held.old.empty() && available(held.old[0]));
    if (!has_available) ++unavailable;
    if (!held.updated.empty() && !held.old.empty()) ++surging;
  }

  // Second pass: create where nothing runs, and roll old tasks to the template.
  for (const DaemonNodeView& n : view.nodes) {
    if (!n.eligible) continue;
    NodeTasks& held = by_node[n.name];
    const DaemonTaskView* updated = held.updated.empty() ? nullptr : held.updated[0];
    const DaemonTaskView* old = held.old.empty() ? nullptr : held.old[0];
    if (updated != nullptr) later(updated);
    if (old != nullptr) later(old);
    if (updated == nullptr && old == nullptr) {
      // One task per node, ever: a new one waits for the stopping one to go.
      if (n.ready && !held.stopping) out.create_on.push_back(n.name);
      continue;
    }
    if (old == nullptr || !rolling) continue;  // up to date, or OnDelete
    if (updated != nullptr) {
      // Surging on this node: the old one goes once the new one is available.
      if (available(updated)) out.kill.push_back(old->name);
      continue;
    }
    if (!available(old)) {
      // An old task that serves nothing costs nothing to replace.
      if (max_surge > 0 && n.ready) {
        out.create_on.push_back(n.name);
      }
      out.kill.push_back(old->name);
      continue;
    }
    if (max_surge > 0) {
      if (surging < max_surge && n.ready) {
        out.create_on.push_back(n.name);
        ++surging;
      }
    } else if (unavailable < max_unavailable) {
      out.kill.push_back(old->name);
      ++unavailable;
    }
  }

  for (const DaemonNodeView& n : view.nodes) {
    if (!n.eligible) continue;
    ++st.desired_number_scheduled;
    const NodeTasks& held = by_node[n.name];
    const DaemonTaskView* best = !held.updated.empty() ? held.updated[0]
                                 : !held.old.empty()   ? held.old[0]
                                                       : nullptr;
    if (best == nullptr) continue;
    ++st.current_number_scheduled;
    st.updated_number_scheduled += !held.updated.empty();
    const bool any_ready = std::any_of(held.updated.begin(), held.updated.end(),
                                       [](const DaemonTaskView* t) { return t->ready; }) ||
                           std::any_of(held.old.begin(), held.old.end(),
                                       [](const DaemonTaskView* t) { return t->ready; });
    st.number_ready += any_ready;
    const bool any_available = std::any_of(held.updated.begin(), held.updated.end(), available) ||
                               std::any_of(held.old.begin(), held.old.end(), available);
    st.number_available += any_available;
  }
  st.number_unavailable = st.desired_number_scheduled - st.number_available;
  return out;
}

}  // namespace drover::controllers
