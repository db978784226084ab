// drover cancel JOB...: cancels each job; fails if any could not be cancelled.
#include <iostream>

#include "cmd/drover/api_session.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/job_view.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {

int RunCancel(const Args& args) {
  static const VerbInfo kInfo = {
      "cancel", "drover cancel JOB [JOB...]",
      "Cancels jobs: pending tasks never start, running ones get SIGTERM, then\n"
      "SIGKILL after a grace period. Each JOB is tried; the exit code is 1 if any\n"
      "could not be cancelled (not found, already finished, not yours)."};
  po::options_description desc("Options");
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, true, &vm)) return *exit;
  std::vector<std::string> words = PositionalArgs(vm);
  if (words.empty()) return ReportUsage("cancel", "give at least one JOB");
  std::vector<uint64_t> ids;
  for (const std::string& w : words) {
    auto ref = ParseJobRef(w);
    if (!ref.ok()) return ReportUsage("cancel", ref.status().message());
    if (ref->index) {
      return ReportUsage("cancel",
                         "cancelling one task of a job is not supported yet (\"" + w + "\")");
    }
    ids.push_back(ref->id);
  }

  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  int exit = kExitOk;
  for (uint64_t id : ids) {
    auto answer = session->PostJson("/api/v1/jobs/" + std::to_string(id) + "/cancel", Json());
    if (!answer.ok()) {
      int code = ReportError(answer.status());
      if (code == kExitUnreachable) return code;
      exit = code;
      continue;
    }
    std::cout << "job " << id << " cancelled" << std::endl;
  }
  return exit;
}

}  // namespace drover::cli
