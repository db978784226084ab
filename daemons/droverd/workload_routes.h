// What the routes of every workload kind (Deployments, DaemonSets,
// StatefulSets) share: apply by PUT, and delete.
#pragma once

#include <string>
#include <utility>

#include "api/http_client.h"
#include "daemons/droverd/api_routes.h"

namespace drover::droverd {

// PUT /api/v1/KINDS/NAME: decodes the body with `decode` (JSON -> Result<W>),
// checks the name against the path, clears status (droverd's to set, as
// Kubernetes ignores it on apply) and applies it on the state thread with
// `apply(ClusterState&, W, caller, now)` -> Result<pair<const W*, ApplyVerb>>.
template <class Decode, class ApplyFn>
void ApplyWorkload(const ApiContext& ctx, const Caller& caller, const std::string& name,
                   const HttpRequest& req, HttpResponder respond, Decode decode, ApplyFn apply) {
  auto json = ParseJson(req.body);
  if (!json.ok()) return respond(ErrorResponse(json.status()));
  auto object = decode(*json);
  if (!object.ok()) return respond(ErrorResponse(object.status()));
  if (object->metadata.name.empty()) object->metadata.name = name;
  if (object->metadata.name != name) {
    return respond(ErrorResponse(Status::Invalid(
        "metadata.name",
        "\"" + object->metadata.name + "\" differs from the path's \"" + name + "\"")));
  }
  object->status = {};
  ctx.loop->Post([object = std::move(*object), caller, respond, apply](CommandContext& c) mutable {
    auto applied = apply(c.state, std::move(object), caller, c.now_ms);
    if (!applied.ok()) return respond(ErrorResponse(applied.status()));
    const auto [stored, verb] = *applied;
    Json body = {{"result", ApplyVerbName(verb)}, {"object", ToJson(*stored)}};
    const int status = verb == ApplyVerb::kCreated ? 201 : 200;
    c.AfterCommit(
        [respond, status, body = std::move(body)] { respond(JsonResponse(status, body)); });
  });
}

// DELETE /api/v1/KINDS/NAME with `remove(ClusterState&, name, caller, now)`
// -> Status; answers {"deleted": "KIND/NAME"}.
template <class RemoveFn>
void DeleteWorkload(const ApiContext& ctx, const Caller& caller, const std::string& kind,
                    const std::string& name, HttpResponder respond, RemoveFn remove) {
  ctx.loop->Post([kind, name, caller, respond, remove](CommandContext& c) {
    Status st = remove(c.state, name, caller, c.now_ms);
    if (!st.ok()) return respond(ErrorResponse(st));
    c.AfterCommit([respond, deleted = kind + "/" + name] {
      respond(JsonResponse(200, Json{{"deleted", deleted}}));
    });
  });
}

// POST /api/v1/KINDS/NAME/VERB with `change(ClusterState&, caller, now)`
// -> Result<const W*>; answers with the object after the change.
template <class ChangeFn>
void ChangeWorkload(const ApiContext& ctx, const Caller& caller, HttpResponder respond,
                    ChangeFn change) {
  ctx.loop->Post([caller, respond, change](CommandContext& c) {
    auto changed = change(c.state, caller, c.now_ms);
    if (!changed.ok()) return respond(ErrorResponse(changed.status()));
    c.AfterCommit([respond, body = ToJson(**changed)] { respond(JsonResponse(200, body)); });
  });
}

}  // namespace drover::droverd
