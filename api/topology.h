// NodeTopology: the hardware of one node as drover-node discovered it with
// hwloc, reduced to what placement needs: cores with their package and NUMA
// node, the PUs (hardware threads, by OS index) under each core, and memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace drover {

struct CoreInfo {
  int32_t id = 0;            // logical index among the node's cores, 0..n-1
  int32_t package = 0;       // logical index of its package (socket)
  int32_t numa = 0;          // logical index of its NUMA node
  std::vector<int32_t> pus;  // OS indexes of its PUs (what the kernel calls CPUs)
};

struct NodeTopology {
  std::string source;  // "hwloc", "synthetic:<desc>" or "xml:<file>"
  int32_t packages = 1;
  int32_t numa_nodes = 1;
  std::vector<CoreInfo> cores;  // ordered by id
  int64_t memory_bytes = 0;
  std::vector<int64_t> numa_memory_bytes;  // indexed by NUMA logical index
  std::vector<int32_t> numa_os_indexes;    // the kernel's number of each NUMA node; empty = same
};

}  // namespace drover
