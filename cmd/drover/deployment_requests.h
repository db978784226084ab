// Reading Deployments, their tasks and revisions from droverd, for the
// verbs that show or wait on them.
#pragma once

#include <string>
#include <vector>

#include "api/deployment.h"
#include "api/json_text.h"
#include "api/status.h"
#include "api/task.h"
#include "cmd/drover/api_session.h"

namespace drover::cli {

// Decodes {"items": [...]} with `decode` (JSON -> Result<T>); a malformed
// item is droverd's bug (Internal, naming `what`).
template <typename T, typename Decode>
Result<std::vector<T>> DecodeItems(const Json& list, const char* what, Decode decode) {
  std::vector<T> out;
  if (!list.contains("items") || !list["items"].is_array()) return out;
  for (const Json& item : list["items"]) {
    auto decoded = decode(item);
    if (!decoded.ok()) {
      return Status::Internal(std::string("droverd sent a malformed ") + what + ": " +
                              decoded.status().ToString());
    }
    out.push_back(std::move(*decoded));
  }
  return out;
}

// ... of a GET's answer, passing its error on.
template <typename T, typename Decode>
Result<std::vector<T>> DecodeItems(const Result<Json>& list, const char* what, Decode decode) {
  if (!list.ok()) return list.status();
  return DecodeItems<T>(*list, what, decode);
}

std::string DeploymentPath(const std::string& name);
Result<Deployment> FetchDeployment(ApiSession& session, const std::string& name);
Result<std::vector<Deployment>> FetchDeployments(ApiSession& session);
Result<std::vector<Task>> FetchDeploymentTasks(ApiSession& session, const std::string& name);
Result<std::vector<Revision>> FetchRevisions(ApiSession& session, const std::string& name);

}  // namespace drover::cli
