// JSON codec of StatefulSets (strict, as json_codec.h: an unknown field or a
// wrong type is an InvalidArgument naming its path).
#pragma once

#include "api/json_text.h"
#include "api/stateful_set.h"

namespace drover {

Json ToJson(const StatefulSet& ss);
Result<StatefulSet> StatefulSetFromJson(const Json& json);

}  // namespace drover
