// Validation of objects submitted through the API. Each function returns the
// first problem found as an InvalidArgument naming the field and the rule, or
// Ok. Limits bound sizes so one request cannot exhaust droverd.
#pragma once

#include <cstdint>

#include "api/job.h"
#include "api/status.h"

namespace drover {

inline constexpr int64_t kMaxCompletions = 1'000'000'000;
inline constexpr int64_t kMaxParallelism = 1'000'000;
inline constexpr int32_t kMaxCpusPerTask = 16384;
inline constexpr size_t kMaxArgs = 65536;
inline constexpr size_t kMaxEnvVars = 4096;
inline constexpr size_t kMaxNameLength = 253;
inline constexpr size_t kMaxLabels = 64;
// Slurm bounds --nice at +-(2^31 - 3); Drover keeps it well inside int32 arithmetic.
inline constexpr int32_t kMaxNice = 1'000'000;

// A job as submitted: spec and metadata a user may set.
Status ValidateJobSubmission(const Job& job);

// metadata.labels: at most kMaxLabels, keys of [A-Za-z0-9._/-], values of
// [A-Za-z0-9._-] up to 63 characters.
Status ValidateLabels(const Labels& labels);

// Names of jobs, queues, nodes: 1..253 characters of [A-Za-z0-9._-], starting
// with an alphanumeric character.
Status ValidateName(std::string_view field, std::string_view name);

}  // namespace drover
