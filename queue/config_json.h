// Queue-policy configuration from JSON: the "priority" (multifactor weights)
// and "fairShare" sections of droverd's config file (YAML converted with
// api/yaml_codec.h):
//
//   priority:
//     weightAge: 1000          # each weight in [0, 100000000]
//     weightJobSize: 1000
//     weightFairShare: 10000
//     weightQueue: 1000
//     maxAge: "7-00:00:00"     # seconds or Slurm's [D-]HH:MM:SS; > 0
//     favorSmall: false
//   fairShare:
//     halfLife: "7-00:00:00"   # > 0
//
// Strict: unknown keys, wrong types and values out of range are
// InvalidArgument naming the path ("priority.weightAge") and the rule.
// Null or absent keys keep the defaults. Pure; thread-safe.
#pragma once

#include "api/json_codec.h"
#include "api/status.h"
#include "queue/fair_share.h"
#include "queue/multifactor.h"

namespace drover::queue {

Result<PriorityWeights> PriorityWeightsFromJson(const Json& json);
Result<FairShareConfig> FairShareConfigFromJson(const Json& json);

}  // namespace drover::queue
