#include "api/daemon_set_json.h"

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

Status StatusFromJson(const Json& st, DaemonSetStatus* out) {
  const std::string p = "status";
  DROVER_RETURN_IF_ERROR(CheckObject(st, p));
  DROVER_RETURN_IF_ERROR(
      CheckKnownFields(st,
                       {"observedGeneration", "desiredNumberScheduled", "currentNumberScheduled",
                        "numberMisscheduled", "numberReady", "updatedNumberScheduled",
                        "numberAvailable", "numberUnavailable", "revision"},
                       p));
  DROVER_RETURN_IF_ERROR(GetInt(st, "observedGeneration", p, &out->observed_generation));
  DROVER_RETURN_IF_ERROR(GetIntAs(st, "desiredNumberScheduled", p, &out->desired_number_scheduled));
  DROVER_RETURN_IF_ERROR(GetIntAs(st, "currentNumberScheduled", p, &out->current_number_scheduled));
  DROVER_RETURN_IF_ERROR(GetIntAs(st, "numberMisscheduled", p, &out->number_misscheduled));
  DROVER_RETURN_IF_ERROR(GetIntAs(st, "numberReady", p, &out->number_ready));
  DROVER_RETURN_IF_ERROR(GetIntAs(st, "updatedNumberScheduled", p, &out->updated_number_scheduled));
  DROVER_RETURN_IF_ERROR(GetIntAs(st, "numberAvailable", p, &out->number_available));
  DROVER_RETURN_IF_ERROR(GetIntAs(st, "numberUnavailable", p, &out->number_unavailable));
  return GetInt(st, "revision", p, &out->revision);
}

}  // namespace

Json ToJson(const DaemonSet& ds) {
  Json j = Json::object();
  j["apiVersion"] = kApiVersion;
  j["kind"] = "DaemonSet";
  Json meta = codec_parts::MetaToJson(ds.metadata);
  if (ds.generation != 0) meta["generation"] = ds.generation;
  codec_parts::PutOwner(meta, ds.owner);
  j["metadata"] = std::move(meta);
  const DaemonSetSpec& s = ds.spec;
  const DaemonSetUpdateStrategy& u = s.update_strategy;
  Json strategy = {
      {"type", u.type == DaemonSetUpdateType::kOnDelete ? "OnDelete" : "RollingUpdate"}};
  if (u.type == DaemonSetUpdateType::kRollingUpdate) {
    strategy["rollingUpdate"] = {{"maxUnavailable", IntOrPercentToJson(u.max_unavailable)},
                                 {"maxSurge", IntOrPercentToJson(u.max_surge)}};
  }
  j["spec"] = {{"updateStrategy", std::move(strategy)},
               {"minReadySeconds", s.min_ready_seconds},
               {"revisionHistoryLimit", s.revision_history_limit},
               {"template", ReplicaTemplateToJson(s.template_)}};
  if (!s.node_selector.empty()) j["spec"]["nodeSelector"] = s.node_selector;
  const DaemonSetStatus& st = ds.status;
  j["status"] = {{"observedGeneration", st.observed_generation},
                 {"desiredNumberScheduled", st.desired_number_scheduled},
                 {"currentNumberScheduled", st.current_number_scheduled},
                 {"numberMisscheduled", st.number_misscheduled},
                 {"numberReady", st.number_ready},
                 {"updatedNumberScheduled", st.updated_number_scheduled},
                 {"numberAvailable", st.number_available},
                 {"numberUnavailable", st.number_unavailable},
                 {"revision", st.revision}};
  return j;
}

Result<DaemonSet> DaemonSetFromJson(const Json& j) {
  DROVER_RETURN_IF_ERROR(codec_parts::CheckEnvelope(j, "DaemonSet"));
  DaemonSet ds;
  if (const Json* m = Find(j, "metadata")) {
    DROVER_RETURN_IF_ERROR(codec_parts::MetaFromJson(
        *m, "metadata", &ds.metadata,
        {"name", "uid", "labels", "creationTimestamp", "resourceVersion", "generation", "owner"}));
    DROVER_RETURN_IF_ERROR(GetInt(*m, "generation", "metadata", &ds.generation));
    DROVER_RETURN_IF_ERROR(codec_parts::OwnerFromJson(*m, &ds.owner));
  }
  const Json* spec = Find(j, "spec");
  if (spec == nullptr) return Status::Invalid("spec", "is required");
  DROVER_RETURN_IF_ERROR(CheckObject(*spec, "spec"));
  DROVER_RETURN_IF_ERROR(CheckKnownFields(
      *spec,
      {"nodeSelector", "template", "updateStrategy", "minReadySeconds", "revisionHistoryLimit"},
      "spec"));
  DaemonSetSpec& s = ds.spec;
  DROVER_RETURN_IF_ERROR(json_fields::GetLabels(*spec, "nodeSelector", "spec", &s.node_selector));
  if (const Json* strategy = Find(*spec, "updateStrategy")) {
    const std::string p = "spec.updateStrategy";
    DROVER_RETURN_IF_ERROR(CheckObject(*strategy, p));
    DROVER_RETURN_IF_ERROR(CheckKnownFields(*strategy, {"type", "rollingUpdate"}, p));
    std::string type = "RollingUpdate";
    DROVER_RETURN_IF_ERROR(GetString(*strategy, "type", p, &type));
    if (type == "OnDelete") {
      s.update_strategy.type = DaemonSetUpdateType::kOnDelete;
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
      DROVER_RETURN_IF_ERROR(CheckKnownFields(*ru, {"maxUnavailable", "maxSurge"}, r));
      DROVER_RETURN_IF_ERROR(
          IntOrPercentFromJson(*ru, "maxUnavailable", r, &s.update_strategy.max_unavailable));
      DROVER_RETURN_IF_ERROR(
          IntOrPercentFromJson(*ru, "maxSurge", r, &s.update_strategy.max_surge));
    }
  }
  DROVER_RETURN_IF_ERROR(GetIntAs(*spec, "minReadySeconds", "spec", &s.min_ready_seconds));
  DROVER_RETURN_IF_ERROR(
      GetIntAs(*spec, "revisionHistoryLimit", "spec", &s.revision_history_limit));
  const Json* tmpl = Find(*spec, "template");
  if (tmpl == nullptr) return Status::Invalid("spec.template", "is required");
  DROVER_RETURN_IF_ERROR(ReplicaTemplateFromJson(*tmpl, "spec.template", &s.template_));
  if (const Json* st = Find(j, "status")) DROVER_RETURN_IF_ERROR(StatusFromJson(*st, &ds.status));
  return ds;
}

}  // namespace drover
