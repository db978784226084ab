// A variable of the daemon's environment, "" when unset: how the built-in
// daemons learn their node's context from the node agent.
#pragma once

#include <cstdlib>
#include <string>

namespace drover::daemons {

inline std::string EnvOrEmpty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace drover::daemons
