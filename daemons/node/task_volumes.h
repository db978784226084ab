// A StatefulSet ordinal's volumes on this node: the directories its launch
// names, made if new and kept after its task ends (its data outlives it).
// NodeLocal ones live under STATE/volumes/NAME-K/VOLUME, Shared ones under
// ROOT/NAME-K/VOLUME (ROOT an admin's shared filesystem), until droverd asks
// for their removal. NAME-K is made root's; each VOLUME is the task's user's
// (0700), made on descriptors so a symlink planted in its place is refused
// (executors/user_files.h).
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

// The removal droverd asks for once an ordinal's directories are not wanted
// (persistentVolumeClaimRetentionPolicy: Delete): each VOLUME directory of
// `volumes` (the launch's shape, without env) and its NAME-K once empty,
// walked by descriptor so nothing a user planted there leads outside.
// Missing is done.
Status RemoveTaskVolumes(const Json& volumes, const std::string& state_dir);

}  // namespace drover::node
