// Helpers shared by the fuzz targets: the input as text, invariant checks that
// libFuzzer records as crashes, and the way droverd turns an error into an
// answer (so every error message is also checked to be encodable).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/http_client.h"
#include "api/status.h"

namespace drover::fuzz {

inline std::string_view Text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A broken invariant: says which and aborts, so libFuzzer keeps the input.
[[noreturn]] inline void Fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "\n==FUZZ== invariant broken: %.*s\n==FUZZ== %.*s\n",
               static_cast<int>(what.size()), what.data(),
               static_cast<int>(std::min<size_t>(detail.size(), 4000)), detail.data());
  std::abort();
}

#define FUZZ_CHECK(condition, detail)                                      \
  do {                                                                     \
    if (!(condition)) ::drover::fuzz::Fail(#condition, std::string(detail)); \
  } while (0)

// Whether `text` is valid UTF-8 (what a JSON string can hold).
inline bool IsUtf8(std::string_view text) {
  try {
    (void)nlohmann::json(std::string(text)).dump();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

// What an API server does with an error: the JSON error body of the answer
// (api/http_client.h). Throws where the server would.
inline void Answer(const Status& status) {
  if (!status.ok()) (void)ErrorResponse(status);
}

}  // namespace drover::fuzz
