#include "scheduler/preemption.h"

#include <algorithm>
#include <limits>
#include <tuple>

namespace drover::scheduler {

namespace {

void AddNuma(std::vector<int64_t>& sum, const std::vector<int64_t>& more) {
  if (more.empty()) return;
  if (sum.size() < more.size()) sum.resize(more.size(), 0);
  for (size_t m = 0; m < more.size(); ++m) sum[m] += more[m];
}

}  // namespace

bool PreemptionEnabled(const SchedulerConfig& config) {
  return std::any_of(config.queues.begin(), config.queues.end(),
                     [](const QueueLimits& q) { return q.preempt != PreemptMode::kOff; });
}

Preemptor::Preemptor(NodePool& pool, Timeline& timeline, const std::vector<RunningTask>& running,
                     const SchedulerConfig& config, int64_t now_ms)
    : pool_(pool), timeline_(timeline), running_(running), now_(now_ms) {
  std::unordered_map<std::string_view, int32_t> node_index;
  for (int32_t n = 0; n < pool.node_count(); ++n) node_index.emplace(pool.name(n), n);
  std::unordered_map<std::string_view, PreemptMode> modes;
  for (const QueueLimits& q : config.queues) modes.emplace(q.name, q.preempt);

  task_node_.assign(running.size(), -1);
  std::unordered_map<uint64_t, size_t> gang_unit;  // job id -> index in units_
  std::vector<uint8_t> excluded;                   // per unit: a task may not be preempted
  for (size_t i = 0; i < running.size(); ++i) {
    const RunningTask& t = running[i];
    auto node = node_index.find(t.node);
    if (node != node_index.end()) task_node_[i] = node->second;
    const int32_t n = task_node_[i];
    if (t.terminating) {
      // Dying already: free in the plan from now; any job may count on it.
      if (n < 0 || !pool.schedulable(n)) continue;
      Dying& d = dying_[n];
      for (int32_t c : t.cores) {
        if (c >= 0 && c < pool.total_cores(n) && !pool.core_free(n, c)) d.cores.push_back(c);
      }
      d.memory += t.memory_bytes;
      AddNuma(d.numa_memory, t.numa_memory_bytes);
      continue;
    }
    auto mode = modes.find(t.queue);
    const PreemptMode m = mode == modes.end() ? PreemptMode::kOff : mode->second;
    size_t u;
    if (t.gang) {
      auto [it, inserted] = gang_unit.emplace(t.job_id, units_.size());
      u = it->second;
      if (inserted) {
        units_.emplace_back();
        excluded.push_back(0);
      }
    } else {
      u = units_.size();
      units_.emplace_back();
      excluded.push_back(0);
    }
    Unit& unit = units_[u];
    if (unit.tasks.empty()) {
      unit.priority = t.priority;
      unit.mode = m;
      unit.job_id = t.job_id;
      unit.start = t.start_ms;
    }
    unit.tasks.push_back(i);
    unit.priority = std::min(unit.priority, t.priority);
    unit.start = std::max(unit.start, t.start_ms);
    unit.lost += static_cast<int64_t>(t.cores.size()) * std::max<int64_t>(0, now_ms - t.start_ms);
    if (!t.preemptible || m == PreemptMode::kOff) excluded[u] = 1;
  }
  std::vector<Unit> kept;
  for (size_t u = 0; u < units_.size(); ++u) {
    if (!excluded[u]) kept.push_back(std::move(units_[u]));
  }
  // Cheapest first: lowest priority, least work lost, latest start; then ids.
  std::sort(kept.begin(), kept.end(), [](const Unit& a, const Unit& b) {
    return std::make_tuple(a.priority, a.lost, -a.start, a.job_id, a.tasks.front()) <
           std::make_tuple(b.priority, b.lost, -b.start, b.job_id, b.tasks.front());
  });
  units_ = std::move(kept);
  given_.resize(units_.size());
}

bool Preemptor::Cost::Below(const Cost& other) const {
  return std::make_tuple(top_priority, priority_sum, tasks, lost, -top_start) <
         std::make_tuple(other.top_priority, other.priority_sum, other.tasks, other.lost,
                         -other.top_start);
}

Preemptor::Cost Preemptor::CostOf(const std::vector<size_t>& victims) const {
  Cost cost;
  for (size_t k = 0; k < victims.size(); ++k) {
    const Unit& unit = units_[victims[k]];
    const int64_t tasks = static_cast<int64_t>(unit.tasks.size());
    // Shifted to be non-negative (as kube-scheduler does), so that adding a
    // victim of negative priority never makes a set look cheaper.
    cost.priority_sum +=
        tasks * (int64_t{unit.priority} - int64_t{std::numeric_limits<int32_t>::min()});
    cost.tasks += tasks;
    cost.lost += unit.lost;
    if (k == 0 || unit.priority > cost.top_priority) {
      cost.top_priority = unit.priority;
      cost.top_start = unit.start;
    } else if (unit.priority == cost.top_priority) {
      cost.top_start = std::min(cost.top_start, unit.start);
    }
  }
  return cost;
}

void Preemptor::GiveUnit(const Unit& unit, std::vector<Given>& given) {
  for (size_t i : unit.tasks) {
    const int32_t n = task_node_[i];
    if (n < 0 || !pool_.schedulable(n)) continue;  // nothing of it is in the pool
    const RunningTask& t = running_[i];
    Given g{n, {}, t.memory_bytes, t.numa_memory_bytes};
    for (int32_t c : t.cores) {
      if (c >= 0 && c < pool_.total_cores(n) && !pool_.core_free(n, c)) g.cores.push_back(c);
    }
    pool_.Give(n, g.cores, g.memory, &g.numa_memory);
    given.push_back(std::move(g));
  }
}

void Preemptor::TakeBack(const std::vector<Given>& given) {
  for (const Given& g : given) pool_.Take(g.node, g.cores, g.memory, &g.numa_memory);
}

void Preemptor::TakeBackUnit(size_t u) {
  TakeBack(given_[u]);
  given_[u].clear();
}

bool Preemptor::ChooseVictims(const PendingJob& job, int64_t target, PlacementBounds bounds,
                              const std::vector<size_t>& units, bool all_first,
                              std::vector<size_t>& victims) {
  victims.clear();
  size_t freed = 0;
  bool fits;
  if (all_first) {
    for (size_t u : units) GiveUnit(u);
    freed = units.size();
    fits = Fits(job, target, bounds);
  } else {
    fits = Fits(job, target, bounds);
    for (; !fits && freed < units.size(); ++freed) {
      GiveUnit(units[freed]);
      fits = Fits(job, target, bounds);
    }
  }
  if (!fits) {
    for (size_t k = 0; k < freed; ++k) TakeBackUnit(units[k]);
    return false;
  }
  // Spare every victim the job can do without, most expensive first.
  for (size_t k = freed; k-- > 0;) {
    const size_t u = units[k];
    TakeBackUnit(u);
    if (Fits(job, target, bounds)) continue;
    GiveUnit(u);
    victims.push_back(u);
  }
  std::reverse(victims.begin(), victims.end());
  return true;
}

void Preemptor::CheapestOnOneNode(const PendingJob& job, int64_t target, PlacementBounds bounds,
                                  const std::vector<size_t>& candidates, Cost& best,
                                  std::vector<size_t>& best_victims) {
  const int32_t cpus = std::max<int32_t>(1, job.cpus_per_task);
  const int64_t memory = std::max<int64_t>(0, job.memory_per_task);
  // A set with a victim above best's top priority is never cheaper, so only
  // candidates up to it count: a prefix of `candidates` (priority first).
  // (kube-scheduler frees the others too and spares them first: the same,
  // when freeing more never fits fewer tasks.) Each counts under every node
  // J may use that holds one of its tasks (a gang victim may be under several).
  by_node_.clear();
  for (size_t k = 0; k < candidates.size() && units_[candidates[k]].priority <= best.top_priority;
       ++k) {
    for (size_t i : units_[candidates[k]].tasks) {
      const int32_t n = task_node_[i];
      if (n < 0 || !pool_.schedulable(n)) continue;
      if (bounds.allowed != nullptr && !(*bounds.allowed)[n]) continue;
      if (bounds.caps != nullptr &&
          (bounds.caps->cores[n] < cpus || bounds.caps->memory[n] < memory)) {
        continue;
      }
      by_node_.emplace_back(n, k);
    }
  }
  std::sort(by_node_.begin(), by_node_.end());
  by_node_.erase(std::unique(by_node_.begin(), by_node_.end()), by_node_.end());

  for (size_t first = 0; first < by_node_.size();) {
    const int32_t n = by_node_[first].first;
    size_t last = first;
    int64_t cores = pool_.free_cores(n);
    int64_t bytes = pool_.free_memory(n);
    node_units_.clear();
    for (; last < by_node_.size() && by_node_[last].first == n; ++last) {
      const size_t u = candidates[by_node_[last].second];
      node_units_.push_back(u);
      for (size_t i : units_[u].tasks) {
        if (task_node_[i] != n) continue;
        cores += static_cast<int64_t>(running_[i].cores.size());
        bytes += running_[i].memory_bytes;
      }
    }
    first = last;
    // Victims here help only if they let the node hold a task (the job does
    // not fit without victims, or `best` would be empty): no trial otherwise.
    const int64_t need_cores = job.exclusive ? pool_.total_cores(n) : cpus;
    if (cores < need_cores || bytes < memory) continue;
    if (!ChooseVictims(job, target, bounds, node_units_, true, node_victims_)) continue;
    const Cost cost = CostOf(node_victims_);
    if (cost.Below(best)) {
      best = cost;
      best_victims = node_victims_;
    }
    for (size_t u : node_victims_) TakeBackUnit(u);
  }
}

void Preemptor::Undo(const std::vector<TaskPlacement>& placed, const std::vector<int32_t>& nodes,
                     NodeCaps* caps) {
  for (size_t k = 0; k < placed.size(); ++k) {
    pool_.Give(nodes[k], placed[k].cores, placed[k].memory_bytes, &placed[k].numa_memory_bytes);
    if (caps != nullptr) {
      caps->cores[nodes[k]] += static_cast<int32_t>(placed[k].cores.size());
      caps->memory[nodes[k]] += placed[k].memory_bytes;
    }
  }
}

bool Preemptor::Fits(const PendingJob& job, int64_t tasks, PlacementBounds bounds) {
  scratch_.clear();
  scratch_nodes_.clear();
  const bool fits = PlaceTasks(pool_, job, tasks, true, bounds, scratch_, &scratch_nodes_) == tasks;
  Undo(scratch_, scratch_nodes_, bounds.caps);
  return fits;
}

int64_t Preemptor::HowManyFit(const PendingJob& job, int64_t tasks, PlacementBounds bounds) {
  scratch_.clear();
  scratch_nodes_.clear();
  const int64_t n = PlaceTasks(pool_, job, tasks, false, bounds, scratch_, &scratch_nodes_);
  Undo(scratch_, scratch_nodes_, bounds.caps);
  return n;
}

int64_t Preemptor::Place(const PendingJob& job, int64_t tasks, PlacementBounds bounds,
                         int64_t duration_ms, Decision& decision) {
  std::vector<size_t> candidates;
  for (size_t u = 0; u < units_.size(); ++u) {
    if (!units_[u].taken && units_[u].priority < job.priority) candidates.push_back(u);
  }
  if (tasks <= 0 || (candidates.empty() && dying_.empty())) return 0;

  // Everything that could come free: dying resources and every candidate.
  std::vector<Given> dying_given;
  for (const auto& [n, d] : dying_) {
    pool_.Give(n, d.cores, d.memory, &d.numa_memory);
    dying_given.push_back({n, d.cores, d.memory, d.numa_memory});
  }
  for (size_t u : candidates) GiveUnit(u);
  auto give_up = [&](const std::vector<size_t>& given_units) {
    for (size_t u : given_units) TakeBackUnit(u);
    TakeBack(dying_given);
    return int64_t{0};
  };
  // Never preempt for a job that would still not fit. The target is fixed
  // here; both ways of choosing below must reach it.
  const int64_t target =
      job.gang ? (Fits(job, tasks, bounds) ? tasks : 0) : HowManyFit(job, tasks, bounds);
  if (target == 0) return give_up(candidates);
  for (size_t u : candidates) TakeBackUnit(u);

  // Greedy over every node: cheapest first until it fits, then minimal.
  std::vector<size_t> victims;
  if (!ChooseVictims(job, target, bounds, candidates, false, victims)) return give_up({});
  if (!victims.empty()) {
    // Kubernetes-like: the cheapest minimal set on one node, if cheaper. The
    // greedy set keeps ties, so the result is never costlier than it.
    Cost best = CostOf(victims);
    for (size_t u : victims) TakeBackUnit(u);
    CheapestOnOneNode(job, target, bounds, candidates, best, victims);
    for (size_t u : victims) GiveUnit(u);
  }

  const size_t first = decision.after_preemption.size();
  scratch_nodes_.clear();
  const int64_t placed =
      PlaceTasks(pool_, job, target, true, bounds, decision.after_preemption, &scratch_nodes_);
  if (placed != target) return give_up(victims);  // cannot happen: the same trial just succeeded
  for (size_t k = 0; k < scratch_nodes_.size(); ++k) {
    const TaskPlacement& p = decision.after_preemption[first + k];
    timeline_.AddStarted(scratch_nodes_[k], static_cast<int32_t>(p.cores.size()), p.memory_bytes,
                         duration_ms >= kNever - now_ ? kNever : now_ + duration_ms);
  }
  // Victims: reported, and from now on dying (free in the plan now).
  for (size_t u : victims) {
    Unit& unit = units_[u];
    unit.taken = true;
    for (size_t i : unit.tasks) {
      const RunningTask& t = running_[i];
      Preemption p;
      p.job_id = t.job_id;
      p.task = t.task;
      p.node = t.node;
      p.cores = t.cores;
      p.memory_bytes = t.memory_bytes;
      p.mode = unit.mode;
      p.preemptor = job.job_id;
      decision.preemptions.push_back(std::move(p));
    }
    for (size_t i : unit.tasks) {
      const int32_t n = task_node_[i];
      if (n < 0 || !pool_.schedulable(n)) continue;
      const RunningTask& t = running_[i];
      const int64_t cores = static_cast<int64_t>(t.cores.size());
      timeline_.RemoveRelease(n, cores, t.memory_bytes, t.expected_end_ms);
      timeline_.AddStarted(n, static_cast<int32_t>(cores), t.memory_bytes, now_);
    }
    for (const Given& g : given_[u]) {
      Dying& d = dying_[g.node];
      d.cores.insert(d.cores.end(), g.cores.begin(), g.cores.end());
      d.memory += g.memory;
      AddNuma(d.numa_memory, g.numa_memory);
    }
    given_[u].clear();
  }
  // What the job did not take stays dying: busy in the pool, free in the plan.
  for (auto it = dying_.begin(); it != dying_.end();) {
    const int32_t n = it->first;
    Dying& d = it->second;
    std::vector<int32_t> left;
    for (int32_t c : d.cores) {
      if (pool_.core_free(n, c)) left.push_back(c);
    }
    const int64_t left_memory = std::min(d.memory, pool_.free_memory(n));
    std::vector<int64_t> left_numa = d.numa_memory;  // likewise per NUMA node
    if (pool_.numa_tracked(n)) {
      for (size_t m = 0; m < left_numa.size(); ++m) {
        left_numa[m] = std::min(left_numa[m], pool_.numa_free_memory(n, static_cast<int32_t>(m)));
      }
    }
    pool_.Take(n, left, left_memory, &left_numa);
    timeline_.Claim(n, static_cast<int64_t>(d.cores.size() - left.size()), d.memory - left_memory,
                    now_);
    d.cores = std::move(left);
    d.memory = left_memory;
    d.numa_memory = std::move(left_numa);
    if (d.cores.empty() && d.memory == 0) {
      it = dying_.erase(it);
    } else {
      ++it;
    }
  }
  return placed;
}

}  // namespace drover::scheduler
