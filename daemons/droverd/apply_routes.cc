// POST /api/v1/apply: every object of one manifest (Jobs, Deployments,
// DaemonSets, StatefulSets),
// checked together and applied in one state-loop command, so one store
// batch: all of them or none (`drover apply -f FILE` is atomic per file).
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "api/daemon_set_json.h"
#include "api/deployment_json.h"
#include "api/http_client.h"
#include "api/json_codec.h"
#include "api/stateful_set_json.h"
#include "daemons/droverd/api_routes.h"
#include "daemons/droverd/authorization.h"

namespace drover::droverd {
namespace {

constexpr size_t kMaxApplyItems = 10'000;

std::string KindOf(const Json& item) {
  if (!item.is_object()) return "";
  auto it = item.find("kind");
  return it != item.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

void HandleApplyRoute(const ApiContext& ctx, const Caller& caller, HttpRequest& req,
                      HttpResponder respond) {
  auto json = ParseJson(req.body);
  if (!json.ok()) return respond(ErrorResponse(json.status()));
  if (!json->is_object() || !json->contains("items") || !(*json)["items"].is_array()) {
    return respond(ErrorResponse(Status::Invalid(
        "items", "want {\"items\": [Job, Deployment, DaemonSet or StatefulSet, ...]}")));
  }
  const Json& items = (*json)["items"];
  if (items.size() > kMaxApplyItems) {
    return respond(ErrorResponse(Status::Invalid(
        "items", "at most " + std::to_string(kMaxApplyItems) + " objects per apply (got " +
                     std::to_string(items.size()) + ")")));
  }
  using Object = std::variant<Job, Deployment, DaemonSet, StatefulSet>;
  std::vector<Object> objects;
  std::vector<Job> jobs;
  std::set<std::string> names;  // KIND/NAME
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string where = "items[" + std::to_string(i) + "]";
    const std::string kind = KindOf(items[i]);
    if (kind == "Job") {
      auto job = JobFromJson(items[i]);
      if (!job.ok()) return respond(ErrorResponse(job.status().WithFieldPrefix(where)));
      job->id = 0;
      job->status = JobStatus{};
      jobs.push_back(*job);
      objects.emplace_back(std::move(*job));
    } else if (kind == "Deployment") {
      auto d = DeploymentFromJson(items[i]);
      if (!d.ok()) return respond(ErrorResponse(d.status().WithFieldPrefix(where)));
      d->status = DeploymentStatus{};
      if (!names.insert("deployment/" + d->metadata.name).second) {
        return respond(ErrorResponse(Status::Invalid(
            where + ".metadata.name", "deployment/" + d->metadata.name + " is named twice")));
      }
      objects.emplace_back(std::move(*d));
    } else if (kind == "DaemonSet") {
      auto ds = DaemonSetFromJson(items[i]);
      if (!ds.ok()) return respond(ErrorResponse(ds.status().WithFieldPrefix(where)));
      ds->status = DaemonSetStatus{};
      if (!names.insert("daemonset/" + ds->metadata.name).second) {
        return respond(ErrorResponse(Status::Invalid(
            where + ".metadata.name", "daemonset/" + ds->metadata.name + " is named twice")));
      }
      objects.emplace_back(std::move(*ds));
    } else if (kind == "StatefulSet") {
      auto ss = StatefulSetFromJson(items[i]);
      if (!ss.ok()) return respond(ErrorResponse(ss.status().WithFieldPrefix(where)));
      ss->status = StatefulSetStatus{};
      if (!names.insert("statefulset/" + ss->metadata.name).second) {
        return respond(ErrorResponse(Status::Invalid(
            where + ".metadata.name", "statefulset/" + ss->metadata.name + " is named twice")));
      }
      objects.emplace_back(std::move(*ss));
    } else {
      return respond(ErrorResponse(Status::Invalid(
          where + ".kind",
          kind.empty() ? "is required (Job, Deployment, DaemonSet or StatefulSet)"
                       : "kind \"" + kind +
                             "\" cannot be applied (Job, Deployment, DaemonSet, StatefulSet)")));
    }
  }
  Status queue_ok = CheckQueueAccess(ctx, caller, jobs, false);
  if (!queue_ok.ok()) return respond(ErrorResponse(queue_ok));
  ctx.loop->Post([objects = std::move(objects), caller, respond](CommandContext& c) mutable {
    // All or nothing: every object is checked before any is applied.
    for (size_t i = 0; i < objects.size(); ++i) {
      Status st;
      if (const Job* job = std::get_if<Job>(&objects[i])) {
        st = AuthorizeSubmission(*job, caller);
        if (st.ok()) st = c.state.CheckSubmission(*job);
      } else if (const Deployment* d = std::get_if<Deployment>(&objects[i])) {
        st = c.state.CheckDeploymentApply(*d, caller);
      } else if (const DaemonSet* ds = std::get_if<DaemonSet>(&objects[i])) {
        st = c.state.CheckDaemonSetApply(*ds, caller);
      } else {
        st = c.state.CheckStatefulSetApply(std::get<StatefulSet>(objects[i]), caller);
      }
      if (!st.ok()) {
        return respond(ErrorResponse(st.WithFieldPrefix("items[" + std::to_string(i) + "]")));
      }
    }
    Json out = Json::array();
    for (Object& object : objects) {
      if (Job* job = std::get_if<Job>(&object)) {
        auto added = c.state.SubmitJob(std::move(*job), caller, c.now_ms);
        if (!added.ok()) return respond(ErrorResponse(added.status()));  // checked above: a bug
        out.push_back({{"kind", "Job"},
                       {"name", (*added)->metadata.name},
                       {"id", (*added)->id},
                       {"result", "created"}});
      } else if (Deployment* d = std::get_if<Deployment>(&object)) {
        auto applied = c.state.ApplyDeployment(std::move(*d), caller, c.now_ms);
        if (!applied.ok()) return respond(ErrorResponse(applied.status()));  // checked above
        out.push_back({{"kind", "Deployment"},
                       {"name", applied->first->metadata.name},
                       {"result", ApplyVerbName(applied->second)}});
      } else if (DaemonSet* ds = std::get_if<DaemonSet>(&object)) {
        auto applied = c.state.ApplyDaemonSet(std::move(*ds), caller, c.now_ms);
        if (!applied.ok()) return respond(ErrorResponse(applied.status()));  // checked above
        out.push_back({{"kind", "DaemonSet"},
                       {"name", applied->first->metadata.name},
                       {"result", ApplyVerbName(applied->second)}});
      } else {
        auto applied =
            c.state.ApplyStatefulSet(std::move(std::get<StatefulSet>(object)), caller, c.now_ms);
        if (!applied.ok()) return respond(ErrorResponse(applied.status()));  // checked above
        out.push_back({{"kind", "StatefulSet"},
                       {"name", applied->first->metadata.name},
                       {"result", ApplyVerbName(applied->second)}});
      }
    }
    c.AfterCommit([respond, out = std::move(out)] {
      respond(JsonResponse(200, Json{{"items", out}}));
    });
  });
}

}  // namespace drover::droverd
