// The scheduler's configuration from JSON (droverd converts its YAML config
// file with api/yaml_codec.h and passes the "scheduler" section here).
//
//   scheduler:
//     policy: easy              # fcfs | easy | conservative
//     reservationDepth: 100     # conservative: reservations per pass, >= 1
//     queues:
//       - name: batch           # required, unique
//         nodes: [node-1, node-2]   # the partition; absent/empty = every node
//         maxTime: "2-00:00:00" # seconds or Slurm's [D-]HH:MM:SS; 0 = none
//         defaultTime: "1:00:00"    # planned for jobs without a time limit
//         maxCoresPerJob: 512   # 0 = none
//         maxNodesPerJob: 16    # 0 = none
//         maxRunningJobsPerUser: 10 # 0 = none
//         priority: 10          # the queue's tier for multifactor priority, >= 0
//         preempt: "off"        # off | requeue | cancel: what preemption does to
//                               # this queue's running jobs (quote "off": YAML 1.1)
//
// Strict: an unknown key, a wrong type or a value out of range is
// InvalidArgument whose field() is the path ("scheduler.queues[1].maxTim") and
// whose message names the rule. Pure; thread-safe.
#pragma once

#include "api/json_codec.h"
#include "api/status.h"
#include "scheduler/schedule.h"

namespace drover::scheduler {

// `json` is the "scheduler" object; null or absent keys keep the defaults.
Result<SchedulerConfig> SchedulerConfigFromJson(const Json& json);

// The inverse (for `drover` and tests): only keys that differ from the defaults.
Json ToJson(const SchedulerConfig& config);

}  // namespace drover::scheduler
