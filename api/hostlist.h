// Slurm's hostlists: "node[01-04,07],gpu5" <-> node01 node02 node03 node04
// node07 gpu5. Used by DROVER_NODELIST / SLURM_JOB_NODELIST, -w/--nodelist,
// -x/--exclude and `scontrol show hostnames`.
//
// A bracket holds comma-separated numbers and ranges; a range's lower bound
// gives the width (leading zeros) of every number in it, as Slurm's does.
// Several brackets in one name multiply out ("r[1-2]n[1-2]" -> r1n1 r1n2 r2n1
// r2n2). Errors name the rule and the offending text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/status.h"

namespace drover {

// A hostlist expands to at most this many names (Fugaku has 158,976 nodes; a typo such as
// "n[1-999999999]" must not allocate gigabytes).
inline constexpr size_t kMaxHostlistNames = 200'000;

// Expands a hostlist into names, in the order written (duplicates kept).
Result<std::vector<std::string>> ExpandHostlist(std::string_view text);

// The shortest usual form of `names`: names that differ only in a trailing
// number of one width share a bracket, numbers sorted, runs as ranges
// ("n1,n2,n3,n5,gpu" -> "gpu,n[1-3,5]"). Groups are sorted by prefix;
// duplicates are dropped. ExpandHostlist(CompressHostlist(x)) is x sorted
// and without duplicates.
std::string CompressHostlist(const std::vector<std::string>& names);

// Slurm's count lists, as in SLURM_TASKS_PER_NODE: "2(x3),1" -> 2 2 2 1.
// Counts are 0..1,000,000; the list holds at most kMaxHostlistNames entries.
Result<std::vector<int32_t>> ExpandCountList(std::string_view text);

}  // namespace drover
