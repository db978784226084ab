// JSON codec for the API objects (the wire format and the stored format).
//
// Decoding is strict: an unknown field, a value of the wrong type or out of
// range is an InvalidArgument whose field() is the JSON path
// ("spec.template.resources.cpus"). Fields droverd assigns (uid,
// resourceVersion, creationTimestamp, status, ...) are read as well, since the
// store uses the same codec; the API layer resets them on create.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/job.h"
#include "api/node.h"
#include "api/status.h"
#include "api/task.h"

namespace drover {

using Json = nlohmann::json;

Json ToJson(const Job& job);
Json ToJson(const Task& task);
Json ToJson(const Node& node);
Json ToJson(const NodeTopology& topology);

Result<Job> JobFromJson(const Json& json);
Result<Task> TaskFromJson(const Json& json);
Result<Node> NodeFromJson(const Json& json);
Result<NodeTopology> TopologyFromJson(const Json& json, std::string_view path = "");

// Parses JSON text; a syntax error names the byte offset.
Result<Json> ParseJson(std::string_view text);

// RFC 3339 in UTC with milliseconds ("2026-11-26T15:52:27.123Z"); 0 <-> "".
std::string FormatTime(int64_t unix_ms);
Result<int64_t> ParseTime(std::string_view text);

// A memory quantity: a non-negative integer (bytes) or a Kubernetes quantity
// string ("512Mi", "4Gi", "1G" = 10^9, "1500k").
Result<int64_t> ParseQuantity(const Json& value);
// A duration: integer seconds, or Slurm's forms "MM", "MM:SS", "HH:MM:SS",
// "D-HH", "D-HH:MM", "D-HH:MM:SS".
Result<int64_t> ParseDuration(const Json& value);
Result<int64_t> ParseSlurmDuration(std::string_view text);

}  // namespace drover
