// JSON text in and out, bounded: what any client sends is parsed here.
//
// ParseJson refuses, as InvalidArgument, what the codecs must never see:
// nesting deeper than kMaxJsonDepth (deep input would exhaust the stack of
// every recursive walk after parsing), numbers out of range (1e400), invalid
// UTF-8, and an object with the same key twice (which key would win is
// ambiguous). Messages are valid UTF-8 and quote no raw input bytes.
// DumpJson never throws: invalid UTF-8 in a string is replaced by U+FFFD.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/status.h"

namespace drover {

using Json = nlohmann::json;

inline constexpr int kMaxJsonDepth = 64;
// Values (objects, arrays, scalars) in one document: a parsed value costs
// ~40 times its text ("{}," is 3 bytes, its node ~100), so bodies are bounded
// in values as well as bytes. 100,000 jobs of a bulk submission fit.
inline constexpr size_t kMaxJsonValues = 5'000'000;

// Parses JSON text; a syntax error names the byte offset.
Result<Json> ParseJson(std::string_view text, size_t max_values = kMaxJsonValues);

std::string DumpJson(const Json& json, int indent = -1);

// `text` with every byte sequence that is not valid UTF-8 replaced by U+FFFD,
// so it can be quoted in a message or a JSON string.
std::string SanitizeUtf8(std::string_view text);

}  // namespace drover
