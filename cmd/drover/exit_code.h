// Exit codes of the drover CLI and the one way errors are shown to people.
//
//   0  the operation succeeded
//   1  the operation failed (API error, job failed under --wait, ...)
//   2  usage error (unknown flag, bad flag value)
//   3  droverd cannot be reached (or no cluster is configured)
#pragma once

#include <string>

#include "api/status.h"

namespace drover::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;

// "error: spec.template.resources.cpus: must be between 1 and 16384 (got 0)".
// Codes a person reacts to differently from plain bad input (unschedulable,
// not_found, permission_denied, ...) are named before the field.
std::string FormatError(const Status& status);

// The exit code for a failed operation: 3 for Unavailable (droverd not
// reachable), 1 otherwise.
int ExitCodeFor(const Status& status);

// Prints FormatError(status) on stderr and returns ExitCodeFor(status).
int ReportError(const Status& status);

// Prints "drover VERB: MESSAGE" and a hint to --help on stderr; returns 2.
int ReportUsage(const std::string& verb, const std::string& message);

}  // namespace drover::cli
