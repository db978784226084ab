#include "cmd/drover/text_format.h"

#include <cstdio>
#include <ctime>

namespace drover::cli {

std::string FormatElapsed(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  int64_t days = seconds / 86400;
  int64_t h = (seconds / 3600) % 24;
  int64_t m = (seconds / 60) % 60;
  int64_t s = seconds % 60;
  char buf[64];
  if (days > 0) {
    std::snprintf(buf, sizeof buf, "%lld-%02lld:%02lld:%02lld", static_cast<long long>(days),
                  static_cast<long long>(h), static_cast<long long>(m), static_cast<long long>(s));
  } else if (h > 0) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(h),
                  static_cast<long long>(m), static_cast<long long>(s));
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(m),
                  static_cast<long long>(s));
  }
  return buf;
}

std::string FormatTimeLimit(int64_t seconds) {
  return seconds <= 0 ? "UNLIMITED" : FormatElapsed(seconds);
}

std::string FormatLocalTime(int64_t unix_ms) {
  if (unix_ms == 0) return "";
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  struct tm tm;
  localtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string FormatBytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"Ki", "Mi", "Gi", "Ti", "Pi"};
  if (bytes < 1024) return std::to_string(bytes < 0 ? 0 : bytes);
  double v = static_cast<double>(bytes);
  int unit = -1;
  while (v >= 1024 && unit < 4) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  if (v < 10 && v != static_cast<double>(static_cast<int64_t>(v))) {
    std::snprintf(buf, sizeof buf, "%.1f%s", v, kUnits[unit]);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f%s", v, kUnits[unit]);
  }
  return buf;
}

}  // namespace drover::cli
