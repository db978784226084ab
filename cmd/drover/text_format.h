// Formatting of times, durations and sizes for people (tables, `show`).
// Pure functions; no clock is read here (callers pass `now`).
#pragma once

#include <cstdint>
#include <string>

namespace drover::cli {

// Slurm's elapsed-time form: "0:05", "12:34", "1:02:03", "2-03:04:05".
// Negative values print as "0:00".
std::string FormatElapsed(int64_t seconds);

// A time limit: "UNLIMITED" for 0, else FormatElapsed.
std::string FormatTimeLimit(int64_t seconds);

// Local time "2026-11-26 15:52:27" for Unix ms; "" for 0.
std::string FormatLocalTime(int64_t unix_ms);

// Binary units with one decimal when short: "512Mi", "1.5Gi", "0" for 0, "800" for bytes.
std::string FormatBytes(int64_t bytes);

}  // namespace drover::cli
