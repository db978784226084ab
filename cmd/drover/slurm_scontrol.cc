// scontrol: Slurm's admin and inspection command (this binary by that
// name): show job|node|partition|hostnames|hostlist, hold, release, requeue,
// update job. Its "Key=Value" output is Slurm's, so scripts that grep it keep working.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "api/hostlist.h"
#include "api/json_codec.h"
#include "api/quantities.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/job_requests.h"
#include "cmd/drover/job_view.h"
#include "cmd/drover/slurm_cli.h"
#include "cmd/drover/slurm_job_format.h"
#include "cmd/drover/text_format.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {
namespace {

constexpr char kUsage[] =
    "scontrol show job [ID] | show node [NAME] | show partition | show hostnames LIST |\n"
    "         show hostlist NAMES | hold ID... | release ID... | requeue ID... |\n"
    "         update JobId=ID [TimeLimit=[+-]TIME] [Priority=N] [Nice[=N]] [ArrayTaskThrottle=N]";

std::string Field(const std::string& format, const Job& job, const std::string& nodes) {
  auto fields = ParseSqueueFormat(format);
  return SqueueLine(*fields, {&job, nodes}, NowMs());
}

std::string ShowJob(const Job& job, const std::string& nodes) {
  const JobSpec& s = job.spec;
  std::string deps;
  for (const JobDependency& d : s.dependencies) {
    deps += (deps.empty() ? "" : ",") + d.type + ":" + std::to_string(d.job_id);
  }
  std::ostringstream out;
  out << "JobId=" << job.id << " JobName=" << job.metadata.name << "\n"
      << "   UserId=" << job.owner.user << "(" << job.owner.uid << ") GroupId=" << job.owner.gid
      << "(" << job.owner.gid << ")\n"
      << "   Priority=" << (s.priority - s.nice) << " Nice=" << s.nice
      << " Account=" << (s.account.empty() ? "(null)" : s.account)
      << " QOS=" << (s.qos.empty() ? "normal" : s.qos) << "\n"
      << "   JobState=" << SlurmStateName(job) << " Reason=" << SlurmReason(job)
      << " Dependency=" << (deps.empty() ? "(null)" : deps) << "\n"
      << "   Requeue=" << (s.requeue ? 1 : 0) << " Restarts=0 BatchFlag=1\n"
      << "   RunTime=" << Field("%M", job, nodes) << " TimeLimit=" << Field("%l", job, nodes)
      << "\n"
      << "   SubmitTime=" << Field("%V", job, nodes) << " StartTime=" << Field("%S", job, nodes)
      << " EndTime=" << Field("%e", job, nodes) << "\n"
      << "   Partition=" << s.queue << "\n"
      << "   NodeList=" << (nodes.empty() ? "(null)" : nodes) << "\n"
      << "   NumNodes=" << std::max<int32_t>(1, s.nodes) << " NumCPUs=" << Field("%C", job, nodes)
      << " NumTasks=" << s.completions << " CPUs/Task=" << s.task.resources.cpus << "\n";
  if (s.completion_mode == CompletionMode::kIndexed) {
    out << "   ArrayJobId=" << job.id << " ArrayTaskId=" << Field("%K", job, nodes)
        << " ArrayTaskThrottle=" << s.parallelism << "\n";
  }
  out << "   MinMemoryNode=" << (s.task.resources.memory_bytes >> 20) << "M\n"
      << "   WorkDir=" << s.task.working_dir << "\n"
      << "   StdOut=" << (s.task.stdout_path.empty() ? "(node log)" : s.task.stdout_path) << "\n";
  if (!job.status.message.empty()) out << "   Comment=" << job.status.message << "\n";
  return out.str();
}

std::string ShowNode(const Node& node) {
  const NodeStatus& st = node.status;
  std::string state = st.phase != NodePhase::kReady ? "DOWN"
                      : st.allocated_cpus == 0      ? "IDLE"
                      : st.allocated_cpus >= static_cast<int32_t>(st.topology.cores.size())
                          ? "ALLOCATED"
                          : "MIXED";
  if (node.spec.draining || node.spec.unschedulable) state += "+DRAIN";
  std::string labels;
  for (const auto& [k, v] : node.metadata.labels)
    labels += (labels.empty() ? "" : ",") + k + "=" + v;
  std::ostringstream out;
  out << "NodeName=" << node.metadata.name << " Arch=x86_64\n"
      << "   CPUAlloc=" << st.allocated_cpus << " CPUTot=" << st.topology.cores.size() << "\n"
      << "   AvailableFeatures=" << (labels.empty() ? "(null)" : labels) << "\n"
      << "   RealMemory=" << (st.topology.memory_bytes >> 20)
      << " AllocMem=" << (st.allocated_memory_bytes >> 20) << " Sockets=" << st.topology.packages
      << "\n"
      << "   State=" << state << " Partitions=default\n";
  if (!node.spec.reason.empty()) out << "   Reason=" << node.spec.reason << "\n";
  return out.str();
}

bool SameKey(std::string a, std::string b) {
  std::transform(a.begin(), a.end(), a.begin(), [](unsigned char c) { return std::tolower(c); });
  std::transform(b.begin(), b.end(), b.begin(), [](unsigned char c) { return std::tolower(c); });
  return a == b;
}

Result<int64_t> WholeNumber(const std::string& key, const std::string& text) {
  char* end = nullptr;
  const long long n = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') {
    return Status::Invalid(key, "Invalid " + key + " value: " + text);
  }
  return static_cast<int64_t>(n);
}

// scontrol update JobId=ID Key=Value...: the job's fields, changed in one
// request (all or nothing, as droverd applies them).
int RunUpdate(const Args& args) {
  uint64_t id = 0;
  Json body = Json::object();
  std::vector<std::string> words(args.begin() + 1, args.end());
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    const size_t eq = w.find('=');
    const std::string key = w.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : w.substr(eq + 1);
    // "job ID", as well as "JobId=ID" and "Job=ID".
    if (eq == std::string::npos && SameKey(key, "job") && i + 1 < words.size()) {
      value = words[++i];
    }
    if (SameKey(key, "jobid") || SameKey(key, "job")) {
      auto ref = ParseJobRef(value);
      if (!ref.ok() || ref->id == 0 || ref->index) {
        return SlurmError("scontrol", "Invalid job id specified: " + value);
      }
      id = ref->id;
    } else if (SameKey(key, "timelimit")) {
      body["timeLimit"] = value;  // resolved below: it may be relative to the current one
    } else if (SameKey(key, "priority")) {
      auto n = WholeNumber("Priority", value);
      if (!n.ok()) return SlurmError("scontrol", n.status().message());
      body["priority"] = *n;
    } else if (SameKey(key, "nice")) {
      auto n = eq == std::string::npos ? Result<int64_t>(int64_t{100}) : WholeNumber("Nice", value);
      if (!n.ok()) return SlurmError("scontrol", n.status().message());
      body["nice"] = *n;
    } else if (SameKey(key, "arraytaskthrottle")) {
      auto n = WholeNumber("ArrayTaskThrottle", value);
      if (!n.ok()) return SlurmError("scontrol", n.status().message());
      body["arrayTaskThrottle"] = *n;
    } else {
      return SlurmError("scontrol", "Update of this parameter is not supported: " + w);
    }
  }
  if (id == 0) return SlurmError("scontrol", "update needs JobId=ID (" + std::string(kUsage) + ")");
  if (body.empty()) return SlurmError("scontrol", "No changes specified");
  auto s = ApiSession::FromEnvironment();
  if (!s.ok()) return SlurmError("scontrol", FormatError(s.status()));
  if (body.contains("timeLimit")) {
    std::string text = body["timeLimit"].get<std::string>();
    const char sign = text.empty() ? '\0' : text[0];
    if (sign == '+' || sign == '-') text = text.substr(1);
    auto seconds = ParseSlurmDuration(text);
    if (!seconds.ok()) return SlurmError("scontrol", "Invalid TimeLimit value: " + text);
    int64_t limit = *seconds;
    if (sign == '+' || sign == '-') {
      auto job = FetchJob(*s, id);
      if (!job.ok()) return SlurmError("scontrol", FormatError(job.status()));
      limit = job->spec.task.time_limit_s + (sign == '+' ? limit : -limit);
    }
    body["timeLimit"] = limit;
  }
  auto answer = s->PostJson("/api/v1/jobs/" + std::to_string(id) + "/update", body);
  if (!answer.ok()) return SlurmError("scontrol", answer.status().message());
  return kExitOk;
}

}  // namespace

int RunScontrol(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "help") {
    std::cout << "Usage: " << kUsage << "\n";
    return args.empty() ? kExitFailed : kExitOk;
  }
  const std::string& verb = args[0];
  auto session = [] { return ApiSession::FromEnvironment(); };
  if (verb == "hold" || verb == "release" || verb == "uhold" || verb == "requeue") {
    if (args.size() < 2) return SlurmError("scontrol", verb + " needs a job id");
    auto s = session();
    if (!s.ok()) return SlurmError("scontrol", FormatError(s.status()));
    int exit = kExitOk;
    for (size_t i = 1; i < args.size(); ++i) {
      auto ref = ParseJobRef(args[i]);
      if (!ref.ok() || ref->id == 0 || ref->index) {
        exit = SlurmError("scontrol", "Invalid job id specified: " + args[i]);
        continue;
      }
      const std::string action = verb == "uhold" ? "hold" : verb;
      auto answer = s->PostJson("/api/v1/jobs/" + std::to_string(ref->id) + "/" + action, Json());
      if (!answer.ok()) exit = SlurmError("scontrol", answer.status().message());
    }
    return exit;
  }
  if (verb == "update") return RunUpdate(args);
  if (verb != "show" || args.size() < 2) {
    return SlurmError("scontrol", "\"" + verb + "\" is not supported by Drover yet (" +
                                      std::string(kUsage) + ")");
  }
  const std::string& what = args[1];
  const std::string name = args.size() > 2 ? args[2] : "";
  if (what == "hostnames") {
    auto names = ExpandHostlist(name);
    if (!names.ok()) return SlurmError("scontrol", names.status().message());
    for (const std::string& n : *names) std::cout << n << "\n";
    return kExitOk;
  }
  if (what == "hostlist") {
    auto names = ExpandHostlist(name);
    if (!names.ok()) return SlurmError("scontrol", names.status().message());
    std::cout << CompressHostlist(*names) << "\n";
    return kExitOk;
  }
  auto s = session();
  if (!s.ok()) return SlurmError("scontrol", FormatError(s.status()));
  if (what == "job" || what == "jobs") {
    std::vector<Job> jobs;
    if (!name.empty()) {
      auto ref = ParseJobRef(name);
      if (!ref.ok() || ref->id == 0) return SlurmError("scontrol", "Invalid job id specified");
      auto job = FetchJob(*s, ref->id);
      if (!job.ok()) return SlurmError("scontrol", "Invalid job id specified");
      jobs.push_back(std::move(*job));
    } else {
      auto all = ListJobs(*s, true);
      if (!all.ok()) return SlurmError("scontrol", FormatError(all.status()));
      jobs = std::move(*all);
    }
    for (size_t i = 0; i < jobs.size(); ++i) {
      const std::string nodes =
          jobs[i].status.phase == JobPhase::kRunning ? RunningNodes(*s, jobs[i].id) : "";
      std::cout << (i > 0 ? "\n" : "") << ShowJob(jobs[i], nodes);
    }
    return kExitOk;
  }
  if (what == "node" || what == "nodes") {
    auto list = s->GetJson("/api/v1/nodes");
    if (!list.ok()) return SlurmError("scontrol", FormatError(list.status()));
    bool found = false;
    for (const Json& item : list->value("items", Json::array())) {
      auto node = NodeFromJson(item);
      if (!node.ok()) continue;
      if (!name.empty() && node->metadata.name != name) continue;
      std::cout << (found ? "\n" : "") << ShowNode(*node);
      found = true;
    }
    if (!found && !name.empty()) return SlurmError("scontrol", "Node " + name + " not found");
    return kExitOk;
  }
  if (what == "partition" || what == "partitions") {
    std::cout << "PartitionName=default\n   AllowGroups=ALL Default=YES\n   MaxTime=UNLIMITED "
                 "State=UP\n";
    return kExitOk;
  }
  return SlurmError("scontrol", "show " + what + " is not supported by Drover yet");
}

}  // namespace drover::cli
