// /api/v1/statefulsets... (apply, list, show, tasks, revisions, scale,
// restart, logs, delete).
#include <string>
#include <vector>

#include "api/deployment_json.h"
#include "api/http_client.h"
#include "api/json_codec.h"
#include "api/query_params.h"
#include "api/stateful_set_json.h"
#include "api/validation.h"
#include "daemons/droverd/api_routes.h"
#include "daemons/droverd/authorization.h"
#include "daemons/droverd/workload_routes.h"

namespace drover::droverd {
namespace {

Status NotFoundStatefulSet(const std::string& name) {
  return Status::NotFound("statefulset/" + name + " not found");
}

// The StatefulSet as stored, and why ordinals without a task wait.
Json ShownStatefulSet(const ClusterState& state, const StatefulSet& ss, int64_t now_ms) {
  Json j = ToJson(ss);
  Json waiting = Json::object();
  for (const auto& [ordinal, why] : state.WaitingOrdinals(ss.metadata.name, now_ms)) {
    waiting[std::to_string(ordinal)] = why;
  }
  if (!waiting.empty()) j["status"]["waiting"] = std::move(waiting);
  return j;
}

void Show(const ApiContext& ctx, const std::string& name, const std::string& what,
          HttpResponder respond) {
  const int64_t now = ctx.clock->NowMs();
  ctx.loop->PostRead([name, what, now, respond](const ClusterState& state) {
    if (name.empty()) {
      Json items = Json::array();
      for (const auto& [n, ss] : state.stateful_sets().all()) {
        items.push_back(ShownStatefulSet(state, ss, now));
      }
      return respond(JsonResponse(200, Json{{"items", std::move(items)}}));
    }
    const StatefulSet* ss = state.stateful_sets().Find(name);
    if (ss == nullptr) return respond(ErrorResponse(NotFoundStatefulSet(name)));
    Json items = Json::array();
    if (what == "tasks") {
      for (const Task* t : state.TasksOfStatefulSet(name)) items.push_back(ToJson(*t));
    } else if (what == "revisions") {
      for (const Revision* r : state.stateful_sets().RevisionsOf(name)) items.push_back(ToJson(*r));
    } else {
      return respond(JsonResponse(200, ShownStatefulSet(state, *ss, now)));
    }
    respond(JsonResponse(200, Json{{"items", std::move(items)}}));
  });
}

// An ordinal's output: ?ordinal=K (default 0), its task now or its last.
void Logs(const ApiContext& ctx, const Caller& caller, const std::string& name,
          const HttpRequest& req, HttpResponder respond) {
  Status known = CheckKnownParams(req.query, {"ordinal", "stream", "offset"});
  if (!known.ok()) return respond(ErrorResponse(known));
  auto offset = QueryInt(req.query, "offset", 0, 0, INT64_MAX);
  if (!offset.ok()) return respond(ErrorResponse(offset.status()));
  auto ordinal = QueryInt(req.query, "ordinal", 0, 0, INT32_MAX);
  if (!ordinal.ok()) return respond(ErrorResponse(ordinal.status()));
  auto stream = QueryChoice(req.query, "stream", "stdout", {"stdout", "stderr"});
  if (!stream.ok()) return respond(ErrorResponse(stream.status()));
  ctx.loop->Post([ctx, caller, name, ordinal = *ordinal, offset = *offset, stream = *stream,
                  respond](CommandContext& c) {
    const StatefulSet* ss = c.state.stateful_sets().Find(name);
    if (ss == nullptr) return respond(ErrorResponse(NotFoundStatefulSet(name)));
    Status allowed =
        AuthorizeWorkloadLogRead("statefulset", name, ss->owner, caller, ctx.logs_public);
    if (!allowed.ok()) return respond(ErrorResponse(allowed));
    const Task* found = nullptr;  // its live task, else its newest
    for (const Task* t : c.state.TasksOfStatefulSet(name)) {
      if (t->spec.index != ordinal) continue;
      if (found == nullptr || !IsTerminal(t->status.phase) || IsTerminal(found->status.phase)) {
        found = t;
      }
    }
    if (found == nullptr) {
      return respond(ErrorResponse(Status::NotFound("statefulset/" + name + " has no task of " +
                                                    "ordinal " + std::to_string(ordinal))));
    }
    FetchTaskLog(ctx, c.state, *found, stream, offset, respond);
  });
}

Result<int64_t> ReplicasField(const HttpRequest& req) {
  auto json = ParseJson(req.body.empty() ? "{}" : req.body);
  if (!json.ok()) return json.status();
  if (!json->is_object()) return Status::Invalid("", "want a JSON object");
  for (const auto& [k, v] : json->items()) {
    if (k != "replicas") return Status::Invalid(SanitizeUtf8(k), "unknown field (want replicas)");
  }
  auto it = json->find("replicas");
  if (it == json->end()) return Status::Invalid("replicas", "is required");
  if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > INT32_MAX) {
    return Status::Invalid("replicas",
                           "must be an integer >= 0 (got " + DumpJson(*it).substr(0, 64) + ")");
  }
  return it->get<int64_t>();
}

}  // namespace

void HandleStatefulSetRoute(const ApiContext& ctx, const Caller& caller, HttpRequest& req,
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
          [](const Json& j) { return StatefulSetFromJson(j); },
          [](ClusterState& state, StatefulSet ss, const Caller& who, int64_t now) {
            return state.ApplyStatefulSet(std::move(ss), who, now);
          });
    }
    if (m == "GET") return Show(ctx, name, "", std::move(respond));
    if (m == "DELETE") {
      return DeleteWorkload(ctx, caller, "statefulset", name, std::move(respond),
                            [](ClusterState& state, const std::string& n, const Caller& who,
                               int64_t now) { return state.DeleteStatefulSet(n, who, now); });
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
                            return state.RestartStatefulSet(name, who, now);
                          });
  }
  if (m == "POST" && verb == "scale") {
    auto replicas = ReplicasField(req);
    if (!replicas.ok()) return respond(ErrorResponse(replicas.status()));
    return ChangeWorkload(ctx, caller, std::move(respond),
                          [name, n = static_cast<int32_t>(*replicas)](
                              ClusterState& state, const Caller& who, int64_t now) {
                            return state.ScaleStatefulSet(name, n, who, now);
                          });
  }
  respond(NotFoundResponse(req));
}

}  // namespace drover::droverd
