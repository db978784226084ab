// /api/v1/jobs/ID/steps...: Slurm's job steps (srun inside an allocation),
// and /api/v1/jobs/ID/complete, which ends an interactive allocation.
#include <charconv>

#include "api/http_client.h"
#include "api/json_codec.h"
#include "api/json_fields.h"
#include "api/query_params.h"
#include "api/validation.h"
#include "daemons/droverd/api_routes.h"
#include "daemons/droverd/authorization.h"

namespace drover::droverd {
namespace {

using namespace json_fields;

Result<ClusterState::StepRequest> DecodeStepRequest(const Json& j) {
  DROVER_RETURN_IF_ERROR(CheckObject(j, "body"));
  DROVER_RETURN_IF_ERROR(
      CheckKnownFields(j,
                       {"ntasks", "nodes", "ntasksPerNode", "cpusPerTask", "overlap", "cpuBind",
                        "killOnBadExit", "mpi", "command", "env", "workingDir"},
                       ""));
  ClusterState::StepRequest r;
  scheduler::StepRequest& p = r.placement;
  p.cpus_per_task = 0;
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "ntasks", "", &p.ntasks));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "nodes", "", &p.nodes));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "ntasksPerNode", "", &p.ntasks_per_node));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "cpusPerTask", "", &p.cpus_per_task));
  DROVER_RETURN_IF_ERROR(GetBool(j, "overlap", "", &p.overlap));
  std::string bind = "cores";
  DROVER_RETURN_IF_ERROR(GetString(j, "cpuBind", "", &bind));
  if (bind != "cores" && bind != "none") {
    return Status::Invalid("cpuBind", "must be \"cores\" or \"none\" (got \"" + bind + "\")");
  }
  p.bind_none = bind == "none";
  DROVER_RETURN_IF_ERROR(GetBool(j, "killOnBadExit", "", &r.kill_on_bad_exit));
  DROVER_RETURN_IF_ERROR(GetString(j, "mpi", "", &r.mpi));
  if (r.mpi != "pmix" && r.mpi != "none") {
    return Status::Invalid("mpi", "must be \"pmix\" or \"none\" (got \"" + r.mpi + "\")");
  }
  DROVER_RETURN_IF_ERROR(GetStringList(j, "command", "", &r.command.command));
  if (r.command.command.empty() || r.command.command[0].empty()) {
    return Status::Invalid("command", "is required (the program every rank runs)");
  }
  if (r.command.command.size() > kMaxArgs) {
    return Status::Invalid("command", "at most " + std::to_string(kMaxArgs) + " arguments");
  }
  if (const Json* env = Find(j, "env")) {
    if (!env->is_array() || env->size() > kMaxEnvVars) {
      return Status::Invalid("env", "must be a list of at most " + std::to_string(kMaxEnvVars) +
                                        " [name, value] pairs");
    }
    for (const Json& kv : *env) {
      if (!kv.is_array() || kv.size() != 2 || !kv[0].is_string() || !kv[1].is_string()) {
        return Status::Invalid("env", "each entry is [name, value], both strings");
      }
      r.command.env.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
    }
  }
  DROVER_RETURN_IF_ERROR(GetString(j, "workingDir", "", &r.command.working_dir));
  if (p.ntasks < 1 || p.ntasks > 100'000) {
    return Status::Invalid("ntasks", "must be between 1 and 100000");
  }
  return r;
}

void CreateStep(const ApiContext& ctx, const Caller& caller, uint64_t id, const HttpRequest& req,
                HttpResponder respond) {
  auto json = ParseJson(req.body);
  if (!json.ok()) return respond(ErrorResponse(json.status()));
  auto request = DecodeStepRequest(*json);
  if (!request.ok()) return respond(ErrorResponse(request.status()));
  ctx.loop->Post([id, caller, request = std::move(*request), respond](CommandContext& c) mutable {
    auto tasks = c.state.CreateStep(id, std::move(request), caller, c.now_ms);
    if (!tasks.ok()) return respond(ErrorResponse(tasks.status()));
    Json items = Json::array();
    for (const Task* t : *tasks) items.push_back(ToJson(*t));
    Json body = {{"step", tasks->front()->spec.step.id}, {"items", std::move(items)}};
    c.AfterCommit([respond, body = std::move(body)] { respond(JsonResponse(201, body)); });
  });
}

void ListSteps(const ApiContext& ctx, uint64_t id, const HttpRequest& req, HttpResponder respond) {
  Status known = CheckKnownParams(req.query, {"step"});
  if (!known.ok()) return respond(ErrorResponse(known));
  auto step = QueryInt(req.query, "step", -1, 0, INT32_MAX);
  if (!step.ok()) return respond(ErrorResponse(step.status()));
  ctx.loop->PostRead([id, step = *step, respond](const ClusterState& state) {
    if (state.FindJob(id) == nullptr) {
      return respond(ErrorResponse(Status::NotFound("job " + std::to_string(id) + " not found")));
    }
    Json items = Json::array();
    for (const Task* t : state.StepTasksOfJob(id)) {
      if (step < 0 || t->spec.step.id == step) items.push_back(ToJson(*t));
    }
    respond(JsonResponse(200, Json{{"items", std::move(items)}}));
  });
}

void StepLogs(const ApiContext& ctx, const Caller& caller, uint64_t id, int32_t step,
              const HttpRequest& req, HttpResponder respond) {
  Status known = CheckKnownParams(req.query, {"rank", "stream", "offset"});
  if (!known.ok()) return respond(ErrorResponse(known));
  auto rank = QueryInt(req.query, "rank", 0, 0, INT32_MAX);
  if (!rank.ok()) return respond(ErrorResponse(rank.status()));
  auto offset = QueryInt(req.query, "offset", 0, 0, INT64_MAX);
  if (!offset.ok()) return respond(ErrorResponse(offset.status()));
  auto stream = QueryChoice(req.query, "stream", "stdout", {"stdout", "stderr"});
  if (!stream.ok()) return respond(ErrorResponse(stream.status()));
  ctx.loop->Post([ctx, caller, id, step, rank = *rank, offset = *offset, stream = *stream,
                  respond](CommandContext& c) {
    const Job* job = c.state.FindJob(id);
    if (job == nullptr) {
      return respond(ErrorResponse(Status::NotFound("job " + std::to_string(id) + " not found")));
    }
    Status allowed = AuthorizeLogRead(*job, caller, ctx.logs_public);
    if (!allowed.ok()) return respond(ErrorResponse(allowed));
    const Task* found = c.state.FindTask(StepTaskName(id, step, static_cast<int32_t>(rank)));
    if (found == nullptr) {
      return respond(
          ErrorResponse(Status::NotFound("job " + std::to_string(id) + " has no step " +
                                         std::to_string(step) + " rank " + std::to_string(rank))));
    }
    FetchTaskLog(ctx, c.state, *found, stream, offset, respond);
  });
}

Result<int32_t> ParseStepId(const std::string& text) {
  int32_t v = -1;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < 0) {
    return Status::Invalid("step", "\"" + text + "\" is not a step id (0, 1, ...)");
  }
  return v;
}

}  // namespace

void HandleStepRoute(const ApiContext& ctx, const Caller& caller, HttpRequest& req, uint64_t id,
                     const std::vector<std::string>& parts, HttpResponder respond) {
  const std::string& m = req.method;
  if (parts.size() == 3 && parts[2] == "complete" && m == "POST") {
    auto json = ParseJson(req.body.empty() ? "{}" : req.body);
    if (!json.ok()) return respond(ErrorResponse(json.status()));
    int32_t exit_code = 0;
    Status st = CheckObject(*json, "body");
    if (st.ok()) st = GetIntAs(*json, "exitCode", "", &exit_code);
    if (!st.ok()) return respond(ErrorResponse(st));
    return ctx.loop->Post([id, caller, exit_code, respond](CommandContext& c) {
      Status done = c.state.CompleteAllocation(id, exit_code, caller, c.now_ms);
      if (!done.ok()) return respond(ErrorResponse(done));
      c.AfterCommit(
          [respond, body = ToJson(*c.state.FindJob(id))] { respond(JsonResponse(200, body)); });
    });
  }
  if (parts.size() == 3 && m == "POST") return CreateStep(ctx, caller, id, req, std::move(respond));
  if (parts.size() == 3 && m == "GET") return ListSteps(ctx, id, req, std::move(respond));
  if (parts.size() == 5) {
    auto step = ParseStepId(parts[3]);
    if (!step.ok()) return respond(ErrorResponse(step.status()));
    if (parts[4] == "cancel" && m == "POST") {
      return ctx.loop->Post([id, step = *step, caller, respond](CommandContext& c) {
        Status st = c.state.CancelStep(id, step, caller);
        if (!st.ok()) return respond(ErrorResponse(st));
        c.AfterCommit([respond] { respond(JsonResponse(200, Json::object())); });
      });
    }
    if (parts[4] == "logs" && m == "GET") {
      return StepLogs(ctx, caller, id, *step, req, std::move(respond));
    }
  }
  respond(NotFoundResponse(req));
}

}  // namespace drover::droverd
