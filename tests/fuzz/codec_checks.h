// What the JSON and YAML targets do with a decoded document: try it as every
// kind the API and the store read (Job, Task, Node, NodeTopology, Deployment,
// DaemonSet, StatefulSet, Revision), validate a
// Job as droverd does on submit, answer every error as droverd would, and
// check the store round trip: what droverd writes (ToJson(x).dump(), as
// ClusterState::TakeMutations does) it must read back (ParseJson, XFromJson)
// to the same object, or droverd could not restart.
#pragma once

#include <string>

#include "api/daemon_set_json.h"
#include "api/deployment_json.h"
#include "api/json_codec.h"
#include "api/stateful_set_json.h"
#include "api/validation.h"
#include "fuzz_support.h"

namespace drover::fuzz {

// Decodes `json` with `decode`; when it succeeds, checks the round trip and
// returns the object's JSON (else null).
template <typename Decode>
Json CheckKind(const Json& json, const char* kind, Decode decode) {
  auto object = decode(json);
  if (!object.ok()) {
    Answer(object.status());
    return nullptr;
  }
  Json encoded = ToJson(*object);
  std::string stored = encoded.dump();
  auto reparsed = ParseJson(stored);
  FUZZ_CHECK(reparsed.ok(), std::string(kind) + " as stored is not JSON: " +
                                reparsed.status().ToString() + "\n" + stored);
  auto again = decode(*reparsed);
  FUZZ_CHECK(again.ok(), std::string(kind) + " as stored is refused: " + again.status().ToString() +
                             "\n" + stored);
  FUZZ_CHECK(ToJson(*again) == encoded, std::string(kind) + " changes on a store round trip:\n" +
                                            stored + "\n" + ToJson(*again).dump());
  return encoded;
}

inline void CheckEveryKind(const Json& json) {
  auto job = JobFromJson(json);
  if (job.ok()) Answer(ValidateJobSubmission(*job));
  CheckKind(json, "Job", [](const Json& j) { return JobFromJson(j); });
  CheckKind(json, "Task", [](const Json& j) { return TaskFromJson(j); });
  CheckKind(json, "Node", [](const Json& j) { return NodeFromJson(j); });
  CheckKind(json, "NodeTopology", [](const Json& j) { return TopologyFromJson(j, "topology"); });
  auto deployment = DeploymentFromJson(json);
  if (deployment.ok()) Answer(ValidateDeployment(*deployment));
  CheckKind(json, "Deployment", [](const Json& j) { return DeploymentFromJson(j); });
  CheckKind(json, "Revision", [](const Json& j) { return RevisionFromJson(j); });
  auto daemon_set = DaemonSetFromJson(json);
  if (daemon_set.ok()) Answer(ValidateDaemonSet(*daemon_set));
  CheckKind(json, "DaemonSet", [](const Json& j) { return DaemonSetFromJson(j); });
  auto stateful_set = StatefulSetFromJson(json);
  if (stateful_set.ok()) Answer(ValidateStatefulSet(*stateful_set));
  CheckKind(json, "StatefulSet", [](const Json& j) { return StatefulSetFromJson(j); });
}

}  // namespace drover::fuzz
