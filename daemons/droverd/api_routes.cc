#include "daemons/droverd/api_routes.h"

#include <chrono>

#include "api/http_client.h"

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

// A low-cardinality route label for metrics: ids and names become ":id".
std::string RouteLabel(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    out += '/';
    out += (i == 3 && parts.size() > 3) ? ":id" : parts[i];
  }
  return out.empty() ? "/" : out;
}

}  // namespace

HttpResponse JsonResponse(int status, const Json& body) {
  return HttpResponse{status, "application/json", body.dump()};
}

HttpResponse NotFoundResponse(const HttpRequest& req) {
  return ErrorResponse(Status::NotFound("no route for " + req.method + " " + req.path));
}

HttpHandler MakeApiHandler(ApiContext context) {
  return [ctx = context](HttpRequest req, HttpResponder respond) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::string> parts = SplitPath(req.path);
    std::string route = RouteLabel(parts);
    HttpResponder timed = [ctx, respond = std::move(respond), start, method = req.method,
                           route](HttpResponse r) {
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
    auto caller = IdentifyCaller(req, *ctx.tokens, ctx.daemon_uid);
    if (!caller.ok()) return timed(ErrorResponse(caller.status()));
    std::vector<std::string> rest(parts.begin() + 2, parts.end());
    if (rest[0] == "jobs") return HandleJobRoute(ctx, *caller, req, rest, std::move(timed));
    if (rest[0] == "nodes") return HandleNodeRoute(ctx, *caller, req, rest, std::move(timed));
    timed(NotFoundResponse(req));
  };
}

}  // namespace drover::droverd
