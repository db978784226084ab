#include "cmd/drover/exit_code.h"

#include <iostream>

namespace drover::cli {

std::string FormatError(const Status& status) {
  std::string out = "error: ";
  switch (status.code()) {
    case StatusCode::kUnschedulable:
    case StatusCode::kConflict:
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
      // Name the kind when it changes what the person should do next.
      out += std::string(StatusCodeName(status.code())) + ": ";
      break;
    default:
      break;
  }
  if (!status.field().empty()) out += status.field() + ": ";
  out += status.message();
  return out;
}

int ExitCodeFor(const Status& status) {
  if (status.ok()) return kExitOk;
  return status.code() == StatusCode::kUnavailable ? kExitUnreachable : kExitFailed;
}

int ReportError(const Status& status) {
  std::cerr << FormatError(status) << "\n";
  return ExitCodeFor(status);
}

int ReportUsage(const std::string& verb, const std::string& message) {
  std::string prefix = verb.empty() ? "drover" : "drover " + verb;
  std::cerr << prefix << ": " << message << "\nTry '" << prefix << " --help'.\n";
  return kExitUsage;
}

}  // namespace drover::cli
