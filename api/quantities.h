// The value formats of the API that are text: times, memory quantities and
// durations. Each parser refuses what it cannot represent exactly (an
// impossible date, a quantity past int64, an overflowing duration) with an
// InvalidArgument whose field is empty; callers prefix the field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/json_text.h"
#include "api/status.h"

namespace drover {

// RFC 3339 in UTC with milliseconds ("2026-11-26T15:52:27.123Z"); 0 <-> "".
std::string FormatTime(int64_t unix_ms);
Result<int64_t> ParseTime(std::string_view text);

// A memory quantity: a non-negative integer (bytes) or a Kubernetes quantity
// string ("512Mi", "4Gi", "1G" = 10^9, "1500k").
Result<int64_t> ParseQuantity(const Json& value);
// A duration: integer seconds, or Slurm's forms "MM", "MM:SS", "HH:MM:SS",
// "D-HH", "D-HH:MM", "D-HH:MM:SS". At most kMaxDurationSeconds.
Result<int64_t> ParseDuration(const Json& value);
Result<int64_t> ParseSlurmDuration(std::string_view text);

inline constexpr int64_t kMaxDurationSeconds = int64_t{100} * 365 * 86400;  // a century

}  // namespace drover
