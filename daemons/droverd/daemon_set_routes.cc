// /api/v1/daemonsets... (apply, list, show, tasks, revisions, restart, logs,
// delete).
#include <string>
#include <vector>

#include "api/daemon_set_json.h"
#include "api/deployment_json.h"
#include "api/http_client.h"
#include "api/json_codec.h"
#include "api/query_params.h"
#include "api/validation.h"
#include "daemons/droverd/api_routes.h"
#include "daemons/droverd/authorization.h"
#include "daemons/droverd/workload_routes.h"

namespace drover::droverd {
namespace {

Status NotFoundDaemonSet(const std::string& name) {
  return Status::NotFound("daemonset/" + name + " not found");
}

void Show(const ApiContext& ctx, const std::string& name, const std::string& what,
          HttpResponder respond) {
  ctx.loop->PostRead([name, what, respond](const ClusterState& state) {
    if (name.empty()) {
      Json items = Json::array();
      for (const auto& [n, ds] : state.daemon_sets().all()) items.push_back(ToJson(ds));
      return respond(JsonResponse(200, Json{{"items", std::move(items)}}));
    }
    const DaemonSet* ds = state.daemon_sets().Find(name);
    if (ds == nullptr) return respond(ErrorResponse(NotFoundDaemonSet(name)));
    Json items = Json::array();
    if (what == "tasks") {
      for (const Task* t : state.TasksOfDaemonSet(name)) items.push_back(ToJson(*t));
    } else if (what == "revisions") {
      for (const Revision* r : state.daemon_sets().RevisionsOf(name)) items.push_back(ToJson(*r));
    } else {
      return respond(JsonResponse(200, ToJson(*ds)));
    }
    respond(JsonResponse(200, Json{{"items", std::move(items)}}));
  });
}

// One daemon task's output: `task`, or the newest on `node`, or the newest
// running one.
void Logs(const ApiContext& ctx, const Caller& caller, const std::string& name,
          const HttpRequest& req, HttpResponder respond) {
  Status known = CheckKnownParams(req.query, {"task", "node", "stream", "offset"});
  if (!known.ok()) return respond(ErrorResponse(known));
  auto offset = QueryInt(req.query, "offset", 0, 0, INT64_MAX);
  if (!offset.ok()) return respond(ErrorResponse(offset.status()));
  auto stream = QueryChoice(req.query, "stream", "stdout", {"stdout", "stderr"});
  if (!stream.ok()) return respond(ErrorResponse(stream.status()));
  const std::string task = req.query.count("task") ? req.query.at("task") : "";
  const std::string node = req.query.count("node") ? req.query.at("node") : "";
  ctx.loop->Post([ctx, caller, name, task, node, offset = *offset, stream = *stream,
                  respond](CommandContext& c) {
    const DaemonSet* ds = c.state.daemon_sets().Find(name);
    if (ds == nullptr) return respond(ErrorResponse(NotFoundDaemonSet(name)));
    Status allowed =
        AuthorizeWorkloadLogRead("daemonset", name, ds->owner, caller, ctx.logs_public);
    if (!allowed.ok()) return respond(ErrorResponse(allowed));
    const Task* found = nullptr;
    for (const Task* t : c.state.TasksOfDaemonSet(name)) {  // oldest first
      if (!task.empty() ? t->metadata.name != task : !node.empty() && t->spec.node != node) {
        continue;
      }
      if (found == nullptr || t->status.phase == TaskPhase::kRunning ||
          found->status.phase != TaskPhase::kRunning) {
        found = t;
      }
    }
    if (found == nullptr) {
      return respond(ErrorResponse(
          Status::NotFound("daemonset/" + name + " has no task" +
                           (!task.empty()   ? " " + task
                            : !node.empty() ? " on node " + node
                                            : "") +
                           " (droverd keeps the last " +
                           std::to_string(kFinishedTasksKeptPerDeployment) + " ended ones)")));
    }
    FetchTaskLog(ctx, c.state, *found, stream, offset, respond);
  });
}

}  // namespace

void HandleDaemonSetRoute(const ApiContext& ctx, const Caller& caller, HttpRequest& req,
                          const std::vector<std::string>& parts, HttpResponder respond) {
  const std::string& m = req.method;
  if (parts.size() == 1 && m == "GET") return Show(ctx, "", "", std::move(respond));
  if (parts.size() < 2 || parts.size() > 3) return respond(NotFoundResponse(req));
  const std::string name = parts[1];
  Status valid = ValidateName("name", name);
  if (!valid.ok()) return respond(ErrorResponse(valid));
  if (parts.size() == 2) {
    if (m == "PUT") {
      return ApplyWorkload(
          ctx, caller, name, req, std::move(respond),
          [](const Json& j) { return DaemonSetFromJson(j); },
          [](ClusterState& state, DaemonSet ds, const Caller& who, int64_t now) {
            return state.ApplyDaemonSet(std::move(ds), who, now);
          });
    }
    if (m == "GET") return Show(ctx, name, "", std::move(respond));
    if (m == "DELETE") {
      return DeleteWorkload(ctx, caller, "daemonset", name, std::move(respond),
                            [](ClusterState& state, const std::string& n, const Caller& who,
                               int64_t now) { return state.DeleteDaemonSet(n, who, now); });
    }
    return respond(NotFoundResponse(req));
  }
  const std::string& verb = parts[2];
  if (m == "GET" && verb == "logs") return Logs(ctx, caller, name, req, std::move(respond));
  if (m == "GET" && (verb == "tasks" || verb == "revisions")) {
    return Show(ctx, name, verb, std::move(respond));
  }
  if (m == "POST" && verb == "restart") {
    return ChangeWorkload(ctx, caller, std::move(respond),
                          [name](ClusterState& state, const Caller& who, int64_t now) {
                            return state.RestartDaemonSet(name, who, now);
                          });
  }
  respond(NotFoundResponse(req));
}

}  // namespace drover::droverd
