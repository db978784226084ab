// DiscoverTopology: a node's hardware through hwloc, reduced to NodeTopology.
//
// Accepted specs:
//   "" or "hwloc"          this machine (the cpus this process may use)
//   "synthetic:DESC"       an hwloc synthetic description, e.g.
//                          "synthetic:package:2 numa:2 core:8 pu:2"
//                          (DESC may be wrapped in double quotes)
//   "xml:PATH"             a topology exported by lstopo or hwloc to XML
// Cores are numbered by hwloc logical index; each carries the logical index of
// its package and NUMA node and the OS indexes of its PUs. A machine without
// Core objects gets one core per PU. Memory: the NUMA nodes' local memory;
// topologies that report none (some synthetic or XML ones) get
// kDefaultNumaMemoryBytes (4 GiB) per NUMA node so memory-aware scheduling
// still works. Errors: InvalidArgument (field "topology") naming the spec and
// the accepted forms, or the hwloc failure for a bad description or file.
// Thread-safe: each call builds and frees its own hwloc topology.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/status.h"
#include "api/topology.h"

namespace drover::executors {

inline constexpr int64_t kDefaultNumaMemoryBytes = int64_t{4} << 30;

Result<NodeTopology> DiscoverTopology(std::string_view spec);

// "0-3,8" for {0,1,2,3,8}; input in any order, duplicates ignored; "" if empty.
std::string CpuListString(const std::vector<int32_t>& cpus);

}  // namespace drover::executors
