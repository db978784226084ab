// droverd's configuration file (--config FILE, YAML or JSON):
//
//   scheduler:            # scheduler/config_json.h: policy, reservationDepth, queues
//     policy: easy
//     queues:
//       - {name: batch, maxTime: "2-00:00:00", preempt: requeue}
//       - {name: urgent, priority: 10, allowGroups: [oncall]}   # who may submit
//                          # (Slurm's AllowGroups; with allowUsers, either
//                          # admits; neither = everyone; admins always)
//   priority:             # queue/config_json.h; present = multifactor priority,
//     fairShare: 10000    #   absent = a job's own spec.priority, then submit time
//   fairShare:
//     halfLife: "7-00:00:00"
//   jobs:
//     retention: "1-00:00:00"   # finished jobs (and their tasks) are forgotten
//                                # this long after they end; 0 = kept forever
//     historyRetention: 0       # their accounting records (sacct, the
//                                # job_history table): removed this long after
//                                # they end; 0 (the default) = kept forever
//     mailProgram: /usr/bin/mail # run for --mail-type as PROGRAM -s SUBJECT USER
//                                # (Slurm's MailProg); default "" = no mail
//   services:
//     portRange: "30000-32767"  # ports given to service tasks, per host
//     sharedVolumeRoots: [/shared/drover]  # where StatefulSets' Shared
//                                # volumes may live (none: only NodeLocal)
//     fenceAfter: 10            # seconds: a node cut off this long stops its
//                                # StatefulSet tasks; only then (plus their
//                                # kill grace) do their ordinals move
//   logs:
//     public: false             # true: any user may read any job's logs
//                                # (default: the owner and admins only)
//     retention: 604800         # seconds: shipped logs untouched this long
//                                # are removed (default 7 days; 0 = kept)
//     maxBytes: 10Gi            # all shipped logs together; oldest go first
//   builtinDaemons:             # droverd's own DaemonSets (builtin_daemons.h)
//     logShipper: true          # ships task output to droverd (STATE/task-logs)
//     nodeMonitor: true         # /metrics of each node, health check
//     binDir: /usr/lib/drover   # where the nodes have them (default: beside droverd)
//     healthCheck: /usr/sbin/nhc   # Slurm's HealthCheckProgram ("" = none)
//     healthCheckInterval: 60   # seconds
//
// Loaded and validated once at start-up; an error names the field and the rule.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/status.h"
#include "daemons/droverd/builtin_daemons.h"
#include "queue/fair_share.h"
#include "queue/multifactor.h"
#include "scheduler/schedule.h"

namespace drover::droverd {

// Who may submit to a queue. Empty lists: everyone.
struct QueueAccess {
  std::vector<std::string> users;
  std::vector<std::string> groups;
};

struct DaemonConfig {
  scheduler::SchedulerConfig scheduler;
  std::optional<queue::PriorityWeights> priority;
  queue::FairShareConfig fair_share;
  // Slurm's MinJobAge, Kubernetes' ttlSecondsAfterFinished: without it
  // droverd's memory and store grow with every task ever run.
  int64_t job_retention_s = 86400;
  // Slurm's PurgeJobAfter: accounting records outlive the jobs; 0 = forever.
  int64_t history_retention_s = 0;
  // Slurm's MailProg: run as PROGRAM -s SUBJECT USER for --mail-type; "" = no mail.
  std::string mail_program;
  // Slurm's PrivateData=jobs, reversed: logs are private unless opened.
  bool logs_public = false;
  int64_t log_retention_s = 7 * 86400;
  int64_t log_max_bytes = 0;  // 0 = no limit
  BuiltinDaemonsConfig builtin_daemons;
  // By queue name; a queue absent here is open to every user.
  std::map<std::string, QueueAccess> queue_access;
  // Ports given to service tasks on each node (Kubernetes' NodePort range).
  int32_t service_port_min = 30000;
  int32_t service_port_max = 32767;
  // Roots under which a StatefulSet's Shared volumes may be made (admin's
  // choice: droverd's nodes create directories there as root).
  std::vector<std::string> shared_volume_roots;
  // Nomad's stop_on_client_after: how long a node agent that cannot reach
  // droverd keeps its StatefulSet tasks running.
  int64_t fence_after_s = 10;
};

// Errors: NotFound for an unreadable file; InvalidArgument naming the field.
Result<DaemonConfig> LoadDaemonConfig(const std::string& path);
Result<DaemonConfig> DaemonConfigFromText(const std::string& text);

}  // namespace drover::droverd
