#include "daemons/droverd/api_routes.h"

#include <chrono>

#include "api/http_client.h"
#include "api/url_encoding.h"
#include "daemons/droverd/authorization.h"

namespace drover::droverd {
namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > pos) parts.emplace_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return parts;
}

// The metrics label of a request: a route of the API's own table, with ids
// and names as ":id" / ":name", or "unmatched". Labels never come from what a
// client sent, so no client can grow the number of series.
std::string RouteLabel(const std::vector<std::string>& p) {
  if (p.size() == 1 && (p[0] == "healthz" || p[0] == "metrics")) return "/" + p[0];
  if (p.size() < 3 || p[0] != "api" || p[1] != "v1") return "unmatched";
  const std::string& kind = p[2];
  if (kind == "jobs") {
    if (p.size() == 3) return "/api/v1/jobs";
    if (p.size() == 4) return p[3] == "bulk" ? "/api/v1/jobs/bulk" : "/api/v1/jobs/:id";
    if (p.size() == 5) {
      for (const char* verb : {"cancel", "hold", "release", "tasks", "logs"}) {
        if (p[4] == verb) return std::string("/api/v1/jobs/:id/") + verb;
      }
    }
  } else if (kind == "history") {
    if (p.size() == 3) return "/api/v1/history";
  } else if (kind == "deployments") {
    if (p.size() == 3) return "/api/v1/deployments";
    if (p.size() == 4) return "/api/v1/deployments/:name";
    if (p.size() == 5) {
      for (const char* verb :
           {"scale", "pause", "resume", "restart", "undo", "tasks", "revisions", "logs"}) {
        if (p[4] == verb) return std::string("/api/v1/deployments/:name/") + verb;
      }
    }
  } else if (kind == "daemonsets") {
    if (p.size() == 3) return "/api/v1/daemonsets";
    if (p.size() == 4) return "/api/v1/daemonsets/:name";
    if (p.size() == 5) {
      for (const char* verb : {"restart", "tasks", "revisions", "logs"}) {
        if (p[4] == verb) return std::string("/api/v1/daemonsets/:name/") + verb;
      }
    }
  } else if (kind == "statefulsets") {
    if (p.size() == 3) return "/api/v1/statefulsets";
    if (p.size() == 4) return "/api/v1/statefulsets/:name";
    if (p.size() == 5) {
      for (const char* verb : {"scale", "restart", "tasks", "revisions", "logs"}) {
        if (p[4] == verb) return std::string("/api/v1/statefulsets/:name/") + verb;
      }
    }
  } else if (kind == "apply") {
    if (p.size() == 3) return "/api/v1/apply";
  } else if (kind == "endpoints") {
    if (p.size() == 4) return "/api/v1/endpoints/:name";
  } else if (kind == "prometheus") {
    if (p.size() == 4 && p[3] == "targets") return "/api/v1/prometheus/targets";
  } else if (kind == "tokens") {
    if (p.size() == 3) return "/api/v1/tokens";
    if (p.size() == 4) return "/api/v1/tokens/:id";
  } else if (kind == "nodes") {
    if (p.size() == 3) return "/api/v1/nodes";
    if (p.size() == 4) return "/api/v1/nodes/:name";
    if (p.size() == 5) {
      for (const char* verb : {"register", "assignments", "status", "join", "labels", "cordon",
                               "uncordon", "drain", "tasks", "logs", "health"}) {
        if (p[4] == verb) return std::string("/api/v1/nodes/:name/") + verb;
      }
    }
  }
  return "unmatched";
}

std::string MethodLabel(const std::string& method) {
  for (const char* known : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}) {
    if (method == known) return method;
  }
  return "other";
}

}  // namespace

HttpResponse JsonResponse(int status, const Json& body) {
  return HttpResponse{status, "application/json", DumpJson(body)};
}

void FetchTaskLog(const ApiContext& ctx, const ClusterState& state, const Task& task,
                  const std::string& stream, int64_t offset, HttpResponder respond) {
  auto node = state.nodes().find(task.spec.node);
  // A node that is not Ready is not asked when the log store can answer (its
  // answer would be a timeout).
  const bool reachable =
      node != state.nodes().end() && !node->second.status.address.empty() &&
      (node->second.status.phase == NodePhase::kReady || ctx.log_store == nullptr);
  if (!reachable && ctx.log_store == nullptr) {
    return respond(
        ErrorResponse(Status::Unavailable("node " + task.spec.node + " has no log endpoint")));
  }
  LogFetch fetch;
  if (reachable) fetch.address = node->second.status.address;
  fetch.task = task.metadata.name;
  fetch.offset = offset;
  fetch.token = ctx.control_plane_key;
  fetch.target = "/logs/" + PercentEncode(task.metadata.name) + "?stream=" + stream +
                 "&offset=" + std::to_string(offset);
  fetch.phase = std::string(TaskPhaseName(task.status.phase));
  fetch.respond = std::move(respond);
  ctx.logs->Fetch(std::move(fetch));
}

HttpResponse NotFoundResponse(const HttpRequest& req) {
  // The path may hold any bytes a client sent; quote it as valid UTF-8, shortened.
  std::string path = SanitizeUtf8(req.path.substr(0, 200));
  return ErrorResponse(
      Status::NotFound("no route for " + SanitizeUtf8(req.method.substr(0, 16)) + " " + path));
}

uint64_t BodyLimitFor(const std::string& method, const std::vector<std::string>& p) {
  if (method != "POST" && method != "PUT" && method != "PATCH") return 0;
  // parts: api v1 KIND ...
  if (p.size() == 3 && p[2] == "jobs") return 8 << 20;  // a job; Slurm's max_script_size is 4 MB
  if (p.size() == 4 && p[2] == "jobs" && p[3] == "bulk") return 64 << 20;
  if (p.size() == 5 && p[2] == "jobs" && p[4] == "steps") return 8 << 20;  // srun's environment
  if (p.size() == 3 && p[2] == "apply") return 64 << 20;  // a manifest of jobs and services
  if (p.size() == 5 && p[2] == "nodes" && p[4] == "status") return 32 << 20;   // 100,000 reports
  if (p.size() == 5 && p[2] == "nodes" && p[4] == "register") return 8 << 20;  // a topology
  if (p.size() == 5 && p[2] == "nodes" && p[4] == "logs") return 16 << 20;     // shipped log chunks
  if (p.size() == 4 && (p[2] == "deployments" || p[2] == "daemonsets" || p[2] == "statefulsets")) {
    return 8 << 20;  // a template, as a job's
  }
  return 64 << 10;
}

HttpRequestGate MakeApiGate(ApiContext context) {
  return [ctx = context](const HttpRequest& head) {
    std::vector<std::string> parts = SplitPath(head.path);
    if (head.path == "/healthz" || head.path == "/metrics") return HttpGateDecision::Allow(0);
    if (parts.size() < 3 || parts[0] != "api" || parts[1] != "v1") {
      return HttpGateDecision::Refuse(NotFoundResponse(head));
    }
    auto caller = IdentifyCaller(head, *ctx.tokens, ctx.issued, ctx.daemon_uid, ctx.clock->NowMs(),
                                 ctx.task_credentials);
    if (!caller.ok()) return HttpGateDecision::Refuse(ErrorResponse(caller.status()));
    // Refused callers get no body allowance at all: only a node (or an admin)
    // may send a node's large reports, only users and admins a bulk submission.
    std::vector<std::string> rest(parts.begin() + 2, parts.end());
    Status allowed = AuthorizeRoute(*caller, rest);
    if (allowed.ok() && rest.size() == 3 && rest[0] == "nodes") {
      allowed = AuthorizeNodeEndpoint(*caller, rest[1], rest[2]);
    }
    if (!allowed.ok()) return HttpGateDecision::Refuse(ErrorResponse(allowed));
    // A change now would only wait behind the batch the store has not taken.
    if (head.method != "GET" && ctx.loop != nullptr) {
      if (std::optional<std::string> trouble = ctx.loop->StoreTrouble()) {
        return HttpGateDecision::Refuse(
            ErrorResponse(Status::Unavailable("the store cannot take changes right now (" +
                                              *trouble + "); nothing was changed: retry later")));
      }
    }
    return HttpGateDecision::Allow(BodyLimitFor(head.method, parts));
  };
}

HttpHandler MakeApiHandler(ApiContext context) {
  return [ctx = context](HttpRequest req, HttpResponder respond) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::string> parts = SplitPath(req.path);
    HttpResponder timed = [ctx, respond = std::move(respond), start,
                           method = MethodLabel(req.method),
                           route = RouteLabel(parts)](HttpResponse r) {
      ctx.metrics->ObserveRequest(
          method, route,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      respond(std::move(r));
    };
    if (req.path == "/healthz") return timed(HttpResponse{200, "text/plain", "ok\n"});
    if (req.path == "/metrics") {
      return timed(HttpResponse{200, "text/plain; version=0.0.4", ctx.metrics->Serialize()});
    }
    if (parts.size() < 3 || parts[0] != "api" || parts[1] != "v1") {
      return timed(NotFoundResponse(req));
    }
    auto caller = IdentifyCaller(req, *ctx.tokens, ctx.issued, ctx.daemon_uid, ctx.clock->NowMs(),
                                 ctx.task_credentials);
    if (!caller.ok()) return timed(ErrorResponse(caller.status()));
    std::vector<std::string> rest(parts.begin() + 2, parts.end());
    Status allowed = AuthorizeRoute(*caller, rest);
    if (!allowed.ok()) return timed(ErrorResponse(allowed));
    if (rest[0] == "jobs") return HandleJobRoute(ctx, *caller, req, rest, std::move(timed));
    if (rest[0] == "nodes") return HandleNodeRoute(ctx, *caller, req, rest, std::move(timed));
    if (rest[0] == "tokens") return HandleTokenRoute(ctx, *caller, req, rest, std::move(timed));
    if (rest.size() == 1 && rest[0] == "history") {
      return HandleHistoryRoute(ctx, req, std::move(timed));
    }
    if (rest.size() == 1 && rest[0] == "apply" && req.method == "POST") {
      return HandleApplyRoute(ctx, *caller, req, std::move(timed));
    }
    if (rest[0] == "deployments" || rest[0] == "endpoints") {
      return HandleDeploymentRoute(ctx, *caller, req, rest, std::move(timed));
    }
    if (rest[0] == "daemonsets") {
      return HandleDaemonSetRoute(ctx, *caller, req, rest, std::move(timed));
    }
    if (rest[0] == "statefulsets") {
      return HandleStatefulSetRoute(ctx, *caller, req, rest, std::move(timed));
    }
    if (rest.size() == 2 && rest[0] == "prometheus" && rest[1] == "targets" &&
        req.method == "GET") {
      return PrometheusTargets(ctx, std::move(timed));
    }
    timed(NotFoundResponse(req));
  };
}

}  // namespace drover::droverd
