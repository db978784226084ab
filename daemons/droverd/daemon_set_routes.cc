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

namespace drover::droverd {
namespace {

Status NotFoundDaemonSet(const std::string& name) {
  return Status::NotFound("daemonset/" + name + " not found");
}

void Apply(const ApiContext& ctx, const Caller& caller, const std::string& name,
           const HttpRequest& req, HttpResponder respond) {
  auto json = ParseJson(req.body);
  if (!json.ok()) return respond(ErrorResponse(json.status()));
  auto ds = DaemonSetFromJson(*json);
  if (!ds.ok()) return respond(ErrorResponse(ds.status()));
  if (ds->metadata.name.empty()) ds->metadata.name = name;
  if (ds->metadata.name != name) {
    return respond(ErrorResponse(
        Status::Invalid("metadata.name",
                        "\"" + ds->metadata.name + "\" differs from the path's \"" + name + "\"")));
  }
  ds->status = DaemonSetStatus{};  // droverd's to set
  ctx.loop->Post([ds = std::move(*ds), caller, respond](CommandContext& c) mutable {
    auto applied = c.state.ApplyDaemonSet(std::move(ds), caller, c.now_ms);
    if (!applied.ok()) return respond(ErrorResponse(applied.status()));
    const auto [daemon_set, verb] = *applied;
    Json body = {{"result", ApplyVerbName(verb)}, {"object", ToJson(*daemon_set)}};
    const int status = verb == ApplyVerb::kCreated ? 201 : 200;
    c.AfterCommit(
        [respond, status, body = std::move(body)] { respond(JsonResponse(status, body)); });
  });
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
    if (m == "PUT") return Apply(ctx, caller, name, req, std::move(respond));
    if (m == "GET") return Show(ctx, name, "", std::move(respond));
    if (m == "DELETE") {
      return ctx.loop->Post([name, caller, respond](CommandContext& c) {
        Status st = c.state.DeleteDaemonSet(name, caller, c.now_ms);
        if (!st.ok()) return respond(ErrorResponse(st));
        c.AfterCommit([respond, name] {
          respond(JsonResponse(200, Json{{"deleted", "daemonset/" + name}}));
        });
      });
    }
    return respond(NotFoundResponse(req));
  }
  const std::string& verb = parts[2];
  if (m == "GET" && verb == "logs") return Logs(ctx, caller, name, req, std::move(respond));
  if (m == "GET" && (verb == "tasks" || verb == "revisions")) {
    return Show(ctx, name, verb, std::move(respond));
  }
  if (m == "POST" && verb == "restart") {
    return ctx.loop->Post([name, caller, respond](CommandContext& c) {
      auto restarted = c.state.RestartDaemonSet(name, caller, c.now_ms);
      if (!restarted.ok()) return respond(ErrorResponse(restarted.status()));
      c.AfterCommit([respond, body = ToJson(**restarted)] { respond(JsonResponse(200, body)); });
    });
  }
  respond(NotFoundResponse(req));
}

}  // namespace drover::droverd
