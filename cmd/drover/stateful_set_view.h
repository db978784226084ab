// How the CLI shows StatefulSets to people (kubectl's columns), and reads
// them from droverd. Their tasks show as a Deployment's (ReplicasTable).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/stateful_set.h"
#include "api/status.h"
#include "api/task.h"
#include "cmd/drover/api_session.h"
#include "cmd/drover/table.h"

namespace drover::cli {

// A StatefulSet as droverd shows it: the object, and why ordinals wait.
struct ShownStatefulSet {
  StatefulSet object;
  std::map<std::string, std::string> waiting;  // ordinal -> why
};

std::string StatefulSetPath(const std::string& name);
Result<ShownStatefulSet> FetchStatefulSet(ApiSession& session, const std::string& name);
Result<std::vector<ShownStatefulSet>> FetchStatefulSets(ApiSession& session);
Result<std::vector<Task>> FetchStatefulSetTasks(ApiSession& session, const std::string& name);
Result<std::vector<Revision>> FetchStatefulSetRevisions(ApiSession& session,
                                                        const std::string& name);

// NAME READY AGE (wide: + CURRENT UPDATED POLICY COMMAND).
Table StatefulSetsTable(const std::vector<ShownStatefulSet>& sets, int64_t now_ms, bool wide);

// `drover describe statefulset/NAME`: spec, volumes, status, waiting ordinals, tasks.
std::string DescribeStatefulSet(const ShownStatefulSet& ss, const std::vector<Task>& tasks,
                                const std::vector<Revision>& revisions, int64_t now_ms);

// kubectl rollout status's line; *done once every ordinal runs the update
// revision (those at or above the partition) and is ready.
std::string StatefulSetRolloutLine(const StatefulSet& ss, bool* done);

}  // namespace drover::cli
