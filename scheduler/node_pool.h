// NodePool: the free cores and memory of every node during one scheduling
// pass, with the index that makes best-fit node choice cheap, and the
// topology-aware choice of cores inside a node.
//
// Mechanism only: it answers "which node, which cores" and records Take/Give;
// the order in which jobs ask, and whether they may, is the policy's business.
// Not thread-safe; one pass owns one pool. Nodes are referred to by their
// index in ClusterSnapshot::nodes.
#pragma once

#include <bit>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api/object_meta.h"
#include "scheduler/schedule.h"

namespace drover::scheduler {

// The shape of one node's topology, shared by nodes with identical hardware.
struct NodeShape {
  int32_t cores = 0;
  int32_t packages = 1;
  int32_t numas = 1;
  std::vector<int32_t> core_numa;                   // by core id
  std::vector<int32_t> core_package;                // by core id
  std::vector<std::vector<int32_t>> numa_cores;     // core ids of each NUMA node, ascending
  std::vector<std::vector<int32_t>> package_numas;  // NUMA nodes of each package, ascending
  std::vector<std::vector<int32_t>> core_pus;       // OS PU indexes by core id
};

class NodePool {
 public:
  // Copies the free state of `cluster`: a core is free when core_busy says so
  // (a missing entry counts as free); unschedulable nodes have nothing free.
  explicit NodePool(const ClusterSnapshot& cluster);

  int32_t node_count() const { return static_cast<int32_t>(nodes_.size()); }
  const std::string& name(int32_t n) const { return nodes_[n].name; }
  const NodeShape& shape(int32_t n) const { return *nodes_[n].shape; }
  bool schedulable(int32_t n) const { return nodes_[n].schedulable; }
  int32_t total_cores(int32_t n) const { return nodes_[n].shape->cores; }
  int32_t free_cores(int32_t n) const { return nodes_[n].free_cores; }
  int64_t free_memory(int32_t n) const { return nodes_[n].free_memory; }
  bool core_free(int32_t n, int32_t core) const { return nodes_[n].core_free[core] != 0; }
  int64_t total_free_cores() const { return total_free_cores_; }
  int32_t max_node_cores() const { return max_node_cores_; }
  int32_t NodeIndex(const std::string& name) const;  // -1 if unknown
  // Whether node n has every label of `selector` (an empty one: every node).
  bool Matches(int32_t n, const std::map<std::string, std::string>& selector) const;

  // The best-fit node for one task: schedulable, at least `cpus` free cores
  // and `memory` free bytes, the fewest free cores among those (ties: lowest
  // index), and accept(node) true. -1 when no node qualifies.
  template <typename Accept>
  int32_t BestFitNode(int32_t cpus, int64_t memory, Accept&& accept) const {
    if (cpus <= 0) cpus = 0;
    // Only the non-empty buckets, found through their bitmap.
    for (int32_t f = NextBucket(cpus); f >= 0; f = NextBucket(f + 1)) {
      for (int32_t n : by_free_[f]) {
        if (nodes_[n].free_memory >= memory && accept(n)) return n;
      }
    }
    return -1;
  }

  // `cpus` free cores of node n chosen by `mode`; empty if fewer are free.
  // With bound_memory > 0 on a node that tracks NUMA memory, only a choice
  // whose NUMA nodes can each give their share (NumaSplit) of bound_memory;
  // empty if the chosen cores' NUMA nodes cannot. Does not change the pool.
  std::vector<int32_t> ChooseCores(int32_t n, int32_t cpus, CorePlacement mode,
                                   int64_t bound_memory = 0) const;

  // Per-NUMA free memory; tracked when the topology gives NUMA memory sizes.
  bool numa_tracked(int32_t n) const { return !nodes_[n].numa_free_memory.empty(); }
  int64_t numa_free_memory(int32_t n, int32_t numa) const {
    return nodes_[n].numa_free_memory[numa];
  }
  // How `memory` bound to `cores` splits over node n's NUMA nodes (by index):
  // in proportion to the cores on each, the remainder to the first core's.
  std::vector<int64_t> NumaSplit(int32_t n, const std::vector<int32_t>& cores,
                                 int64_t memory) const;

  // All free cores of node n, ascending.
  std::vector<int32_t> FreeCores(int32_t n) const;

  // OS PU indexes under `cores`, in core order.
  std::vector<int32_t> PusOf(int32_t n, const std::vector<int32_t>& cores) const;

  // Marks cores busy and memory used (and NUMA memory, when given and
  // tracked). The caller guarantees they are free.
  void Take(int32_t n, const std::vector<int32_t>& cores, int64_t memory,
            const std::vector<int64_t>* numa_memory = nullptr);
  // Returns cores and memory taken earlier.
  void Give(int32_t n, const std::vector<int32_t>& cores, int64_t memory,
            const std::vector<int64_t>* numa_memory = nullptr);

 private:
  struct Node {
    std::string name;
    std::shared_ptr<const NodeShape> shape;
    std::vector<uint8_t> core_free;
    std::vector<int32_t> numa_free;
    std::vector<int32_t> package_free;
    int32_t free_cores = 0;
    int64_t free_memory = 0;
    std::vector<int64_t> numa_free_memory;  // empty: not tracked
    bool schedulable = true;
    std::map<std::string, std::string> labels;
  };

  static std::shared_ptr<const NodeShape> CachedShape(const NodeTopology& topology);
  // The first non-empty bucket of by_free_ at or above f; -1 if none.
  int32_t NextBucket(int32_t f) const {
    if (f > max_node_cores_) return -1;
    size_t word = static_cast<size_t>(f) / 64;
    uint64_t bits = nonempty_[word] & (~uint64_t{0} << (f % 64));
    while (bits == 0) {
      if (++word == nonempty_.size()) return -1;
      bits = nonempty_[word];
    }
    return static_cast<int32_t>(word * 64 + std::countr_zero(bits));
  }
  void AddToBucket(int32_t f, int32_t n);
  void RemoveFromBucket(int32_t f, int32_t n);
  void Reindex(int32_t n, int32_t old_free);
  std::vector<int32_t> ChooseCompact(const Node& node, int32_t cpus, int64_t bound_memory) const;
  std::vector<int32_t> ChooseSpread(const Node& node, int32_t cpus) const;
  bool NumaShareFits(int32_t n, const std::vector<int32_t>& cores, int64_t memory) const;

  std::vector<Node> nodes_;
  std::vector<std::set<int32_t>> by_free_;  // schedulable nodes by free-core count
  std::vector<uint64_t> nonempty_;          // bit f set: by_free_[f] is not empty
  int64_t total_free_cores_ = 0;
  int32_t max_node_cores_ = 0;
};

// Builds the shape of a topology (cores without a valid package/NUMA index
// are put in package 0 / NUMA node 0).
std::shared_ptr<const NodeShape> MakeNodeShape(const NodeTopology& topology);

}  // namespace drover::scheduler
