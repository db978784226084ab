// SyntheticTopology: a uniform NodeTopology built from counts, for tests,
// benchmarks and drover-sim (the same shapes `--topology synthetic:` gives).
#pragma once

#include <cstdint>

#include "api/topology.h"

namespace drover::scheduler {

// packages x numa_per_package x cores_per_numa cores, pus_per_core PUs each
// (PU OS indexes numbered core by core), memory split evenly over NUMA nodes.
NodeTopology SyntheticTopology(int32_t packages, int32_t numa_per_package, int32_t cores_per_numa,
                               int32_t pus_per_core = 1, int64_t memory_bytes = 0);

}  // namespace drover::scheduler
