// /api/v1/jobs...: submit (one or bulk), list, show, cancel, tasks, logs.
#include <algorithm>
#include <charconv>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "api/http_client.h"
#include "api/json_codec.h"
#include "api/json_fields.h"
#include "api/query_params.h"
#include "api/url_encoding.h"
#include "daemons/droverd/api_routes.h"
#include "daemons/droverd/authorization.h"
#include "daemons/droverd/history_reader.h"

namespace drover::droverd {
namespace {

constexpr size_t kMaxBulkItems = 100'000;

Result<uint64_t> ParseJobId(const std::string& text) {
  uint64_t id = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || ptr != text.data() + text.size() || id == 0) {
    return Status::Invalid("id", "\"" + text + "\" is not a job id (a positive integer)");
  }
  return id;
}

// Decodes a submitted job; fields droverd assigns are ignored, as Kubernetes
// ignores status on create.
Result<Job> DecodeSubmission(const Json& json) {
  auto job = JobFromJson(json);
  if (!job.ok()) return job.status();
  job->status = JobStatus{};
  return job;
}

bool ParsePhaseFilter(const std::string& text, std::set<JobPhase>* out) {
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string name = text.substr(pos, comma - pos);
    bool found = false;
    for (JobPhase p : {JobPhase::kPending, JobPhase::kRunning, JobPhase::kSucceeded,
                       JobPhase::kFailed, JobPhase::kCancelled}) {
      if (JobPhaseName(p) == name) {
        out->insert(p);
        found = true;
      }
    }
    if (!found) return false;
    pos = comma + 1;
  }
  return true;
}

// Posts `submit`, which consumes `jobs`. When one of their dependencies
// names a job droverd no longer holds (forgotten after jobs.retention), its
// end is looked up in the history table first, on the reader's thread, and
// `submit` is posted again after NoteEndedJobs: the usual submission takes
// one turn and no query.
void PostSubmission(const ApiContext& ctx, std::shared_ptr<std::vector<Job>> jobs,
                    std::function<void(CommandContext&)> submit) {
  ctx.loop->Post([loop = ctx.loop, history = ctx.history, jobs,
                  submit = std::move(submit)](CommandContext& c) {
    HistoryQuery q;
    q.steps = false;
    for (const Job& job : *jobs) {
      for (const JobDependency& d : job.spec.dependencies) {
        if (d.type != "singleton" && c.state.DependencyTarget(d.job_id) == nullptr) {
          q.job_ids.push_back(d.job_id);
        }
      }
    }
    if (history == nullptr || q.job_ids.empty()) return submit(c);
    history->Query(std::move(q), [loop, submit](Result<std::vector<HistoryRecord>> records) {
      loop->Post([submit, records = std::move(records)](CommandContext& c) {
        // Unreadable: the dependencies droverd still holds resolve as before.
        if (records.ok()) c.state.NoteEndedJobs(*records);
        submit(c);
      });
    });
  });
}

void Submit(const ApiContext& ctx, const Caller& caller, const HttpRequest& req,
            HttpResponder respond) {
  auto json = ParseJson(req.body);
  if (!json.ok()) return respond(ErrorResponse(json.status()));
  auto job = DecodeSubmission(*json);
  if (!job.ok()) return respond(ErrorResponse(job.status()));
  Status queue_ok = CheckQueueAccess(ctx, caller, std::span<const Job>(&*job, 1), false);
  if (!queue_ok.ok()) return respond(ErrorResponse(queue_ok));
  auto jobs = std::make_shared<std::vector<Job>>();
  jobs->push_back(std::move(*job));
  PostSubmission(ctx, jobs, [jobs, caller, respond](CommandContext& c) {
    auto added = c.state.SubmitJob(std::move(jobs->front()), caller, c.now_ms);
    if (!added.ok()) return respond(ErrorResponse(added.status()));
    Json body = ToJson(**added);
    c.AfterCommit([respond, body = std::move(body)] { respond(JsonResponse(201, body)); });
  });
}

// The bulk submission's command: every item is checked before any is added.
void SubmitAll(std::vector<Job>& jobs, const Caller& caller, const HttpResponder& respond,
               CommandContext& c) {
  for (size_t i = 0; i < jobs.size(); ++i) {
    Status st = AuthorizeSubmission(jobs[i], caller);
    if (st.ok()) st = c.state.CheckSubmission(jobs[i]);
    if (!st.ok()) {
      return respond(ErrorResponse(st.WithFieldPrefix("items[" + std::to_string(i) + "]")));
    }
  }
  Json out = Json::array();
  for (Job& job : jobs) {
    auto added = c.state.SubmitJob(std::move(job), caller, c.now_ms);
    if (!added.ok()) return respond(ErrorResponse(added.status()));  // checked above: a bug
    out.push_back({{"id", (*added)->id}, {"name", (*added)->metadata.name}});
  }
  c.AfterCommit([respond, out = std::move(out)] {
    respond(JsonResponse(201, Json{{"items", out}}));
  });
}

void SubmitBulk(const ApiContext& ctx, const Caller& caller, const HttpRequest& req,
                HttpResponder respond) {
  auto json = ParseJson(req.body);
  if (!json.ok()) return respond(ErrorResponse(json.status()));
  if (!json->is_object() || !json->contains("items") || !(*json)["items"].is_array()) {
    return respond(ErrorResponse(Status::Invalid("items", "want {\"items\": [Job, ...]}")));
  }
  const Json& items = (*json)["items"];
  if (items.size() > kMaxBulkItems) {
    return respond(ErrorResponse(Status::Invalid(
        "items", "at most " + std::to_string(kMaxBulkItems) + " jobs per request (got " +
                     std::to_string(items.size()) + ")")));
  }
  std::vector<Job> jobs;
  jobs.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    auto job = DecodeSubmission(items[i]);
    if (!job.ok()) {
      return respond(
          ErrorResponse(job.status().WithFieldPrefix("items[" + std::to_string(i) + "]")));
    }
    jobs.push_back(std::move(*job));
  }
  Status queue_ok = CheckQueueAccess(ctx, caller, jobs, true);
  if (!queue_ok.ok()) return respond(ErrorResponse(queue_ok));
  auto shared = std::make_shared<std::vector<Job>>(std::move(jobs));
  PostSubmission(ctx, shared, [shared, caller, respond](CommandContext& c) {
    SubmitAll(*shared, caller, respond, c);
  });
}

void List(const ApiContext& ctx, const HttpRequest& req, HttpResponder respond) {
  std::set<JobPhase> phases;
  auto q = req.query.find("phase");
  if (q != req.query.end() && !ParsePhaseFilter(q->second, &phases)) {
    return respond(ErrorResponse(
        Status::Invalid("phase", "\"" + q->second +
                                     "\": want a comma list of Pending, Running, Succeeded, "
                                     "Failed, Cancelled")));
  }
  Status known =
      CheckKnownParams(req.query, {"phase", "user", "name", "queue", "limit", "continue"});
  if (!known.ok()) return respond(ErrorResponse(known));
  std::string user = req.query.count("user") ? req.query.at("user") : "";
  std::string name = req.query.count("name") ? req.query.at("name") : "";
  std::string queue = req.query.count("queue") ? req.query.at("queue") : "";
  // limit absent = every job; otherwise at least one.
  auto limit_param = QueryInt(req.query, "limit", -1, 1, INT64_MAX);
  if (!limit_param.ok()) return respond(ErrorResponse(limit_param.status()));
  int64_t limit = *limit_param;
  // A page starts after the last id of the one before (metadata.continue).
  auto after_param = QueryInt(req.query, "continue", 0, 0, INT64_MAX);
  if (!after_param.ok()) return respond(ErrorResponse(after_param.status()));
  const uint64_t after = static_cast<uint64_t>(*after_param);
  const bool only_unfinished =
      !phases.empty() && std::all_of(phases.begin(), phases.end(), [](JobPhase p) {
        return p == JobPhase::kPending || p == JobPhase::kRunning;
      });
  ctx.loop->PostRead([phases, user, name, queue, limit, after, only_unfinished,
                      respond](const ClusterState& state) {
    Json items = Json::array();
    uint64_t last = 0;
    bool more = false;
    // Reads run on the state thread: a page is made only of what it returns,
    // and a Pending/Running filter walks only the jobs not yet ended.
    auto visit = [&](const Job& job) {
      if (!phases.empty() && !phases.count(job.status.phase)) return true;
      if (!user.empty() && job.owner.user != user) return true;
      if (!name.empty() && job.metadata.name != name) return true;
      if (!queue.empty() && job.spec.queue != queue) return true;
      // A page says there is more only when a job that matches follows it.
      if (limit >= 0 && static_cast<int64_t>(items.size()) >= limit) {
        more = true;
        return false;
      }
      items.push_back(ToJson(job));
      last = job.id;
      return true;
    };
    if (only_unfinished) {
      const auto& ids = state.unfinished_jobs();
      for (auto it = ids.upper_bound(after); it != ids.end(); ++it) {
        if (!visit(state.jobs().at(*it))) break;
      }
    } else {
      for (auto it = state.jobs().upper_bound(after); it != state.jobs().end(); ++it) {
        if (!visit(it->second)) break;
      }
    }
    Json body{{"items", std::move(items)}};
    if (more) body["metadata"] = {{"continue", std::to_string(last)}};
    respond(JsonResponse(200, body));
  });
}

void Show(const ApiContext& ctx, uint64_t id, HttpResponder respond) {
  ctx.loop->PostRead([id, respond](const ClusterState& state) {
    const Job* job = state.FindJob(id);
    if (job == nullptr) {
      return respond(ErrorResponse(Status::NotFound("job " + std::to_string(id) + " not found")));
    }
    respond(JsonResponse(200, ToJson(*job)));
  });
}

// POST /jobs/ID/cancel, with {"indexes": "3,5-7"} for array tasks only.
void Cancel(const ApiContext& ctx, const Caller& caller, uint64_t id, const HttpRequest& req,
            HttpResponder respond) {
  std::optional<IndexSet> indexes;
  if (!req.body.empty()) {
    using namespace json_fields;
    auto json = ParseJson(req.body);
    Status st = json.ok() ? CheckObject(*json, "body") : json.status();
    if (st.ok()) st = CheckKnownFields(*json, {"indexes"}, "");
    std::string text;
    if (st.ok()) st = GetString(*json, "indexes", "", &text);
    if (!st.ok()) return respond(ErrorResponse(st));
    if (!text.empty()) {
      auto parsed = IndexSet::Parse(text);
      if (!parsed.ok()) return respond(ErrorResponse(parsed.status().WithFieldPrefix("indexes")));
      indexes = std::move(*parsed);
    }
  }
  ctx.loop->Post([id, caller, indexes, respond](CommandContext& c) {
    Status st = indexes ? c.state.CancelIndexes(id, *indexes, caller)
                        : c.state.CancelJob(id, caller, c.now_ms);
    if (!st.ok()) return respond(ErrorResponse(st));
    c.AfterCommit(
        [respond, body = ToJson(*c.state.FindJob(id))] { respond(JsonResponse(200, body)); });
  });
}

// POST /jobs/ID/signal {"signal": N, "targets": "steps"|"batch"|"full"}:
// scancel --signal. Changes nothing durable; answers how many tasks it reached.
void Signal(const ApiContext& ctx, const Caller& caller, uint64_t id, const HttpRequest& req,
            HttpResponder respond) {
  Json body = Json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object() || !body.contains("signal") ||
      !body["signal"].is_number_integer()) {
    return respond(ErrorResponse(Status::Invalid("signal", "a body {\"signal\": N} is required")));
  }
  const std::string to = body.value("targets", "steps");
  if (to != "steps" && to != "batch" && to != "full") {
    return respond(ErrorResponse(
        Status::Invalid("targets", "must be steps, batch or full (got \"" + to + "\")")));
  }
  const JobSignalTargets targets = to == "batch"  ? JobSignalTargets::kBatch
                                   : to == "full" ? JobSignalTargets::kFull
                                                  : JobSignalTargets::kSteps;
  const int64_t signal = body["signal"].get<int64_t>();
  if (signal < 1 || signal > 64) {
    return respond(ErrorResponse(Status::Invalid("signal", "must be a signal number 1-64")));
  }
  ctx.loop->Post([id, caller, signal, targets, respond](CommandContext& c) {
    auto sent = c.state.SignalJob(id, static_cast<int32_t>(signal), targets, caller);
    if (!sent.ok()) return respond(ErrorResponse(sent.status()));
    c.AfterCommit([respond, n = *sent] { respond(JsonResponse(200, Json{{"signalled", n}})); });
  });
}

void SetHold(const ApiContext& ctx, const Caller& caller, uint64_t id, bool hold,
             HttpResponder respond) {
  ctx.loop->Post([id, hold, caller, respond](CommandContext& c) {
    Status st = c.state.SetHold(id, hold, caller, c.now_ms);
    if (!st.ok()) return respond(ErrorResponse(st));
    c.AfterCommit(
        [respond, body = ToJson(*c.state.FindJob(id))] { respond(JsonResponse(200, body)); });
  });
}

void Requeue(const ApiContext& ctx, const Caller& caller, uint64_t id, HttpResponder respond) {
  ctx.loop->Post([id, caller, respond](CommandContext& c) {
    Status st = c.state.RequeueJob(id, caller);
    if (!st.ok()) return respond(ErrorResponse(st));
    c.AfterCommit(
        [respond, body = ToJson(*c.state.FindJob(id))] { respond(JsonResponse(200, body)); });
  });
}

// {"timeLimit"?: seconds, "priority"?, "nice"?, "arrayTaskThrottle"?}: scontrol update job.
void Update(const ApiContext& ctx, const Caller& caller, uint64_t id, const HttpRequest& req,
            HttpResponder respond) {
  using namespace json_fields;
  auto json = ParseJson(req.body);
  Status st = json.ok() ? CheckObject(*json, "body") : json.status();
  if (st.ok()) {
    st = CheckKnownFields(*json, {"timeLimit", "priority", "nice", "arrayTaskThrottle"}, "");
  }
  ClusterState::JobUpdate update;
  const auto read = [&](const char* key, auto* field) {
    if (!st.ok() || !json->contains(key)) return;
    typename std::remove_reference_t<decltype(*field)>::value_type v{};
    st = GetIntAs(*json, key, "", &v);
    if (st.ok()) *field = v;
  };
  read("timeLimit", &update.time_limit_s);
  read("priority", &update.priority);
  read("nice", &update.nice);
  read("arrayTaskThrottle", &update.parallelism);
  if (!st.ok()) return respond(ErrorResponse(st));
  ctx.loop->Post([id, update, caller, respond](CommandContext& c) {
    Status done = c.state.UpdateJob(id, update, caller);
    if (!done.ok()) return respond(ErrorResponse(done));
    c.AfterCommit(
        [respond, body = ToJson(*c.state.FindJob(id))] { respond(JsonResponse(200, body)); });
  });
}

void Tasks(const ApiContext& ctx, uint64_t id, const HttpRequest& req, HttpResponder respond) {
  Status known = CheckKnownParams(req.query, {"index"});
  if (!known.ok()) return respond(ErrorResponse(known));
  auto index_param = QueryInt(req.query, "index", -1, 0, INT64_MAX);
  if (!index_param.ok()) return respond(ErrorResponse(index_param.status()));
  int64_t index = *index_param;
  ctx.loop->PostRead([id, index, respond](const ClusterState& state) {
    if (state.FindJob(id) == nullptr) {
      return respond(ErrorResponse(Status::NotFound("job " + std::to_string(id) + " not found")));
    }
    Json items = Json::array();
    for (const Task* t : state.TasksOfJob(id)) {
      if (index < 0 || t->spec.index == index) items.push_back(ToJson(*t));
    }
    respond(JsonResponse(200, Json{{"items", std::move(items)}}));
  });
}

// Finds the task on the state thread, checks that the caller may read it,
// then has the log fetcher ask the node agent, so neither the state thread
// nor the I/O threads wait on the node.
void Logs(const ApiContext& ctx, const Caller& caller, uint64_t id, const HttpRequest& req,
          HttpResponder respond) {
  Status known = CheckKnownParams(req.query, {"index", "attempt", "stream", "offset"});
  if (!known.ok()) return respond(ErrorResponse(known));
  auto index = QueryInt(req.query, "index", 0, 0, INT64_MAX);
  if (!index.ok()) return respond(ErrorResponse(index.status()));
  auto attempt = QueryInt(req.query, "attempt", -1, 0, INT32_MAX);
  if (!attempt.ok()) return respond(ErrorResponse(attempt.status()));
  auto offset = QueryInt(req.query, "offset", 0, 0, INT64_MAX);
  if (!offset.ok()) return respond(ErrorResponse(offset.status()));
  auto stream = QueryChoice(req.query, "stream", "stdout", {"stdout", "stderr"});
  if (!stream.ok()) return respond(ErrorResponse(stream.status()));
  ctx.loop->Post([ctx, caller, id, index = *index, attempt = *attempt, offset = *offset,
                  stream = *stream, respond](CommandContext& c) {
    const Job* job = c.state.FindJob(id);
    if (job == nullptr) {
      return respond(ErrorResponse(Status::NotFound("job " + std::to_string(id) + " not found")));
    }
    Status allowed = AuthorizeLogRead(*job, caller, ctx.logs_public);
    if (!allowed.ok()) return respond(ErrorResponse(allowed));
    const Task* found = nullptr;
    for (const Task* t : c.state.TasksOfJob(id)) {
      if (t->spec.index == index && (attempt < 0 || t->spec.attempt == attempt)) found = t;
    }
    if (found == nullptr) {
      return respond(ErrorResponse(Status::NotFound(
          "job " + std::to_string(id) + " has no task with index " + std::to_string(index) +
          (attempt >= 0 ? " attempt " + std::to_string(attempt) : "") +
          " (not started yet, or finished long enough ago to be forgotten: droverd keeps the "
          "last " +
          std::to_string(kFinishedTasksKeptPerJob) + " finished tasks of a job)")));
    }
    FetchTaskLog(ctx, c.state, *found, stream, offset, respond);
  });
}

}  // namespace

Status CheckQueueAccess(const ApiContext& ctx, const Caller& caller, std::span<const Job> jobs,
                        bool items) {
  if (ctx.queue_access == nullptr || ctx.queue_access->empty()) return Status::Ok();
  // Looked up once, and only if a job names a restricted queue.
  std::optional<std::vector<std::string>> groups;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const std::string& queue = jobs[i].spec.queue.empty() ? "default" : jobs[i].spec.queue;
    if (!ctx.queue_access->count(queue)) continue;
    if (!groups) {
      groups = caller.role == Role::kUser ? GroupNames(caller.user, caller.gid)
                                          : std::vector<std::string>{};
    }
    Status st = AuthorizeQueue(queue, caller, *groups, *ctx.queue_access);
    if (!st.ok()) return items ? st.WithFieldPrefix("items[" + std::to_string(i) + "]") : st;
  }
  return Status::Ok();
}

void HandleJobRoute(const ApiContext& ctx, const Caller& caller, HttpRequest& req,
                    const std::vector<std::string>& parts, HttpResponder respond) {
  const std::string& m = req.method;
  if (parts.size() == 1) {
    if (m == "POST") return Submit(ctx, caller, req, std::move(respond));
    if (m == "GET") return List(ctx, req, std::move(respond));
  } else if (parts.size() == 2 && parts[1] == "bulk" && m == "POST") {
    return SubmitBulk(ctx, caller, req, std::move(respond));
  } else if (parts.size() >= 2) {
    auto id = ParseJobId(parts[1]);
    if (!id.ok()) return respond(ErrorResponse(id.status()));
    if (parts.size() == 2 && m == "GET") return Show(ctx, *id, std::move(respond));
    if (parts.size() == 3 && parts[2] == "cancel" && m == "POST") {
      return Cancel(ctx, caller, *id, req, std::move(respond));
    }
    if (parts.size() == 3 && parts[2] == "signal" && m == "POST") {
      return Signal(ctx, caller, *id, req, std::move(respond));
    }
    if (parts.size() == 3 && (parts[2] == "hold" || parts[2] == "release") && m == "POST") {
      return SetHold(ctx, caller, *id, parts[2] == "hold", std::move(respond));
    }
    if (parts.size() == 3 && parts[2] == "requeue" && m == "POST") {
      return Requeue(ctx, caller, *id, std::move(respond));
    }
    if (parts.size() == 3 && parts[2] == "update" && m == "POST") {
      return Update(ctx, caller, *id, req, std::move(respond));
    }
    if (parts.size() == 3 && parts[2] == "tasks" && m == "GET") {
      return Tasks(ctx, *id, req, std::move(respond));
    }
    if (parts.size() == 3 && parts[2] == "logs" && m == "GET") {
      return Logs(ctx, caller, *id, req, std::move(respond));
    }
    if (parts.size() >= 3 &&
        (parts[2] == "steps" || (parts.size() == 3 && parts[2] == "complete"))) {
      return HandleStepRoute(ctx, caller, req, *id, parts, std::move(respond));
    }
  }
  respond(NotFoundResponse(req));
}

}  // namespace drover::droverd
