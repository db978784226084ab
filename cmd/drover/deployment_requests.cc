#include "cmd/drover/deployment_requests.h"

#include "api/deployment_json.h"
#include "api/json_codec.h"
#include "api/url_encoding.h"

namespace drover::cli {

std::string DeploymentPath(const std::string& name) {
  return "/api/v1/deployments/" + PercentEncode(name);
}

Result<Deployment> FetchDeployment(ApiSession& session, const std::string& name) {
  auto json = session.GetJson(DeploymentPath(name));
  if (!json.ok()) return json.status();
  auto d = DeploymentFromJson(*json);
  if (!d.ok())
    return Status::Internal("droverd sent a malformed deployment: " + d.status().ToString());
  return d;
}

Result<std::vector<Deployment>> FetchDeployments(ApiSession& session) {
  auto json = session.GetJson("/api/v1/deployments");
  if (!json.ok()) return json.status();
  return DecodeItems<Deployment>(*json, "deployment",
                                 [](const Json& j) { return DeploymentFromJson(j); });
}

Result<std::vector<Task>> FetchDeploymentTasks(ApiSession& session, const std::string& name) {
  auto json = session.GetJson(DeploymentPath(name) + "/tasks");
  if (!json.ok()) return json.status();
  return DecodeItems<Task>(*json, "task", [](const Json& j) { return TaskFromJson(j); });
}

Result<std::vector<Revision>> FetchRevisions(ApiSession& session, const std::string& name) {
  auto json = session.GetJson(DeploymentPath(name) + "/revisions");
  if (!json.ok()) return json.status();
  return DecodeItems<Revision>(*json, "revision",
                               [](const Json& j) { return RevisionFromJson(j); });
}

}  // namespace drover::cli
