// JSON codec of DaemonSets (strict, as json_codec.h: an unknown field or a
// wrong type is an InvalidArgument naming its path).
#pragma once

#include "api/daemon_set.h"
#include "api/json_text.h"

namespace drover {

Json ToJson(const DaemonSet& ds);
Result<DaemonSet> DaemonSetFromJson(const Json& json);

}  // namespace drover
