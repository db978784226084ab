#include "scheduler/node_pool.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace drover::scheduler {
namespace {

bool SameHardware(const NodeTopology& a, const NodeTopology& b) {
  if (a.cores.size() != b.cores.size()) return false;
  for (size_t i = 0; i < a.cores.size(); ++i) {
    const CoreInfo& x = a.cores[i];
    const CoreInfo& y = b.cores[i];
    if (x.package != y.package || x.numa != y.numa || x.pus != y.pus) return false;
  }
  return true;
}

// Indexes in [0, size) ordered by value descending, ties by index ascending.
std::vector<int32_t> ByMostFree(const std::vector<int32_t>& free_counts,
                                const std::vector<int32_t>& candidates) {
  std::vector<int32_t> order = candidates;
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return free_counts[a] > free_counts[b]; });
  return order;
}

}  // namespace

// Shapes of the last pass on this thread, reused when the hardware is the
// same: building them is most of a small pass's cost. Affects speed only.
std::shared_ptr<const NodeShape> NodePool::CachedShape(const NodeTopology& topology) {
  struct Entry {
    NodeTopology topology;
    std::shared_ptr<const NodeShape> shape;
  };
  thread_local std::vector<Entry> cache;
  for (const Entry& e : cache) {
    if (SameHardware(e.topology, topology)) return e.shape;
  }
  auto shape = MakeNodeShape(topology);
  if (cache.size() >= 8) cache.erase(cache.begin());
  cache.push_back({topology, shape});
  return shape;
}

std::shared_ptr<const NodeShape> MakeNodeShape(const NodeTopology& topology) {
  auto shape = std::make_shared<NodeShape>();
  const int32_t cores = static_cast<int32_t>(topology.cores.size());
  shape->cores = cores;
  int32_t packages = std::max(1, topology.packages);
  int32_t numas = std::max(1, topology.numa_nodes);
  // Trust the cores over the counts when they disagree.
  for (const CoreInfo& c : topology.cores) {
    packages = std::max(packages, c.package + 1);
    numas = std::max(numas, c.numa + 1);
  }
  shape->packages = packages;
  shape->numas = numas;
  shape->core_numa.resize(cores);
  shape->core_package.resize(cores);
  shape->core_pus.resize(cores);
  shape->numa_cores.resize(numas);
  shape->package_numas.resize(packages);
  std::vector<int32_t> numa_package(numas, -1);
  for (int32_t i = 0; i < cores; ++i) {
    const CoreInfo& c = topology.cores[i];
    const int32_t numa = c.numa >= 0 ? c.numa : 0;
    const int32_t package = c.package >= 0 ? c.package : 0;
    shape->core_numa[i] = numa;
    shape->core_package[i] = package;
    shape->core_pus[i] = c.pus;
    shape->numa_cores[numa].push_back(i);
    // A NUMA node belongs to the package of its first core.
    if (numa_package[numa] < 0) numa_package[numa] = package;
  }
  for (int32_t m = 0; m < numas; ++m) {
    if (numa_package[m] >= 0) shape->package_numas[numa_package[m]].push_back(m);
  }
  return shape;
}

NodePool::NodePool(const ClusterSnapshot& cluster) {
  nodes_.resize(cluster.nodes.size());
  bool derive_numa = false;  // some node's NUMA free memory = sizes - running tasks'
  std::shared_ptr<const NodeShape> last_shape;
  const NodeTopology* last_topology = nullptr;
  for (size_t i = 0; i < cluster.nodes.size(); ++i) {
    const NodeSnapshot& snap = cluster.nodes[i];
    Node& node = nodes_[i];
    node.name = snap.name;
    node.labels = snap.labels;
    // Clusters are mostly uniform: share the shape with the previous node when equal.
    if (last_topology != nullptr && SameHardware(*last_topology, snap.topology)) {
      node.shape = last_shape;
    } else {
      node.shape = CachedShape(snap.topology);
      last_shape = node.shape;
      last_topology = &snap.topology;
    }
    const NodeShape& shape = *node.shape;
    node.schedulable = snap.schedulable;
    node.core_free.assign(shape.cores, 0);
    node.numa_free.assign(shape.numas, 0);
    node.package_free.assign(shape.packages, 0);
    if (snap.schedulable) {
      for (int32_t c = 0; c < shape.cores; ++c) {
        const bool busy = c < static_cast<int32_t>(snap.core_busy.size()) && snap.core_busy[c];
        if (busy) continue;
        node.core_free[c] = 1;
        ++node.numa_free[shape.core_numa[c]];
        ++node.package_free[shape.core_package[c]];
        ++node.free_cores;
      }
      node.free_memory = std::max<int64_t>(0, snap.memory_free_bytes);
      if (static_cast<int32_t>(snap.numa_memory_free_bytes.size()) == shape.numas) {
        node.numa_free_memory = snap.numa_memory_free_bytes;
      } else if (static_cast<int32_t>(snap.topology.numa_memory_bytes.size()) == shape.numas) {
        node.numa_free_memory = snap.topology.numa_memory_bytes;
        derive_numa = true;
      }
    }
    max_node_cores_ = std::max(max_node_cores_, shape.cores);
    total_free_cores_ += node.free_cores;
  }
  if (derive_numa) {
    // Only tasks that hold NUMA memory carry numa_memory_bytes; O(running).
    std::unordered_map<std::string_view, int32_t> index;
    for (const RunningTask& t : cluster.running) {
      if (t.numa_memory_bytes.empty()) continue;
      if (index.empty()) {
        for (int32_t k = 0; k < node_count(); ++k) index.emplace(nodes_[k].name, k);
      }
      auto it = index.find(t.node);
      const int32_t n = it == index.end() ? -1 : it->second;
      if (n < 0 || nodes_[n].numa_free_memory.size() != t.numa_memory_bytes.size()) continue;
      if (static_cast<int32_t>(cluster.nodes[n].numa_memory_free_bytes.size()) ==
          nodes_[n].shape->numas) {
        continue;  // given by the caller
      }
      for (size_t m = 0; m < t.numa_memory_bytes.size(); ++m) {
        nodes_[n].numa_free_memory[m] -= t.numa_memory_bytes[m];
      }
    }
  }
  by_free_.resize(max_node_cores_ + 1);
  nonempty_.assign(static_cast<size_t>(max_node_cores_) / 64 + 1, 0);
  for (int32_t n = 0; n < node_count(); ++n) {
    if (nodes_[n].schedulable) AddToBucket(nodes_[n].free_cores, n);
  }
}

bool NodePool::Matches(int32_t n, const std::map<std::string, std::string>& selector) const {
  return MatchesSelector(nodes_[n].labels, selector);
}

int32_t NodePool::NodeIndex(const std::string& name) const {
  for (int32_t n = 0; n < node_count(); ++n) {
    if (nodes_[n].name == name) return n;
  }
  return -1;
}

std::vector<int32_t> NodePool::ChooseCores(int32_t n, int32_t cpus, CorePlacement mode,
                                           int64_t bound_memory) const {
  const Node& node = nodes_[n];
  if (cpus <= 0 || node.free_cores < cpus) return {};
  if (node.numa_free_memory.empty()) bound_memory = 0;
  std::vector<int32_t> cores = mode == CorePlacement::kSpread
                                   ? ChooseSpread(node, cpus)
                                   : ChooseCompact(node, cpus, bound_memory);
  if (bound_memory > 0 && !NumaShareFits(n, cores, bound_memory)) return {};
  return cores;
}

std::vector<int64_t> NodePool::NumaSplit(int32_t n, const std::vector<int32_t>& cores,
                                         int64_t memory) const {
  const NodeShape& shape = *nodes_[n].shape;
  std::vector<int64_t> parts(shape.numas, 0);
  if (cores.empty()) return parts;
  std::vector<int64_t> count(shape.numas, 0);
  for (int32_t c : cores) ++count[shape.core_numa[c]];
  const int64_t total = static_cast<int64_t>(cores.size());
  int64_t given = 0;
  for (int32_t m = 0; m < shape.numas; ++m) {
    // memory * count / total without overflow for any realistic size.
    parts[m] = memory / total * count[m] + memory % total * count[m] / total;
    given += parts[m];
  }
  parts[shape.core_numa[cores.front()]] += memory - given;
  return parts;
}

bool NodePool::NumaShareFits(int32_t n, const std::vector<int32_t>& cores, int64_t memory) const {
  if (cores.empty()) return false;
  const std::vector<int64_t> parts = NumaSplit(n, cores, memory);
  for (size_t m = 0; m < parts.size(); ++m) {
    if (parts[m] > nodes_[n].numa_free_memory[m]) return false;
  }
  return true;
}

std::vector<int32_t> NodePool::ChooseCompact(const Node& node, int32_t cpus,
                                             int64_t bound_memory) const {
  const NodeShape& shape = *node.shape;
  std::vector<int32_t> out;
  out.reserve(cpus);
  auto take_from_numa = [&](int32_t m) {
    for (int32_t c : shape.numa_cores[m]) {
      if (static_cast<int32_t>(out.size()) == cpus) return;
      if (node.core_free[c]) out.push_back(c);
    }
  };
  // 1. The tightest single NUMA node that holds the whole task.
  int32_t best = -1;
  for (int32_t m = 0; m < shape.numas; ++m) {
    // A bound task also needs its memory there.
    if (bound_memory > 0 && node.numa_free_memory[m] < bound_memory) continue;
    if (node.numa_free[m] >= cpus && (best < 0 || node.numa_free[m] < node.numa_free[best])) {
      best = m;
    }
  }
  if (best >= 0) {
    take_from_numa(best);
    return out;
  }
  // 2. The tightest single package, filling its emptiest NUMA nodes first so
  //    the task spans as few NUMA nodes as possible.
  best = -1;
  for (int32_t p = 0; p < shape.packages; ++p) {
    if (node.package_free[p] >= cpus &&
        (best < 0 || node.package_free[p] < node.package_free[best])) {
      best = p;
    }
  }
  if (best >= 0) {
    for (int32_t m : ByMostFree(node.numa_free, shape.package_numas[best])) take_from_numa(m);
    std::sort(out.begin(), out.end());
    return out;
  }
  // 3. Across packages, emptiest first.
  std::vector<int32_t> all_packages(shape.packages);
  for (int32_t p = 0; p < shape.packages; ++p) all_packages[p] = p;
  for (int32_t p : ByMostFree(node.package_free, all_packages)) {
    for (int32_t m : ByMostFree(node.numa_free, shape.package_numas[p])) take_from_numa(m);
  }
  // Cores outside any listed NUMA node cannot exist (MakeNodeShape lists all).
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int32_t> NodePool::ChooseSpread(const Node& node, int32_t cpus) const {
  const NodeShape& shape = *node.shape;
  std::vector<int32_t> package_left = node.package_free;
  std::vector<int32_t> numa_left = node.numa_free;
  std::vector<size_t> numa_cursor(shape.numas, 0);
  std::vector<int32_t> out;
  out.reserve(cpus);
  while (static_cast<int32_t>(out.size()) < cpus) {
    int32_t p = 0;
    for (int32_t q = 1; q < shape.packages; ++q) {
      if (package_left[q] > package_left[p]) p = q;
    }
    int32_t m = -1;
    for (int32_t k : shape.package_numas[p]) {
      if (numa_left[k] > 0 && (m < 0 || numa_left[k] > numa_left[m])) m = k;
    }
    if (m < 0) break;  // unreachable when free counts are consistent
    const std::vector<int32_t>& cores = shape.numa_cores[m];
    while (!node.core_free[cores[numa_cursor[m]]]) ++numa_cursor[m];
    out.push_back(cores[numa_cursor[m]++]);
    --package_left[p];
    --numa_left[m];
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int32_t> NodePool::FreeCores(int32_t n) const {
  std::vector<int32_t> out;
  const Node& node = nodes_[n];
  for (int32_t c = 0; c < node.shape->cores; ++c) {
    if (node.core_free[c]) out.push_back(c);
  }
  return out;
}

std::vector<int32_t> NodePool::PusOf(int32_t n, const std::vector<int32_t>& cores) const {
  std::vector<int32_t> out;
  const NodeShape& shape = *nodes_[n].shape;
  for (int32_t c : cores) {
    out.insert(out.end(), shape.core_pus[c].begin(), shape.core_pus[c].end());
  }
  return out;
}

void NodePool::AddToBucket(int32_t f, int32_t n) {
  by_free_[f].insert(n);
  nonempty_[static_cast<size_t>(f) / 64] |= uint64_t{1} << (f % 64);
}

void NodePool::RemoveFromBucket(int32_t f, int32_t n) {
  by_free_[f].erase(n);
  if (by_free_[f].empty()) nonempty_[static_cast<size_t>(f) / 64] &= ~(uint64_t{1} << (f % 64));
}

void NodePool::Reindex(int32_t n, int32_t old_free) {
  if (!nodes_[n].schedulable || old_free == nodes_[n].free_cores) return;
  RemoveFromBucket(old_free, n);
  AddToBucket(nodes_[n].free_cores, n);
}

void NodePool::Take(int32_t n, const std::vector<int32_t>& cores, int64_t memory,
                    const std::vector<int64_t>* numa_memory) {
  Node& node = nodes_[n];
  if (numa_memory != nullptr && numa_memory->size() == node.numa_free_memory.size()) {
    for (size_t m = 0; m < numa_memory->size(); ++m) node.numa_free_memory[m] -= (*numa_memory)[m];
  }
  const int32_t old_free = node.free_cores;
  for (int32_t c : cores) {
    node.core_free[c] = 0;
    --node.numa_free[node.shape->core_numa[c]];
    --node.package_free[node.shape->core_package[c]];
  }
  node.free_cores -= static_cast<int32_t>(cores.size());
  node.free_memory -= memory;
  total_free_cores_ -= static_cast<int64_t>(cores.size());
  Reindex(n, old_free);
}

void NodePool::Give(int32_t n, const std::vector<int32_t>& cores, int64_t memory,
                    const std::vector<int64_t>* numa_memory) {
  Node& node = nodes_[n];
  if (numa_memory != nullptr && numa_memory->size() == node.numa_free_memory.size()) {
    for (size_t m = 0; m < numa_memory->size(); ++m) node.numa_free_memory[m] += (*numa_memory)[m];
  }
  const int32_t old_free = node.free_cores;
  for (int32_t c : cores) {
    node.core_free[c] = 1;
    ++node.numa_free[node.shape->core_numa[c]];
    ++node.package_free[node.shape->core_package[c]];
  }
  node.free_cores += static_cast<int32_t>(cores.size());
  node.free_memory += memory;
  total_free_cores_ += static_cast<int64_t>(cores.size());
  Reindex(n, old_free);
}

}  // namespace drover::scheduler
