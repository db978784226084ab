// drover show JOB: every field of a job, and its tasks.
#include <iostream>

#include "cmd/drover/api_session.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/job_requests.h"
#include "cmd/drover/job_view.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {

int RunShow(const Args& args) {
  static const VerbInfo kInfo = {
      "show", "drover show [options] JOB",
      "Shows every field of a job (as scontrol show job does) and the attempts of\n"
      "its tasks. JOB is the job id, or the name of one job; -o json|yaml prints\n"
      "the API object instead."};
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("output,o", po::value<std::string>()->default_value(""), "table (default), json or yaml")
      ("no-tasks", po::bool_switch(), "do not list the job's tasks");
  // clang-format on
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, true, &vm)) return *exit;
  auto format = ParseOutputFormat(vm["output"].as<std::string>());
  if (!format.ok()) return ReportUsage("show", format.status().message());
  std::vector<std::string> words = PositionalArgs(vm);
  if (words.size() != 1) return ReportUsage("show", "give exactly one JOB");
  auto ref = ParseJobRef(words[0]);
  if (!ref.ok()) return ReportUsage("show", ref.status().message());

  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  auto id = ResolveJobId(*session, *ref);
  if (!id.ok()) return ReportError(id.status());
  ref->id = *id;
  std::string target = "/api/v1/jobs/" + std::to_string(ref->id);
  auto json = session->GetJson(target);
  if (!json.ok()) return ReportError(json.status());
  if (*format != OutputFormat::kTable) {
    PrintStructured(*json, *format);
    return kExitOk;
  }
  auto job = JobFromJson(*json);
  if (!job.ok()) {
    return ReportError(
        Status::Internal("droverd sent a malformed job: " + job.status().ToString()));
  }
  std::vector<Task> tasks;
  if (!vm["no-tasks"].as<bool>()) {
    std::string tasks_target = target + "/tasks";
    if (ref->index) tasks_target += "?index=" + std::to_string(*ref->index);
    auto list = session->GetJson(tasks_target);
    if (!list.ok()) return ReportError(list.status());
    if (list->contains("items") && (*list)["items"].is_array()) {
      for (const Json& item : (*list)["items"]) {
        auto task = TaskFromJson(item);
        if (task.ok()) tasks.push_back(std::move(*task));
      }
    }
  }
  std::cout << DescribeJob(*job, tasks, NowMs());
  return kExitOk;
}

}  // namespace drover::cli
