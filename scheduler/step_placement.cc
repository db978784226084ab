#include "scheduler/step_placement.h"

#include <algorithm>

namespace drover::scheduler {
namespace {

// The cores of `part` a new step may take, in the allocation's order.
std::vector<size_t> FreeCores(const AllocationPart& part, bool overlap) {
  std::vector<size_t> free;
  for (size_t i = 0; i < part.cores.size(); ++i) {
    const bool busy = std::find(part.busy_cores.begin(), part.busy_cores.end(), part.cores[i]) !=
                      part.busy_cores.end();
    if (overlap || !busy) free.push_back(i);
  }
  return free;
}

// How many ranks a node could ever take (all its cores free), and now.
int32_t Capacity(size_t cores, const StepRequest& req) {
  if (req.bind_none) return req.ntasks_per_node > 0 ? req.ntasks_per_node : req.ntasks;
  int32_t n = static_cast<int32_t>(cores / static_cast<size_t>(std::max(1, req.cpus_per_task)));
  return req.ntasks_per_node > 0 ? std::min(n, req.ntasks_per_node) : n;
}

// Ranks per node: block order, as few nodes as needed, or spread evenly
// over exactly `req.nodes` nodes. Empty when they do not fit `capacity`.
std::vector<int32_t> Distribute(const std::vector<int32_t>& capacity, const StepRequest& req) {
  std::vector<int32_t> counts(capacity.size(), 0);
  if (req.nodes > 0) {
    int32_t left = req.ntasks;
    for (int32_t i = 0; i < req.nodes; ++i) {
      const int32_t share = left / (req.nodes - i) + (left % (req.nodes - i) != 0);
      counts[i] = std::min(share, capacity[i]);
      left -= counts[i];
    }
    // What the even spread could not put somewhere goes to any room left.
    for (int32_t i = 0; i < req.nodes && left > 0; ++i) {
      const int32_t more = std::min(left, capacity[i] - counts[i]);
      counts[i] += more;
      left -= more;
    }
    for (int32_t i = 0; i < req.nodes; ++i) {
      if (counts[i] == 0) return {};  // every node of the step has a rank
    }
    return left == 0 ? counts : std::vector<int32_t>{};
  }
  int32_t left = req.ntasks;
  for (size_t i = 0; i < capacity.size() && left > 0; ++i) {
    counts[i] = std::min(left, capacity[i]);
    left -= counts[i];
  }
  return left == 0 ? counts : std::vector<int32_t>{};
}

}  // namespace

Result<StepPlacement> PlaceStep(const std::vector<AllocationPart>& parts, const StepRequest& req) {
  if (req.ntasks < 1) return Status::Invalid("ntasks", "a step needs at least one task");
  if (req.cpus_per_task < 1) return Status::Invalid("cpusPerTask", "must be at least 1");
  if (req.nodes > static_cast<int32_t>(parts.size())) {
    return Status::Unschedulable("nodes", "the step asks for " + std::to_string(req.nodes) +
                                              " nodes; the allocation has " +
                                              std::to_string(parts.size()));
  }
  if (req.nodes > req.ntasks) {
    return Status::Invalid(
        "nodes", std::to_string(req.nodes) + " nodes for " + std::to_string(req.ntasks) + " tasks");
  }
  std::vector<int32_t> whole, now;
  for (const AllocationPart& part : parts) {
    whole.push_back(part.cores.empty() ? 0 : Capacity(part.cores.size(), req));
    const size_t free = FreeCores(part, req.overlap).size();
    now.push_back(free == 0 ? 0 : Capacity(free, req));
  }
  if (Distribute(whole, req).empty()) {
    return Status::Unschedulable(
        "ntasks", std::to_string(req.ntasks) + " tasks of " + std::to_string(req.cpus_per_task) +
                      " cores" +
                      (req.nodes > 0 ? " on " + std::to_string(req.nodes) + " nodes" : "") +
                      (req.ntasks_per_node > 0
                           ? " (at most " + std::to_string(req.ntasks_per_node) + " per node)"
                           : "") +
                      " do not fit the allocation");
  }
  std::vector<int32_t> counts = Distribute(now, req);
  if (counts.empty()) {
    return Status::Unavailable(
        "the allocation's cores are held by other steps (--overlap shares them)");
  }
  StepPlacement out;
  for (size_t p = 0; p < parts.size(); ++p) {
    if (counts[p] == 0) continue;
    const AllocationPart& part = parts[p];
    const int32_t node_id = static_cast<int32_t>(out.nodes.size());
    out.nodes.push_back(part.node);
    out.tasks_per_node.push_back(counts[p]);
    std::vector<size_t> free = FreeCores(part, req.overlap);
    size_t next = 0;
    for (int32_t local = 0; local < counts[p]; ++local) {
      RankPlacement r;
      r.part = static_cast<int32_t>(p);
      r.node_id = node_id;
      r.local_id = local;
      const size_t take = req.bind_none ? free.size() : static_cast<size_t>(req.cpus_per_task);
      for (size_t k = 0; k < take; ++k) {
        const size_t i = req.bind_none ? free[k] : free[next++];
        r.cores.push_back(part.cores[i]);
        if (i < part.pus.size())
          r.cpus.insert(r.cpus.end(), part.pus[i].begin(), part.pus[i].end());
      }
      out.ranks.push_back(std::move(r));
    }
  }
  return out;
}

std::string SlurmCountList(const std::vector<int32_t>& counts) {
  std::string out;
  for (size_t i = 0; i < counts.size();) {
    size_t j = i;
    while (j < counts.size() && counts[j] == counts[i]) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(counts[i]);
    if (j - i > 1) out += "(x" + std::to_string(j - i) + ")";
    i = j;
  }
  return out;
}

}  // namespace drover::scheduler
