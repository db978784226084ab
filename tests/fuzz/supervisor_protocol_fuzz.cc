// The drover-node <-> drover-supervisor protocol (executors/supervisor_protocol.h):
// the input is split into lines as both ends do; each line is read as a
// request (the supervisor's side: a bad one is answered with an error line,
// as SupervisorServer::HandleLine does) and as a message (drover-node's
// side). What parses must encode again and parse back to the same thing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "executors/supervisor_protocol.h"
#include "fuzz_support.h"

using namespace drover;
using namespace drover::executors;

namespace {

std::string StripNewline(std::string line) {
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

void CheckRequest(std::string_view line) {
  auto request = ParseRequest(line);
  if (!request.ok()) {
    std::string out;
    AppendErrorLine(request.status().ToString(), &out);  // the supervisor's answer
    return;
  }
  std::string encoded = EncodeRequest(*request);
  auto again = ParseRequest(StripNewline(encoded));
  FUZZ_CHECK(again.ok(), "EncodeRequest output is refused: " + again.status().ToString() + "\n" +
                             encoded);
  FUZZ_CHECK(EncodeRequest(*again) == encoded,
             "a request changes on a round trip:\n" + encoded + EncodeRequest(*again));
}

void CheckMessage(std::string_view line) {
  auto message = ParseMessage(line);
  if (!message.ok()) {
    (void)("unreadable message from supervisor: " + message.status().ToString());
    return;
  }
  std::string encoded;
  switch (message->type) {
    case SupervisorMessage::Type::kEvent:
      AppendEventLine(message->event, &encoded);
      break;
    case SupervisorMessage::Type::kList:
      AppendListLine(message->tasks, &encoded);
      break;
    case SupervisorMessage::Type::kError:
      AppendErrorLine(message->error, &encoded);
      break;
  }
  auto again = ParseMessage(StripNewline(encoded));
  FUZZ_CHECK(again.ok(), "an encoded message is refused: " + again.status().ToString() + "\n" +
                             encoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::Text(data, size);
  size_t begin = 0;
  while (begin < text.size()) {
    size_t nl = text.find('\n', begin);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(begin, nl - begin);
    begin = nl + 1;
    if (line.empty()) continue;
    CheckRequest(line);
    CheckMessage(line);
  }
  return 0;
}
