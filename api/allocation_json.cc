// The JSON of Slurm's batch model: a Job's allocation and a step task's step.
#include "api/json_codec_parts.h"
#include "api/json_fields.h"
#include "api/task.h"

namespace drover::codec_parts {

using namespace json_fields;

Json AllocationToJson(const AllocationSpec& a) {
  return {{"mode", a.mode == AllocationMode::kBatch ? "Batch" : "Interactive"}, {"tasks", a.tasks}};
}

Status AllocationFromJson(const Json& j, std::string_view path, AllocationSpec* a) {
  const std::string p(path);
  DROVER_RETURN_IF_ERROR(CheckObject(j, p));
  DROVER_RETURN_IF_ERROR(CheckKnownFields(j, {"mode", "tasks"}, p));
  std::string mode;
  DROVER_RETURN_IF_ERROR(GetString(j, "mode", p, &mode));
  if (mode == "Batch") {
    a->mode = AllocationMode::kBatch;
  } else if (mode == "Interactive") {
    a->mode = AllocationMode::kInteractive;
  } else {
    return Status::Invalid(p + ".mode",
                           "must be \"Batch\" or \"Interactive\" (got \"" + mode + "\")");
  }
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "tasks", p, &a->tasks));
  return Status::Ok();
}

Json StepToJson(const StepSpec& s) {
  return {{"id", s.id},
          {"rank", s.rank},
          {"localId", s.local_id},
          {"nodeId", s.node_id},
          {"ntasks", s.ntasks},
          {"nodelist", s.nodelist},
          {"tasksPerNode", s.tasks_per_node},
          {"killOnBadExit", s.kill_on_bad_exit},
          {"mpi", s.mpi},
          {"name", s.name},
          {"command", TemplateToJson(s.command)}};
}

Status StepFromJson(const Json& j, std::string_view path, StepSpec* s) {
  const std::string p(path);
  DROVER_RETURN_IF_ERROR(CheckObject(j, p));
  DROVER_RETURN_IF_ERROR(
      CheckKnownFields(j,
                       {"id", "rank", "localId", "nodeId", "ntasks", "nodelist", "tasksPerNode",
                        "killOnBadExit", "mpi", "name", "command"},
                       p));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "id", p, &s->id));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "rank", p, &s->rank));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "localId", p, &s->local_id));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "nodeId", p, &s->node_id));
  DROVER_RETURN_IF_ERROR(GetIntAs(j, "ntasks", p, &s->ntasks));
  DROVER_RETURN_IF_ERROR(GetString(j, "nodelist", p, &s->nodelist));
  DROVER_RETURN_IF_ERROR(GetString(j, "tasksPerNode", p, &s->tasks_per_node));
  DROVER_RETURN_IF_ERROR(GetBool(j, "killOnBadExit", p, &s->kill_on_bad_exit));
  DROVER_RETURN_IF_ERROR(GetString(j, "mpi", p, &s->mpi));
  if (s->mpi != "pmix" && s->mpi != "none") {
    return Status::Invalid(p + ".mpi", "must be \"pmix\" or \"none\" (got \"" + s->mpi + "\")");
  }
  DROVER_RETURN_IF_ERROR(GetString(j, "name", p, &s->name));
  if (const Json* c = Find(j, "command")) {
    DROVER_RETURN_IF_ERROR(TemplateFromJson(*c, p + ".command", &s->command));
  }
  return Status::Ok();
}

}  // namespace drover::codec_parts
