// The wire form of shipped log chunks (POST /api/v1/nodes/NODE/logs): each
// chunk a header line "TASK OFFSET LENGTH\n" and then LENGTH raw bytes, so
// output that is not UTF-8 ships as it is, without escaping.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/status.h"

namespace drover {

struct LogChunk {
  std::string task;
  int64_t offset = 0;  // where `data` starts in the task's log
  std::string data;
};

std::string EncodeLogChunks(const std::vector<LogChunk>& chunks);

// Errors: InvalidArgument naming the chunk and what is wrong with it.
Result<std::vector<LogChunk>> DecodeLogChunks(std::string_view body);

}  // namespace drover
