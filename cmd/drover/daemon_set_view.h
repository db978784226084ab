// How the CLI shows DaemonSets to people (kubectl's columns), and reads them
// from droverd. Their tasks show as a Deployment's (ReplicasTable).
#pragma once

#include <string>
#include <vector>

#include "api/daemon_set.h"
#include "api/status.h"
#include "api/task.h"
#include "cmd/drover/api_session.h"
#include "cmd/drover/table.h"

namespace drover::cli {

std::string DaemonSetPath(const std::string& name);
Result<DaemonSet> FetchDaemonSet(ApiSession& session, const std::string& name);
Result<std::vector<DaemonSet>> FetchDaemonSets(ApiSession& session);
Result<std::vector<Task>> FetchDaemonSetTasks(ApiSession& session, const std::string& name);
Result<std::vector<Revision>> FetchDaemonSetRevisions(ApiSession& session, const std::string& name);

// NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE
// (wide: + REVISION STRATEGY COMMAND).
Table DaemonSetsTable(const std::vector<DaemonSet>& daemon_sets, int64_t now_ms, bool wide);

// `drover describe daemonset/NAME`: spec, status, revisions, tasks by node.
std::string DescribeDaemonSet(const DaemonSet& ds, const std::vector<Task>& tasks,
                              const std::vector<Revision>& revisions, int64_t now_ms);

// kubectl rollout status's line for a DaemonSet; *done once every node that
// should run it runs the current template, available.
std::string DaemonSetRolloutLine(const DaemonSet& ds, bool* done);

}  // namespace drover::cli
