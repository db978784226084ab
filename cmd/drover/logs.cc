// drover logs JOB[/INDEX] | deployment/NAME | daemonset/NAME | TASK: a task's
// output, through droverd.
#include <cctype>
#include <chrono>
#include <iostream>
#include <optional>
#include <thread>

#include "api/url_encoding.h"
#include "cmd/drover/api_session.h"
#include "cmd/drover/daemon_set_view.h"
#include "cmd/drover/deployment_requests.h"
#include "cmd/drover/deployment_view.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/job_requests.h"
#include "cmd/drover/job_view.h"
#include "cmd/drover/stateful_set_view.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {
namespace {

// The attempt to read: `wanted`, or the latest one; nullopt if none started.
Result<std::optional<Task>> FindAttempt(ApiSession& session, uint64_t id, int64_t index,
                                        std::optional<int32_t> wanted) {
  auto list = session.GetJson("/api/v1/jobs/" + std::to_string(id) +
                              "/tasks?index=" + std::to_string(index));
  if (!list.ok()) return list.status();
  std::optional<Task> best;
  if (list->contains("items") && (*list)["items"].is_array()) {
    for (const Json& item : (*list)["items"]) {
      auto task = TaskFromJson(item);
      if (!task.ok() || task->spec.index != index) continue;
      if (wanted && task->spec.attempt != *wanted) continue;
      if (!best || task->spec.attempt > best->spec.attempt) best = std::move(*task);
    }
  }
  return best;
}

std::string LogsTarget(uint64_t id, int64_t index, bool stderr_stream, int64_t offset,
                       std::optional<int32_t> attempt) {
  std::string t = "/api/v1/jobs/" + std::to_string(id) + "/logs?index=" + std::to_string(index) +
                  "&stream=" + (stderr_stream ? "stderr" : "stdout") +
                  "&offset=" + std::to_string(offset);
  if (attempt) t += "&attempt=" + std::to_string(*attempt);
  return t;
}

// The task's phase droverd reports with each chunk ("text/plain;
// task-phase=Running"); empty if absent.
std::string TaskPhaseOf(const HttpResponse& response) {
  constexpr std::string_view kKey = "task-phase=";
  size_t pos = response.content_type.find(kKey);
  if (pos == std::string::npos) return {};
  std::string phase = response.content_type.substr(pos + kKey.size());
  return phase.substr(0, phase.find_first_of("; "));
}

bool IsTerminalPhaseName(const std::string& phase) {
  return phase == "Succeeded" || phase == "Failed" || phase == "Cancelled" || phase == "Lost";
}

// Prints the log from `*offset` to what droverd has now, chunk by chunk (it
// sends at most a few MiB at once). Returns the task phase of the last chunk.
Result<std::string> Drain(ApiSession& session, const JobRef& ref, bool stderr_stream,
                          std::optional<int32_t> attempt, int64_t* offset) {
  while (true) {
    auto response =
        session.Get(LogsTarget(ref.id, ref.index.value_or(0), stderr_stream, *offset, attempt));
    if (!response.ok()) return response.status();
    std::cout << response->body << std::flush;
    *offset += static_cast<int64_t>(response->body.size());
    if (response->body.empty()) return TaskPhaseOf(*response);
  }
}

int Follow(ApiSession& session, const JobRef& ref, bool stderr_stream,
           std::optional<int32_t> attempt) {
  int64_t index = ref.index.value_or(0);
  int64_t offset = 0;
  while (true) {
    if (!attempt) {
      // Pin the attempt seen first, so a retry starting meanwhile does not
      // switch streams under the reader.
      auto task = FindAttempt(session, ref.id, index, attempt);
      if (!task.ok()) return ReportError(task.status());
      if (task->has_value()) attempt = (*task)->spec.attempt;
    }
    if (attempt) {
      auto phase = Drain(session, ref, stderr_stream, attempt, &offset);
      if (!phase.ok() && phase.status().code() != StatusCode::kNotFound) {
        return ReportError(phase.status());
      }
      if (phase.ok() && IsTerminalPhaseName(*phase)) return kExitOk;
      if (phase.ok() && phase->empty()) {
        // An older droverd without task-phase: ask the task itself.
        auto task = FindAttempt(session, ref.id, index, attempt);
        if (!task.ok()) return ReportError(task.status());
        if (task->has_value() && IsTerminal((*task)->status.phase)) {
          auto rest = Drain(session, ref, stderr_stream, attempt, &offset);
          return rest.ok() ? kExitOk : ReportError(rest.status());
        }
      }
    } else {
      auto job = FetchJob(session, ref.id);
      if (!job.ok()) return ReportError(job.status());
      if (IsTerminal(job->status.phase)) {
        return ReportError(Status::NotFound("task " + std::to_string(ref.id) + "/" +
                                            std::to_string(index) + " never started (job " +
                                            std::string(JobPhaseName(job->status.phase)) + ")"));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

// A Deployment task's name: DEPLOYMENT-HASH10-SUFFIX5; the Deployment, or "".
std::string DeploymentOfTask(const std::string& task) {
  if (task.size() < 18 || task[task.size() - 6] != '-' || task[task.size() - 17] != '-') return "";
  for (size_t i = task.size() - 16; i < task.size() - 6; ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(task[i]))) return "";
  }
  return task.substr(0, task.size() - 17);
}

// A service's logs: `path` is its object's (DeploymentPath, DaemonSetPath).
std::string ServiceLogsTarget(const std::string& path, const std::string& task,
                              const std::string& node, bool stderr_stream) {
  std::string t = path + "/logs?stream=" + (stderr_stream ? "stderr" : "stdout");
  if (!task.empty()) t += "&task=" + PercentEncode(task);
  if (!node.empty()) t += "&node=" + PercentEncode(node);
  return t;
}

// deployment/NAME or daemonset/NAME: its newest running task's output (a
// DaemonSet's on `node`, if given), or with --all every running task's, each
// line prefixed with its task's name.
int ServiceLogs(ApiSession& session, const std::string& kind, const std::string& name,
                const std::string& task, const std::string& node, bool all, bool stderr_stream) {
  const std::string path = kind == "daemonset" ? DaemonSetPath(name) : DeploymentPath(name);
  if (!all) {
    auto text = session.GetText(ServiceLogsTarget(path, task, node, stderr_stream));
    if (!text.ok()) return ReportError(text.status());
    std::cout << *text << std::flush;
    return kExitOk;
  }
  auto tasks = kind == "daemonset" ? FetchDaemonSetTasks(session, name)
                                   : FetchDeploymentTasks(session, name);
  if (!tasks.ok()) return ReportError(tasks.status());
  for (const Task& t : *tasks) {
    if (t.status.phase != TaskPhase::kRunning) continue;
    if (!node.empty() && t.spec.node != node) continue;
    auto text = session.GetText(ServiceLogsTarget(path, t.metadata.name, "", stderr_stream));
    if (!text.ok()) return ReportError(text.status());
    size_t pos = 0;
    while (pos < text->size()) {
      size_t nl = text->find('\n', pos);
      if (nl == std::string::npos) nl = text->size();
      std::cout << "[" << t.metadata.name << "] " << text->substr(pos, nl - pos) << "\n";
      pos = nl + 1;
    }
  }
  std::cout << std::flush;
  return kExitOk;
}

}  // namespace

int RunLogs(const Args& args) {
  static const VerbInfo kInfo = {
      "logs", "drover logs [options] JOB[/INDEX] | deployment/NAME | daemonset/NAME | TASK",
      "Prints a task's standard output: a job's (index 0 unless given; the latest\n"
      "attempt unless --attempt; -f follows it until the task ends), a\n"
      "Deployment's or DaemonSet's (its newest running task, a DaemonSet's on\n"
      "--node; --all: every running one, each line prefixed with the task's name),\n"
      "or one replica's by its name."};
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("stderr", po::bool_switch(), "standard error instead of standard output")
      ("follow,f", po::bool_switch(), "keep printing new output until the task ends")
      ("attempt", po::value<int32_t>(), "this attempt (0 = the first) instead of the latest")
      ("all", po::bool_switch(), "deployment/NAME, daemonset/NAME: every running task")
      ("node", po::value<std::string>()->default_value(""), "daemonset/NAME: its task on this node")
      ("ordinal", po::value<int32_t>(), "statefulset/NAME: this ordinal's task (default 0)");
  // clang-format on
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, true, &vm)) return *exit;
  std::vector<std::string> words = PositionalArgs(vm);
  if (words.size() != 1) return ReportUsage("logs", "give exactly one JOB[/INDEX]");
  const bool stderr_wanted = vm["stderr"].as<bool>();
  const std::string node = vm["node"].as<std::string>();
  if (auto [kind, name] = SplitKindName(words[0]); kind == "statefulset") {
    if (name.empty()) return ReportUsage("logs", "give statefulset/NAME");
    auto session = ApiSession::FromEnvironment();
    if (!session.ok()) return ReportError(session.status());
    const int32_t ordinal = vm.count("ordinal") ? vm["ordinal"].as<int32_t>() : 0;
    auto text =
        session->GetText(StatefulSetPath(name) + "/logs?ordinal=" + std::to_string(ordinal) +
                         "&stream=" + (stderr_wanted ? "stderr" : "stdout"));
    if (!text.ok()) return ReportError(text.status());
    std::cout << *text << std::flush;
    return kExitOk;
  }
  if (auto [kind, name] = SplitKindName(words[0]); kind == "deployment" || kind == "daemonset") {
    if (name.empty()) return ReportUsage("logs", "give " + kind + "/NAME");
    if (!node.empty() && kind != "daemonset") {
      return ReportUsage("logs", "--node is for daemonset/NAME");
    }
    auto session = ApiSession::FromEnvironment();
    if (!session.ok()) return ReportError(session.status());
    return ServiceLogs(*session, kind, name, "", node, vm["all"].as<bool>(), stderr_wanted);
  }
  if (const std::string owner = DeploymentOfTask(words[0]); !owner.empty()) {
    auto session = ApiSession::FromEnvironment();
    if (!session.ok()) return ReportError(session.status());
    return ServiceLogs(*session, "deployment", owner, words[0], "", false, stderr_wanted);
  }
  auto ref = ParseJobRef(words[0]);
  if (!ref.ok()) return ReportUsage("logs", ref.status().message());
  std::optional<int32_t> attempt;
  if (vm.count("attempt")) attempt = vm["attempt"].as<int32_t>();
  bool stderr_stream = vm["stderr"].as<bool>();

  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  auto id = ResolveJobId(*session, *ref);
  if (!id.ok()) return ReportError(id.status());
  ref->id = *id;
  if (vm["follow"].as<bool>()) return Follow(*session, *ref, stderr_stream, attempt);
  auto text =
      session->GetText(LogsTarget(ref->id, ref->index.value_or(0), stderr_stream, 0, attempt));
  if (!text.ok()) return ReportError(text.status());
  std::cout << *text << std::flush;
  return kExitOk;
}

}  // namespace drover::cli
