#include "executors/supervisor_protocol.h"

namespace drover::executors {
namespace {

using nlohmann::json;

// Reads an optional field of type T; a present field of the wrong type is an error.
template <typename T>
Status Read(const json& j, const char* key, T* out, bool required = false) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return required ? Status::Invalid(key, "is required") : Status::Ok();
  }
  try {
    *out = it->get<T>();
  } catch (const json::exception&) {
    return Status::Invalid(key, "has the wrong type (" + std::string(it->type_name()) + ")");
  }
  return Status::Ok();
}

const char* KindName(TaskEvent::Kind kind) {
  return kind == TaskEvent::Kind::kStarted ? "started" : "exited";
}

Result<json> ParseObject(std::string_view line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Invalid("", "not a JSON object: " + std::string(line.substr(0, 200)));
  }
  return j;
}

}  // namespace

json LaunchSpecToJson(const LaunchSpec& s) {
  return json{{"task", s.task},
              {"argv", s.argv},
              {"env", s.env},
              {"working_dir", s.working_dir},
              {"cpus", s.cpus},
              {"mem_nodes", s.mem_nodes},
              {"uid", s.uid},
              {"gid", s.gid},
              {"stdout_path", s.stdout_path},
              {"stderr_path", s.stderr_path},
              {"time_limit_s", s.time_limit_s},
              {"memory_limit_bytes", s.memory_limit_bytes},
              {"confine_cpus", s.confine_cpus},
              {"kill_grace_ms", s.kill_grace_ms},
              {"warning_signal", s.warning_signal},
              {"warning_seconds", s.warning_seconds},
              {"warning_shell_only", s.warning_shell_only}};
}

Result<LaunchSpec> LaunchSpecFromJson(const json& j) {
  if (!j.is_object()) return Status::Invalid("spec", "must be an object");
  LaunchSpec s;
  DROVER_RETURN_IF_ERROR(Read(j, "task", &s.task, true));
  DROVER_RETURN_IF_ERROR(Read(j, "argv", &s.argv, true));
  DROVER_RETURN_IF_ERROR(Read(j, "env", &s.env));
  DROVER_RETURN_IF_ERROR(Read(j, "working_dir", &s.working_dir));
  DROVER_RETURN_IF_ERROR(Read(j, "cpus", &s.cpus));
  DROVER_RETURN_IF_ERROR(Read(j, "mem_nodes", &s.mem_nodes));
  // Required: a default would be root.
  DROVER_RETURN_IF_ERROR(Read(j, "uid", &s.uid, true));
  DROVER_RETURN_IF_ERROR(Read(j, "gid", &s.gid, true));
  DROVER_RETURN_IF_ERROR(Read(j, "stdout_path", &s.stdout_path));
  DROVER_RETURN_IF_ERROR(Read(j, "stderr_path", &s.stderr_path));
  DROVER_RETURN_IF_ERROR(Read(j, "time_limit_s", &s.time_limit_s));
  DROVER_RETURN_IF_ERROR(Read(j, "memory_limit_bytes", &s.memory_limit_bytes));
  DROVER_RETURN_IF_ERROR(Read(j, "confine_cpus", &s.confine_cpus));
  if (s.memory_limit_bytes < 0) {
    return Status::Invalid("memory_limit_bytes",
                           "must be >= 0 (got " + std::to_string(s.memory_limit_bytes) + ")");
  }
  DROVER_RETURN_IF_ERROR(Read(j, "kill_grace_ms", &s.kill_grace_ms));
  DROVER_RETURN_IF_ERROR(Read(j, "warning_signal", &s.warning_signal));
  DROVER_RETURN_IF_ERROR(Read(j, "warning_seconds", &s.warning_seconds));
  DROVER_RETURN_IF_ERROR(Read(j, "warning_shell_only", &s.warning_shell_only));
  if (s.warning_signal < 0 || s.warning_signal > 64 || s.warning_seconds < 0) {
    return Status::Invalid("warning_signal", "must be a signal number 1-64 sent >= 0 s early");
  }
  if (s.task.empty()) return Status::Invalid("task", "must not be empty");
  if (s.argv.empty()) return Status::Invalid("argv", "must not be empty");
  if (s.time_limit_s < 0) {
    return Status::Invalid("time_limit_s",
                           "must be >= 0 (got " + std::to_string(s.time_limit_s) + ")");
  }
  if (s.kill_grace_ms < 0) {
    return Status::Invalid("kill_grace_ms",
                           "must be >= 0 (got " + std::to_string(s.kill_grace_ms) + ")");
  }
  return s;
}

json TaskEventToJson(const TaskEvent& e) {
  json j{{"kind", KindName(e.kind)}, {"task", e.task}, {"pid", e.pid}, {"time_ms", e.time_ms}};
  if (e.kind == TaskEvent::Kind::kExited) {
    j["exit_code"] = e.exit_code;
    j["signal"] = e.signal;
    j["timed_out"] = e.timed_out;
    if (e.out_of_memory) j["out_of_memory"] = true;
    j["usage"] = json{{"user_cpu_ms", e.usage.user_cpu_ms},
                      {"system_cpu_ms", e.usage.system_cpu_ms},
                      {"max_rss_kb", e.usage.max_rss_kb}};
  }
  if (!e.error.empty()) j["error"] = e.error;
  if (!e.stdout_path.empty()) j["stdout_path"] = e.stdout_path;
  if (!e.stderr_path.empty()) j["stderr_path"] = e.stderr_path;
  if (!e.stdout_path.empty()) {
    j["uid"] = e.uid;
    j["gid"] = e.gid;
  }
  return j;
}

Result<TaskEvent> TaskEventFromJson(const json& j) {
  if (!j.is_object()) return Status::Invalid("event", "must be an object");
  TaskEvent e;
  std::string kind;
  DROVER_RETURN_IF_ERROR(Read(j, "kind", &kind, true));
  if (kind == "started") {
    e.kind = TaskEvent::Kind::kStarted;
  } else if (kind == "exited") {
    e.kind = TaskEvent::Kind::kExited;
  } else {
    return Status::Invalid("kind", "must be \"started\" or \"exited\" (got \"" + kind + "\")");
  }
  DROVER_RETURN_IF_ERROR(Read(j, "task", &e.task, true));
  DROVER_RETURN_IF_ERROR(Read(j, "pid", &e.pid));
  DROVER_RETURN_IF_ERROR(Read(j, "time_ms", &e.time_ms));
  DROVER_RETURN_IF_ERROR(Read(j, "exit_code", &e.exit_code));
  DROVER_RETURN_IF_ERROR(Read(j, "signal", &e.signal));
  DROVER_RETURN_IF_ERROR(Read(j, "timed_out", &e.timed_out));
  DROVER_RETURN_IF_ERROR(Read(j, "out_of_memory", &e.out_of_memory));
  DROVER_RETURN_IF_ERROR(Read(j, "error", &e.error));
  DROVER_RETURN_IF_ERROR(Read(j, "stdout_path", &e.stdout_path));
  DROVER_RETURN_IF_ERROR(Read(j, "stderr_path", &e.stderr_path));
  // Whose the log files are must be said: a default would read them as root.
  const bool has_log = !e.stdout_path.empty() || !e.stderr_path.empty();
  DROVER_RETURN_IF_ERROR(Read(j, "uid", &e.uid, has_log));
  DROVER_RETURN_IF_ERROR(Read(j, "gid", &e.gid, has_log));
  if (auto it = j.find("usage"); it != j.end() && it->is_object()) {
    DROVER_RETURN_IF_ERROR(Read(*it, "user_cpu_ms", &e.usage.user_cpu_ms));
    DROVER_RETURN_IF_ERROR(Read(*it, "system_cpu_ms", &e.usage.system_cpu_ms));
    DROVER_RETURN_IF_ERROR(Read(*it, "max_rss_kb", &e.usage.max_rss_kb));
  }
  return e;
}

std::string EncodeRequest(const SupervisorRequest& r) {
  json j;
  switch (r.op) {
    case SupervisorRequest::Op::kLaunch:
      j = json{{"op", "launch"}, {"spec", LaunchSpecToJson(r.spec)}};
      break;
    case SupervisorRequest::Op::kKill:
      j = json{{"op", "kill"}, {"task", r.task}, {"grace_ms", r.grace_ms}};
      break;
    case SupervisorRequest::Op::kSignal:
      j = json{{"op", "signal"}, {"task", r.task}, {"signal", r.signal}};
      break;
    case SupervisorRequest::Op::kLimit:
      j = json{{"op", "limit"}, {"task", r.task}, {"time_limit_s", r.time_limit_s}};
      break;
    case SupervisorRequest::Op::kList:
      j = json{{"op", "list"}};
      break;
    case SupervisorRequest::Op::kAck:
      j = json{{"op", "ack"}, {"tasks", r.tasks}};
      break;
    case SupervisorRequest::Op::kShutdown:
      j = json{{"op", "shutdown"}, {"kill_tasks", r.kill_tasks}};
      break;
  }
  std::string line = j.dump();
  line += '\n';
  return line;
}

Result<SupervisorRequest> ParseRequest(std::string_view line) {
  Result<json> parsed = ParseObject(line);
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  SupervisorRequest r;
  std::string op;
  DROVER_RETURN_IF_ERROR(Read(j, "op", &op, true));
  if (op == "launch") {
    r.op = SupervisorRequest::Op::kLaunch;
    auto it = j.find("spec");
    if (it == j.end()) return Status::Invalid("spec", "is required");
    Result<LaunchSpec> spec = LaunchSpecFromJson(*it);
    if (!spec.ok()) return spec.status().WithFieldPrefix("spec");
    r.spec = std::move(spec).value();
  } else if (op == "kill") {
    r.op = SupervisorRequest::Op::kKill;
    DROVER_RETURN_IF_ERROR(Read(j, "task", &r.task, true));
    DROVER_RETURN_IF_ERROR(Read(j, "grace_ms", &r.grace_ms));
  } else if (op == "signal") {
    r.op = SupervisorRequest::Op::kSignal;
    DROVER_RETURN_IF_ERROR(Read(j, "task", &r.task, true));
    DROVER_RETURN_IF_ERROR(Read(j, "signal", &r.signal, true));
    if (r.signal < 1 || r.signal > 64) {
      return Status::Invalid("signal",
                             "must be a signal number 1-64 (got " + std::to_string(r.signal) + ")");
    }
  } else if (op == "limit") {
    r.op = SupervisorRequest::Op::kLimit;
    DROVER_RETURN_IF_ERROR(Read(j, "task", &r.task, true));
    DROVER_RETURN_IF_ERROR(Read(j, "time_limit_s", &r.time_limit_s, true));
    if (r.time_limit_s < 0) {
      return Status::Invalid("time_limit_s",
                             "must be >= 0 (got " + std::to_string(r.time_limit_s) + ")");
    }
  } else if (op == "list") {
    r.op = SupervisorRequest::Op::kList;
  } else if (op == "ack") {
    r.op = SupervisorRequest::Op::kAck;
    DROVER_RETURN_IF_ERROR(Read(j, "tasks", &r.tasks, true));
  } else if (op == "shutdown") {
    r.op = SupervisorRequest::Op::kShutdown;
    DROVER_RETURN_IF_ERROR(Read(j, "kill_tasks", &r.kill_tasks));
  } else {
    return Status::Invalid(
        "op",
        "must be one of launch, kill, signal, limit, list, ack, shutdown (got \"" + op + "\")");
  }
  return r;
}

void AppendEventLine(const TaskEvent& event, std::string* out) {
  out->append(json{{"type", "event"}, {"event", TaskEventToJson(event)}}.dump());
  out->push_back('\n');
}

void AppendListLine(const std::vector<TaskEvent>& tasks, std::string* out) {
  json list = json::array();
  for (const TaskEvent& e : tasks) list.push_back(TaskEventToJson(e));
  out->append(json{{"type", "list"}, {"tasks", std::move(list)}}.dump(
      -1, ' ', false, json::error_handler_t::replace));
  out->push_back('\n');
}

void AppendErrorLine(std::string_view message, std::string* out) {
  // The message may quote a malformed line's bytes: replace what is not UTF-8.
  out->append(json{{"type", "error"}, {"message", message}}.dump(-1, ' ', false,
                                                                 json::error_handler_t::replace));
  out->push_back('\n');
}

Result<SupervisorMessage> ParseMessage(std::string_view line) {
  Result<json> parsed = ParseObject(line);
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  SupervisorMessage m;
  std::string type;
  DROVER_RETURN_IF_ERROR(Read(j, "type", &type, true));
  if (type == "event") {
    m.type = SupervisorMessage::Type::kEvent;
    auto it = j.find("event");
    if (it == j.end()) return Status::Invalid("event", "is required");
    Result<TaskEvent> e = TaskEventFromJson(*it);
    if (!e.ok()) return e.status().WithFieldPrefix("event");
    m.event = std::move(e).value();
  } else if (type == "list") {
    m.type = SupervisorMessage::Type::kList;
    auto it = j.find("tasks");
    if (it == j.end() || !it->is_array()) return Status::Invalid("tasks", "must be an array");
    for (const json& item : *it) {
      Result<TaskEvent> e = TaskEventFromJson(item);
      if (!e.ok()) return e.status().WithFieldPrefix("tasks");
      m.tasks.push_back(std::move(e).value());
    }
  } else if (type == "error") {
    m.type = SupervisorMessage::Type::kError;
    DROVER_RETURN_IF_ERROR(Read(j, "message", &m.error));
  } else {
    return Status::Invalid("type", "must be event, list or error (got \"" + type + "\")");
  }
  return m;
}

}  // namespace drover::executors
