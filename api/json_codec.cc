#include "api/json_codec.h"

#include <charconv>
#include <cmath>
#include <ctime>
#include <initializer_list>
#include <limits>

namespace drover {
namespace {

std::string Join(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

std::string TypeName(const Json& v) { return v.type_name(); }

Status CheckObject(const Json& v, std::string_view path) {
  if (!v.is_object()) {
    return Status::Invalid(std::string(path), "must be an object (got " + TypeName(v) + ")");
  }
  return Status::Ok();
}

// Rejects keys outside `allowed`, naming the first unknown one.
Status CheckKnownFields(const Json& obj, std::initializer_list<std::string_view> allowed,
                        std::string_view path) {
  DROVER_RETURN_IF_ERROR(CheckObject(obj, path));
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    for (std::string_view a : allowed) {
      if (key == a) {
        known = true;
        break;
      }
    }
    if (!known) return Status::Invalid(Join(path, key), "unknown field");
  }
  return Status::Ok();
}

const Json* Find(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Status GetInt(const Json& obj, std::string_view key, std::string_view path, int64_t* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  if (v->is_number_integer()) {
    *out = v->get<int64_t>();
    return Status::Ok();
  }
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (std::floor(d) == d && std::abs(d) < 9e15) {
      *out = static_cast<int64_t>(d);
      return Status::Ok();
    }
  }
  if (v->is_string()) {
    // Kubernetes serializes resourceVersion as a string; accept digit strings.
    const std::string& s = v->get_ref<const std::string&>();
    int64_t parsed = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), parsed);
    if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) {
      *out = parsed;
      return Status::Ok();
    }
  }
  return Status::Invalid(Join(path, key), "must be an integer (got " + v->dump() + ")");
}

template <typename T>
Status GetIntAs(const Json& obj, std::string_view key, std::string_view path, T* out) {
  int64_t v = *out;
  DROVER_RETURN_IF_ERROR(GetInt(obj, key, path, &v));
  if (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
      v > static_cast<int64_t>(std::numeric_limits<T>::max())) {
    return Status::Invalid(Join(path, key), "value " + std::to_string(v) + " is out of range");
  }
  *out = static_cast<T>(v);
  return Status::Ok();
}

Status GetUint64(const Json& obj, std::string_view key, std::string_view path, uint64_t* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  if (v->is_number_unsigned() || (v->is_number_integer() && v->get<int64_t>() >= 0)) {
    *out = v->get<uint64_t>();
    return Status::Ok();
  }
  return Status::Invalid(Join(path, key), "must be a non-negative integer (got " + v->dump() + ")");
}

Status GetString(const Json& obj, std::string_view key, std::string_view path, std::string* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) {
    return Status::Invalid(Join(path, key), "must be a string (got " + TypeName(*v) + ")");
  }
  *out = v->get<std::string>();
  return Status::Ok();
}

Status GetBool(const Json& obj, std::string_view key, std::string_view path, bool* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_boolean()) {
    return Status::Invalid(Join(path, key), "must be true or false (got " + v->dump() + ")");
  }
  *out = v->get<bool>();
  return Status::Ok();
}

Status GetStringList(const Json& obj, std::string_view key, std::string_view path,
                     std::vector<std::string>* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  if (v->is_string()) {  // a single string is a list of one, as YAML users expect
    out->assign(1, v->get<std::string>());
    return Status::Ok();
  }
  if (!v->is_array()) {
    return Status::Invalid(Join(path, key), "must be a list of strings (got " + TypeName(*v) + ")");
  }
  out->clear();
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& item = (*v)[i];
    if (!item.is_string()) {
      return Status::Invalid(Join(path, key) + "[" + std::to_string(i) + "]",
                             "must be a string (got " + TypeName(item) + ")");
    }
    out->push_back(item.get<std::string>());
  }
  return Status::Ok();
}

template <typename T>
Status GetIntList(const Json& obj, std::string_view key, std::string_view path,
                  std::vector<T>* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_array()) {
    return Status::Invalid(Join(path, key), "must be a list of integers");
  }
  out->clear();
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& item = (*v)[i];
    if (!item.is_number_integer()) {
      return Status::Invalid(Join(path, key) + "[" + std::to_string(i) + "]",
                             "must be an integer (got " + item.dump() + ")");
    }
    out->push_back(static_cast<T>(item.get<int64_t>()));
  }
  return Status::Ok();
}

Status GetLabels(const Json& obj, std::string_view key, std::string_view path, Labels* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  std::string p = Join(path, key);
  DROVER_RETURN_IF_ERROR(CheckObject(*v, p));
  for (const auto& [k, value] : v->items()) {
    if (!value.is_string()) {
      return Status::Invalid(Join(p, k), "label values must be strings (got " + value.dump() + ")");
    }
    (*out)[k] = value.get<std::string>();
  }
  return Status::Ok();
}

Status GetTime(const Json& obj, std::string_view key, std::string_view path, int64_t* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return Status::Invalid(Join(path, key), "must be an RFC 3339 time string");
  auto t = ParseTime(v->get_ref<const std::string&>());
  if (!t.ok()) return t.status().WithFieldPrefix(Join(path, key));
  *out = *t;
  return Status::Ok();
}

void PutTime(Json& obj, const char* key, int64_t ms) {
  if (ms != 0) obj[key] = FormatTime(ms);
}

Json MetaToJson(const ObjectMeta& m) {
  Json j = Json::object();
  j["name"] = m.name;
  if (!m.uid.empty()) j["uid"] = m.uid;
  if (!m.labels.empty()) j["labels"] = m.labels;
  PutTime(j, "creationTimestamp", m.creation_time_ms);
  if (m.resource_version != 0) j["resourceVersion"] = std::to_string(m.resource_version);
  return j;
}

// Reads the common ObjectMeta fields; `extra` are kind-specific keys the caller reads.
Status MetaFromJson(const Json& j, std::string_view path, ObjectMeta* m,
                    std::initializer_list<std::string_view> allowed) {
  DROVER_RETURN_IF_ERROR(CheckKnownFields(j, allowed, path));
  DROVER_RETURN_IF_ERROR(GetString(j, "name", path, &m->name));
  DROVER_RETURN_IF_ERROR(GetString(j, "uid", path, &m->uid));
  DROVER_RETURN_IF_ERROR(GetLabels(j, "labels", path, &m->labels));
  DROVER_RETURN_IF_ERROR(GetTime(j, "creationTimestamp", path, &m->creation_time_ms));
  DROVER_RETURN_IF_ERROR(GetInt(j, "resourceVersion", path, &m->resource_version));
  return Status::Ok();
}

// apiVersion and kind are right, and nothing but the five top-level fields is there.
Status CheckEnvelope(const Json& j, std::string_view want) {
  DROVER_RETURN_IF_ERROR(CheckObject(j, ""));
  std::string api_version = kApiVersion;
  std::string kind(want);
  DROVER_RETURN_IF_ERROR(GetString(j, "apiVersion", "", &api_version));
  DROVER_RETURN_IF_ERROR(GetString(j, "kind", "", &kind));
  if (api_version != kApiVersion) {
    return Status::Invalid("apiVersion", "unsupported apiVersion \"" + api_version + "\" (want \"" +
                                             kApiVersion + "\")");
  }
  if (kind != want) {
    return Status::Invalid("kind",
                           "kind \"" + kind + "\" where " + std::string(want) + " was expected");
  }
  return CheckKnownFields(j, {"apiVersion", "kind", "metadata", "spec", "status"}, "");
}

Json TemplateToJson(const TaskTemplate& t) {
  Json j = Json::object();
  j["command"] = t.command;
  if (!t.args.empty()) j["args"] = t.args;
  if (!t.env.empty()) {
    Json env = Json::array();
    for (const auto& [name, value] : t.env) env.push_back({{"name", name}, {"value", value}});
    j["env"] = std::move(env);
  }
  if (!t.working_dir.empty()) j["workingDir"] = t.working_dir;
  j["resources"] = {{"cpus", t.resources.cpus}, {"memory", t.resources.memory_bytes}};
  if (t.resources.memory_bind != "none") j["resources"]["memoryBind"] = t.resources.memory_bind;
  if (t.time_limit_s != 0) j["timeLimit"] = t.time_limit_s;
  if (!t.stdout_path.empty()) j["stdout"] = t.stdout_path;
  if (!t.stderr_path.empty()) j["stderr"] = t.stderr_path;
  return j;
}

Status TemplateFromJson(const Json& j, std::string_view path, TaskTemplate* t) {
  DROVER_RETURN_IF_ERROR(CheckKnownFields(
      j, {"command", "args", "env", "workingDir", "resources", "timeLimit", "stdout", "stderr"},
      path));
  DROVER_RETURN_IF_ERROR(GetStringList(j, "command", path, &t->command));
  DROVER_RETURN_IF_ERROR(GetStringList(j, "args", path, &t->args));
  if (const Json* env = Find(j, "env")) {
    std::string p = Join(path, "env");
    if (env->is_object()) {  // {"NAME": "value"} is accepted as a shorthand
      for (const auto& [name, value] : env->items()) {
        if (!value.is_string()) return Status::Invalid(Join(p, name), "must be a string");
        t->env.emplace_back(name, value.get<std::string>());
      }
    } else if (env->is_array()) {
      for (size_t i = 0; i < env->size(); ++i) {
        std::string ip = p + "[" + std::to_string(i) + "]";
        const Json& e = (*env)[i];
        DROVER_RETURN_IF_ERROR(CheckKnownFields(e, {"name", "value"}, ip));
        std::string name, value;
        DROVER_RETURN_IF_ERROR(GetString(e, "name", ip, &name));
        DROVER_RETURN_IF_ERROR(GetString(e, "value", ip, &value));
        t->env.emplace_back(std::move(name), std::move(value));
      }
    } else {
      return Status::Invalid(p, "must be a list of {name, value} (got " + TypeName(*env) + ")");
    }
  }
  DROVER_RETURN_IF_ERROR(GetString(j, "workingDir", path, &t->working_dir));
  if (const Json* r = Find(j, "resources")) {
    std::string p = Join(path, "resources");
    DROVER_RETURN_IF_ERROR(CheckKnownFields(*r, {"cpus", "memory", "memoryBind"}, p));
    DROVER_RETURN_IF_ERROR(GetIntAs(*r, "cpus", p, &t->resources.cpus));
    DROVER_RETURN_IF_ERROR(GetString(*r, "memoryBind", p, &t->resources.memory_bind));
    if (const Json* m = Find(*r, "memory")) {
      auto q = ParseQuantity(*m);
      if (!q.ok()) return q.status().WithFieldPrefix(Join(p, "memory"));
      t->resources.memory_bytes = *q;
    }
  }
  if (const Json* tl = Find(j, "timeLimit")) {
    auto d = ParseDuration(*tl);
    if (!d.ok()) return d.status().WithFieldPrefix(Join(path, "timeLimit"));
    t->time_limit_s = *d;
  }
  DROVER_RETURN_IF_ERROR(GetString(j, "stdout", path, &t->stdout_path));
  DROVER_RETURN_IF_ERROR(GetString(j, "stderr", path, &t->stderr_path));
  return Status::Ok();
}

Result<JobPhase> ParseJobPhase(std::string_view s) {
  for (JobPhase p : {JobPhase::kPending, JobPhase::kRunning, JobPhase::kSucceeded,
                     JobPhase::kFailed, JobPhase::kCancelled}) {
    if (JobPhaseName(p) == s) return p;
  }
  return Status::Invalid("status.phase", "unknown job phase \"" + std::string(s) + "\"");
}

Result<TaskPhase> ParseTaskPhase(std::string_view s) {
  for (TaskPhase p : {TaskPhase::kAssigned, TaskPhase::kRunning, TaskPhase::kSucceeded,
                      TaskPhase::kFailed, TaskPhase::kCancelled, TaskPhase::kLost}) {
    if (TaskPhaseName(p) == s) return p;
  }
  return Status::Invalid("status.phase", "unknown task phase \"" + std::string(s) + "\"");
}

Status IndexSetField(const Json& obj, std::string_view key, std::string_view path, IndexSet* out) {
  std::string text;
  DROVER_RETURN_IF_ERROR(GetString(obj, key, path, &text));
  auto set = IndexSet::Parse(text);
  if (!set.ok()) return set.status().WithFieldPrefix(Join(path, key));
  *out = std::move(*set);
  return Status::Ok();
}

}  // namespace

Json ToJson(const Job& job) {
  Json j = Json::object();
  j["apiVersion"] = kApiVersion;
  j["kind"] = "Job";
  Json meta = MetaToJson(job.metadata);
  if (job.id != 0) meta["id"] = job.id;
  if (!job.owner.user.empty() || job.owner.uid != 0) {
    meta["owner"] = {{"user", job.owner.user}, {"uid", job.owner.uid}, {"gid", job.owner.gid}};
  }
  j["metadata"] = std::move(meta);
  const JobSpec& s = job.spec;
  j["spec"] = {
      {"completions", s.completions},
      {"parallelism", s.parallelism},
      {"completionMode", s.completion_mode == CompletionMode::kIndexed ? "Indexed" : "NonIndexed"},
      {"backoffLimit", s.backoff_limit},
      {"priority", s.priority},
      {"queue", s.queue},
      {"gang", s.gang},
      {"template", TemplateToJson(s.task)},
  };
  if (!s.account.empty()) j["spec"]["account"] = s.account;
  if (s.placement != "compact") j["spec"]["placement"] = s.placement;
  if (s.exclusive) j["spec"]["exclusive"] = true;
  if (s.ntasks_per_node != 0) j["spec"]["ntasksPerNode"] = s.ntasks_per_node;
  if (s.nodes != 0) j["spec"]["nodes"] = s.nodes;
  if (s.hold) j["spec"]["hold"] = true;
  PutTime(j["spec"], "beginTime", s.begin_time_ms);
  if (!s.dependencies.empty()) {
    Json deps = Json::array();
    for (const JobDependency& d : s.dependencies)
      deps.push_back({{"type", d.type}, {"job", d.job_id}});
    j["spec"]["dependencies"] = std::move(deps);
  }
  const JobStatus& st = job.status;
  Json status = {{"phase", JobPhaseName(st.phase)},
                 {"active", st.active},
                 {"succeeded", st.succeeded},
                 {"failed", st.failed}};
  if (!st.reasons.empty()) status["reasons"] = st.reasons;
  PutTime(status, "estimatedStartTime", st.estimated_start_ms);
  if (!st.completed_indexes.empty()) status["completedIndexes"] = st.completed_indexes.ToString();
  if (!st.failed_indexes_pending.empty()) {
    status["retryIndexes"] = st.failed_indexes_pending.ToString();
  }
  if (st.next_index != 0) status["nextIndex"] = st.next_index;
  PutTime(status, "startTime", st.start_time_ms);
  PutTime(status, "completionTime", st.completion_time_ms);
  if (!st.message.empty()) status["message"] = st.message;
  j["status"] = std::move(status);
  return j;
}

Result<Job> JobFromJson(const Json& j) {
  DROVER_RETURN_IF_ERROR(CheckEnvelope(j, "Job"));
  Job job;
  if (const Json* m = Find(j, "metadata")) {
    DROVER_RETURN_IF_ERROR(MetaFromJson(
        *m, "metadata", &job.metadata,
        {"name", "uid", "labels", "creationTimestamp", "resourceVersion", "id", "owner"}));
    DROVER_RETURN_IF_ERROR(GetUint64(*m, "id", "metadata", &job.id));
    if (const Json* o = Find(*m, "owner")) {
      DROVER_RETURN_IF_ERROR(CheckKnownFields(*o, {"user", "uid", "gid"}, "metadata.owner"));
      DROVER_RETURN_IF_ERROR(GetString(*o, "user", "metadata.owner", &job.owner.user));
      DROVER_RETURN_IF_ERROR(GetIntAs(*o, "uid", "metadata.owner", &job.owner.uid));
      DROVER_RETURN_IF_ERROR(GetIntAs(*o, "gid", "metadata.owner", &job.owner.gid));
    }
  }
  const Json* spec = Find(j, "spec");
  if (spec == nullptr) return Status::Invalid("spec", "is required");
  DROVER_RETURN_IF_ERROR(
      CheckKnownFields(*spec,
                       {"completions", "parallelism", "completionMode", "backoffLimit", "priority",
                        "queue", "account", "gang", "placement", "exclusive", "ntasksPerNode",
                        "nodes", "hold", "beginTime", "dependencies", "template"},
                       "spec"));
  JobSpec& s = job.spec;
  DROVER_RETURN_IF_ERROR(GetInt(*spec, "completions", "spec", &s.completions));
  s.parallelism = -1;
  DROVER_RETURN_IF_ERROR(GetInt(*spec, "parallelism", "spec", &s.parallelism));
  if (s.parallelism == -1) s.parallelism = 1;
  std::string mode = "NonIndexed";
  DROVER_RETURN_IF_ERROR(GetString(*spec, "completionMode", "spec", &mode));
  if (mode == "Indexed") {
    s.completion_mode = CompletionMode::kIndexed;
  } else if (mode == "NonIndexed") {
    s.completion_mode = CompletionMode::kNonIndexed;
  } else {
    return Status::Invalid("spec.completionMode",
                           "must be \"Indexed\" or \"NonIndexed\" (got \"" + mode + "\")");
  }
  DROVER_RETURN_IF_ERROR(GetIntAs(*spec, "backoffLimit", "spec", &s.backoff_limit));
  DROVER_RETURN_IF_ERROR(GetIntAs(*spec, "priority", "spec", &s.priority));
  DROVER_RETURN_IF_ERROR(GetString(*spec, "queue", "spec", &s.queue));
  DROVER_RETURN_IF_ERROR(GetString(*spec, "account", "spec", &s.account));
  DROVER_RETURN_IF_ERROR(GetBool(*spec, "gang", "spec", &s.gang));
  DROVER_RETURN_IF_ERROR(GetString(*spec, "placement", "spec", &s.placement));
  DROVER_RETURN_IF_ERROR(GetBool(*spec, "exclusive", "spec", &s.exclusive));
  DROVER_RETURN_IF_ERROR(GetIntAs(*spec, "ntasksPerNode", "spec", &s.ntasks_per_node));
  DROVER_RETURN_IF_ERROR(GetIntAs(*spec, "nodes", "spec", &s.nodes));
  DROVER_RETURN_IF_ERROR(GetBool(*spec, "hold", "spec", &s.hold));
  DROVER_RETURN_IF_ERROR(GetTime(*spec, "beginTime", "spec", &s.begin_time_ms));
  if (const Json* deps = Find(*spec, "dependencies")) {
    if (!deps->is_array()) {
      return Status::Invalid("spec.dependencies",
                             "must be a list of {type, job} (got " + TypeName(*deps) + ")");
    }
    for (size_t i = 0; i < deps->size(); ++i) {
      std::string ip = "spec.dependencies[" + std::to_string(i) + "]";
      const Json& d = (*deps)[i];
      DROVER_RETURN_IF_ERROR(CheckObject(d, ip));
      DROVER_RETURN_IF_ERROR(CheckKnownFields(d, {"type", "job"}, ip));
      JobDependency dep;
      DROVER_RETURN_IF_ERROR(GetString(d, "type", ip, &dep.type));
      DROVER_RETURN_IF_ERROR(GetUint64(d, "job", ip, &dep.job_id));
      s.dependencies.push_back(std::move(dep));
    }
  }
  const Json* tmpl = Find(*spec, "template");
  if (tmpl == nullptr) return Status::Invalid("spec.template", "is required");
  DROVER_RETURN_IF_ERROR(TemplateFromJson(*tmpl, "spec.template", &s.task));

  if (const Json* st = Find(j, "status")) {
    DROVER_RETURN_IF_ERROR(CheckKnownFields(
        *st,
        {"phase", "reasons", "estimatedStartTime", "active", "succeeded", "failed",
         "completedIndexes", "retryIndexes", "nextIndex", "startTime", "completionTime", "message"},
        "status"));
    std::string phase = "Pending";
    DROVER_RETURN_IF_ERROR(GetString(*st, "phase", "status", &phase));
    auto p = ParseJobPhase(phase);
    if (!p.ok()) return p.status();
    job.status.phase = *p;
    DROVER_RETURN_IF_ERROR(GetStringList(*st, "reasons", "status", &job.status.reasons));
    DROVER_RETURN_IF_ERROR(
        GetTime(*st, "estimatedStartTime", "status", &job.status.estimated_start_ms));
    DROVER_RETURN_IF_ERROR(GetInt(*st, "active", "status", &job.status.active));
    DROVER_RETURN_IF_ERROR(GetInt(*st, "succeeded", "status", &job.status.succeeded));
    DROVER_RETURN_IF_ERROR(GetInt(*st, "failed", "status", &job.status.failed));
    DROVER_RETURN_IF_ERROR(
        IndexSetField(*st, "completedIndexes", "status", &job.status.completed_indexes));
    DROVER_RETURN_IF_ERROR(
        IndexSetField(*st, "retryIndexes", "status", &job.status.failed_indexes_pending));
    DROVER_RETURN_IF_ERROR(GetInt(*st, "nextIndex", "status", &job.status.next_index));
    DROVER_RETURN_IF_ERROR(GetTime(*st, "startTime", "status", &job.status.start_time_ms));
    DROVER_RETURN_IF_ERROR(
        GetTime(*st, "completionTime", "status", &job.status.completion_time_ms));
    DROVER_RETURN_IF_ERROR(GetString(*st, "message", "status", &job.status.message));
  }
  return job;
}

Json ToJson(const Task& task) {
  Json j = Json::object();
  j["apiVersion"] = kApiVersion;
  j["kind"] = "Task";
  j["metadata"] = MetaToJson(task.metadata);
  const TaskSpec& s = task.spec;
  j["spec"] = {{"jobId", s.job_id}, {"index", s.index}, {"attempt", s.attempt},    {"node", s.node},
               {"cores", s.cores},  {"cpus", s.cpus},   {"memory", s.memory_bytes}};
  if (!s.numa_memory_bytes.empty()) j["spec"]["numaMemory"] = s.numa_memory_bytes;
  const TaskStatus& st = task.status;
  Json status = {{"phase", TaskPhaseName(st.phase)}};
  if (st.exit_code >= 0) status["exitCode"] = st.exit_code;
  if (st.signal != 0) status["signal"] = st.signal;
  if (st.pid != 0) status["pid"] = st.pid;
  PutTime(status, "startTime", st.start_time_ms);
  PutTime(status, "finishTime", st.finish_time_ms);
  if (IsTerminal(st.phase)) {
    status["usage"] = {{"userCpuMs", st.usage.user_cpu_ms},
                       {"systemCpuMs", st.usage.system_cpu_ms},
                       {"maxRssKb", st.usage.max_rss_kb}};
  }
  if (!st.message.empty()) status["message"] = st.message;
  j["status"] = std::move(status);
  return j;
}

Result<Task> TaskFromJson(const Json& j) {
  DROVER_RETURN_IF_ERROR(CheckEnvelope(j, "Task"));
  Task task;
  if (const Json* m = Find(j, "metadata")) {
    DROVER_RETURN_IF_ERROR(
        MetaFromJson(*m, "metadata", &task.metadata,
                     {"name", "uid", "labels", "creationTimestamp", "resourceVersion"}));
  }
  if (const Json* s = Find(j, "spec")) {
    DROVER_RETURN_IF_ERROR(CheckKnownFields(
        *s, {"jobId", "index", "attempt", "node", "cores", "cpus", "memory", "numaMemory"},
        "spec"));
    DROVER_RETURN_IF_ERROR(GetUint64(*s, "jobId", "spec", &task.spec.job_id));
    DROVER_RETURN_IF_ERROR(GetInt(*s, "index", "spec", &task.spec.index));
    DROVER_RETURN_IF_ERROR(GetIntAs(*s, "attempt", "spec", &task.spec.attempt));
    DROVER_RETURN_IF_ERROR(GetString(*s, "node", "spec", &task.spec.node));
    DROVER_RETURN_IF_ERROR(GetIntList(*s, "cores", "spec", &task.spec.cores));
    DROVER_RETURN_IF_ERROR(GetIntList(*s, "cpus", "spec", &task.spec.cpus));
    DROVER_RETURN_IF_ERROR(GetInt(*s, "memory", "spec", &task.spec.memory_bytes));
    DROVER_RETURN_IF_ERROR(GetIntList(*s, "numaMemory", "spec", &task.spec.numa_memory_bytes));
  }
  if (const Json* st = Find(j, "status")) {
    DROVER_RETURN_IF_ERROR(CheckKnownFields(
        *st, {"phase", "exitCode", "signal", "pid", "startTime", "finishTime", "usage", "message"},
        "status"));
    std::string phase = "Assigned";
    DROVER_RETURN_IF_ERROR(GetString(*st, "phase", "status", &phase));
    auto p = ParseTaskPhase(phase);
    if (!p.ok()) return p.status();
    task.status.phase = *p;
    DROVER_RETURN_IF_ERROR(GetIntAs(*st, "exitCode", "status", &task.status.exit_code));
    DROVER_RETURN_IF_ERROR(GetIntAs(*st, "signal", "status", &task.status.signal));
    DROVER_RETURN_IF_ERROR(GetIntAs(*st, "pid", "status", &task.status.pid));
    DROVER_RETURN_IF_ERROR(GetTime(*st, "startTime", "status", &task.status.start_time_ms));
    DROVER_RETURN_IF_ERROR(GetTime(*st, "finishTime", "status", &task.status.finish_time_ms));
    if (const Json* u = Find(*st, "usage")) {
      DROVER_RETURN_IF_ERROR(
          CheckKnownFields(*u, {"userCpuMs", "systemCpuMs", "maxRssKb"}, "status.usage"));
      DROVER_RETURN_IF_ERROR(
          GetInt(*u, "userCpuMs", "status.usage", &task.status.usage.user_cpu_ms));
      DROVER_RETURN_IF_ERROR(
          GetInt(*u, "systemCpuMs", "status.usage", &task.status.usage.system_cpu_ms));
      DROVER_RETURN_IF_ERROR(GetInt(*u, "maxRssKb", "status.usage", &task.status.usage.max_rss_kb));
    }
    DROVER_RETURN_IF_ERROR(GetString(*st, "message", "status", &task.status.message));
  }
  return task;
}

Json ToJson(const NodeTopology& t) {
  Json cores = Json::array();
  for (const CoreInfo& c : t.cores) {
    cores.push_back({{"id", c.id}, {"package", c.package}, {"numa", c.numa}, {"pus", c.pus}});
  }
  Json j = {{"source", t.source},
            {"packages", t.packages},
            {"numaNodes", t.numa_nodes},
            {"memory", t.memory_bytes},
            {"numaMemory", t.numa_memory_bytes},
            {"cores", std::move(cores)}};
  if (!t.numa_os_indexes.empty()) j["numaOsIndexes"] = t.numa_os_indexes;
  return j;
}

Result<NodeTopology> TopologyFromJson(const Json& j, std::string_view path) {
  DROVER_RETURN_IF_ERROR(CheckKnownFields(
      j, {"source", "packages", "numaNodes", "memory", "numaMemory", "numaOsIndexes", "cores"},
      path));
  NodeTopology t;
  DROVER_RETURN_IF_ERROR(GetString(j, "source", path, &t.source));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "packages", path, &t.packages));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "numaNodes", path, &t.numa_nodes));
  DROVER_RETURN_IF_ERROR(GetInt(j, "memory", path, &t.memory_bytes));
  DROVER_RETURN_IF_ERROR(GetIntList(j, "numaMemory", path, &t.numa_memory_bytes));
  DROVER_RETURN_IF_ERROR(GetIntList(j, "numaOsIndexes", path, &t.numa_os_indexes));
  if (const Json* cores = Find(j, "cores")) {
    std::string p = Join(path, "cores");
    if (!cores->is_array()) return Status::Invalid(p, "must be a list");
    for (size_t i = 0; i < cores->size(); ++i) {
      std::string ip = p + "[" + std::to_string(i) + "]";
      const Json& c = (*cores)[i];
      DROVER_RETURN_IF_ERROR(CheckKnownFields(c, {"id", "package", "numa", "pus"}, ip));
      CoreInfo core;
      DROVER_RETURN_IF_ERROR(GetIntAs(c, "id", ip, &core.id));
      DROVER_RETURN_IF_ERROR(GetIntAs(c, "package", ip, &core.package));
      DROVER_RETURN_IF_ERROR(GetIntAs(c, "numa", ip, &core.numa));
      DROVER_RETURN_IF_ERROR(GetIntList(c, "pus", ip, &core.pus));
      if (core.id != static_cast<int32_t>(i)) {
        return Status::Invalid(ip + ".id", "core ids must be 0..n-1 in order");
      }
      t.cores.push_back(std::move(core));
    }
  }
  return t;
}

Json ToJson(const Node& node) {
  Json j = Json::object();
  j["apiVersion"] = kApiVersion;
  j["kind"] = "Node";
  j["metadata"] = MetaToJson(node.metadata);
  j["spec"] = {{"unschedulable", node.spec.unschedulable}};
  const NodeStatus& st = node.status;
  Json status = {{"phase", NodePhaseName(st.phase)},
                 {"address", st.address},
                 {"topology", ToJson(st.topology)},
                 {"allocatedCpus", st.allocated_cpus},
                 {"allocatedMemory", st.allocated_memory_bytes},
                 {"runningTasks", st.running_tasks}};
  PutTime(status, "lastHeartbeatTime", st.last_heartbeat_ms);
  j["status"] = std::move(status);
  return j;
}

Result<Node> NodeFromJson(const Json& j) {
  DROVER_RETURN_IF_ERROR(CheckEnvelope(j, "Node"));
  Node node;
  if (const Json* m = Find(j, "metadata")) {
    DROVER_RETURN_IF_ERROR(
        MetaFromJson(*m, "metadata", &node.metadata,
                     {"name", "uid", "labels", "creationTimestamp", "resourceVersion"}));
  }
  if (const Json* s = Find(j, "spec")) {
    DROVER_RETURN_IF_ERROR(CheckKnownFields(*s, {"unschedulable"}, "spec"));
    DROVER_RETURN_IF_ERROR(GetBool(*s, "unschedulable", "spec", &node.spec.unschedulable));
  }
  if (const Json* st = Find(j, "status")) {
    DROVER_RETURN_IF_ERROR(
        CheckKnownFields(*st,
                         {"phase", "address", "topology", "allocatedCpus", "allocatedMemory",
                          "runningTasks", "lastHeartbeatTime"},
                         "status"));
    std::string phase = "NotReady";
    DROVER_RETURN_IF_ERROR(GetString(*st, "phase", "status", &phase));
    node.status.phase = phase == "Ready" ? NodePhase::kReady : NodePhase::kNotReady;
    DROVER_RETURN_IF_ERROR(GetString(*st, "address", "status", &node.status.address));
    if (const Json* t = Find(*st, "topology")) {
      auto topo = TopologyFromJson(*t, "status.topology");
      if (!topo.ok()) return topo.status();
      node.status.topology = std::move(*topo);
    }
    DROVER_RETURN_IF_ERROR(GetIntAs(*st, "allocatedCpus", "status", &node.status.allocated_cpus));
    DROVER_RETURN_IF_ERROR(
        GetInt(*st, "allocatedMemory", "status", &node.status.allocated_memory_bytes));
    DROVER_RETURN_IF_ERROR(GetInt(*st, "runningTasks", "status", &node.status.running_tasks));
    DROVER_RETURN_IF_ERROR(
        GetTime(*st, "lastHeartbeatTime", "status", &node.status.last_heartbeat_ms));
  }
  return node;
}

Result<Json> ParseJson(std::string_view text) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    return Status::Invalid("", std::string("malformed JSON: ") + e.what());
  }
}

std::string FormatTime(int64_t unix_ms) {
  if (unix_ms == 0) return "";
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return buf;
}

Result<int64_t> ParseTime(std::string_view text) {
  if (text.empty()) return int64_t{0};
  struct tm tm = {};
  int ms = 0;
  std::string s(text);
  int n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
  if (n != 6 || s.size() < 20) {
    return Status::Invalid("",
                           "bad time \"" + s + "\" (want RFC 3339 UTC, e.g. 2026-01-02T03:04:05Z)");
  }
  size_t pos = 19;
  if (s[pos] == '.') {
    size_t end = pos + 1;
    int digits = 0;
    while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) {
      if (digits < 3) ms = ms * 10 + (s[end] - '0');
      ++digits;
      ++end;
    }
    for (int d = digits; d < 3; ++d) ms *= 10;
    pos = end;
  }
  if (s.substr(pos) != "Z") {
    return Status::Invalid("", "time \"" + s + "\" must be in UTC (end in Z)");
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  time_t secs = timegm(&tm);
  return static_cast<int64_t>(secs) * 1000 + ms;
}

Result<int64_t> ParseQuantity(const Json& value) {
  if (value.is_number_integer()) {
    int64_t v = value.get<int64_t>();
    if (v < 0) return Status::Invalid("", "must not be negative (got " + std::to_string(v) + ")");
    return v;
  }
  if (!value.is_string()) {
    return Status::Invalid("",
                           "must be bytes or a quantity like \"512Mi\" (got " + value.dump() + ")");
  }
  const std::string& s = value.get_ref<const std::string&>();
  double number = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
  std::string_view suffix(ptr, s.data() + s.size() - ptr);
  if (ec != std::errc() || number < 0) {
    return Status::Invalid("", "bad quantity \"" + s + "\" (want e.g. 512Mi, 4Gi, 1G)");
  }
  struct Unit {
    std::string_view name;
    double factor;
  };
  static constexpr Unit kUnits[] = {{"", 1},
                                    {"k", 1e3},
                                    {"K", 1e3},
                                    {"M", 1e6},
                                    {"G", 1e9},
                                    {"T", 1e12},
                                    {"Ki", 1024.0},
                                    {"Mi", 1048576.0},
                                    {"Gi", 1073741824.0},
                                    {"Ti", 1099511627776.0}};
  for (const Unit& u : kUnits) {
    if (suffix == u.name) {
      double bytes = number * u.factor;
      if (bytes > 9.0e18) return Status::Invalid("", "quantity \"" + s + "\" is too large");
      return static_cast<int64_t>(bytes);
    }
  }
  return Status::Invalid("", "unknown unit \"" + std::string(suffix) + "\" in \"" + s +
                                 "\" (use Ki, Mi, Gi, Ti, k, M, G or T)");
}

Result<int64_t> ParseSlurmDuration(std::string_view text) {
  std::string s(text);
  auto bad = [&] {
    return Status::Invalid(
        "", "bad duration \"" + s + "\" (want seconds, MM, MM:SS, HH:MM:SS or D-HH[:MM[:SS]])");
  };
  int64_t days = 0;
  std::string_view rest = text;
  size_t dash = rest.find('-');
  std::vector<int64_t> parts;
  auto parse_parts = [&](std::string_view p) -> bool {
    size_t pos = 0;
    while (pos <= p.size()) {
      size_t colon = p.find(':', pos);
      if (colon == std::string_view::npos) colon = p.size();
      std::string_view part = p.substr(pos, colon - pos);
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
      if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || v < 0) {
        return false;
      }
      parts.push_back(v);
      pos = colon + 1;
    }
    return parts.size() <= 3;
  };
  if (dash != std::string_view::npos) {
    std::string_view d = rest.substr(0, dash);
    auto [ptr, ec] = std::from_chars(d.data(), d.data() + d.size(), days);
    if (d.empty() || ec != std::errc() || ptr != d.data() + d.size() || days < 0) return bad();
    if (!parse_parts(rest.substr(dash + 1))) return bad();
    // D-HH, D-HH:MM, D-HH:MM:SS
    int64_t h = parts[0], m = parts.size() > 1 ? parts[1] : 0,
            sec = parts.size() > 2 ? parts[2] : 0;
    return days * 86400 + h * 3600 + m * 60 + sec;
  }
  if (!parse_parts(rest)) return bad();
  switch (parts.size()) {
    case 1:
      return parts[0] * 60;  // MM
    case 2:
      return parts[0] * 60 + parts[1];  // MM:SS
    default:
      return parts[0] * 3600 + parts[1] * 60 + parts[2];  // HH:MM:SS
  }
}

Result<int64_t> ParseDuration(const Json& value) {
  if (value.is_number_integer()) {
    int64_t v = value.get<int64_t>();
    if (v < 0) return Status::Invalid("", "must not be negative (got " + std::to_string(v) + ")");
    return v;
  }
  if (!value.is_string()) {
    return Status::Invalid(
        "", "must be seconds or a duration like \"1:30:00\" (got " + value.dump() + ")");
  }
  return ParseSlurmDuration(value.get_ref<const std::string&>());
}

}  // namespace drover
