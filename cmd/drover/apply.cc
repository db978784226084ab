// drover apply -f FILE: creates the jobs a YAML or JSON manifest describes,
// and creates or updates its Deployments (the same manifest twice changes
// nothing; a changed template rolls out a new revision).
#include <iostream>

#include "api/daemon_set_json.h"
#include "api/deployment_json.h"
#include "api/stateful_set_json.h"
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
      "Applies YAML or JSON manifests (kind: Job, Deployment, DaemonSet or\n"
      "StatefulSet; several documents separated by \"---\", or a kind: List).\n"
      "FILE \"-\" reads standard input.\n"
      "Every document is checked before anything is sent, and each file is applied\n"
      "atomically: all of its objects, or none. Jobs are created; a Deployment\n"
      "or DaemonSet is created, or updated to the manifest (unchanged if it says\n"
      "what it already is; a new template rolls out a new revision).\n"
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

  // Every file is read and checked before anything is sent; each file is
  // then applied in one request, all of its objects or none.
  std::string cwd = CurrentDir();
  std::vector<std::pair<std::string, Json>> files;  // source, {"items": [...]}
  for (const std::string& file : vm["filename"].as<std::vector<std::string>>()) {
    std::string text;
    if (file == "-") {
      text = ReadStdin();
    } else {
      auto read = ReadFile(file);
      if (!read.ok()) return ReportError(read.status());
      text = std::move(*read);
    }
    const std::string source = file == "-" ? "stdin" : file;
    auto parsed = ObjectsFromManifest(text, source, cwd);
    if (!parsed.ok()) return ReportError(parsed.status());
    Json items = Json::array();
    for (const Deployment& d : parsed->deployments) items.push_back(ToJson(d));
    for (const DaemonSet& ds : parsed->daemon_sets) items.push_back(ToJson(ds));
    for (const StatefulSet& ss : parsed->stateful_sets) items.push_back(ToJson(ss));
    for (const Job& job : parsed->jobs) items.push_back(ToJson(job));
    if (!items.empty()) files.emplace_back(source, Json{{"items", std::move(items)}});
  }
  if (files.empty()) {
    std::cerr << "error: no objects in the manifest\n";
    return kExitFailed;
  }

  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  int exit = kExitOk;
  std::vector<uint64_t> created_jobs;
  for (const auto& [source, body] : files) {
    auto applied = session->PostJson("/api/v1/apply", body);
    if (!applied.ok()) {
      std::cerr << source << ": nothing applied: ";
      exit = ReportError(applied.status());
      if (exit == kExitUnreachable) return exit;
      continue;
    }
    for (const Json& item : applied->value("items", Json::array())) {
      const std::string kind = item.value("kind", "");
      if (kind == "Job") {
        const uint64_t id = item.value("id", uint64_t{0});
        std::cout << "job/" << item.value("name", "") << " created (id " << id << ")" << std::endl;
        created_jobs.push_back(id);
      } else {
        std::string lower = kind;
        for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        std::cout << lower << "/" << item.value("name", "") << " " << item.value("result", "")
                  << std::endl;
      }
    }
  }
  if (!vm["wait"].as<bool>()) return exit;
  for (uint64_t id : created_jobs) {
    auto done = WaitForJob(*session, id);
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
