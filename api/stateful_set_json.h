// JSON codec of StatefulSets (strict, as json_codec.h: an unknown field or a
// wrong type is an InvalidArgument naming its path).
#pragma once

#include "api/json_text.h"
#include "api/stateful_set.h"

namespace drover {

Json ToJson(const StatefulSet& ss);
Result<StatefulSet> StatefulSetFromJson(const Json& json);

// What a node is told of an ordinal's directories, in its launch and in a
// removal: [{"name", "env", "dir": NAME-K, "root"?: a Shared volume's root}].
Json OrdinalVolumesJson(const StatefulSet& ss, int32_t ordinal);

}  // namespace drover
