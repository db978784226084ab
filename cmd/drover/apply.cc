// drover apply -f FILE: creates the jobs a YAML or JSON manifest describes,
// and creates or updates its Deployments (the same manifest twice changes
// nothing; a changed template rolls out a new revision).
#include <iostream>

#include "api/deployment_json.h"
#include "api/url_encoding.h"
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
      "Applies YAML or JSON manifests (kind: Job or Deployment; several documents\n"
      "separated by \"---\", or a kind: List). FILE \"-\" reads standard input.\n"
      "Every document is checked before anything is sent. Jobs are created; a\n"
      "Deployment is created, or updated to the manifest (unchanged if it says\n"
      "what the Deployment already is; a new template rolls out a new revision).\n"
      "Relative paths in a template are resolved against its workingDir, which\n"
      "defaults to the current directory."};
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
  std::vector<Deployment> deployments;
  for (const std::string& file : vm["filename"].as<std::vector<std::string>>()) {
    std::string text;
    if (file == "-") {
      text = ReadStdin();
    } else {
      auto read = ReadFile(file);
      if (!read.ok()) return ReportError(read.status());
      text = std::move(*read);
    }
    auto parsed = ObjectsFromManifest(text, file == "-" ? "stdin" : file, cwd);
    if (!parsed.ok()) return ReportError(parsed.status());
    for (Job& job : parsed->jobs) jobs.push_back(std::move(job));
    for (Deployment& d : parsed->deployments) deployments.push_back(std::move(d));
  }
  if (jobs.empty() && deployments.empty()) {
    std::cerr << "error: no objects in the manifest\n";
    return kExitFailed;
  }

  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  int exit = kExitOk;
  for (const Deployment& d : deployments) {
    auto applied =
        session->PutJson("/api/v1/deployments/" + PercentEncode(d.metadata.name), ToJson(d));
    if (!applied.ok()) {
      std::cerr << "deployment/" << d.metadata.name << ": ";
      exit = ReportError(applied.status());
      if (exit == kExitUnreachable) return exit;
      continue;
    }
    std::cout << "deployment/" << d.metadata.name << " " << applied->value("result", "applied")
              << std::endl;
  }
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
