// /api/v1/nodes...: list and show for everyone; labels, cordon and uncordon
// for admins; register, assignments (long-poll), status reports and MPI
// fences for node agents.
#include <spdlog/spdlog.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "api/base64.h"
#include "api/http_client.h"
#include "api/json_codec.h"
#include "api/json_fields.h"
#include "api/query_params.h"
#include "api/token_hash.h"
#include "daemons/droverd/api_routes.h"
#include "daemons/droverd/authorization.h"

namespace drover::droverd {
namespace {

constexpr int64_t kMaxPollMs = 60'000;
constexpr size_t kMaxReports = 100'000;

// The list of task names `body[field]` (absent = none): what a node holds at
// registration, or runs at a heartbeat.
Result<std::set<std::string>> DecodeTaskNames(const Json& body, const std::string& field,
                                              size_t max) {
  std::set<std::string> names;
  if (!body.contains(field)) return names;
  const Json& list = body[field];
  if (!list.is_array() || list.size() > max) {
    return Status::Invalid(field, max == SIZE_MAX ? "must be a list of task names"
                                                  : "must be a list of at most " +
                                                        std::to_string(max) + " task names");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_string()) {
      return Status::Invalid(field + "[" + std::to_string(i) + "]", "must be a task name");
    }
    names.insert(list[i].get<std::string>());
  }
  return names;
}

Result<TaskReport> DecodeReport(const Json& j, size_t i) {
  std::string field = "reports[" + std::to_string(i) + "]";
  if (!j.is_object()) return Status::Invalid(field, "must be an object");
  TaskReport r;
  try {
    r.task = j.at("task").get<std::string>();
    std::string phase = j.at("phase").get<std::string>();
    if (phase == "Running") {
      r.phase = TaskPhase::kRunning;
    } else if (phase == "Succeeded") {
      r.phase = TaskPhase::kSucceeded;
    } else if (phase == "Failed") {
      r.phase = TaskPhase::kFailed;
    } else {
      return Status::Invalid(field + ".phase",
                             "must be Running, Succeeded or Failed (got \"" + phase + "\")");
    }
    r.pid = j.value("pid", 0);
    r.exit_code = j.value("exitCode", -1);
    r.signal = j.value("signal", 0);
    r.timed_out = j.value("timedOut", false);
    r.out_of_memory = j.value("outOfMemory", false);
    r.time_ms = j.value("timeMs", int64_t{0});
    r.start_time_ms = j.value("startTimeMs", int64_t{0});
    r.message = j.value("message", "");
    if (j.contains("ready")) r.ready = j.at("ready").get<bool>();
    if (j.contains("usage")) {
      const Json& u = j.at("usage");
      r.usage.user_cpu_ms = u.value("userCpuMs", int64_t{0});
      r.usage.system_cpu_ms = u.value("systemCpuMs", int64_t{0});
      r.usage.max_rss_kb = u.value("maxRssKb", int64_t{0});
    }
  } catch (const Json::exception& e) {
    return Status::Invalid(field, std::string("malformed report: ") + e.what());
  }
  return r;
}

void Register(const ApiContext& ctx, const std::string& name, const HttpRequest& req,
              HttpResponder respond) {
  auto json = ParseJson(req.body);
  if (!json.ok()) return respond(ErrorResponse(json.status()));
  if (!json->is_object() || !json->contains("node")) {
    return respond(
        ErrorResponse(Status::Invalid("node", "want {\"node\": Node, \"tasks\": [...]}")));
  }
  for (const auto& [key, value] : json->items()) {
    if (key != "node" && key != "tasks") {
      return respond(ErrorResponse(Status::Invalid(key, "unknown field")));
    }
  }
  auto node = NodeFromJson(json->at("node"));
  if (!node.ok()) return respond(ErrorResponse(node.status().WithFieldPrefix("node")));
  if (node->metadata.name != name) {
    return respond(ErrorResponse(Status::Invalid(
        "node.metadata.name",
        "\"" + node->metadata.name + "\" does not match the path's \"" + name + "\"")));
  }
  auto held = DecodeTaskNames(*json, "tasks", SIZE_MAX);
  if (!held.ok()) return respond(ErrorResponse(held.status()));
  // The node checks droverd's calls to it against this hash.
  std::string key_hash = Sha256Hex(ctx.control_plane_key);
  ctx.loop->Post([node = std::move(*node), held = std::move(*held), key_hash,
                  respond](CommandContext& c) mutable {
    std::string node_name = node.metadata.name;
    Status st = c.state.RegisterNode(std::move(node), c.now_ms);
    if (!st.ok()) return respond(ErrorResponse(st));
    c.state.ReconcileHeldTasks(node_name, held, c.now_ms);
    c.AfterCommit([respond, epoch = c.state.epoch(), key = key_hash] {
      respond(JsonResponse(200, Json{{"epoch", epoch}, {"controlPlaneKeySha256", key}}));
    });
  });
}

// Applies an admin's change of a node and answers with the node once durable.
void ChangeNode(const ApiContext& ctx, const std::string& name,
                std::function<Status(ClusterState&, int64_t now_ms)> change,
                HttpResponder respond) {
  ctx.loop->Post([name, change, respond](CommandContext& c) {
    Status st = change(c.state, c.now_ms);
    if (!st.ok()) return respond(ErrorResponse(st));
    c.AfterCommit(
        [respond, body = ToJson(c.state.nodes().at(name))] { respond(JsonResponse(200, body)); });
  });
}

// POST .../labels {"labels": {KEY: VALUE}, "remove": [KEY], "overwrite": bool}
void Label(const ApiContext& ctx, const std::string& name, const HttpRequest& req,
           HttpResponder respond) {
  using namespace json_fields;
  auto json = ParseJson(req.body);
  if (!json.ok()) return respond(ErrorResponse(json.status()));
  Labels set;
  std::vector<std::string> remove;
  bool overwrite = false;
  Status st = CheckObject(*json, "body");
  if (st.ok()) st = CheckKnownFields(*json, {"labels", "remove", "overwrite"}, "");
  if (st.ok()) st = GetLabels(*json, "labels", "", &set);
  if (st.ok()) st = GetStringList(*json, "remove", "", &remove);
  if (st.ok()) st = GetBool(*json, "overwrite", "", &overwrite);
  if (!st.ok()) return respond(ErrorResponse(st));
  ChangeNode(
      ctx, name,
      [name, set = std::move(set), remove = std::move(remove), overwrite](
          ClusterState& s, int64_t) { return s.LabelNode(name, set, remove, overwrite); },
      std::move(respond));
}

void Assignments(const ApiContext& ctx, const std::string& name, const HttpRequest& req,
                 HttpResponder respond) {
  Status known = CheckKnownParams(req.query, {"after", "timeoutMs", "epoch", "agent"});
  if (!known.ok()) return respond(ErrorResponse(known));
  auto after_param = QueryInt(req.query, "after", 0, 0, INT64_MAX);
  if (!after_param.ok()) return respond(ErrorResponse(after_param.status()));
  auto timeout_param = QueryInt(req.query, "timeoutMs", 25'000, 0, kMaxPollMs);
  if (!timeout_param.ok()) return respond(ErrorResponse(timeout_param.status()));
  int64_t after = *after_param;
  int64_t timeout = *timeout_param;
  std::string epoch = req.query.count("epoch") ? req.query.at("epoch") : "";
  std::string agent = req.query.count("agent") ? req.query.at("agent") : "";
  ctx.loop->Post([=](CommandContext& c) {
    NodeChannel* channel = c.state.Channel(name);
    if (channel == nullptr) {
      return respond(ErrorResponse(Status::NotFound("node " + name + " is not registered")));
    }
    // An agent whose name another agent took over (it was given up as lost
    // meanwhile) gets nothing of the other's work.
    auto node = c.state.nodes().find(name);
    if (!agent.empty() && node != c.state.nodes().end() && !node->second.status.agent_id.empty() &&
        node->second.status.agent_id != agent) {
      return respond(ErrorResponse(Status::Conflict(
          "node " + name + " is held by another agent (" + node->second.status.agent_id +
          ") since this one was given up: it gets no work")));
    }
    (void)c.state.Heartbeat(name, c.now_ms);
    // A poll from before droverd's restart counts from the start of the new stream.
    int64_t from = epoch == c.state.epoch() ? after : 0;
    channel->Wait(from, c.now_ms + timeout, respond);
  });
}

void Reports(const ApiContext& ctx, const std::string& name, const HttpRequest& req,
             HttpResponder respond) {
  auto json = ParseJson(req.body);
  if (!json.ok()) return respond(ErrorResponse(json.status()));
  if (!json->is_object()) {
    return respond(ErrorResponse(Status::Invalid("", "want {\"reports\": [...]}")));
  }
  std::vector<TaskReport> reports;
  std::vector<Json> malformed;
  if (json->contains("reports")) {
    const Json& items = (*json)["reports"];
    if (!items.is_array() || items.size() > kMaxReports) {
      return respond(ErrorResponse(
          Status::Invalid("reports", "must be a list of at most " + std::to_string(kMaxReports))));
    }
    for (size_t i = 0; i < items.size(); ++i) {
      auto r = DecodeReport(items[i], i);
      if (r.ok()) {
        reports.push_back(std::move(*r));
      } else {
        malformed.push_back({{"index", i}, {"message", r.status().ToString()}});
      }
    }
  }
  auto running = DecodeTaskNames(*json, "running", kMaxReports);
  if (!running.ok()) return respond(ErrorResponse(running.status()));
  // {"id", "error"?}: directory removals droverd asked for, done or failed.
  std::vector<std::pair<std::string, std::string>> volumes_removed;
  if (json->contains("volumesRemoved")) {
    const Json& items = (*json)["volumesRemoved"];
    if (!items.is_array() || items.size() > kMaxReports) {
      return respond(ErrorResponse(Status::Invalid(
          "volumesRemoved", "must be a list of at most " + std::to_string(kMaxReports))));
    }
    for (size_t i = 0; i < items.size(); ++i) {
      const Json& v = items[i];
      const std::string at = "volumesRemoved[" + std::to_string(i) + "]";
      if (!v.is_object() || !v.contains("id") || !v["id"].is_string() ||
          (v.contains("error") && !v["error"].is_string())) {
        return respond(
            ErrorResponse(Status::Invalid(at, "want {\"id\": string, \"error\"?: string}")));
      }
      volumes_removed.emplace_back(v["id"].get<std::string>(), v.value("error", ""));
    }
  }
  // What is wrong with the node's task-log disk ("" = nothing); absent from
  // agents that do not check it.
  std::optional<std::string> log_disk;
  if (json->contains("logDisk")) {
    const Json& v = (*json)["logDisk"];
    if (!v.is_string() || v.get_ref<const std::string&>().size() > 1000) {
      return respond(
          ErrorResponse(Status::Invalid("logDisk", "must be a string of at most 1000 bytes")));
    }
    log_disk = v.get<std::string>();
  }
  ctx.loop->Post([=, reports = std::move(reports), running = std::move(*running),
                  volumes_removed = std::move(volumes_removed)](CommandContext& c) {
    Status hb = c.state.Heartbeat(name, c.now_ms);
    if (!hb.ok()) return respond(ErrorResponse(hb));
    if (log_disk) {
      Status disk = c.state.ReportLogDisk(name, *log_disk);
      if (!disk.ok()) spdlog::warn("node {}: log disk report: {}", name, disk.ToString());
    }
    Json rejected = malformed;
    int64_t accepted = 0;
    for (const TaskReport& r : reports) {
      Status st = c.state.ApplyReport(name, r, c.now_ms);
      if (st.ok()) {
        ++accepted;
      } else {
        rejected.push_back({{"task", r.task}, {"message", st.ToString()}});
      }
    }
    for (const auto& [id, error] : volumes_removed) {
      c.state.ConfirmVolumeRemoval(name, id, error);
    }
    // After the reports: a task that just ended is not fenced for nothing.
    c.state.FenceTasks(name, running);
    c.AfterCommit([respond, accepted, rejected = std::move(rejected)] {
      respond(JsonResponse(200, Json{{"accepted", accepted}, {"rejected", rejected}}));
    });
  });
}

// {"jobId", "stepId", "sequence", "data" (base64)}: this node's share of an
// MPI step's fence (ClusterState::ContributeFence).
void MpiFence(const ApiContext& ctx, const std::string& name, const HttpRequest& req,
              HttpResponder respond) {
  using namespace json_fields;
  auto json = ParseJson(req.body);
  Status st = json.ok() ? CheckObject(*json, "body") : json.status();
  if (st.ok()) st = CheckKnownFields(*json, {"jobId", "stepId", "sequence", "data"}, "");
  uint64_t job = 0;
  int32_t step = -1;
  int64_t sequence = -1;
  std::string data;
  for (const char* required : {"jobId", "stepId", "sequence", "data"}) {
    if (st.ok() && !json->contains(required)) st = Status::Invalid(required, "is required");
  }
  if (st.ok()) st = GetIntAs(*json, "jobId", "", &job);
  if (st.ok()) st = GetIntAs(*json, "stepId", "", &step);
  if (st.ok()) st = GetIntAs(*json, "sequence", "", &sequence);
  if (st.ok()) st = GetString(*json, "data", "", &data);
  if (!st.ok()) return respond(ErrorResponse(st));
  auto bytes = Base64Decode(data, "data");
  if (!bytes.ok()) return respond(ErrorResponse(bytes.status()));
  ctx.loop->Post([=, bytes = std::move(*bytes)](CommandContext& c) mutable {
    Status done = c.state.ContributeFence(name, job, step, sequence, std::move(bytes));
    if (!done.ok()) return respond(ErrorResponse(done));
    c.AfterCommit([respond] { respond(JsonResponse(200, Json::object())); });
  });
}

}  // namespace

void HandleNodeRoute(const ApiContext& ctx, const Caller& caller, HttpRequest& req,
                     const std::vector<std::string>& parts, HttpResponder respond) {
  const std::string& m = req.method;
  if (parts.size() == 1 && m == "GET") {
    ctx.loop->PostRead([respond](const ClusterState& state) {
      Json items = Json::array();
      for (const auto& [name, node] : state.nodes()) items.push_back(ToJson(node));
      respond(JsonResponse(200, Json{{"items", std::move(items)}}));
    });
    return;
  }
  if (parts.size() < 2) return respond(NotFoundResponse(req));
  const std::string& name = parts[1];
  if (parts.size() == 2 && m == "GET") {
    ctx.loop->PostRead([name, respond](const ClusterState& state) {
      auto it = state.nodes().find(name);
      if (it == state.nodes().end()) {
        return respond(ErrorResponse(Status::NotFound("node " + name + " not found")));
      }
      respond(JsonResponse(200, ToJson(it->second)));
    });
    return;
  }
  if (parts.size() != 3) return respond(NotFoundResponse(req));
  const std::string& verb = parts[2];
  Status allowed = AuthorizeNodeEndpoint(caller, name, verb);
  if (!allowed.ok()) return respond(ErrorResponse(allowed));
  if (verb == "tasks" && m == "GET") {
    ctx.loop->PostRead([name, respond](const ClusterState& state) {
      if (state.nodes().find(name) == state.nodes().end()) {
        return respond(ErrorResponse(Status::NotFound("node " + name + " not found")));
      }
      Json items = Json::array();
      for (const Task* t : state.TasksOnNode(name)) items.push_back(ToJson(*t));
      respond(JsonResponse(200, Json{{"items", std::move(items)}}));
    });
    return;
  }
  if (verb == "labels" && m == "POST") return Label(ctx, name, req, std::move(respond));
  if (verb == "drain" && m == "POST") {
    auto json = ParseJson(req.body.empty() ? "{}" : req.body);
    bool force = false;
    Status st = json.ok() ? json_fields::CheckObject(*json, "body") : json.status();
    if (st.ok()) st = json_fields::CheckKnownFields(*json, {"force"}, "");
    if (st.ok()) st = json_fields::GetBool(*json, "force", "", &force);
    if (!st.ok()) return respond(ErrorResponse(st));
    return ChangeNode(
        ctx, name, [name, force](ClusterState& s, int64_t) { return s.DrainNode(name, force); },
        std::move(respond));
  }
  if ((verb == "cordon" || verb == "uncordon") && m == "POST") {
    const bool cordon = verb == "cordon";
    return ChangeNode(
        ctx, name, [name, cordon](ClusterState& s, int64_t) { return s.CordonNode(name, cordon); },
        std::move(respond));
  }
  if (parts[2] == "join" && m == "POST")
    return JoinNode(ctx, caller, name, req, std::move(respond));
  if (parts[2] == "register" && m == "POST") return Register(ctx, name, req, std::move(respond));
  if (parts[2] == "assignments" && m == "GET") {
    return Assignments(ctx, name, req, std::move(respond));
  }
  if (parts[2] == "status" && m == "POST") return Reports(ctx, name, req, std::move(respond));
  if (parts[2] == "mpi-fence" && m == "POST") return MpiFence(ctx, name, req, std::move(respond));
  if (parts[2] == "logs" && m == "POST") return ShipLogs(ctx, name, req, std::move(respond));
  if (parts[2] == "health" && m == "POST") {
    // {"healthy": bool, "message": "..."} from the node's monitor.
    auto json = ParseJson(req.body);
    bool healthy = true;
    std::string message;
    Status st = json.ok() ? json_fields::CheckObject(*json, "body") : json.status();
    if (st.ok()) st = json_fields::CheckKnownFields(*json, {"healthy", "message"}, "");
    if (st.ok() && !json->contains("healthy")) st = Status::Invalid("healthy", "is required");
    if (st.ok()) st = json_fields::GetBool(*json, "healthy", "", &healthy);
    if (st.ok()) st = json_fields::GetString(*json, "message", "", &message);
    if (st.ok() && message.size() > 1000) st = Status::Invalid("message", "at most 1000 bytes");
    if (!st.ok()) return respond(ErrorResponse(st));
    ctx.loop->Post([name, healthy, message, respond](CommandContext& c) {
      Status reported = c.state.ReportNodeHealth(name, healthy, message, c.now_ms);
      if (!reported.ok()) return respond(ErrorResponse(reported));
      c.AfterCommit(
          [respond, body = ToJson(c.state.nodes().at(name))] { respond(JsonResponse(200, body)); });
    });
    return;
  }
  respond(NotFoundResponse(req));
}

}  // namespace drover::droverd
