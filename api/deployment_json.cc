#include "api/deployment_json.h"

#include <cctype>

#include "api/json_codec_parts.h"
#include "api/json_fields.h"
#include "api/quantities.h"

namespace drover {
namespace {

using codec_parts::CheckEnvelope;
using codec_parts::MetaFromJson;
using codec_parts::MetaToJson;
using codec_parts::PutTime;
using json_fields::CheckKnownFields;
using json_fields::CheckObject;
using json_fields::Find;
using json_fields::GetBool;
using json_fields::GetInt;
using json_fields::GetIntAs;
using json_fields::GetString;
using json_fields::GetTime;
using json_fields::Join;

Json ConditionToJson(const Condition& c) {
  Json j = {{"type", c.type}, {"status", c.status}};
  if (!c.reason.empty()) j["reason"] = c.reason;
  if (!c.message.empty()) j["message"] = c.message;
  PutTime(j, "lastTransitionTime", c.last_transition_ms);
  PutTime(j, "lastUpdateTime", c.last_update_ms);
  return j;
}

Status ConditionFromJson(const Json& j, const std::string& path, Condition* c) {
  DROVER_RETURN_IF_ERROR(CheckObject(j, path));
  DROVER_RETURN_IF_ERROR(CheckKnownFields(
      j, {"type", "status", "reason", "message", "lastTransitionTime", "lastUpdateTime"}, path));
  DROVER_RETURN_IF_ERROR(GetString(j, "type", path, &c->type));
  DROVER_RETURN_IF_ERROR(GetString(j, "status", path, &c->status));
  DROVER_RETURN_IF_ERROR(GetString(j, "reason", path, &c->reason));
  DROVER_RETURN_IF_ERROR(GetString(j, "message", path, &c->message));
  DROVER_RETURN_IF_ERROR(GetTime(j, "lastTransitionTime", path, &c->last_transition_ms));
  DROVER_RETURN_IF_ERROR(GetTime(j, "lastUpdateTime", path, &c->last_update_ms));
  return Status::Ok();
}

Json ProbeToJson(const Probe& p) {
  Json j = Json::object();
  if (p.kind == Probe::Kind::kExec) {
    j["exec"] = {{"command", p.command}};
  } else if (p.kind == Probe::Kind::kHttpGet) {
    j["httpGet"] = {{"path", p.path}, {"port", p.port}};
  } else {
    j["tcpSocket"] = {{"port", p.port}};
  }
  j["initialDelaySeconds"] = p.initial_delay_seconds;
  j["periodSeconds"] = p.period_seconds;
  j["timeoutSeconds"] = p.timeout_seconds;
  j["successThreshold"] = p.success_threshold;
  j["failureThreshold"] = p.failure_threshold;
  return j;
}

Status ProbeFromJson(const Json& j, const std::string& path, Probe* p) {
  DROVER_RETURN_IF_ERROR(CheckObject(j, path));
  DROVER_RETURN_IF_ERROR(
      CheckKnownFields(j,
                       {"exec", "httpGet", "tcpSocket", "initialDelaySeconds", "periodSeconds",
                        "timeoutSeconds", "successThreshold", "failureThreshold"},
                       path));
  int handlers = 0;
  if (const Json* e = Find(j, "exec")) {
    ++handlers;
    p->kind = Probe::Kind::kExec;
    DROVER_RETURN_IF_ERROR(CheckObject(*e, path + ".exec"));
    DROVER_RETURN_IF_ERROR(CheckKnownFields(*e, {"command"}, path + ".exec"));
    DROVER_RETURN_IF_ERROR(json_fields::GetStringList(*e, "command", path + ".exec", &p->command));
  }
  if (const Json* h = Find(j, "httpGet")) {
    ++handlers;
    p->kind = Probe::Kind::kHttpGet;
    DROVER_RETURN_IF_ERROR(CheckObject(*h, path + ".httpGet"));
    DROVER_RETURN_IF_ERROR(CheckKnownFields(*h, {"path", "port"}, path + ".httpGet"));
    DROVER_RETURN_IF_ERROR(GetString(*h, "path", path + ".httpGet", &p->path));
    DROVER_RETURN_IF_ERROR(GetString(*h, "port", path + ".httpGet", &p->port));
  }
  if (const Json* t = Find(j, "tcpSocket")) {
    ++handlers;
    p->kind = Probe::Kind::kTcpSocket;
    DROVER_RETURN_IF_ERROR(CheckObject(*t, path + ".tcpSocket"));
    DROVER_RETURN_IF_ERROR(CheckKnownFields(*t, {"port"}, path + ".tcpSocket"));
    DROVER_RETURN_IF_ERROR(GetString(*t, "port", path + ".tcpSocket", &p->port));
  }
  if (handlers != 1) {
    return Status::Invalid(path, "needs exactly one of exec, httpGet, tcpSocket (got " +
                                     std::to_string(handlers) + ")");
  }
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "initialDelaySeconds", path, &p->initial_delay_seconds));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "periodSeconds", path, &p->period_seconds));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "timeoutSeconds", path, &p->timeout_seconds));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "successThreshold", path, &p->success_threshold));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "failureThreshold", path, &p->failure_threshold));
  return Status::Ok();
}

constexpr const char* kProbeKeys[] = {"readinessProbe", "livenessProbe", "startupProbe"};

std::optional<Probe> ReplicaTemplate::*const kProbeFields[] = {&ReplicaTemplate::readiness_probe,
                                                               &ReplicaTemplate::liveness_probe,
                                                               &ReplicaTemplate::startup_probe};

}  // namespace

Json IntOrPercentToJson(const IntOrPercent& v) {
  return v.percent ? Json(v.ToString()) : Json(v.value);
}

// 3, or "25%".
Status IntOrPercentFromJson(const Json& obj, std::string_view key, std::string_view path,
                            IntOrPercent* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  const std::string field = Join(path, key);
  if (v->is_number_integer()) {
    int64_t n = 0;
    DROVER_RETURN_IF_ERROR(GetInt(obj, key, path, &n));
    *out = {n, false};
    return Status::Ok();
  }
  if (v->is_string()) {
    const std::string s = v->get<std::string>();
    bool digits = s.size() >= 2 && s.size() <= 5 && s.back() == '%';
    for (size_t i = 0; digits && i + 1 < s.size(); ++i) {
      digits = std::isdigit(static_cast<unsigned char>(s[i])) != 0;
    }
    if (digits) {
      *out = {std::stoll(s.substr(0, s.size() - 1)), true};
      return Status::Ok();
    }
  }
  return Status::Invalid(
      field, "must be a count (1) or a percentage (\"25%\"), got " + json_fields::Shown(*v));
}

Json ReplicaTemplateToJson(const ReplicaTemplate& t) {
  Json j = codec_parts::TemplateToJson(t.task);
  if (!t.ports.empty()) {
    Json ports = Json::array();
    for (const PortSpec& p : t.ports) ports.push_back({{"name", p.name}});
    j["ports"] = std::move(ports);
  }
  for (size_t i = 0; i < 3; ++i) {
    if (const auto& probe = t.*kProbeFields[i]) j[kProbeKeys[i]] = ProbeToJson(*probe);
  }
  return j;
}

Status ReplicaTemplateFromJson(const Json& j, std::string_view path, ReplicaTemplate* t) {
  DROVER_RETURN_IF_ERROR(CheckObject(j, path));
  Json task = j;
  task.erase("ports");
  for (const char* key : kProbeKeys) task.erase(key);
  DROVER_RETURN_IF_ERROR(codec_parts::TemplateFromJson(task, path, &t->task));
  if (const Json* ports = Find(j, "ports")) {
    const std::string p = Join(path, "ports");
    if (!ports->is_array()) return Status::Invalid(p, "must be a list of {name}");
    for (size_t i = 0; i < ports->size(); ++i) {
      const std::string ip = p + "[" + std::to_string(i) + "]";
      const Json& e = (*ports)[i];
      DROVER_RETURN_IF_ERROR(CheckObject(e, ip));
      DROVER_RETURN_IF_ERROR(CheckKnownFields(e, {"name"}, ip));
      PortSpec port;
      DROVER_RETURN_IF_ERROR(GetString(e, "name", ip, &port.name));
      t->ports.push_back(std::move(port));
    }
  }
  for (size_t i = 0; i < 3; ++i) {
    if (const Json* probe = Find(j, kProbeKeys[i])) {
      Probe p;
      DROVER_RETURN_IF_ERROR(ProbeFromJson(*probe, Join(path, kProbeKeys[i]), &p));
      t->*kProbeFields[i] = std::move(p);
    }
  }
  return Status::Ok();
}

Json ToJson(const Deployment& d) {
  Json j = Json::object();
  j["apiVersion"] = kApiVersion;
  j["kind"] = "Deployment";
  Json meta = MetaToJson(d.metadata);
  if (d.generation != 0) meta["generation"] = d.generation;
  codec_parts::PutOwner(meta, d.owner);
  j["metadata"] = std::move(meta);
  const DeploymentSpec& s = d.spec;
  Json strategy = {{"type", s.strategy.type == DeploymentStrategyType::kRecreate
                                ? "Recreate"
                                : "RollingUpdate"}};
  if (s.strategy.type == DeploymentStrategyType::kRollingUpdate) {
    strategy["rollingUpdate"] = {
        {"maxSurge", IntOrPercentToJson(s.strategy.max_surge)},
        {"maxUnavailable", IntOrPercentToJson(s.strategy.max_unavailable)}};
  }
  j["spec"] = {{"replicas", s.replicas},
               {"strategy", std::move(strategy)},
               {"minReadySeconds", s.min_ready_seconds},
               {"progressDeadlineSeconds", s.progress_deadline_seconds},
               {"revisionHistoryLimit", s.revision_history_limit},
               {"template", ReplicaTemplateToJson(s.template_)}};
  if (s.paused) j["spec"]["paused"] = true;
  if (s.auto_rollback) j["spec"]["autoRollback"] = true;
  if (s.max_replicas_per_node != 0) j["spec"]["maxReplicasPerNode"] = s.max_replicas_per_node;
  if (!s.node_selector.empty()) j["spec"]["nodeSelector"] = s.node_selector;
  if (s.restart_backoff_seconds != 10) {
    j["spec"]["restartBackoffSeconds"] = s.restart_backoff_seconds;
  }
  const DeploymentStatus& st = d.status;
  Json status = {{"observedGeneration", st.observed_generation},
                 {"replicas", st.replicas},
                 {"updatedReplicas", st.updated_replicas},
                 {"readyReplicas", st.ready_replicas},
                 {"availableReplicas", st.available_replicas},
                 {"unavailableReplicas", st.unavailable_replicas},
                 {"revision", st.revision}};
  if (!st.conditions.empty()) {
    Json conditions = Json::array();
    for (const Condition& c : st.conditions) conditions.push_back(ConditionToJson(c));
    status["conditions"] = std::move(conditions);
  }
  if (st.restart_count != 0) status["restartCount"] = st.restart_count;
  if (st.crash_count != 0) status["crashCount"] = st.crash_count;
  PutTime(status, "nextRestartTime", st.next_restart_ms);
  if (!st.restarts_due_ms.empty()) {
    Json due = Json::array();
    for (int64_t t : st.restarts_due_ms) due.push_back(FormatTime(t));
    status["restartsDue"] = std::move(due);
  }
  PutTime(status, "progressStartTime", st.progress_started_ms);
  if (!st.complete_revision.empty()) status["completeRevision"] = st.complete_revision;
  j["status"] = std::move(status);
  return j;
}

Result<Deployment> DeploymentFromJson(const Json& j) {
  DROVER_RETURN_IF_ERROR(CheckEnvelope(j, "Deployment"));
  Deployment d;
  if (const Json* m = Find(j, "metadata")) {
    DROVER_RETURN_IF_ERROR(MetaFromJson(
        *m, "metadata", &d.metadata,
        {"name", "uid", "labels", "creationTimestamp", "resourceVersion", "generation", "owner"}));
    DROVER_RETURN_IF_ERROR(GetInt(*m, "generation", "metadata", &d.generation));
    DROVER_RETURN_IF_ERROR(codec_parts::OwnerFromJson(*m, &d.owner));
  }
  const Json* spec = Find(j, "spec");
  if (spec == nullptr) return Status::Invalid("spec", "is required");
  DROVER_RETURN_IF_ERROR(
      CheckKnownFields(*spec,
                       {"replicas", "strategy", "minReadySeconds", "progressDeadlineSeconds",
                        "revisionHistoryLimit", "paused", "autoRollback", "maxReplicasPerNode",
                        "restartBackoffSeconds", "nodeSelector", "template"},
                       "spec"));
  DeploymentSpec& s = d.spec;
  DROVER_RETURN_IF_ERROR(GetIntAs(*spec, "replicas", "spec", &s.replicas));
  if (const Json* strategy = Find(*spec, "strategy")) {
    DROVER_RETURN_IF_ERROR(CheckObject(*strategy, "spec.strategy"));
    DROVER_RETURN_IF_ERROR(CheckKnownFields(*strategy, {"type", "rollingUpdate"}, "spec.strategy"));
    std::string type = "RollingUpdate";
    DROVER_RETURN_IF_ERROR(GetString(*strategy, "type", "spec.strategy", &type));
    if (type == "Recreate") {
      s.strategy.type = DeploymentStrategyType::kRecreate;
      if (Find(*strategy, "rollingUpdate") != nullptr) {
        return Status::Invalid("spec.strategy.rollingUpdate",
                               "may not be given with type Recreate");
      }
    } else if (type != "RollingUpdate") {
      return Status::Invalid("spec.strategy.type",
                             "must be \"RollingUpdate\" or \"Recreate\" (got \"" + type + "\")");
    }
    if (const Json* ru = Find(*strategy, "rollingUpdate")) {
      const std::string p = "spec.strategy.rollingUpdate";
      DROVER_RETURN_IF_ERROR(CheckObject(*ru, p));
      DROVER_RETURN_IF_ERROR(CheckKnownFields(*ru, {"maxSurge", "maxUnavailable"}, p));
      DROVER_RETURN_IF_ERROR(IntOrPercentFromJson(*ru, "maxSurge", p, &s.strategy.max_surge));
      DROVER_RETURN_IF_ERROR(
          IntOrPercentFromJson(*ru, "maxUnavailable", p, &s.strategy.max_unavailable));
    }
  }
  DROVER_RETURN_IF_ERROR(GetIntAs(*spec, "minReadySeconds", "spec", &s.min_ready_seconds));
  DROVER_RETURN_IF_ERROR(
      GetIntAs(*spec, "progressDeadlineSeconds", "spec", &s.progress_deadline_seconds));
  DROVER_RETURN_IF_ERROR(
      GetIntAs(*spec, "revisionHistoryLimit", "spec", &s.revision_history_limit));
  DROVER_RETURN_IF_ERROR(GetBool(*spec, "paused", "spec", &s.paused));
  DROVER_RETURN_IF_ERROR(GetBool(*spec, "autoRollback", "spec", &s.auto_rollback));
  DROVER_RETURN_IF_ERROR(GetIntAs(*spec, "maxReplicasPerNode", "spec", &s.max_replicas_per_node));
  DROVER_RETURN_IF_ERROR(json_fields::GetLabels(*spec, "nodeSelector", "spec", &s.node_selector));
  DROVER_RETURN_IF_ERROR(
      GetIntAs(*spec, "restartBackoffSeconds", "spec", &s.restart_backoff_seconds));
  const Json* tmpl = Find(*spec, "template");
  if (tmpl == nullptr) return Status::Invalid("spec.template", "is required");
  DROVER_RETURN_IF_ERROR(ReplicaTemplateFromJson(*tmpl, "spec.template", &s.template_));

  if (const Json* st = Find(j, "status")) {
    const std::string p = "status";
    DROVER_RETURN_IF_ERROR(CheckObject(*st, p));
    DROVER_RETURN_IF_ERROR(CheckKnownFields(
        *st,
        {"observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
         "unavailableReplicas", "revision", "conditions", "restartCount", "crashCount",
         "nextRestartTime", "restartsDue", "progressStartTime", "completeRevision"},
        p));
    DeploymentStatus& out = d.status;
    DROVER_RETURN_IF_ERROR(GetInt(*st, "observedGeneration", p, &out.observed_generation));
    DROVER_RETURN_IF_ERROR(GetIntAs(*st, "replicas", p, &out.replicas));
    DROVER_RETURN_IF_ERROR(GetIntAs(*st, "updatedReplicas", p, &out.updated_replicas));
    DROVER_RETURN_IF_ERROR(GetIntAs(*st, "readyReplicas", p, &out.ready_replicas));
    DROVER_RETURN_IF_ERROR(GetIntAs(*st, "availableReplicas", p, &out.available_replicas));
    DROVER_RETURN_IF_ERROR(GetIntAs(*st, "unavailableReplicas", p, &out.unavailable_replicas));
    DROVER_RETURN_IF_ERROR(GetInt(*st, "revision", p, &out.revision));
    if (const Json* cs = Find(*st, "conditions")) {
      if (!cs->is_array()) return Status::Invalid("status.conditions", "must be a list");
      for (size_t i = 0; i < cs->size(); ++i) {
        Condition c;
        DROVER_RETURN_IF_ERROR(
            ConditionFromJson((*cs)[i], "status.conditions[" + std::to_string(i) + "]", &c));
        out.conditions.push_back(std::move(c));
      }
    }
    DROVER_RETURN_IF_ERROR(GetIntAs(*st, "restartCount", p, &out.restart_count));
    DROVER_RETURN_IF_ERROR(GetIntAs(*st, "crashCount", p, &out.crash_count));
    DROVER_RETURN_IF_ERROR(GetTime(*st, "nextRestartTime", p, &out.next_restart_ms));
    std::vector<std::string> due;
    DROVER_RETURN_IF_ERROR(json_fields::GetStringList(*st, "restartsDue", p, &due));
    for (size_t i = 0; i < due.size(); ++i) {
      auto t = ParseTime(due[i]);
      if (!t.ok()) {
        return t.status().WithFieldPrefix(std::string(p) + ".restartsDue[" + std::to_string(i) +
                                          "]");
      }
      out.restarts_due_ms.push_back(*t);
    }
    DROVER_RETURN_IF_ERROR(GetTime(*st, "progressStartTime", p, &out.progress_started_ms));
    DROVER_RETURN_IF_ERROR(GetString(*st, "completeRevision", p, &out.complete_revision));
  }
  return d;
}

Json ToJson(const Revision& r) {
  Json j = {{"apiVersion", kApiVersion},
            {"kind", "Revision"},
            {"metadata", {{"name", r.name}}},
            {"owner", {{"kind", r.owner_kind}, {"name", r.owner_name}, {"uid", r.owner_uid}}},
            {"revision", r.number},
            {"hash", r.hash},
            {"template", ReplicaTemplateToJson(r.template_)}};
  PutTime(j["metadata"], "creationTimestamp", r.creation_time_ms);
  return j;
}

Result<Revision> RevisionFromJson(const Json& j) {
  DROVER_RETURN_IF_ERROR(CheckObject(j, ""));
  DROVER_RETURN_IF_ERROR(CheckKnownFields(
      j, {"apiVersion", "kind", "metadata", "owner", "revision", "hash", "template"}, ""));
  Revision r;
  if (const Json* m = Find(j, "metadata")) {
    DROVER_RETURN_IF_ERROR(CheckKnownFields(*m, {"name", "creationTimestamp"}, "metadata"));
    DROVER_RETURN_IF_ERROR(GetString(*m, "name", "metadata", &r.name));
    DROVER_RETURN_IF_ERROR(GetTime(*m, "creationTimestamp", "metadata", &r.creation_time_ms));
  }
  if (const Json* o = Find(j, "owner")) {
    DROVER_RETURN_IF_ERROR(CheckKnownFields(*o, {"kind", "name", "uid"}, "owner"));
    DROVER_RETURN_IF_ERROR(GetString(*o, "kind", "owner", &r.owner_kind));
    DROVER_RETURN_IF_ERROR(GetString(*o, "name", "owner", &r.owner_name));
    DROVER_RETURN_IF_ERROR(GetString(*o, "uid", "owner", &r.owner_uid));
  }
  DROVER_RETURN_IF_ERROR(GetInt(j, "revision", "", &r.number));
  DROVER_RETURN_IF_ERROR(GetString(j, "hash", "", &r.hash));
  const Json* tmpl = Find(j, "template");
  if (tmpl == nullptr) return Status::Invalid("template", "is required");
  DROVER_RETURN_IF_ERROR(ReplicaTemplateFromJson(*tmpl, "template", &r.template_));
  return r;
}

}  // namespace drover
