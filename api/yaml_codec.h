// YAML manifests (drover apply -f job.yaml): converted to JSON, then decoded
// by the strict JSON codec, so both formats accept exactly the same objects.
#pragma once

#include <string_view>
#include <vector>

#include "api/json_codec.h"
#include "api/status.h"

namespace drover {

// Every document of a YAML stream ("---" separated) as JSON. Plain scalars
// follow YAML 1.2's core schema (123 -> integer, true -> boolean, ~ -> null);
// quoted scalars stay strings. A syntax error names the line and column.
Result<std::vector<Json>> ParseYamlDocuments(std::string_view text);

// Serializes JSON as block-style YAML (for `-o yaml`).
std::string ToYaml(const Json& json);

}  // namespace drover
