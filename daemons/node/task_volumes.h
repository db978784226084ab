// A StatefulSet ordinal's volumes on this node: the directories its launch
// names, made if new and kept after its task ends (its data outlives it).
// NodeLocal ones live under STATE/volumes/NAME-K/VOLUME, Shared ones under
// ROOT/NAME-K/VOLUME (ROOT an admin's shared filesystem). NAME-K is made
// root's; each VOLUME is the task's user's (0700), made on descriptors so a
// symlink planted in its place is refused (executors/user_files.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "api/json_text.h"
#include "api/status.h"

namespace drover::node {

// From launch["volumes"] ([{"name", "env", "dir", "root"?}]): the env var
// and directory of each, made. Errors name the volume and the path.
Result<std::vector<std::pair<std::string, std::string>>> MakeTaskVolumes(
    const Json& volumes, const std::string& state_dir, uint32_t uid, uint32_t gid);

}  // namespace drover::node
