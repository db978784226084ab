// Helpers shared by the fuzz targets: the input as text, invariant checks that
// libFuzzer records as crashes, and the way droverd turns an error into an
// answer (so every error message is also checked to be encodable).
#pragma once

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
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

// A private scratch directory, drover-fuzz-PID under /dev/shm (else TMPDIR),
// removed at exit. A crash skips exit handlers, so directories of processes
// that are gone are removed first.
inline std::string ScratchDir() {
  std::error_code ec;
  std::string base = access("/dev/shm", W_OK) == 0
                         ? "/dev/shm"
                         : std::filesystem::temp_directory_path(ec).string();
  for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("drover-fuzz-", 0) != 0) continue;
    long pid = std::strtol(name.c_str() + 12, nullptr, 10);
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::filesystem::remove_all(entry.path(), ec);
    }
  }
  static std::string dir = base + "/drover-fuzz-" + std::to_string(getpid());
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
    std::abort();
  }
  std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  });
  return dir;
}

// What an API server does with an error: the JSON error body of the answer
// (api/http_client.h). Throws where the server would.
inline void Answer(const Status& status) {
  if (!status.ok()) (void)ErrorResponse(status);
}

}  // namespace drover::fuzz
