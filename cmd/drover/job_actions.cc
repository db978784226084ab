// drover cancel|hold|release JOB...: one action on each job, as scancel and
// scontrol hold/release; fails if the action failed on any job.
#include <iostream>

#include "cmd/drover/api_session.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/job_requests.h"
#include "cmd/drover/job_view.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {
namespace {

// POSTs /api/v1/jobs/ID/<action> for each JOB and says `done` for each success.
int RunJobAction(const VerbInfo& info, const std::string& action, const std::string& done,
                 const Args& args) {
  po::options_description desc("Options");
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(info, desc, args, true, &vm)) return *exit;
  std::vector<std::string> words = PositionalArgs(vm);
  if (words.empty()) return ReportUsage(info.name, "give at least one JOB");
  std::vector<JobRef> refs;
  for (const std::string& w : words) {
    auto ref = ParseJobRef(w);
    if (!ref.ok()) return ReportUsage(info.name, ref.status().message());
    if (ref->index) {
      return ReportUsage(
          info.name, "acting on one task of a job is not supported (\"" + w + "\"); give the job");
    }
    refs.push_back(std::move(*ref));
  }

  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  int exit = kExitOk;
  for (const JobRef& ref : refs) {
    auto resolved = ResolveJobId(*session, ref);  // a name: the one job of that name
    if (!resolved.ok()) {
      int code = ReportError(resolved.status());
      if (code == kExitUnreachable) return code;
      exit = code;
      continue;
    }
    const uint64_t id = *resolved;
    auto answer = session->PostJson("/api/v1/jobs/" + std::to_string(id) + "/" + action, Json());
    if (!answer.ok()) {
      int code = ReportError(answer.status());
      if (code == kExitUnreachable) return code;
      exit = code;
      continue;
    }
    std::cout << "job " << id << " " << done << std::endl;
  }
  return exit;
}

}  // namespace

int RunCancel(const Args& args) {
  static const VerbInfo kInfo = {
      "cancel", "drover cancel JOB [JOB...]",
      "Cancels jobs: pending tasks never start, running ones get SIGTERM, then\n"
      "SIGKILL after a grace period. JOB is an id or the name of one job. Each JOB\n"
      "is tried; the exit code is 1 if any could not be cancelled (not found,\n"
      "already finished, not yours, a name several jobs share)."};
  return RunJobAction(kInfo, "cancel", "cancelled", args);
}

int RunHold(const Args& args) {
  static const VerbInfo kInfo = {
      "hold", "drover hold JOB [JOB...]",
      "Holds jobs (scontrol hold): no new task of theirs starts until `drover\n"
      "release`; tasks already running go on. The exit code is 1 if any job could\n"
      "not be held (not found, already finished, not yours)."};
  return RunJobAction(kInfo, "hold", "held", args);
}

int RunRelease(const Args& args) {
  static const VerbInfo kInfo = {
      "release", "drover release JOB [JOB...]",
      "Releases held jobs (scontrol release; also jobs submitted with --hold).\n"
      "The exit code is 1 if any job could not be released."};
  return RunJobAction(kInfo, "release", "released", args);
}

}  // namespace drover::cli
