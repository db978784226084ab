#include "daemons/node/agent_id.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "api/random_uuid.h"

namespace drover::node {

Result<std::string> LoadOrCreateAgentId(const std::string& state_dir) {
  const std::string path = state_dir + "/agent.id";
  {
    std::ifstream in(path);
    std::string id;
    if (in >> id && !id.empty()) return id;
  }
  const std::string id = RandomUuid();
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << id << "\n";
    if (!out.flush()) {
      return Status::Unavailable("cannot write " + tmp + ": " + std::strerror(errno));
    }
  }
  ::chmod(tmp.c_str(), 0600);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Unavailable("cannot make " + path + ": " + std::strerror(errno));
  }
  return id;
}

}  // namespace drover::node
