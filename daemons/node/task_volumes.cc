#include "daemons/node/task_volumes.h"

#include "executors/user_files.h"

namespace drover::node {
namespace {

// One path component that names nothing above it.
bool IsPlainName(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos;
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> MakeTaskVolumes(
    const Json& volumes, const std::string& state_dir, uint32_t uid, uint32_t gid) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!volumes.is_array()) return Status::Invalid("launch.volumes", "must be a list");
  for (const Json& v : volumes) {
    if (!v.is_object() || !v.contains("name") || !v["name"].is_string() || !v.contains("env") ||
        !v["env"].is_string() || !v.contains("dir") || !v["dir"].is_string()) {
      return Status::Invalid("launch.volumes", "each volume needs name, env and dir");
    }
    const std::string name = v["name"].get<std::string>();
    const std::string dir = v["dir"].get<std::string>();
    if (!IsPlainName(name) || !IsPlainName(dir)) {
      return Status::Invalid("launch.volumes", "volume \"" + name + "\" of \"" + dir +
                                                   "\": names must be plain path components");
    }
    std::string root;
    if (v.contains("root") && v["root"].is_string()) {
      root = v["root"].get<std::string>();
      if (root.empty() || root[0] != '/') {
        return Status::Invalid("launch.volumes", "volume \"" + name + "\": root must be absolute");
      }
    } else {
      DROVER_RETURN_IF_ERROR(executors::MakeOwnedDirectory(state_dir, "volumes", 0, 0, 0755));
      root = state_dir + "/volumes";
    }
    DROVER_RETURN_IF_ERROR(executors::MakeOwnedDirectory(root, dir, 0, 0, 0755));
    DROVER_RETURN_IF_ERROR(executors::MakeOwnedDirectory(root + "/" + dir, name, uid, gid, 0700));
    out.emplace_back(v["env"].get<std::string>(), root + "/" + dir + "/" + name);
  }
  return out;
}

}  // namespace drover::node
