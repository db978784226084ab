#include "api/stateful_set_json.h"

#include "api/deployment_json.h"
#include "api/json_codec_parts.h"
#include "api/json_fields.h"

namespace drover {
namespace {

using json_fields::CheckKnownFields;
using json_fields::CheckObject;
using json_fields::Find;
using json_fields::GetInt;
using json_fields::GetIntAs;
using json_fields::GetString;

const char* RetentionName(VolumeRetention r) {
  return r == VolumeRetention::kDelete ? "Delete" : "Retain";
}

Status RetentionFromJson(const Json& obj, const char* key, const std::string& path,
                         VolumeRetention* out) {
  std::string v = "Retain";
  DROVER_RETURN_IF_ERROR(GetString(obj, key, path, &v));
  if (v == "Delete") {
    *out = VolumeRetention::kDelete;
  } else if (v == "Retain") {
    *out = VolumeRetention::kRetain;
  } else {
    return Status::Invalid(path + "." + key,
                           "must be \"Retain\" or \"Delete\" (got \"" + v + "\")");
  }
  return Status::Ok();
}

// {"0": "node-1", ...}: what droverd keeps per ordinal.
Json OrdinalMapToJson(const std::map<int32_t, std::string>& m) {
  Json out = Json::object();
  for (const auto& [ordinal, node] : m) out[std::to_string(ordinal)] = node;
  return out;
}

Json OrdinalTimesToJson(const std::map<int32_t, int64_t>& m) {
  Json out = Json::object();
  for (const auto& [ordinal, ms] : m) out[std::to_string(ordinal)] = ms;
  return out;
}

Json OrdinalSetToJson(const std::set<int32_t>& s) {
  Json out = Json::array();
  for (int32_t ordinal : s) out.push_back(ordinal);
  return out;
}

Status OrdinalSetFromJson(const Json& st, const char* key, const std::string& path,
                          std::set<int32_t>* out) {
  const Json* v = Find(st, key);
  if (v == nullptr) return Status::Ok();
  const std::string p = path + "." + key;
  if (!v->is_array()) return Status::Invalid(p, "must be a list of ordinals");
  for (const Json& o : *v) {
    if (!o.is_number_integer() || o.get<int64_t>() < 0 || o.get<int64_t>() > INT32_MAX) {
      return Status::Invalid(p, "must be a list of ordinals (got " + o.dump() + ")");
    }
    out->insert(static_cast<int32_t>(o.get<int64_t>()));
  }
  return Status::Ok();
}

Result<int32_t> OrdinalKey(const std::string& key, const std::string& path) {
  if (key.empty() || key.size() > 6 || key.find_first_not_of("0123456789") != std::string::npos) {
    return Status::Invalid(path, "keys are ordinals (got \"" + key + "\")");
  }
  return static_cast<int32_t>(std::stol(key));
}

Status StatusFromJson(const Json& st, StatefulSetStatus* out) {
  const std::string p = "status";
  DROVER_RETURN_IF_ERROR(CheckObject(st, p));
  DROVER_RETURN_IF_ERROR(
      CheckKnownFields(st,
                       {"observedGeneration", "replicas", "readyReplicas", "availableReplicas",
                        "currentReplicas", "updatedReplicas", "currentRevision", "updateRevision",
                        "volumeNodes", "fencedUntil", "volumeOrdinals", "removingVolumes"},
                       p));
  DROVER_RETURN_IF_ERROR(OrdinalSetFromJson(st, "volumeOrdinals", p, &out->volume_ordinals));
  DROVER_RETURN_IF_ERROR(OrdinalSetFromJson(st, "removingVolumes", p, &out->removing_volumes));
  DROVER_RETURN_IF_ERROR(GetInt(st, "observedGeneration", p, &out->observed_generation));
  DROVER_RETURN_IF_ERROR(GetIntAs(st, "replicas", p, &out->replicas));
  DROVER_RETURN_IF_ERROR(GetIntAs(st, "readyReplicas", p, &out->ready_replicas));
  DROVER_RETURN_IF_ERROR(GetIntAs(st, "availableReplicas", p, &out->available_replicas));
  DROVER_RETURN_IF_ERROR(GetIntAs(st, "currentReplicas", p, &out->current_replicas));
  DROVER_RETURN_IF_ERROR(GetIntAs(st, "updatedReplicas", p, &out->updated_replicas));
  DROVER_RETURN_IF_ERROR(GetString(st, "currentRevision", p, &out->current_revision));
  DROVER_RETURN_IF_ERROR(GetString(st, "updateRevision", p, &out->update_revision));
  if (const Json* v = Find(st, "volumeNodes")) {
    DROVER_RETURN_IF_ERROR(CheckObject(*v, p + ".volumeNodes"));
    for (const auto& [key, node] : v->items()) {
      auto ordinal = OrdinalKey(key, p + ".volumeNodes");
      if (!ordinal.ok()) return ordinal.status();
      if (!node.is_string()) return Status::Invalid(p + ".volumeNodes." + key, "must be a string");
      out->volume_nodes[*ordinal] = node.get<std::string>();
    }
  }
  if (const Json* f = Find(st, "fencedUntil")) {
    DROVER_RETURN_IF_ERROR(CheckObject(*f, p + ".fencedUntil"));
    for (const auto& [key, ms] : f->items()) {
      auto ordinal = OrdinalKey(key, p + ".fencedUntil");
      if (!ordinal.ok()) return ordinal.status();
      if (!ms.is_number_integer()) {
        return Status::Invalid(p + ".fencedUntil." + key, "must be an integer");
      }
      out->fenced_until_ms[*ordinal] = ms.get<int64_t>();
    }
  }
  return Status::Ok();
}

}  // namespace

Json ToJson(const StatefulSet& ss) {
  Json j = Json::object();
  j["apiVersion"] = kApiVersion;
  j["kind"] = "StatefulSet";
  Json meta = codec_parts::MetaToJson(ss.metadata);
  if (ss.generation != 0) meta["generation"] = ss.generation;
  codec_parts::PutOwner(meta, ss.owner);
  codec_parts::PutTime(meta, "deletionTimestamp", ss.deletion_time_ms);
  j["metadata"] = std::move(meta);
  const StatefulSetSpec& s = ss.spec;
  const StatefulSetUpdateStrategy& u = s.update_strategy;
  Json strategy = {
      {"type", u.type == StatefulSetUpdateType::kOnDelete ? "OnDelete" : "RollingUpdate"}};
  if (u.type == StatefulSetUpdateType::kRollingUpdate) {
    strategy["rollingUpdate"] = {{"partition", u.partition},
                                 {"maxUnavailable", IntOrPercentToJson(u.max_unavailable)}};
  }
  Json volumes = Json::array();
  for (const VolumeTemplate& v : s.volume_templates) {
    Json vj = {{"name", v.name},
               {"kind", v.kind == VolumeTemplate::Kind::kShared ? "Shared" : "NodeLocal"}};
    if (!v.path.empty()) vj["path"] = v.path;
    volumes.push_back(std::move(vj));
  }
  j["spec"] = {
      {"replicas", s.replicas},
      {"podManagementPolicy",
       s.pod_management_policy == PodManagementPolicy::kParallel ? "Parallel" : "OrderedReady"},
      {"updateStrategy", std::move(strategy)},
      {"volumeTemplates", std::move(volumes)},
      {"persistentVolumeClaimRetentionPolicy",
       {{"whenDeleted", RetentionName(s.retention.when_deleted)},
        {"whenScaled", RetentionName(s.retention.when_scaled)}}},
      {"minReadySeconds", s.min_ready_seconds},
      {"revisionHistoryLimit", s.revision_history_limit},
      {"template", ReplicaTemplateToJson(s.template_)}};
  if (!s.node_selector.empty()) j["spec"]["nodeSelector"] = s.node_selector;
  const StatefulSetStatus& st = ss.status;
  j["status"] = {
      {"observedGeneration", st.observed_generation}, {"replicas", st.replicas},
      {"readyReplicas", st.ready_replicas},           {"availableReplicas", st.available_replicas},
      {"currentReplicas", st.current_replicas},       {"updatedReplicas", st.updated_replicas},
      {"currentRevision", st.current_revision},       {"updateRevision", st.update_revision}};
  if (!st.volume_nodes.empty()) j["status"]["volumeNodes"] = OrdinalMapToJson(st.volume_nodes);
  if (!st.fenced_until_ms.empty()) {
    j["status"]["fencedUntil"] = OrdinalTimesToJson(st.fenced_until_ms);
  }
  if (!st.volume_ordinals.empty()) {
    j["status"]["volumeOrdinals"] = OrdinalSetToJson(st.volume_ordinals);
  }
  if (!st.removing_volumes.empty()) {
    j["status"]["removingVolumes"] = OrdinalSetToJson(st.removing_volumes);
  }
  return j;
}

Json OrdinalVolumesJson(const StatefulSet& ss, int32_t ordinal) {
  Json volumes = Json::array();
  for (const VolumeTemplate& v : ss.spec.volume_templates) {
    Json vj = {{"name", v.name},
               {"env", VolumeEnvName(v.name)},
               {"dir", OrdinalName(ss.metadata.name, ordinal)}};
    if (v.kind == VolumeTemplate::Kind::kShared) vj["root"] = v.path;
    volumes.push_back(std::move(vj));
  }
  return volumes;
}

Result<StatefulSet> StatefulSetFromJson(const Json& j) {
  DROVER_RETURN_IF_ERROR(codec_parts::CheckEnvelope(j, "StatefulSet"));
  StatefulSet ss;
  if (const Json* m = Find(j, "metadata")) {
    DROVER_RETURN_IF_ERROR(
        codec_parts::MetaFromJson(*m, "metadata", &ss.metadata,
                                  {"name", "uid", "labels", "creationTimestamp", "resourceVersion",
                                   "generation", "owner", "deletionTimestamp"}));
    DROVER_RETURN_IF_ERROR(GetInt(*m, "generation", "metadata", &ss.generation));
    DROVER_RETURN_IF_ERROR(
        json_fields::GetTime(*m, "deletionTimestamp", "metadata", &ss.deletion_time_ms));
    DROVER_RETURN_IF_ERROR(codec_parts::OwnerFromJson(*m, &ss.owner));
  }
  const Json* spec = Find(j, "spec");
  if (spec == nullptr) return Status::Invalid("spec", "is required");
  DROVER_RETURN_IF_ERROR(CheckObject(*spec, "spec"));
  DROVER_RETURN_IF_ERROR(
      CheckKnownFields(*spec,
                       {"replicas", "podManagementPolicy", "updateStrategy", "volumeTemplates",
                        "persistentVolumeClaimRetentionPolicy", "nodeSelector", "minReadySeconds",
                        "revisionHistoryLimit", "template"},
                       "spec"));
  StatefulSetSpec& s = ss.spec;
  DROVER_RETURN_IF_ERROR(GetIntAs(*spec, "replicas", "spec", &s.replicas));
  std::string policy = "OrderedReady";
  DROVER_RETURN_IF_ERROR(GetString(*spec, "podManagementPolicy", "spec", &policy));
  if (policy == "Parallel") {
    s.pod_management_policy = PodManagementPolicy::kParallel;
  } else if (policy != "OrderedReady") {
    return Status::Invalid("spec.podManagementPolicy",
                           "must be \"OrderedReady\" or \"Parallel\" (got \"" + policy + "\")");
  }
  if (const Json* strategy = Find(*spec, "updateStrategy")) {
    const std::string p = "spec.updateStrategy";
    DROVER_RETURN_IF_ERROR(CheckObject(*strategy, p));
    DROVER_RETURN_IF_ERROR(CheckKnownFields(*strategy, {"type", "rollingUpdate"}, p));
    std::string type = "RollingUpdate";
    DROVER_RETURN_IF_ERROR(GetString(*strategy, "type", p, &type));
    if (type == "OnDelete") {
      s.update_strategy.type = StatefulSetUpdateType::kOnDelete;
      if (Find(*strategy, "rollingUpdate") != nullptr) {
        return Status::Invalid(p + ".rollingUpdate", "may not be given with type OnDelete");
      }
    } else if (type != "RollingUpdate") {
      return Status::Invalid(p + ".type",
                             "must be \"RollingUpdate\" or \"OnDelete\" (got \"" + type + "\")");
    }
    if (const Json* ru = Find(*strategy, "rollingUpdate")) {
      const std::string r = p + ".rollingUpdate";
      DROVER_RETURN_IF_ERROR(CheckObject(*ru, r));
      DROVER_RETURN_IF_ERROR(CheckKnownFields(*ru, {"partition", "maxUnavailable"}, r));
      DROVER_RETURN_IF_ERROR(GetIntAs(*ru, "partition", r, &s.update_strategy.partition));
      DROVER_RETURN_IF_ERROR(
          IntOrPercentFromJson(*ru, "maxUnavailable", r, &s.update_strategy.max_unavailable));
    }
  }
  if (const Json* volumes = Find(*spec, "volumeTemplates")) {
    if (!volumes->is_array()) return Status::Invalid("spec.volumeTemplates", "must be a list");
    for (size_t i = 0; i < volumes->size(); ++i) {
      const std::string p = "spec.volumeTemplates[" + std::to_string(i) + "]";
      const Json& vj = (*volumes)[i];
      DROVER_RETURN_IF_ERROR(CheckObject(vj, p));
      DROVER_RETURN_IF_ERROR(CheckKnownFields(vj, {"name", "kind", "path"}, p));
      VolumeTemplate v;
      DROVER_RETURN_IF_ERROR(GetString(vj, "name", p, &v.name));
      std::string kind = "NodeLocal";
      DROVER_RETURN_IF_ERROR(GetString(vj, "kind", p, &kind));
      if (kind == "Shared") {
        v.kind = VolumeTemplate::Kind::kShared;
      } else if (kind != "NodeLocal") {
        return Status::Invalid(p + ".kind",
                               "must be \"NodeLocal\" or \"Shared\" (got \"" + kind + "\")");
      }
      DROVER_RETURN_IF_ERROR(GetString(vj, "path", p, &v.path));
      s.volume_templates.push_back(std::move(v));
    }
  }
  if (const Json* r = Find(*spec, "persistentVolumeClaimRetentionPolicy")) {
    const std::string p = "spec.persistentVolumeClaimRetentionPolicy";
    DROVER_RETURN_IF_ERROR(CheckObject(*r, p));
    DROVER_RETURN_IF_ERROR(CheckKnownFields(*r, {"whenDeleted", "whenScaled"}, p));
    DROVER_RETURN_IF_ERROR(RetentionFromJson(*r, "whenDeleted", p, &s.retention.when_deleted));
    DROVER_RETURN_IF_ERROR(RetentionFromJson(*r, "whenScaled", p, &s.retention.when_scaled));
  }
  DROVER_RETURN_IF_ERROR(json_fields::GetLabels(*spec, "nodeSelector", "spec", &s.node_selector));
  DROVER_RETURN_IF_ERROR(GetIntAs(*spec, "minReadySeconds", "spec", &s.min_ready_seconds));
  DROVER_RETURN_IF_ERROR(
      GetIntAs(*spec, "revisionHistoryLimit", "spec", &s.revision_history_limit));
  const Json* tmpl = Find(*spec, "template");
  if (tmpl == nullptr) return Status::Invalid("spec.template", "is required");
  DROVER_RETURN_IF_ERROR(ReplicaTemplateFromJson(*tmpl, "spec.template", &s.template_));
  if (const Json* st = Find(j, "status")) DROVER_RETURN_IF_ERROR(StatusFromJson(*st, &ss.status));
  return ss;
}

}  // namespace drover
