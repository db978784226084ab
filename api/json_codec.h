// JSON codec for the API objects (the wire format and the stored format).
//
// Decoding is strict: an unknown field, a value of the wrong type or out of
// range is an InvalidArgument whose field() is the JSON path
// ("spec.template.resources.cpus"). Fields droverd assigns (uid,
// resourceVersion, creationTimestamp, status, ...) are read as well, since the
// store uses the same codec; the API layer resets them on create.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/job.h"
#include "api/json_text.h"
#include "api/node.h"
#include "api/quantities.h"
#include "api/status.h"
#include "api/task.h"

namespace drover {

Json ToJson(const Job& job);
Json ToJson(const Task& task);
Json ToJson(const Node& node);
Json ToJson(const NodeTopology& topology);

Result<Job> JobFromJson(const Json& json);
Result<Task> TaskFromJson(const Json& json);
Result<Node> NodeFromJson(const Json& json);
Result<NodeTopology> TopologyFromJson(const Json& json, std::string_view path = "");

}  // namespace drover
