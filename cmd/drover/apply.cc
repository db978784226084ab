// drover apply -f FILE: creates the jobs a YAML or JSON manifest describes.
#include <iostream>

#include "api/validation.h"
#include "api/yaml_codec.h"
#include "cmd/drover/api_session.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/file_io.h"
#include "cmd/drover/job_requests.h"
#include "cmd/drover/manifest.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {

int RunApply(const Args& args) {
  static const VerbInfo kInfo = {
      "apply", "drover apply -f FILE [-f FILE...]",
      "Creates the objects of YAML or JSON manifests (kind: Job; several documents\n"
      "separated by \"---\", or a kind: List). FILE \"-\" reads standard input. Every\n"
      "document is checked before any is created. Relative paths in a job's\n"
      "template are resolved against its workingDir, which defaults to the\n"
      "current directory."};
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("filename,f", po::value<std::vector<std::string>>()->composing(),
       "manifest file, or - for standard input")
      ("wait", po::bool_switch(), "wait for the created jobs to end; exit 0 only if all succeeded");
  // clang-format on
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, false, &vm)) return *exit;
  if (!vm.count("filename")) return ReportUsage("apply", "give a manifest with -f FILE");

  std::string cwd = CurrentDir();
  std::vector<Job> jobs;
  for (const std::string& file : vm["filename"].as<std::vector<std::string>>()) {
    std::string text;
    if (file == "-") {
      text = ReadStdin();
    } else {
      auto read = ReadFile(file);
      if (!read.ok()) return ReportError(read.status());
      text = std::move(*read);
    }
    auto parsed = JobsFromManifest(text, file == "-" ? "stdin" : file, cwd);
    if (!parsed.ok()) return ReportError(parsed.status());
    for (Job& job : *parsed) jobs.push_back(std::move(job));
  }
  if (jobs.empty()) {
    std::cerr << "error: no objects in the manifest\n";
    return kExitFailed;
  }

  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  int exit = kExitOk;
  std::vector<Job> created_jobs;
  for (const Job& job : jobs) {
    auto created = CreateJob(*session, job);
    if (!created.ok()) {
      std::cerr << "job/" << job.metadata.name << ": ";
      exit = ReportError(created.status());
      if (exit == kExitUnreachable) return exit;
      continue;
    }
    std::cout << "job/" << created->metadata.name << " created (id " << created->id << ")"
              << std::endl;
    created_jobs.push_back(std::move(*created));
  }
  if (!vm["wait"].as<bool>()) return exit;
  for (const Job& job : created_jobs) {
    auto done = WaitForJob(*session, job.id);
    if (!done.ok()) return ReportError(done.status());
    std::cout << "job/" << done->metadata.name << " " << JobPhaseName(done->status.phase) << " ("
              << done->status.succeeded << " succeeded, " << done->status.failed << " failed)";
    if (!done->status.message.empty()) std::cout << ": " << done->status.message;
    std::cout << std::endl;
    if (done->status.phase != JobPhase::kSucceeded) exit = kExitFailed;
  }
  return exit;
}

}  // namespace drover::cli
