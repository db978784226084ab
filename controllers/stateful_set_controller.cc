#include "controllers/stateful_set_controller.h"

#include <algorithm>
#include <map>

namespace drover::controllers {
namespace {

struct Ordinal {
  const OrdinalTaskView* live = nullptr;  // not terminating
  bool stopping = false;                  // a task of it is being stopped
};

}  // namespace

StatefulSetActions ReconcileStatefulSet(const StatefulSetView& view, int64_t now_ms) {
  const StatefulSet& ss = *view.stateful_set;
  const StatefulSetSpec& spec = ss.spec;
  const int32_t replicas = spec.replicas;
  const std::string& update = view.update_revision;
  const std::string& current =
      view.current_revision.empty() ? view.update_revision : view.current_revision;
  const bool ordered = spec.pod_management_policy == PodManagementPolicy::kOrderedReady;
  StatefulSetActions out;

  auto available = [&](const OrdinalTaskView* t) {
    if (t == nullptr || t->terminating || t->phase != TaskPhase::kRunning || !t->ready) {
      return false;
    }
    const int64_t at = t->ready_since_ms + int64_t{spec.min_ready_seconds} * 1000;
    if (now_ms < at && (out.requeue_at_ms == 0 || at < out.requeue_at_ms)) out.requeue_at_ms = at;
    return now_ms >= at;
  };
  auto healthy = [](const OrdinalTaskView* t) {
    return t != nullptr && t->phase == TaskPhase::kRunning && t->ready;
  };

  std::map<int32_t, Ordinal> ordinals;
  for (const OrdinalTaskView& t : view.tasks) {
    Ordinal& o = ordinals[t.ordinal];
    if (t.terminating) {
      o.stopping = true;
    } else if (o.live != nullptr) {
      // Never two: the newer (or the less ready) one goes.
      const bool keep_new = healthy(&t) && !healthy(o.live);
      out.kill.push_back(keep_new ? o.live->name : t.name);
      if (keep_new) o.live = &t;
    } else {
      o.live = &t;
    }
  }
  const int32_t partition = spec.update_strategy.type == StatefulSetUpdateType::kRollingUpdate
                                ? std::clamp(spec.update_strategy.partition, 0, replicas)
                                : 0;
  auto revision_for = [&](int32_t ordinal) {
    const bool rolling = spec.update_strategy.type == StatefulSetUpdateType::kRollingUpdate;
    return rolling && ordinal < partition ? current : update;
  };

  // Create what is missing, in order (OrderedReady stops at the first gap or
  // the first ordinal not Running and Ready).
  bool blocked = false;
  for (int32_t i = 0; i < replicas; ++i) {
    const Ordinal& o = ordinals[i];
    if (o.live == nullptr) {
      if (!blocked && !o.stopping) out.create.push_back({i, revision_for(i)});
      if (ordered) blocked = true;
      continue;
    }
    if (ordered && !healthy(o.live)) blocked = true;
  }

  // Remove ordinals beyond replicas, from the highest; OrderedReady one at a
  // time and only while every ordinal below is Running and Ready.
  bool all_healthy = true;
  for (int32_t i = 0; i < replicas; ++i) all_healthy &= healthy(ordinals[i].live);
  for (auto it = ordinals.rbegin(); it != ordinals.rend(); ++it) {
    if (it->first < replicas) break;
    if (it->second.live == nullptr) {
      if (ordered && it->second.stopping) break;  // the one above is still going
      continue;
    }
    if (ordered && !all_healthy) break;
    out.kill.push_back(it->second.live->name);
    if (ordered) break;
  }

  // Roll from the highest ordinal down to the partition, within maxUnavailable.
  const bool scaling =
      !out.create.empty() || std::any_of(ordinals.begin(), ordinals.end(), [&](const auto& e) {
        return e.first >= replicas && e.second.live != nullptr;
      });
  if (spec.update_strategy.type == StatefulSetUpdateType::kRollingUpdate && !scaling) {
    const int64_t max_unavailable =
        std::max<int64_t>(1, spec.update_strategy.max_unavailable.Resolve(replicas, false));
    int64_t unavailable = 0;
    for (int32_t i = 0; i < replicas; ++i) unavailable += !available(ordinals[i].live);
    for (int32_t i = replicas - 1; i >= partition; --i) {
      const OrdinalTaskView* t = ordinals[i].live;
      if (t == nullptr || t->revision == update) continue;
      if (!available(t)) {
        out.kill.push_back(t->name);  // serves nothing: replacing it costs nothing
        continue;
      }
      if (unavailable >= max_unavailable) break;
      out.kill.push_back(t->name);
      ++unavailable;
    }
  }

  StatefulSetStatus& st = out.status;
  st.observed_generation = ss.generation;
  st.update_revision = update;
  for (const auto& [i, o] : ordinals) {
    if (o.live == nullptr) continue;
    ++st.replicas;
    st.ready_replicas += healthy(o.live);
    st.available_replicas += available(o.live);
    st.current_replicas += o.live->revision == current;
    st.updated_replicas += o.live->revision == update;
  }
  // Once every ordinal runs the update revision, it is the current one.
  st.current_revision =
      st.updated_replicas == replicas && st.replicas == replicas ? update : current;
  return out;
}

}  // namespace drover::controllers
