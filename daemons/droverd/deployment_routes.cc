// /api/v1/deployments... (apply, list, show, scale, pause/resume, restart,
// undo, revisions, tasks, delete) and /api/v1/endpoints/NAME (with watch).
#include <string>
#include <vector>

#include "api/deployment_json.h"
#include "api/http_client.h"
#include "api/json_codec.h"
#include "api/query_params.h"
#include "api/url_encoding.h"
#include "api/validation.h"
#include "daemons/droverd/api_routes.h"
#include "daemons/droverd/authorization.h"

namespace drover::droverd {
namespace {

// How long an endpoints watch may wait for a change before it is answered
// with what there is (the client asks again).
constexpr int64_t kMaxWatchSeconds = 300;

Json EndpointsJson(const std::string& name, const std::vector<Endpoint>& endpoints, int64_t version,
                   bool all) {
  Json items = Json::array();
  for (const Endpoint& e : endpoints) {
    if (!all && !e.ready) continue;
    Json ports = Json::object();
    for (const auto& [port_name, port] : e.ports) ports[port_name] = port;
    Json item = {{"task", e.task},
                 {"node", e.node},
                 {"host", e.host},
                 {"ports", std::move(ports)},
                 {"ready", e.ready},
                 {"serving", e.serving},
                 {"terminating", e.terminating}};
    if (!e.ports.empty()) item["port"] = e.ports.front().second;
    items.push_back(std::move(item));
  }
  return {{"apiVersion", kApiVersion},
          {"kind", "Endpoints"},
          {"metadata", {{"name", name}, {"resourceVersion", std::to_string(version)}}},
          {"endpoints", std::move(items)}};
}

void Apply(const ApiContext& ctx, const Caller& caller, const std::string& name,
           const HttpRequest& req, HttpResponder respond) {
  auto json = ParseJson(req.body);
  if (!json.ok()) return respond(ErrorResponse(json.status()));
  auto d = DeploymentFromJson(*json);
  if (!d.ok()) return respond(ErrorResponse(d.status()));
  if (d->metadata.name.empty()) d->metadata.name = name;
  if (d->metadata.name != name) {
    return respond(ErrorResponse(Status::Invalid(
        "metadata.name", "\"" + d->metadata.name + "\" differs from the path's \"" + name + "\"")));
  }
  d->status = DeploymentStatus{};  // droverd's to set, as Kubernetes ignores status on apply
  ctx.loop->Post([d = std::move(*d), caller, respond](CommandContext& c) mutable {
    auto applied = c.state.ApplyDeployment(std::move(d), caller, c.now_ms);
    if (!applied.ok()) return respond(ErrorResponse(applied.status()));
    const auto [deployment, verb] = *applied;
    Json body = {{"result", ApplyVerbName(verb)}, {"object", ToJson(*deployment)}};
    const int status = verb == ApplyVerb::kCreated ? 201 : 200;
    c.AfterCommit(
        [respond, status, body = std::move(body)] { respond(JsonResponse(status, body)); });
  });
}

// Runs `change` on the state thread and answers with the Deployment after it.
template <typename ChangeFn>
void Change(const ApiContext& ctx, ChangeFn change, HttpResponder respond) {
  ctx.loop->Post([change, respond](CommandContext& c) {
    Result<const Deployment*> changed = change(c);
    if (!changed.ok()) return respond(ErrorResponse(changed.status()));
    c.AfterCommit([respond, body = ToJson(**changed)] { respond(JsonResponse(200, body)); });
  });
}

Result<int64_t> IntField(const HttpRequest& req, const char* key, bool required) {
  auto json = ParseJson(req.body.empty() ? "{}" : req.body);
  if (!json.ok()) return json.status();
  if (!json->is_object()) return Status::Invalid("", "want a JSON object");
  for (const auto& [k, v] : json->items()) {
    if (k != key)
      return Status::Invalid(SanitizeUtf8(k), "unknown field (want " + std::string(key) + ")");
  }
  auto it = json->find(key);
  if (it == json->end()) {
    if (required) return Status::Invalid(key, "is required");
    return int64_t{0};
  }
  if (!it->is_number_integer() || (it->is_number_unsigned() && it->get<uint64_t>() > INT32_MAX)) {
    return Status::Invalid(key, "must be an integer (got " + DumpJson(*it).substr(0, 64) + ")");
  }
  const int64_t v = it->get<int64_t>();
  if (v < 0 || v > INT32_MAX) {
    return Status::Invalid(key, "must not be negative (got " + std::to_string(v) + ")");
  }
  return v;
}

void List(const ApiContext& ctx, HttpResponder respond) {
  ctx.loop->PostRead([respond](const ClusterState& state) {
    Json items = Json::array();
    for (const auto& [name, d] : state.deployments().all()) items.push_back(ToJson(d));
    respond(JsonResponse(200, Json{{"items", std::move(items)}}));
  });
}

void Show(const ApiContext& ctx, const std::string& name, const std::string& what,
          HttpResponder respond) {
  ctx.loop->PostRead([name, what, respond](const ClusterState& state) {
    const Deployment* d = state.deployments().Find(name);
    if (d == nullptr) {
      return respond(ErrorResponse(Status::NotFound("deployment/" + name + " not found")));
    }
    Json body;
    if (what == "tasks") {
      Json items = Json::array();
      for (const Task* t : state.TasksOfDeployment(name)) items.push_back(ToJson(*t));
      body = {{"items", std::move(items)}};
    } else if (what == "revisions") {
      Json items = Json::array();
      for (const Revision* r : state.deployments().RevisionsOf(name)) items.push_back(ToJson(*r));
      body = {{"items", std::move(items)}};
    } else {
      body = ToJson(*d);
    }
    respond(JsonResponse(200, body));
  });
}

void Delete(const ApiContext& ctx, const Caller& caller, const std::string& name,
            HttpResponder respond) {
  ctx.loop->Post([name, caller, respond](CommandContext& c) {
    Status st = c.state.DeleteDeployment(name, caller, c.now_ms);
    if (!st.ok()) return respond(ErrorResponse(st));
    c.AfterCommit([respond, name] {
      respond(JsonResponse(200, Json{{"deleted", "deployment/" + name}}));
    });
  });
}

void Endpoints(const ApiContext& ctx, const std::string& name, const HttpRequest& req,
               HttpResponder respond) {
  Status known = CheckKnownParams(req.query, {"watch", "resourceVersion", "timeoutSeconds", "all"});
  if (!known.ok()) return respond(ErrorResponse(known));
  auto after = QueryInt(req.query, "resourceVersion", 0, 0, INT64_MAX);
  if (!after.ok()) return respond(ErrorResponse(after.status()));
  auto timeout = QueryInt(req.query, "timeoutSeconds", 60, 1, kMaxWatchSeconds);
  if (!timeout.ok()) return respond(ErrorResponse(timeout.status()));
  auto watch = QueryChoice(req.query, "watch", "false", {"true", "false", "1", "0"});
  if (!watch.ok()) return respond(ErrorResponse(watch.status()));
  auto all = QueryChoice(req.query, "all", "false", {"true", "false", "1", "0"});
  if (!all.ok()) return respond(ErrorResponse(all.status()));
  const bool watching = *watch == "true" || *watch == "1";
  const bool show_all = *all == "true" || *all == "1";
  ctx.loop->Post(
      [name, after = *after, timeout = *timeout, watching, show_all, respond](CommandContext& c) {
        if (c.state.deployments().Find(name) == nullptr) {
          return respond(ErrorResponse(Status::NotFound("deployment/" + name + " not found")));
        }
        auto answer = [name, show_all, respond](std::vector<Endpoint> endpoints, int64_t version) {
          respond(JsonResponse(200, EndpointsJson(name, endpoints, version, show_all)));
        };
        const int64_t version = c.state.EndpointsVersion(name);
        if (!watching || version > after) return answer(c.state.EndpointsOf(name), version);
        c.state.WatchEndpoints(name, after, c.now_ms + timeout * 1000, std::move(answer));
      });
}

// One replica's output (`task`, or the newest running one), fetched from its
// node by the log fetcher, as a job task's.
void Logs(const ApiContext& ctx, const Caller& caller, const std::string& name,
          const HttpRequest& req, HttpResponder respond) {
  Status known = CheckKnownParams(req.query, {"task", "stream", "offset"});
  if (!known.ok()) return respond(ErrorResponse(known));
  auto offset = QueryInt(req.query, "offset", 0, 0, INT64_MAX);
  if (!offset.ok()) return respond(ErrorResponse(offset.status()));
  auto stream = QueryChoice(req.query, "stream", "stdout", {"stdout", "stderr"});
  if (!stream.ok()) return respond(ErrorResponse(stream.status()));
  const std::string task = req.query.count("task") ? req.query.at("task") : "";
  ctx.loop->Post(
      [ctx, caller, name, task, offset = *offset, stream = *stream, respond](CommandContext& c) {
        const Deployment* d = c.state.deployments().Find(name);
        if (d == nullptr) {
          return respond(ErrorResponse(Status::NotFound("deployment/" + name + " not found")));
        }
        Status allowed =
            AuthorizeWorkloadLogRead("deployment", name, d->owner, caller, ctx.logs_public);
        if (!allowed.ok()) return respond(ErrorResponse(allowed));
        const Task* found = nullptr;
        for (const Task* t : c.state.TasksOfDeployment(name)) {  // oldest first
          if (!task.empty()) {
            if (t->metadata.name == task) found = t;
          } else if (t->status.phase == TaskPhase::kRunning || found == nullptr ||
                     found->status.phase != TaskPhase::kRunning) {
            found = t;
          }
        }
        if (found == nullptr) {
          return respond(ErrorResponse(Status::NotFound(
              task.empty()
                  ? "deployment/" + name + " has no replica yet"
                  : "deployment/" + name + " has no task " + task + " (droverd keeps the last " +
                        std::to_string(kFinishedTasksKeptPerDeployment) + " ended ones)")));
        }
        FetchTaskLog(ctx, c.state, *found, stream, offset, respond);
      });
}

}  // namespace

void HandleDeploymentRoute(const ApiContext& ctx, const Caller& caller, HttpRequest& req,
                           const std::vector<std::string>& parts, HttpResponder respond) {
  const std::string& m = req.method;
  if (parts[0] == "endpoints") {
    if (parts.size() == 2 && m == "GET") return Endpoints(ctx, parts[1], req, std::move(respond));
    return respond(NotFoundResponse(req));
  }
  if (parts.size() == 1 && m == "GET") return List(ctx, std::move(respond));
  if (parts.size() < 2) return respond(NotFoundResponse(req));
  const std::string name = parts[1];
  Status valid = ValidateName("name", name);
  if (!valid.ok()) return respond(ErrorResponse(valid));
  if (parts.size() == 2) {
    if (m == "PUT") return Apply(ctx, caller, name, req, std::move(respond));
    if (m == "GET") return Show(ctx, name, "", std::move(respond));
    if (m == "DELETE") return Delete(ctx, caller, name, std::move(respond));
  }
  if (parts.size() != 3) return respond(NotFoundResponse(req));
  const std::string& verb = parts[2];
  if (m == "GET" && verb == "logs") return Logs(ctx, caller, name, req, std::move(respond));
  if (m == "GET" && (verb == "tasks" || verb == "revisions")) {
    return Show(ctx, name, verb, std::move(respond));
  }
  if (m != "POST") return respond(NotFoundResponse(req));
  if (verb == "scale") {
    auto replicas = IntField(req, "replicas", true);
    if (!replicas.ok()) return respond(ErrorResponse(replicas.status()));
    return Change(
        ctx,
        [name, caller, n = static_cast<int32_t>(*replicas)](CommandContext& c) {
          return c.state.ScaleDeployment(name, n, caller, c.now_ms);
        },
        std::move(respond));
  }
  if (verb == "pause" || verb == "resume") {
    return Change(
        ctx,
        [name, caller, paused = verb == "pause"](CommandContext& c) {
          return c.state.PauseDeployment(name, paused, caller, c.now_ms);
        },
        std::move(respond));
  }
  if (verb == "restart") {
    return Change(
        ctx,
        [name, caller](CommandContext& c) {
          return c.state.RestartDeployment(name, caller, c.now_ms);
        },
        std::move(respond));
  }
  if (verb == "undo") {
    auto to = IntField(req, "toRevision", false);
    if (!to.ok()) return respond(ErrorResponse(to.status()));
    return Change(
        ctx,
        [name, caller, to = *to](CommandContext& c) {
          return c.state.UndoDeployment(name, to, caller, c.now_ms);
        },
        std::move(respond));
  }
  respond(NotFoundResponse(req));
}

}  // namespace drover::droverd
