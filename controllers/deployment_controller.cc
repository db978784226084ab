#include "controllers/deployment_controller.h"

#include <algorithm>

namespace drover::controllers {
namespace {

// Which replicas go first when some must: not available before available,
// then the newest (the least proven), as Kubernetes' ActivePods ranking.
void SortForKilling(std::vector<const ReplicaView*>& v, int32_t min_ready, int64_t now_ms) {
  std::stable_sort(v.begin(), v.end(), [&](const ReplicaView* a, const ReplicaView* b) {
    const bool aa = IsAvailable(*a, min_ready, now_ms);
    const bool ba = IsAvailable(*b, min_ready, now_ms);
    if (aa != ba) return !aa;
    if (a->phase != b->phase) return a->phase == TaskPhase::kAssigned;
    return a->created_ms > b->created_ms;
  });
}

void SetCondition(std::vector<Condition>& conditions, Condition c, int64_t now_ms) {
  c.last_update_ms = now_ms;
  for (Condition& old : conditions) {
    if (old.type != c.type) continue;
    c.last_transition_ms = old.status == c.status ? old.last_transition_ms : now_ms;
    // Same state, same words: keep the old update time (nothing changed).
    if (old.status == c.status && old.reason == c.reason && old.message == c.message) {
      c.last_update_ms = old.last_update_ms;
    }
    old = std::move(c);
    return;
  }
  c.last_transition_ms = now_ms;
  conditions.push_back(std::move(c));
}

void RemoveCondition(std::vector<Condition>& conditions, const std::string& type) {
  std::erase_if(conditions, [&](const Condition& c) { return c.type == type; });
}

void Later(int64_t& at, int64_t when) {
  if (when > 0 && (at == 0 || when < at)) at = when;
}

}  // namespace

bool IsAvailable(const ReplicaView& r, int32_t min_ready_seconds, int64_t now_ms) {
  if (r.terminating || r.phase != TaskPhase::kRunning || !r.ready) return false;
  return now_ms - r.ready_since_ms >= int64_t{min_ready_seconds} * 1000;
}

DeploymentActions ReconcileDeployment(const DeploymentView& view, int64_t now_ms) {
  const Deployment& d = *view.deployment;
  const DeploymentSpec& spec = d.spec;
  DeploymentActions out;
  out.status = d.status;
  const int64_t replicas = spec.replicas;
  const int32_t min_ready = spec.min_ready_seconds;

  std::vector<const ReplicaView*> new_live, old_live;
  int64_t old_terminating = 0, ready = 0, available = 0, new_available = 0;
  int64_t other_revisions = 0;  // replicas (live or stopping) of older templates
  int64_t evicted_current = 0;  // evicted replicas that run the target template
  for (const ReplicaView& r : view.replicas) {
    // An evicted replica is replaced as an old one is in a rollout.
    const bool is_new = r.revision == view.target_revision && !r.evicted;
    other_revisions += r.revision != view.target_revision;
    evicted_current += r.evicted && !r.terminating && r.revision == view.target_revision;
    if (r.terminating) {
      old_terminating += is_new ? 0 : 1;
      continue;
    }
    (is_new ? new_live : old_live).push_back(&r);
    if (r.ready && r.phase == TaskPhase::kRunning) ++ready;
    if (IsAvailable(r, min_ready, now_ms)) {
      ++available;
      new_available += is_new ? 1 : 0;
    } else if (r.ready && r.phase == TaskPhase::kRunning) {
      Later(out.requeue_at_ms, r.ready_since_ms + int64_t{min_ready} * 1000);
    }
  }
  const int64_t new_count = static_cast<int64_t>(new_live.size());
  const int64_t old_count = static_cast<int64_t>(old_live.size());
  const int64_t total = new_count + old_count;
  // Ten minutes past the last back-off without a crash: the count starts over.
  if (out.status.crash_count > 0 && now_ms >= out.status.next_restart_ms + kCrashResetAfterMs) {
    out.status.crash_count = 0;
    out.status.next_restart_ms = 0;
  }
  // Replacements of crashed replicas that must still wait, and when the first may go.
  std::vector<int64_t>& due = out.status.restarts_due_ms;
  std::sort(due.begin(), due.end());
  // No more waiting replacements than replicas missing (after a scale-down,
  // say); those that wait longest are kept.
  const int64_t missing = std::max<int64_t>(0, replicas - total);
  if (static_cast<int64_t>(due.size()) > missing) due.erase(due.begin(), due.end() - missing);
  int64_t waiting = 0;
  for (int64_t t : due) {
    if (t > now_ms) {
      ++waiting;
      Later(out.requeue_at_ms, t);
    }
  }
  const bool backing_off = waiting > 0;

  auto kill_some = [&](std::vector<const ReplicaView*> from, int64_t n) {
    SortForKilling(from, min_ready, now_ms);
    for (int64_t i = 0; i < n && i < static_cast<int64_t>(from.size()); ++i) {
      out.kill.push_back(from[i]->name);
    }
  };

  int64_t create = 0;
  if (old_count == 0 && old_terminating == 0) {
    // Steady state (or a rollout's last step): exactly `replicas` new ones.
    if (new_count < replicas) create = replicas - new_count;
    if (new_count > replicas) kill_some(new_live, new_count - replicas);
  } else if (spec.strategy.type == DeploymentStrategyType::kRecreate && other_revisions > 0) {
    // Every old replica is gone, not just asked to go, before a new one starts.
    for (const ReplicaView* r : old_live) out.kill.push_back(r->name);
    if (new_count > replicas) kill_some(new_live, new_count - replicas);
  } else {
    const auto [surge, unavailable] = ResolveFenceposts(spec.strategy, replicas);
    // Scale the new revision up within the surge.
    const int64_t max_total = replicas + surge;
    if (new_count < replicas && total < max_total) {
      create = std::min(max_total - total, replicas - new_count);
    }
    if (new_count > replicas) kill_some(new_live, new_count - replicas);
    // Scale old revisions down while keeping replicas - maxUnavailable available.
    const int64_t min_available = replicas - unavailable;
    const int64_t new_unavailable = new_count - new_available;
    int64_t max_scaled_down = total + create - min_available - new_unavailable;
    if (max_scaled_down > 0) {
      // Old replicas that are not available cost nothing to stop: first those.
      std::vector<const ReplicaView*> unhealthy, healthy;
      for (const ReplicaView* r : old_live) {
        (IsAvailable(*r, min_ready, now_ms) ? healthy : unhealthy).push_back(r);
      }
      const int64_t cleaned =
          std::min<int64_t>(max_scaled_down, static_cast<int64_t>(unhealthy.size()));
      kill_some(unhealthy, cleaned);
      // Then available ones, as far as the available count allows.
      const int64_t can_go = std::min(max_scaled_down - cleaned, available - min_available);
      if (can_go > 0) kill_some(healthy, can_go);
    }
  }
  // Only the replacements of crashed replicas wait out their back-off.
  create = std::max<int64_t>(0, create - waiting);
  // The replacements asked for now take the due entries, oldest first.
  const int64_t ready_to_go = static_cast<int64_t>(due.size()) - waiting;  // sorted: first
  due.erase(due.begin(), due.begin() + std::min(create, ready_to_go));
  out.create = static_cast<int32_t>(create);

  DeploymentStatus& st = out.status;
  const DeploymentStatus& before = d.status;
  st.observed_generation = d.generation;
  st.replicas = static_cast<int32_t>(total);
  st.updated_replicas = static_cast<int32_t>(new_count + evicted_current);
  st.ready_replicas = static_cast<int32_t>(ready);
  st.available_replicas = static_cast<int32_t>(available);
  st.unavailable_replicas = static_cast<int32_t>(std::max<int64_t>(0, replicas - available));
  const bool new_rollout = st.revision != view.target_revision_number;
  st.revision = view.target_revision_number;

  const int64_t min_available = spec.strategy.type == DeploymentStrategyType::kRecreate
                                    ? replicas
                                    : replicas - ResolveFenceposts(spec.strategy, replicas).second;
  SetCondition(st.conditions,
               available >= min_available
                   ? Condition{"Available", "True", "MinimumReplicasAvailable",
                               "Deployment has minimum availability.", 0, 0}
                   : Condition{"Available", "False", "MinimumReplicasUnavailable",
                               "Deployment does not have minimum availability.", 0, 0},
               now_ms);

  const bool complete =
      new_count == replicas && new_available == replicas && old_count == 0 && old_terminating == 0;
  if (complete) st.complete_revision = view.target_revision;
  // Kubernetes' rules: a rollout that completed is not timed out again until
  // the next one (losing a replica later is not a stalled rollout), and a
  // resumed one starts its deadline anew.
  std::string before_reason;
  for (const Condition& c : before.conditions) {
    if (c.type == "Progressing") before_reason = c.reason;
  }
  const bool was_complete = before_reason == "NewReplicaSetAvailable" && !new_rollout;
  const bool resumed = before_reason == "DeploymentPaused" && !spec.paused;
  const bool progressed =
      new_rollout || resumed || st.updated_replicas > before.updated_replicas ||
      (new_available > 0 && st.available_replicas > before.available_replicas) ||
      old_count < before.replicas - before.updated_replicas;
  if (progressed || st.progress_started_ms == 0) st.progress_started_ms = now_ms;
  const int64_t deadline = st.progress_started_ms + int64_t{spec.progress_deadline_seconds} * 1000;
  if (spec.paused) {
    SetCondition(st.conditions,
                 {"Progressing", "Unknown", "DeploymentPaused", "Deployment is paused.", 0, 0},
                 now_ms);
  } else if (complete || was_complete) {
    // (was_complete: a replica lost since; the condition stays as it was.)
    SetCondition(st.conditions,
                 {"Progressing", "True", "NewReplicaSetAvailable",
                  "Deployment \"" + d.metadata.name + "\" has successfully progressed.", 0, 0},
                 now_ms);
  } else if (now_ms >= deadline) {
    SetCondition(st.conditions,
                 {"Progressing", "False", "ProgressDeadlineExceeded",
                  "revision " + std::to_string(st.revision) + " has made no progress for " +
                      std::to_string(spec.progress_deadline_seconds) + " s",
                  0, 0},
                 now_ms);
    out.roll_back = spec.auto_rollback && !st.complete_revision.empty() &&
                    st.complete_revision != view.target_revision;
  } else {
    SetCondition(st.conditions,
                 {"Progressing", "True", "ReplicaSetUpdated",
                  "revision " + std::to_string(st.revision) + " is progressing.", 0, 0},
                 now_ms);
    Later(out.requeue_at_ms, deadline);
  }
  if (backing_off) {
    SetCondition(st.conditions,
                 {"ReplicaFailure", "True", "CrashLoopBackOff",
                  "replicas keep ending (" + std::to_string(st.crash_count) +
                      " in a row); next start after the back-off",
                  0, 0},
                 now_ms);
  } else {
    RemoveCondition(st.conditions, "ReplicaFailure");
  }
  return out;
}

int64_t RestartBackoffMs(int64_t base_ms, int32_t crashes) {
  int64_t delay = base_ms;
  for (int32_t i = 1; i < crashes && delay < kMaxRestartBackoffMs; ++i) delay *= 2;
  return std::min(delay, kMaxRestartBackoffMs);
}

void CrashBackoff::RecordEnd(const Task& task, bool stopped, int64_t base_ms, int64_t now_ms) {
  if (stopped || task.status.phase == TaskPhase::kLost ||
      task.status.phase == TaskPhase::kCancelled) {
    return;
  }
  const int64_t ran =
      task.status.start_time_ms > 0 ? task.status.finish_time_ms - task.status.start_time_ms : 0;
  if (ran >= kCrashResetAfterMs) {
    *this = CrashBackoff{};
    return;
  }
  crashes = std::min(crashes + 1, 30);
  not_before_ms = now_ms + RestartBackoffMs(base_ms, crashes);
}

void RecordReplicaEnd(DeploymentStatus& status, const DeploymentSpec& spec, const Task& task,
                      bool stopped, int64_t now_ms) {
  if (stopped || task.status.phase == TaskPhase::kLost ||
      task.status.phase == TaskPhase::kCancelled) {
    return;
  }
  ++status.restart_count;
  const int64_t ran =
      task.status.start_time_ms > 0 ? task.status.finish_time_ms - task.status.start_time_ms : 0;
  if (ran >= kCrashResetAfterMs) {
    status.crash_count = 0;
    status.next_restart_ms = 0;
    return;
  }
  status.crash_count = std::min(status.crash_count + 1, 30);
  status.next_restart_ms =
      now_ms + RestartBackoffMs(int64_t{spec.restart_backoff_seconds} * 1000, status.crash_count);
  status.restarts_due_ms.push_back(status.next_restart_ms);
}

}  // namespace drover::controllers
