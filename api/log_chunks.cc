#include "api/log_chunks.h"

#include <charconv>

namespace drover {
namespace {

bool ParseInt(std::string_view text, int64_t* out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && *out >= 0;
}

}  // namespace

std::string EncodeLogChunks(const std::vector<LogChunk>& chunks) {
  std::string out;
  size_t bytes = 0;
  for (const LogChunk& c : chunks) bytes += c.task.size() + c.data.size() + 48;
  out.reserve(bytes);
  for (const LogChunk& c : chunks) {
    out += c.task;
    out += ' ';
    out += std::to_string(c.offset);
    out += ' ';
    out += std::to_string(c.data.size());
    out += '\n';
    out += c.data;
  }
  return out;
}

Result<std::vector<LogChunk>> DecodeLogChunks(std::string_view body) {
  std::vector<LogChunk> chunks;
  while (!body.empty()) {
    const std::string where = "chunk " + std::to_string(chunks.size());
    size_t eol = body.find('\n');
    if (eol == std::string_view::npos || eol > 512) {
      return Status::Invalid(where, "must start with a line \"TASK OFFSET LENGTH\"");
    }
    std::string_view head = body.substr(0, eol);
    size_t s1 = head.find(' ');
    size_t s2 = s1 == std::string_view::npos ? s1 : head.find(' ', s1 + 1);
    LogChunk c;
    int64_t length = 0;
    if (s2 == std::string_view::npos || s1 == 0 ||
        !ParseInt(head.substr(s1 + 1, s2 - s1 - 1), &c.offset) ||
        !ParseInt(head.substr(s2 + 1), &length)) {
      return Status::Invalid(where, "header must be \"TASK OFFSET LENGTH\" (got \"" +
                                        std::string(head.substr(0, 80)) + "\")");
    }
    if (c.offset > (int64_t{1} << 60)) return Status::Invalid(where, "offset is too large");
    c.task = std::string(head.substr(0, s1));
    body.remove_prefix(eol + 1);
    if (static_cast<uint64_t>(length) > body.size()) {
      return Status::Invalid(where, "says " + std::to_string(length) + " bytes, " +
                                        std::to_string(body.size()) + " follow");
    }
    c.data = std::string(body.substr(0, static_cast<size_t>(length)));
    body.remove_prefix(static_cast<size_t>(length));
    chunks.push_back(std::move(c));
  }
  return chunks;
}

}  // namespace drover
