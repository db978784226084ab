#include "api/json_codec.h"

#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <map>
#include <utility>

#include "api/json_codec_parts.h"
#include "api/json_fields.h"

namespace drover {
namespace {

using json_fields::CheckKnownFields;
using json_fields::CheckObject;
using json_fields::Find;
using json_fields::GetBool;
using json_fields::GetInt;
using json_fields::GetIntAs;
using json_fields::GetIntList;
using json_fields::GetIntOrDigits;
using json_fields::GetLabels;
using json_fields::GetString;
using json_fields::GetStringList;
using json_fields::GetTime;
using json_fields::GetUint64;
using json_fields::Join;

std::string TypeName(const Json& v) { return v.type_name(); }

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

// backoffLimitPerIndex and maxFailedIndexes, absent = -1. As Kubernetes, a
// per-index limit without a backoffLimit of its own lifts the job-wide one.
Status PerIndexBackoffFromJson(const Json& spec, JobSpec* s) {
  for (auto [key, out] : {std::pair{"backoffLimitPerIndex", &s->backoff_limit_per_index},
                          std::pair{"maxFailedIndexes", &s->max_failed_indexes}}) {
    if (Find(spec, key) == nullptr) continue;
    DROVER_RETURN_IF_ERROR(GetIntAs(spec, key, "spec", out));
    if (*out < 0) {
      return Status::Invalid(std::string("spec.") + key,
                             "must not be negative (got " + std::to_string(*out) + ")");
    }
  }
  if (s->backoff_limit_per_index >= 0 && Find(spec, "backoffLimit") == nullptr) {
    s->backoff_limit = std::numeric_limits<int32_t>::max();
  }
  return Status::Ok();
}

// status.indexFailures: {"3": 1}, index -> failures so far.
Status IndexFailuresFromJson(const Json& st, std::map<int64_t, int32_t>* out) {
  const Json* f = Find(st, "indexFailures");
  if (f == nullptr) return Status::Ok();
  DROVER_RETURN_IF_ERROR(CheckObject(*f, "status.indexFailures"));
  for (const auto& [key, value] : f->items()) {
    char* end = nullptr;
    const long long index = std::strtoll(key.c_str(), &end, 10);
    if (key.empty() || *end != '\0' || index < 0 || !value.is_number_integer() ||
        value.get<int64_t>() < 0 || value.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      return Status::Invalid("status.indexFailures", "must map indexes to failure counts (got \"" +
                                                         key + "\": " + value.dump() + ")");
    }
    (*out)[index] = static_cast<int32_t>(value.get<int64_t>());
  }
  return Status::Ok();
}

}  // namespace

namespace codec_parts {

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
  DROVER_RETURN_IF_ERROR(GetIntOrDigits(j, "resourceVersion", path, &m->resource_version));
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
  if (t.warning_signal != 0) {
    j["warningSignal"] = {{"signal", t.warning_signal},
                          {"secondsBefore", t.warning_seconds},
                          {"shellOnly", t.warning_shell_only}};
  }
  return j;
}

Status TemplateFromJson(const Json& j, std::string_view path, TaskTemplate* t) {
  DROVER_RETURN_IF_ERROR(CheckKnownFields(j,
                                          {"command", "args", "env", "workingDir", "resources",
                                           "timeLimit", "stdout", "stderr", "warningSignal"},
                                          path));
  if (const Json* w = Find(j, "warningSignal")) {
    const std::string p = Join(path, "warningSignal");
    DROVER_RETURN_IF_ERROR(CheckObject(*w, p));
    DROVER_RETURN_IF_ERROR(CheckKnownFields(*w, {"signal", "secondsBefore", "shellOnly"}, p));
    DROVER_RETURN_IF_ERROR(GetIntAs(*w, "signal", p, &t->warning_signal));
    DROVER_RETURN_IF_ERROR(GetIntAs(*w, "secondsBefore", p, &t->warning_seconds));
    DROVER_RETURN_IF_ERROR(GetBool(*w, "shellOnly", p, &t->warning_shell_only));
  }
  DROVER_RETURN_IF_ERROR(GetStringList(j, "command", path, &t->command));
  DROVER_RETURN_IF_ERROR(GetStringList(j, "args", path, &t->args));
  if (const Json* env = Find(j, "env")) {
    std::string p = Join(path, "env");
    if (env->is_object()) {  // {"NAME": "value"} is accepted as a shorthand
      for (const auto& [name, value] : env->items()) {
        DROVER_RETURN_IF_ERROR(json_fields::CheckString(value, Join(p, SanitizeUtf8(name))));
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

void PutOwner(Json& meta, const Owner& owner) {
  if (!owner.user.empty() || owner.uid != 0) {
    meta["owner"] = {{"user", owner.user}, {"uid", owner.uid}, {"gid", owner.gid}};
  }
}

Status OwnerFromJson(const Json& meta, Owner* owner) {
  const Json* o = Find(meta, "owner");
  if (o == nullptr) return Status::Ok();
  DROVER_RETURN_IF_ERROR(CheckKnownFields(*o, {"user", "uid", "gid"}, "metadata.owner"));
  DROVER_RETURN_IF_ERROR(GetString(*o, "user", "metadata.owner", &owner->user));
  DROVER_RETURN_IF_ERROR(GetIntAs(*o, "uid", "metadata.owner", &owner->uid));
  DROVER_RETURN_IF_ERROR(GetIntAs(*o, "gid", "metadata.owner", &owner->gid));
  return Status::Ok();
}

}  // namespace codec_parts

using namespace codec_parts;

Json ToJson(const Job& job) {
  Json j = Json::object();
  j["apiVersion"] = kApiVersion;
  j["kind"] = "Job";
  Json meta = MetaToJson(job.metadata);
  if (job.id != 0) meta["id"] = job.id;
  if (!job.submission_id.empty()) meta["submissionId"] = job.submission_id;
  PutOwner(meta, job.owner);
  j["metadata"] = std::move(meta);
  const JobSpec& s = job.spec;
  j["spec"] = {
      {"parallelism", s.parallelism},
      {"completionMode", s.completion_mode == CompletionMode::kIndexed ? "Indexed" : "NonIndexed"},
      {"backoffLimit", s.backoff_limit},
      {"priority", s.priority},
      {"queue", s.queue},
      {"gang", s.gang},
      {"template", TemplateToJson(s.task)},
  };
  if (!s.work_queue) j["spec"]["completions"] = s.completions;  // none: a work queue
  if (s.backoff_limit_per_index >= 0) j["spec"]["backoffLimitPerIndex"] = s.backoff_limit_per_index;
  if (s.max_failed_indexes >= 0) j["spec"]["maxFailedIndexes"] = s.max_failed_indexes;
  if (s.nice != 0) j["spec"]["nice"] = s.nice;
  if (!s.indexes.empty()) j["spec"]["indexes"] = s.indexes.ToString();
  if (s.dependency_any) j["spec"]["dependencyAny"] = true;
  if (!s.node_list.empty()) j["spec"]["nodeList"] = s.node_list;
  if (!s.exclude_nodes.empty()) j["spec"]["excludeNodes"] = s.exclude_nodes;
  if (!s.node_selector.empty()) j["spec"]["nodeSelector"] = s.node_selector;
  if (!s.kill_on_invalid_dependency) j["spec"]["killOnInvalidDependency"] = false;
  if (!s.requeue) j["spec"]["requeue"] = false;
  if (!s.qos.empty()) j["spec"]["qos"] = s.qos;
  if (!s.account.empty()) j["spec"]["account"] = s.account;
  if (s.placement != "compact") j["spec"]["placement"] = s.placement;
  if (s.exclusive) j["spec"]["exclusive"] = true;
  if (s.ntasks_per_node != 0) j["spec"]["ntasksPerNode"] = s.ntasks_per_node;
  if (s.nodes != 0) j["spec"]["nodes"] = s.nodes;
  if (IsAllocation(s)) j["spec"]["allocation"] = AllocationToJson(s.allocation);
  if (s.hold) j["spec"]["hold"] = true;
  PutTime(j["spec"], "beginTime", s.begin_time_ms);
  if (!s.mail.types.empty()) {
    j["spec"]["mail"] = {{"types", s.mail.types}};
    if (!s.mail.user.empty()) j["spec"]["mail"]["user"] = s.mail.user;
  }
  if (!s.dependencies.empty()) {
    Json deps = Json::array();
    for (const JobDependency& d : s.dependencies) {
      Json dep = {{"type", d.type}, {"job", d.job_id}};
      if (d.delay_s != 0) dep["delaySeconds"] = d.delay_s;
      deps.push_back(std::move(dep));
    }
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
  if (!st.cancelled_indexes.empty()) status["cancelledIndexes"] = st.cancelled_indexes.ToString();
  if (!st.failed_indexes.empty()) status["failedIndexes"] = st.failed_indexes.ToString();
  if (!st.index_failures.empty()) {
    Json failures = Json::object();
    for (const auto& [index, n] : st.index_failures) failures[std::to_string(index)] = n;
    status["indexFailures"] = std::move(failures);
  }
  if (st.next_index != 0) status["nextIndex"] = st.next_index;
  if (st.next_step != 0) status["nextStep"] = st.next_step;
  PutTime(status, "startTime", st.start_time_ms);
  PutTime(status, "completionTime", st.completion_time_ms);
  if (!st.message.empty()) status["message"] = st.message;
  if (st.recorded) status["recorded"] = true;
  if (!st.mailed.empty()) status["mailed"] = st.mailed;
  j["status"] = std::move(status);
  return j;
}

Result<Job> JobFromJson(const Json& j) {
  DROVER_RETURN_IF_ERROR(CheckEnvelope(j, "Job"));
  Job job;
  if (const Json* m = Find(j, "metadata")) {
    DROVER_RETURN_IF_ERROR(MetaFromJson(*m, "metadata", &job.metadata,
                                        {"name", "uid", "labels", "creationTimestamp",
                                         "resourceVersion", "id", "owner", "submissionId"}));
    DROVER_RETURN_IF_ERROR(GetUint64(*m, "id", "metadata", &job.id));
    DROVER_RETURN_IF_ERROR(GetString(*m, "submissionId", "metadata", &job.submission_id));
    DROVER_RETURN_IF_ERROR(OwnerFromJson(*m, &job.owner));
  }
  const Json* spec = Find(j, "spec");
  if (spec == nullptr) return Status::Invalid("spec", "is required");
  DROVER_RETURN_IF_ERROR(CheckKnownFields(*spec,
                                          {"completions",
                                           "parallelism",
                                           "completionMode",
                                           "backoffLimit",
                                           "backoffLimitPerIndex",
                                           "maxFailedIndexes",
                                           "priority",
                                           "nice",
                                           "queue",
                                           "account",
                                           "gang",
                                           "placement",
                                           "exclusive",
                                           "ntasksPerNode",
                                           "nodes",
                                           "hold",
                                           "beginTime",
                                           "dependencies",
                                           "mail",
                                           "template",
                                           "indexes",
                                           "requeue",
                                           "qos",
                                           "dependencyAny",
                                           "killOnInvalidDependency",
                                           "nodeList",
                                           "excludeNodes",
                                           "allocation",
                                           "nodeSelector"},
                                          "spec"));
  JobSpec& s = job.spec;
  DROVER_RETURN_IF_ERROR(GetInt(*spec, "completions", "spec", &s.completions));
  DROVER_RETURN_IF_ERROR(GetInt(*spec, "parallelism", "spec", &s.parallelism));
  // As Kubernetes: parallelism with no completions is a work queue.
  s.work_queue = Find(*spec, "completions") == nullptr && Find(*spec, "parallelism") != nullptr;
  if (s.work_queue) s.completions = s.parallelism;
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
  DROVER_RETURN_IF_ERROR(PerIndexBackoffFromJson(*spec, &s));
  DROVER_RETURN_IF_ERROR(GetIntAs(*spec, "priority", "spec", &s.priority));
  DROVER_RETURN_IF_ERROR(GetIntAs(*spec, "nice", "spec", &s.nice));
  DROVER_RETURN_IF_ERROR(IndexSetField(*spec, "indexes", "spec", &s.indexes));
  DROVER_RETURN_IF_ERROR(GetBool(*spec, "requeue", "spec", &s.requeue));
  DROVER_RETURN_IF_ERROR(GetBool(*spec, "dependencyAny", "spec", &s.dependency_any));
  DROVER_RETURN_IF_ERROR(GetStringList(*spec, "nodeList", "spec", &s.node_list));
  DROVER_RETURN_IF_ERROR(GetStringList(*spec, "excludeNodes", "spec", &s.exclude_nodes));
  DROVER_RETURN_IF_ERROR(GetLabels(*spec, "nodeSelector", "spec", &s.node_selector));
  DROVER_RETURN_IF_ERROR(
      GetBool(*spec, "killOnInvalidDependency", "spec", &s.kill_on_invalid_dependency));
  DROVER_RETURN_IF_ERROR(GetString(*spec, "qos", "spec", &s.qos));
  DROVER_RETURN_IF_ERROR(GetString(*spec, "queue", "spec", &s.queue));
  DROVER_RETURN_IF_ERROR(GetString(*spec, "account", "spec", &s.account));
  DROVER_RETURN_IF_ERROR(GetBool(*spec, "gang", "spec", &s.gang));
  DROVER_RETURN_IF_ERROR(GetString(*spec, "placement", "spec", &s.placement));
  DROVER_RETURN_IF_ERROR(GetBool(*spec, "exclusive", "spec", &s.exclusive));
  DROVER_RETURN_IF_ERROR(GetIntAs(*spec, "ntasksPerNode", "spec", &s.ntasks_per_node));
  DROVER_RETURN_IF_ERROR(GetIntAs(*spec, "nodes", "spec", &s.nodes));
  if (const Json* a = Find(*spec, "allocation")) {
    DROVER_RETURN_IF_ERROR(AllocationFromJson(*a, "spec.allocation", &s.allocation));
  }
  DROVER_RETURN_IF_ERROR(GetBool(*spec, "hold", "spec", &s.hold));
  DROVER_RETURN_IF_ERROR(GetTime(*spec, "beginTime", "spec", &s.begin_time_ms));
  if (const Json* mail = Find(*spec, "mail")) {
    DROVER_RETURN_IF_ERROR(CheckObject(*mail, "spec.mail"));
    DROVER_RETURN_IF_ERROR(CheckKnownFields(*mail, {"types", "user"}, "spec.mail"));
    DROVER_RETURN_IF_ERROR(GetStringList(*mail, "types", "spec.mail", &s.mail.types));
    DROVER_RETURN_IF_ERROR(GetString(*mail, "user", "spec.mail", &s.mail.user));
  }
  if (const Json* deps = Find(*spec, "dependencies")) {
    if (!deps->is_array()) {
      return Status::Invalid("spec.dependencies",
                             "must be a list of {type, job} (got " + TypeName(*deps) + ")");
    }
    for (size_t i = 0; i < deps->size(); ++i) {
      std::string ip = "spec.dependencies[" + std::to_string(i) + "]";
      const Json& d = (*deps)[i];
      DROVER_RETURN_IF_ERROR(CheckObject(d, ip));
      DROVER_RETURN_IF_ERROR(CheckKnownFields(d, {"type", "job", "delaySeconds"}, ip));
      JobDependency dep;
      DROVER_RETURN_IF_ERROR(GetString(d, "type", ip, &dep.type));
      DROVER_RETURN_IF_ERROR(GetUint64(d, "job", ip, &dep.job_id));
      DROVER_RETURN_IF_ERROR(GetInt(d, "delaySeconds", ip, &dep.delay_s));
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
         "completedIndexes", "retryIndexes", "cancelledIndexes", "failedIndexes", "indexFailures",
         "nextIndex", "nextStep", "startTime", "completionTime", "message", "recorded", "mailed"},
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
    DROVER_RETURN_IF_ERROR(
        IndexSetField(*st, "cancelledIndexes", "status", &job.status.cancelled_indexes));
    DROVER_RETURN_IF_ERROR(
        IndexSetField(*st, "failedIndexes", "status", &job.status.failed_indexes));
    DROVER_RETURN_IF_ERROR(IndexFailuresFromJson(*st, &job.status.index_failures));
    DROVER_RETURN_IF_ERROR(GetInt(*st, "nextIndex", "status", &job.status.next_index));
    DROVER_RETURN_IF_ERROR(GetIntAs(*st, "nextStep", "status", &job.status.next_step));
    DROVER_RETURN_IF_ERROR(GetTime(*st, "startTime", "status", &job.status.start_time_ms));
    DROVER_RETURN_IF_ERROR(
        GetTime(*st, "completionTime", "status", &job.status.completion_time_ms));
    DROVER_RETURN_IF_ERROR(GetString(*st, "message", "status", &job.status.message));
    DROVER_RETURN_IF_ERROR(GetBool(*st, "recorded", "status", &job.status.recorded));
    DROVER_RETURN_IF_ERROR(GetStringList(*st, "mailed", "status", &job.status.mailed));
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
  if (!s.owner.kind.empty()) {
    j["spec"]["owner"] = {{"kind", s.owner.kind}, {"name", s.owner.name}, {"uid", s.owner.uid}};
  }
  if (!s.revision.empty()) j["spec"]["revision"] = s.revision;
  if (s.part != 0) j["spec"]["part"] = s.part;
  if (s.placeholder) j["spec"]["placeholder"] = true;
  if (IsStepTask(s)) j["spec"]["step"] = StepToJson(s.step);
  if (!s.ports.empty()) {
    Json ports = Json::array();
    for (const auto& [name, port] : s.ports) ports.push_back({{"name", name}, {"port", port}});
    j["spec"]["ports"] = std::move(ports);
  }
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
  if (st.ready) status["ready"] = true;
  if (st.terminating) status["terminating"] = true;
  PutTime(status, "readySince", st.ready_since_ms);
  if (st.disrupted) status["disrupted"] = true;
  if (IsTerminal(st.phase)) status["counted"] = st.counted;
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
        *s,
        {"jobId", "index", "attempt", "node", "cores", "cpus", "memory", "numaMemory", "owner",
         "revision", "ports", "part", "placeholder", "step"},
        "spec"));
    DROVER_RETURN_IF_ERROR(GetUint64(*s, "jobId", "spec", &task.spec.job_id));
    DROVER_RETURN_IF_ERROR(GetInt(*s, "index", "spec", &task.spec.index));
    DROVER_RETURN_IF_ERROR(GetIntAs(*s, "attempt", "spec", &task.spec.attempt));
    DROVER_RETURN_IF_ERROR(GetString(*s, "node", "spec", &task.spec.node));
    DROVER_RETURN_IF_ERROR(GetIntList(*s, "cores", "spec", &task.spec.cores));
    DROVER_RETURN_IF_ERROR(GetIntList(*s, "cpus", "spec", &task.spec.cpus));
    DROVER_RETURN_IF_ERROR(GetInt(*s, "memory", "spec", &task.spec.memory_bytes));
    DROVER_RETURN_IF_ERROR(GetIntList(*s, "numaMemory", "spec", &task.spec.numa_memory_bytes));
    if (const Json* o = Find(*s, "owner")) {
      DROVER_RETURN_IF_ERROR(CheckKnownFields(*o, {"kind", "name", "uid"}, "spec.owner"));
      DROVER_RETURN_IF_ERROR(GetString(*o, "kind", "spec.owner", &task.spec.owner.kind));
      DROVER_RETURN_IF_ERROR(GetString(*o, "name", "spec.owner", &task.spec.owner.name));
      DROVER_RETURN_IF_ERROR(GetString(*o, "uid", "spec.owner", &task.spec.owner.uid));
    }
    DROVER_RETURN_IF_ERROR(GetString(*s, "revision", "spec", &task.spec.revision));
    DROVER_RETURN_IF_ERROR(GetIntAs(*s, "part", "spec", &task.spec.part));
    DROVER_RETURN_IF_ERROR(GetBool(*s, "placeholder", "spec", &task.spec.placeholder));
    if (const Json* step = Find(*s, "step")) {
      DROVER_RETURN_IF_ERROR(StepFromJson(*step, "spec.step", &task.spec.step));
    }
    if (const Json* ports = Find(*s, "ports")) {
      if (!ports->is_array())
        return Status::Invalid("spec.ports", "must be a list of {name, port}");
      for (size_t i = 0; i < ports->size(); ++i) {
        const std::string ip = "spec.ports[" + std::to_string(i) + "]";
        const Json& e = (*ports)[i];
        DROVER_RETURN_IF_ERROR(CheckObject(e, ip));
        DROVER_RETURN_IF_ERROR(CheckKnownFields(e, {"name", "port"}, ip));
        std::string name;
        int32_t port = 0;
        DROVER_RETURN_IF_ERROR(GetString(e, "name", ip, &name));
        DROVER_RETURN_IF_ERROR(GetIntAs(e, "port", ip, &port));
        task.spec.ports.emplace_back(std::move(name), port);
      }
    }
  }
  if (const Json* st = Find(j, "status")) {
    DROVER_RETURN_IF_ERROR(
        CheckKnownFields(*st,
                         {"phase", "exitCode", "signal", "pid", "startTime", "finishTime", "usage",
                          "message", "ready", "terminating", "readySince", "disrupted", "counted"},
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
    DROVER_RETURN_IF_ERROR(GetBool(*st, "ready", "status", &task.status.ready));
    DROVER_RETURN_IF_ERROR(GetBool(*st, "terminating", "status", &task.status.terminating));
    DROVER_RETURN_IF_ERROR(GetTime(*st, "readySince", "status", &task.status.ready_since_ms));
    DROVER_RETURN_IF_ERROR(GetBool(*st, "disrupted", "status", &task.status.disrupted));
    // Stored before ends were counted on the task: an ended one was counted.
    task.status.counted = IsTerminal(task.status.phase);
    if (Find(*st, "counted") != nullptr) {
      DROVER_RETURN_IF_ERROR(GetBool(*st, "counted", "status", &task.status.counted));
    }
  }
  if (task.status.phase == TaskPhase::kLost) task.status.disrupted = true;
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
  if (node.spec.draining) j["spec"]["draining"] = true;
  if (!node.spec.reason.empty()) j["spec"]["reason"] = node.spec.reason;
  const NodeStatus& st = node.status;
  Json status = {{"phase", NodePhaseName(st.phase)},
                 {"address", st.address},
                 {"topology", ToJson(st.topology)},
                 {"allocatedCpus", st.allocated_cpus},
                 {"allocatedMemory", st.allocated_memory_bytes},
                 {"runningTasks", st.running_tasks},
                 {"daemonTasks", st.daemon_tasks}};
  PutTime(status, "lastHeartbeatTime", st.last_heartbeat_ms);
  if (!st.agent_id.empty()) status["agentId"] = st.agent_id;
  if (st.health_checked_ms > 0) {
    status["health"] = {{"healthy", st.healthy}, {"message", st.health_message}};
    PutTime(status["health"], "lastCheckTime", st.health_checked_ms);
  }
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
    DROVER_RETURN_IF_ERROR(CheckKnownFields(*s, {"unschedulable", "draining", "reason"}, "spec"));
    DROVER_RETURN_IF_ERROR(GetBool(*s, "unschedulable", "spec", &node.spec.unschedulable));
    DROVER_RETURN_IF_ERROR(GetBool(*s, "draining", "spec", &node.spec.draining));
    DROVER_RETURN_IF_ERROR(GetString(*s, "reason", "spec", &node.spec.reason));
  }
  if (const Json* st = Find(j, "status")) {
    DROVER_RETURN_IF_ERROR(
        CheckKnownFields(*st,
                         {"phase", "address", "topology", "allocatedCpus", "allocatedMemory",
                          "runningTasks", "daemonTasks", "lastHeartbeatTime", "health", "agentId"},
                         "status"));
    DROVER_RETURN_IF_ERROR(GetString(*st, "agentId", "status", &node.status.agent_id));
    if (const Json* h = Find(*st, "health")) {
      DROVER_RETURN_IF_ERROR(
          CheckKnownFields(*h, {"healthy", "message", "lastCheckTime"}, "status.health"));
      DROVER_RETURN_IF_ERROR(GetBool(*h, "healthy", "status.health", &node.status.healthy));
      DROVER_RETURN_IF_ERROR(
          GetString(*h, "message", "status.health", &node.status.health_message));
      DROVER_RETURN_IF_ERROR(
          GetTime(*h, "lastCheckTime", "status.health", &node.status.health_checked_ms));
    }
    std::string phase = "NotReady";
    DROVER_RETURN_IF_ERROR(GetString(*st, "phase", "status", &phase));
    if (phase != "Ready" && phase != "NotReady") {
      return Status::Invalid("status.phase", "must be Ready or NotReady");
    }
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
    DROVER_RETURN_IF_ERROR(GetInt(*st, "daemonTasks", "status", &node.status.daemon_tasks));
    DROVER_RETURN_IF_ERROR(
        GetTime(*st, "lastHeartbeatTime", "status", &node.status.last_heartbeat_ms));
  }
  return node;
}

}  // namespace drover
