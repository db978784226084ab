#include "scheduler/timeline.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace drover::scheduler {
namespace {

int64_t EndOf(int64_t start, int64_t duration) {
  return duration >= kNever - start ? kNever : start + duration;
}

}  // namespace

Timeline::Timeline(const NodePool& pool, const ClusterSnapshot& cluster, int64_t now_ms)
    : pool_(pool), now_(now_ms) {
  node_events_.resize(pool.node_count());
  is_reserved_.assign(pool.node_count(), 0);
  // Node names to indexes once; running tasks name their node.
  std::unordered_map<std::string_view, int32_t> index;  // built only when needed
  int32_t last = 0;
  for (const RunningTask& t : cluster.running) {
    if (t.expected_end_ms == 0 && !t.terminating) continue;  // never ends, as far as the plan knows
    int32_t n = -1;
    if (last < pool.node_count() && pool.name(last) == t.node) {
      n = last;  // tasks of one node tend to come together
    } else {
      if (index.empty()) {
        index.reserve(pool.node_count());
        for (int32_t k = 0; k < pool.node_count(); ++k) index.emplace(pool.name(k), k);
      }
      auto it = index.find(t.node);
      if (it != index.end()) n = it->second;
    }
    if (n < 0 || !pool.schedulable(n)) continue;
    last = n;
    // Kept as given, even when overdue: every event at or before now applies
    // at now, so an overdue end and an end at now plan alike, and RemoveRelease
    // finds the event by the task's own end.
    // A terminating task frees its resources as soon as it exits: now.
    node_events_[n].push_back({t.terminating ? now_ms : t.expected_end_ms,
                               static_cast<int64_t>(t.cores.size()), t.memory_bytes});
  }
  for (auto& events : node_events_) {
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& a, const Event& b) { return a.time < b.time; });
  }
}

void Timeline::Insert(int32_t n, Event e) {
  if (n < static_cast<int32_t>(cap_cache_.size())) cap_cache_[n].valid = false;
  std::vector<Event>& events = node_events_[n];
  auto at = std::upper_bound(events.begin(), events.end(), e.time,
                             [](int64_t t, const Event& x) { return t < x.time; });
  events.insert(at, e);
}

void Timeline::Erase(int32_t n, Event e) {
  if (n < static_cast<int32_t>(cap_cache_.size())) cap_cache_[n].valid = false;
  std::vector<Event>& events = node_events_[n];
  auto [lo, hi] = std::equal_range(events.begin(), events.end(), Event{e.time, 0, 0},
                                   [](const Event& a, const Event& b) { return a.time < b.time; });
  for (auto it = lo; it != hi; ++it) {
    if (it->cores == e.cores && it->memory == e.memory) {
      events.erase(it);
      return;
    }
  }
}

void Timeline::BeginPass(int64_t now_ms) {
  now_ = now_ms;
  for (const auto& [n, e] : reservation_events_) Erase(n, e);
  reservation_events_.clear();
  for (int32_t n : reserved_nodes_) is_reserved_[n] = 0;
  reserved_nodes_.clear();
}

void Timeline::AddStarted(int32_t n, int32_t cores, int64_t memory, int64_t end_ms) {
  if (end_ms == kNever) return;
  Insert(n, {end_ms, cores, memory});
}

void Timeline::Claim(int32_t n, int64_t cores, int64_t memory, int64_t at_ms) {
  if (cores == 0 && memory == 0) return;
  Insert(n, {at_ms, -cores, -memory});
}

void Timeline::RemoveRelease(int32_t n, int64_t cores, int64_t memory, int64_t end_ms) {
  if (end_ms == 0 || end_ms == kNever) return;
  Erase(n, {end_ms, cores, memory});
}

int64_t Timeline::Capacity(const NodePool& pool, int32_t n, const PendingJob& job,
                           int64_t free_cores, int64_t free_memory) {
  if (!pool.schedulable(n)) return 0;
  const int64_t cpus = std::max<int32_t>(1, job.cpus_per_task);
  const int64_t memory = std::max<int64_t>(0, job.memory_per_task);
  if (job.exclusive && free_cores < pool.total_cores(n)) return 0;
  int64_t k = free_cores / cpus;
  if (memory > 0) k = std::min(k, free_memory / memory);
  if (job.ntasks_per_node > 0) k = std::min<int64_t>(k, job.ntasks_per_node);
  return std::max<int64_t>(0, k);
}

std::optional<PlannedStart> Timeline::FindEarliest(const PendingJob& job, int64_t tasks,
                                                   int64_t duration_ms,
                                                   const std::vector<uint8_t>* allowed,
                                                   const TasksOnNode* already) const {
  // `nodes` = N spreads the tasks over exactly N nodes, ceil(tasks / N) each
  // at most (as PlaceTasks does): a node holds no more, and N nodes must do.
  const int64_t per_node = job.nodes > 0 ? (tasks + job.nodes - 1) / job.nodes : kNever;
  // The job's own tasks already on a node count against ntasks_per_node.
  auto cap_of = [&](int32_t n, int64_t free_cores, int64_t free_memory) {
    int64_t k = std::min(per_node, Capacity(pool_, n, job, free_cores, free_memory));
    if (already != nullptr && job.ntasks_per_node > 0) {
      auto it = already->find(n);
      if (it != already->end())
        k = std::max<int64_t>(0, std::min(k, job.ntasks_per_node - it->second));
    }
    return k;
  };
  std::vector<GlobalEvent>& events = events_;
  events.clear();
  for (int32_t n = 0; n < pool_.node_count(); ++n) {
    if (allowed != nullptr && !(*allowed)[n]) continue;
    for (const Event& e : node_events_[n]) events.push_back({e.time, n, e.cores, e.memory});
  }
  auto by_time = [](const GlobalEvent& a, const GlobalEvent& b) { return a.time < b.time; };
  // One node's events are sorted already (a single-node machine: always).
  if (!std::is_sorted(events.begin(), events.end(), by_time)) {
    std::stable_sort(events.begin(), events.end(), by_time);
  }

  const int32_t nodes = pool_.node_count();
  std::vector<int64_t>& cores = cores_;  // state at the candidate time
  std::vector<int64_t>& memory = memory_;
  cores.resize(nodes);
  memory.resize(nodes);
  int64_t capacity = 0;  // sum of Capacity over nodes
  for (int32_t n = 0; n < nodes; ++n) {
    cores[n] = pool_.free_cores(n);
    memory[n] = pool_.free_memory(n);
    if (allowed == nullptr || (*allowed)[n]) {
      capacity += cap_of(n, cores[n], memory[n]);
    }
  }
  auto apply = [&](std::vector<int64_t>& c, std::vector<int64_t>& m, int64_t& cap,
                   const GlobalEvent& e) {
    cap -= cap_of(e.node, c[e.node], m[e.node]);
    c[e.node] += e.cores;
    m[e.node] += e.memory;
    cap += cap_of(e.node, c[e.node], m[e.node]);
  };

  size_t next = 0;  // first event not yet applied to the candidate state
  int64_t start = now_;
  // Scratch for the window check: min over the window and the running state,
  // restored through an undo log after each candidate.
  std::vector<int64_t>& win_cores = win_cores_;
  std::vector<int64_t>& win_memory = win_memory_;
  std::vector<int64_t>& run_cores = run_cores_;
  std::vector<int64_t>& run_memory = run_memory_;
  win_cores = cores;
  win_memory = memory;
  run_cores = cores;
  run_memory = memory;
  std::vector<Undo>& undo = undo_;
  while (true) {
    while (next < events.size() && events[next].time <= start) {
      apply(cores, memory, capacity, events[next]);
      const int32_t n = events[next].node;
      win_cores[n] = run_cores[n] = cores[n];
      win_memory[n] = run_memory[n] = memory[n];
      ++next;
    }
    if (capacity >= tasks) {
      // The window [start, end): the least each node has free over it.
      const int64_t end = EndOf(start, duration_ms);
      int64_t win_capacity = capacity;
      int64_t fail_time = -1;
      undo.clear();
      // Events of one timestamp apply together before the minimum is taken:
      // a release and a reservation start at the same instant do not overlap.
      size_t i = next;
      while (i < events.size() && events[i].time < end && fail_time < 0) {
        const int64_t t = events[i].time;
        const size_t group = i;
        for (; i < events.size() && events[i].time == t; ++i) {
          const GlobalEvent& e = events[i];
          undo.push_back({e.node, win_cores[e.node], win_memory[e.node], run_cores[e.node],
                          run_memory[e.node]});
          run_cores[e.node] += e.cores;
          run_memory[e.node] += e.memory;
        }
        for (size_t g = group; g < i; ++g) {
          const int32_t n = events[g].node;
          const int64_t wc = std::min(win_cores[n], run_cores[n]);
          const int64_t wm = std::min(win_memory[n], run_memory[n]);
          win_capacity -= cap_of(n, win_cores[n], win_memory[n]);
          win_cores[n] = wc;
          win_memory[n] = wm;
          win_capacity += cap_of(n, wc, wm);
        }
        if (win_capacity < tasks) fail_time = t;
      }
      if (fail_time < 0) {
        PlannedStart plan;
        plan.start_ms = start;
        // Prefer nodes that are busy now and free by `start`: the ones free now
        // stay available to backfill (the textbook "extra" processors).
        std::vector<int32_t> order;
        for (int32_t n = 0; n < nodes; ++n) {
          if ((allowed == nullptr || (*allowed)[n]) && cap_of(n, win_cores[n], win_memory[n]) > 0) {
            order.push_back(n);
          }
        }
        auto busy_now_first = [&](int32_t a, int32_t b) {
          return win_cores[a] - pool_.free_cores(a) > win_cores[b] - pool_.free_cores(b);
        };
        bool fits = true;
        if (job.nodes > 0) {
          // Exactly N nodes: the roomiest N must hold every task.
          std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
            const int64_t ka = cap_of(a, win_cores[a], win_memory[a]);
            const int64_t kb = cap_of(b, win_cores[b], win_memory[b]);
            return ka != kb ? ka > kb : busy_now_first(a, b);
          });
          if (static_cast<int64_t>(order.size()) > job.nodes) order.resize(job.nodes);
          int64_t room = 0;
          for (int32_t n : order) room += cap_of(n, win_cores[n], win_memory[n]);
          fits = room >= tasks;
        } else {
          std::stable_sort(order.begin(), order.end(), busy_now_first);
        }
        if (fits) {
          int64_t left = tasks;
          for (int32_t n : order) {
            if (left == 0) break;
            const int64_t k = std::min(left, cap_of(n, win_cores[n], win_memory[n]));
            plan.tasks_on_node.emplace_back(n, k);
            left -= k;
          }
          return plan;
        }
      }
      for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
        win_cores[it->node] = it->wc;
        win_memory[it->node] = it->wm;
        run_cores[it->node] = it->rc;
        run_memory[it->node] = it->rm;
      }
      if (fail_time >= 0) {
        // With one node (and usually), the state at fail_time itself lacks room,
        // so any start up to fail_time fails too: jump past it.
        start = fail_time;
        if (next < events.size() && events[next].time <= start) continue;
      }
    }
    if (next >= events.size()) return std::nullopt;
    start = std::max(start, events[next].time);
    if (start == kNever) return std::nullopt;
  }
}

void Timeline::Reserve(const PendingJob& job, const PlannedStart& plan, int64_t duration_ms,
                       Decision& decision) {
  const int64_t end = EndOf(plan.start_ms, duration_ms);
  const int64_t cpus = std::max<int32_t>(1, job.cpus_per_task);
  const int64_t memory = std::max<int64_t>(0, job.memory_per_task);
  for (const auto& [n, k] : plan.tasks_on_node) {
    int64_t cores = k * cpus;
    int64_t mem = k * memory;
    if (job.exclusive) {
      cores = pool_.total_cores(n);
      mem = std::max(mem, pool_.free_memory(n));
    }
    Insert(n, {plan.start_ms, -cores, -mem});
    reservation_events_.push_back({n, {plan.start_ms, -cores, -mem}});
    if (end != kNever) {
      Insert(n, {end, cores, mem});
      reservation_events_.push_back({n, {end, cores, mem}});
    }
    if (!is_reserved_[n]) {
      is_reserved_[n] = 1;
      reserved_nodes_.push_back(n);
    }
    Reservation r;
    r.job_id = job.job_id;
    r.node = pool_.name(n);
    r.tasks = k;
    r.cores = static_cast<int32_t>(cores);
    r.memory_bytes = mem;
    r.start_ms = plan.start_ms;
    r.end_ms = end;
    decision.reservations.push_back(std::move(r));
  }
}

void Timeline::CapsForNow(int64_t duration_ms, NodeCaps& caps) const {
  const int64_t end = EndOf(now_, duration_ms);
  if (cap_cache_.size() != node_events_.size()) cap_cache_.resize(node_events_.size());
  for (int32_t n : reserved_nodes_) {
    CapCache& cache = cap_cache_[n];
    const int64_t free_cores = pool_.free_cores(n);
    const int64_t free_memory = pool_.free_memory(n);
    if (!cache.valid || cache.free_cores != free_cores || cache.free_memory != free_memory) {
      cache.valid = true;
      cache.free_cores = free_cores;
      cache.free_memory = free_memory;
      cache.steps.clear();
      int64_t c = free_cores, m = free_memory;
      int64_t wc = c, wm = m;
      const std::vector<Event>& events = node_events_[n];
      for (size_t i = 0; i < events.size();) {
        // One timestamp at a time (see FindEarliest).
        const int64_t t = events[i].time;
        for (; i < events.size() && events[i].time == t; ++i) {
          c += events[i].cores;
          m += events[i].memory;
        }
        wc = std::min(wc, c);
        wm = std::min(wm, m);
        cache.steps.push_back({t, wc, wm});
      }
    }
    // The last step before `end`; none = the free resources now.
    auto it = std::lower_bound(cache.steps.begin(), cache.steps.end(), end,
                               [](const CapStep& s, int64_t t) { return s.time < t; });
    const int64_t wc = it == cache.steps.begin() ? free_cores : std::prev(it)->cores;
    const int64_t wm = it == cache.steps.begin() ? free_memory : std::prev(it)->memory;
    caps.cores[n] = static_cast<int32_t>(std::max<int64_t>(0, wc));
    caps.memory[n] = std::max<int64_t>(0, wm);
  }
}

}  // namespace drover::scheduler
