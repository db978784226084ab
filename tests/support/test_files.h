// Reading what tests' tasks and daemons wrote: a file's whole text, and its
// number of lines (a task appends one per start, per end, ...).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace drover::testing {

// The file's bytes; "" when it does not exist (yet).
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Its lines; 0 when it does not exist (yet).
inline int CountLines(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

}  // namespace drover::testing
