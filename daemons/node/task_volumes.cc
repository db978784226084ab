#include "daemons/node/task_volumes.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "executors/user_files.h"

namespace drover::node {
namespace {

// One path component that names nothing above it.
bool IsPlainName(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos;
}

// One entry of launch["volumes"] or of a removal's "volumes", checked.
struct VolumeEntry {
  std::string name;  // VOLUME
  std::string dir;   // NAME-K
  std::string root;  // "" = the node's STATE/volumes
  std::string env;
};

Result<std::vector<VolumeEntry>> ParseVolumes(const Json& volumes, const char* field,
                                              bool want_env) {
  std::vector<VolumeEntry> out;
  if (!volumes.is_array()) return Status::Invalid(field, "must be a list");
  for (const Json& v : volumes) {
    if (!v.is_object() || !v.contains("name") || !v["name"].is_string() || !v.contains("dir") ||
        !v["dir"].is_string() || (want_env && (!v.contains("env") || !v["env"].is_string()))) {
      return Status::Invalid(field, want_env ? "each volume needs name, env and dir"
                                             : "each volume needs name and dir");
    }
    VolumeEntry e{v["name"].get<std::string>(), v["dir"].get<std::string>(), "",
                  want_env ? v["env"].get<std::string>() : ""};
    if (!IsPlainName(e.name) || !IsPlainName(e.dir)) {
      return Status::Invalid(field, "volume \"" + e.name + "\" of \"" + e.dir +
                                        "\": names must be plain path components");
    }
    if (v.contains("root") && v["root"].is_string()) {
      e.root = v["root"].get<std::string>();
      if (e.root.empty() || e.root[0] != '/') {
        return Status::Invalid(field, "volume \"" + e.name + "\": root must be absolute");
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> MakeTaskVolumes(
    const Json& volumes, const std::string& state_dir, uint32_t uid, uint32_t gid) {
  auto entries = ParseVolumes(volumes, "launch.volumes", true);
  if (!entries.ok()) return entries.status();
  std::vector<std::pair<std::string, std::string>> out;
  for (const VolumeEntry& v : *entries) {
    std::string root = v.root;
    if (root.empty()) {
      DROVER_RETURN_IF_ERROR(executors::MakeOwnedDirectory(state_dir, "volumes", 0, 0, 0755));
      root = state_dir + "/volumes";
    }
    DROVER_RETURN_IF_ERROR(executors::MakeOwnedDirectory(root, v.dir, 0, 0, 0755));
    DROVER_RETURN_IF_ERROR(
        executors::MakeOwnedDirectory(root + "/" + v.dir, v.name, uid, gid, 0700));
    out.emplace_back(v.env, root + "/" + v.dir + "/" + v.name);
  }
  return out;
}

Status RemoveTaskVolumes(const Json& volumes, const std::string& state_dir) {
  auto entries = ParseVolumes(volumes, "removeVolumes.volumes", false);
  if (!entries.ok()) return entries.status();
  for (const VolumeEntry& v : *entries) {
    const std::string root = v.root.empty() ? state_dir + "/volumes" : v.root;
    DROVER_RETURN_IF_ERROR(executors::RemoveTree(root + "/" + v.dir, v.name));
    // NAME-K goes with its last volume (root's own, holding nothing else).
    const std::string ordinal_dir = root + "/" + v.dir;
    if (::rmdir(ordinal_dir.c_str()) != 0 && errno != ENOENT && errno != ENOTEMPTY &&
        errno != EEXIST) {
      return Status::Internal("cannot remove " + ordinal_dir + ": " + std::strerror(errno));
    }
  }
  return Status::Ok();
}

}  // namespace drover::node
