// drover queue (alias ls): the jobs, as squeue shows them.
#include <iostream>

#include "api/url_encoding.h"
#include "cmd/drover/api_session.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/job_view.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {

int RunQueue(const Args& args) {
  static const VerbInfo kInfo = {
      "queue", "drover queue [options]   (alias: drover ls)",
      "Lists jobs: pending and running ones by default. TASKS reads\n"
      "active/succeeded/failed of completions; CPUS is per task; TIME is the run\n"
      "time so far; REASON why a job waits (or why it failed)."};
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("all,a", po::bool_switch(), "include finished jobs")
      ("user,u", po::value<std::string>(), "only this user's jobs")
      ("state,t", po::value<std::string>(), "only jobs in these states (comma list: Pending,Running,...)")
      ("start", po::bool_switch(), "show the (estimated) start time")
      ("output,o", po::value<std::string>()->default_value(""), "table (default), json or yaml");
  // clang-format on
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, false, &vm)) return *exit;
  auto format = ParseOutputFormat(vm["output"].as<std::string>());
  if (!format.ok()) return ReportUsage("queue", format.status().message());

  std::string phases;
  if (vm.count("state")) {
    std::string list = vm["state"].as<std::string>();
    size_t pos = 0;
    while (pos <= list.size()) {
      size_t comma = list.find(',', pos);
      if (comma == std::string::npos) comma = list.size();
      auto phase = ParseJobPhaseName(list.substr(pos, comma - pos));
      if (!phase.ok()) return ReportUsage("queue", phase.status().message());
      if (!phases.empty()) phases += ',';
      phases += JobPhaseName(*phase);
      pos = comma + 1;
    }
  } else if (!vm["all"].as<bool>()) {
    phases = "Pending,Running";
  }
  std::string target = "/api/v1/jobs";
  std::string sep = "?";
  if (!phases.empty()) {
    target += sep + "phase=" + PercentEncode(phases);
    sep = "&";
  }
  if (vm.count("user")) target += sep + "user=" + PercentEncode(vm["user"].as<std::string>());

  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  auto list = session->GetJson(target);
  if (!list.ok()) return ReportError(list.status());
  if (*format != OutputFormat::kTable) {
    PrintStructured(*list, *format);
    return kExitOk;
  }
  std::vector<Job> jobs;
  if (list->contains("items") && (*list)["items"].is_array()) {
    for (const Json& item : (*list)["items"]) {
      auto job = JobFromJson(item);
      if (!job.ok()) {
        return ReportError(
            Status::Internal("droverd sent a malformed job: " + job.status().ToString()));
      }
      jobs.push_back(std::move(*job));
    }
  }
  std::cout << QueueTable(jobs, NowMs(), vm["start"].as<bool>()).Render();
  return kExitOk;
}

}  // namespace drover::cli
