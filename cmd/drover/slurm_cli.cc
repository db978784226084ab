#include "cmd/drover/slurm_cli.h"

#include <pwd.h>
#include <unistd.h>

#include <iostream>

#include "api/hostlist.h"
#include "api/json_codec.h"
#include "api/query_params.h"
#include "api/url_encoding.h"
#include "cmd/drover/exit_code.h"

namespace drover::cli {

int SlurmError(const char* command, const std::string& message) {
  std::cerr << command << ": error: " << message << "\n";
  return kExitFailed;
}

std::optional<int> ParseSlurmArgs(const char* command, const char* usage,
                                  po::options_description desc, const Args& args,
                                  po::variables_map* vm) {
  desc.add_options()("help", "show this help");
  Status parsed = StoreVerbArgs(desc, args, true, vm);
  if (!parsed.ok()) return SlurmError(command, parsed.message());
  if (vm->count("help")) {
    std::cout << "Usage: " << usage << "\n\n" << desc << "\n";
    return kExitOk;
  }
  return std::nullopt;
}

std::set<std::string> CommaList(const po::variables_map& vm, const char* key) {
  if (!vm.count(key)) return {};
  const std::vector<std::string> items = SplitCommaList(vm[key].as<std::string>());
  return {items.begin(), items.end()};
}

std::string CurrentUserName() {
  if (const passwd* pw = getpwuid(getuid())) return pw->pw_name;
  return std::to_string(getuid());
}

Result<std::vector<Job>> ListJobs(ApiSession& session, bool all) {
  std::string target = "/api/v1/jobs";
  if (!all) target += "?phase=" + PercentEncode("Pending,Running");
  auto list = session.GetJson(target);
  if (!list.ok()) return list.status();
  std::vector<Job> jobs;
  for (const Json& item : list->value("items", Json::array())) {
    auto job = JobFromJson(item);
    if (!job.ok())
      return Status::Internal("droverd sent a malformed job: " + job.status().ToString());
    jobs.push_back(std::move(*job));
  }
  return jobs;
}

std::string RunningNodes(ApiSession& session, uint64_t id) {
  auto tasks = session.GetJson("/api/v1/jobs/" + std::to_string(id) + "/tasks");
  if (!tasks.ok()) return "";
  std::vector<std::string> nodes;
  for (const Json& t : tasks->value("items", Json::array())) {
    const std::string phase = t["status"].value("phase", "");
    if (phase == "Running" || phase == "Assigned") nodes.push_back(t["spec"].value("node", ""));
  }
  return CompressHostlist(nodes);
}

}  // namespace drover::cli
