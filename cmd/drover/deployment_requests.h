// Reading Deployments, their tasks and revisions from droverd, for the
// verbs that show or wait on them.
#pragma once

#include <string>
#include <vector>

#include "api/deployment.h"
#include "api/status.h"
#include "api/task.h"
#include "cmd/drover/api_session.h"

namespace drover::cli {

std::string DeploymentPath(const std::string& name);
Result<Deployment> FetchDeployment(ApiSession& session, const std::string& name);
Result<std::vector<Deployment>> FetchDeployments(ApiSession& session);
Result<std::vector<Task>> FetchDeploymentTasks(ApiSession& session, const std::string& name);
Result<std::vector<Revision>> FetchRevisions(ApiSession& session, const std::string& name);

}  // namespace drover::cli
