#include "scheduler/synthetic_topology.h"

#include <string>

namespace drover::scheduler {

NodeTopology SyntheticTopology(int32_t packages, int32_t numa_per_package, int32_t cores_per_numa,
                               int32_t pus_per_core, int64_t memory_bytes) {
  NodeTopology t;
  t.source = "synthetic:package:" + std::to_string(packages) +
             " numa:" + std::to_string(numa_per_package) +
             " core:" + std::to_string(cores_per_numa) + " pu:" + std::to_string(pus_per_core);
  t.packages = packages;
  t.numa_nodes = packages * numa_per_package;
  t.memory_bytes = memory_bytes;
  int32_t core = 0;
  int32_t pu = 0;
  for (int32_t p = 0; p < packages; ++p) {
    for (int32_t m = 0; m < numa_per_package; ++m) {
      for (int32_t c = 0; c < cores_per_numa; ++c) {
        CoreInfo info;
        info.id = core++;
        info.package = p;
        info.numa = p * numa_per_package + m;
        for (int32_t k = 0; k < pus_per_core; ++k) info.pus.push_back(pu++);
        t.cores.push_back(std::move(info));
      }
    }
  }
  if (t.numa_nodes > 0) t.numa_memory_bytes.assign(t.numa_nodes, memory_bytes / t.numa_nodes);
  return t;
}

}  // namespace drover::scheduler
