// How the CLI shows Deployments, their tasks and endpoints to people
// (kubectl's columns), and how it reads "KIND/NAME". Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/deployment.h"
#include "api/json_text.h"
#include "api/status.h"
#include "api/task.h"
#include "cmd/drover/table.h"

namespace drover::cli {

// An object's age for a table ("5m"; "-" for no time).
std::string Age(int64_t since_ms, int64_t now_ms);
// A template's command line, cut to 60 characters.
std::string CommandLine(const TaskTemplate& t);

// The kind a word names, by its plural, singular or short name
// ("deployments", "deployment", "deploy" -> "deployment"); "" if none.
std::string KindOfWord(std::string_view word);

// "node/n1", "nodes/n1" -> {"node", "n1"}; a word without a known KIND/ prefix
// -> {"", word}.
std::pair<std::string, std::string> SplitKindName(std::string_view word);

// "deployment/web", "deploy/web" -> "web". `verb` names the command in errors.
Result<std::string> ParseDeploymentRef(std::string_view text);

// NAME READY UP-TO-DATE AVAILABLE AGE (wide: + REVISION STRATEGY IMAGE/COMMAND).
Table DeploymentsTable(const std::vector<Deployment>& deployments, int64_t now_ms, bool wide);

// NAME STATUS READY NODE PORTS AGE (wide: + REVISION).
Table ReplicasTable(const std::vector<Task>& tasks, int64_t now_ms, bool wide);

// `drover describe deployment/NAME`: spec, status, conditions, revisions, replicas.
std::string DescribeDeployment(const Deployment& d, const std::vector<Task>& tasks,
                               const std::vector<Revision>& revisions, int64_t now_ms);

// TASK NODE ADDRESS READY TERMINATING, from GET /api/v1/endpoints/NAME.
Table EndpointsTable(const Json& endpoints);

// One line of `rollout status`: where the rollout is, as kubectl words it.
// `done` is set when it finished; `failed` when it passed its deadline.
std::string RolloutStatusLine(const Deployment& d, bool* done, bool* failed);

}  // namespace drover::cli
