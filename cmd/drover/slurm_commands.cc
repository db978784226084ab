// squeue, scancel and sinfo: Slurm's commands (this binary called by their
// names) as thin fronts on droverd's API, with Slurm's options, output and
// exit codes (errors are "NAME: error: ..." and exit 1).
#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "api/hostlist.h"
#include "api/index_set.h"
#include "api/json_codec.h"
#include "api/url_encoding.h"
#include "cmd/drover/api_session.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/job_view.h"
#include "cmd/drover/slurm_cli.h"
#include "cmd/drover/slurm_job_format.h"
#include "cmd/drover/submit_options.h"
#include "cmd/drover/text_format.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {

namespace {

// squeue -s: a line per running step of `job`, in Slurm's default step format
// (%.15i %.8j %.9P %.8u %.9M %N).
void PrintRunningSteps(ApiSession& session, const Job& job, int64_t now) {
  auto tasks = session.GetJson("/api/v1/jobs/" + std::to_string(job.id) + "/steps");
  if (!tasks.ok()) return;
  struct Step {
    std::string name, nodelist;
    int64_t start_ms = 0;
    bool running = false;
  };
  std::map<int64_t, Step> by_id;
  for (const Json& item : (*tasks)["items"]) {
    auto task = TaskFromJson(item);
    if (!task.ok()) continue;
    Step& step = by_id[task->spec.step.id];
    step.name = task->spec.step.name;
    step.nodelist = task->spec.step.nodelist;
    step.running |= !IsTerminal(task->status.phase);
    const int64_t created = task->metadata.creation_time_ms;
    if (step.start_ms == 0 || (created > 0 && created < step.start_ms)) step.start_ms = created;
  }
  auto cell = [](const std::string& text, size_t width) {
    std::string v = text.substr(0, width);
    return std::string(width - v.size(), ' ') + v;
  };
  for (const auto& [id, step] : by_id) {
    if (!step.running) continue;
    const int64_t elapsed =
        step.start_ms > 0 ? std::max<int64_t>(0, now - step.start_ms) / 1000 : 0;
    std::cout << cell(std::to_string(job.id) + "." + std::to_string(id), 15) << " "
              << cell(step.name, 8) << " " << cell(job.spec.queue, 9) << " "
              << cell(job.owner.user, 8) << " " << cell(FormatElapsed(elapsed), 9) << " "
              << step.nodelist << "\n";
  }
}

}  // namespace

int RunSqueue(const Args& args) {
  po::options_description desc("squeue options");
  // clang-format off
  desc.add_options()
      ("noheader,h", po::bool_switch(), "no header line")
      ("jobs,j", po::value<std::string>(), "only these job ids (comma list)")
      ("user,u", po::value<std::string>(), "only these users' jobs (comma list)")
      ("me", po::bool_switch(), "only your jobs")
      ("states,t", po::value<std::string>(), "only these states: PD,R,CD,F,CA,TO,NF (or names, or all)")
      ("partition,p", po::value<std::string>(), "only these partitions (Drover's queues)")
      ("name,n", po::value<std::string>(), "only jobs of these names")
      ("account,A", po::value<std::string>(), "only these accounts")
      ("qos,q", po::value<std::string>(), "only these QoS")
      ("format,o", po::value<std::string>(), "fields, as %.18i %.9P %.8j %.8u %.2t %.10M %.6D %R")
      ("Format,O", po::value<std::string>(), "fields by name: JobID,Name:20,State,...")
      ("long,l", po::bool_switch(), "the long format (state names, time limits)")
      ("start", po::bool_switch(), "pending jobs with their expected start times")
      ("steps,s", po::bool_switch(), "running job steps (srun), a line each")
      ("all,a", po::bool_switch(), "accepted (every partition is shown already)")
      ("array,r", po::bool_switch(), "accepted (arrays are one line: ID_[indexes])")
      ("verbose,v", po::bool_switch(), "accepted");
  // clang-format on
  po::variables_map vm;
  if (auto exit = ParseSlurmArgs("squeue", "squeue [options]", desc, args, &vm)) return *exit;
  const bool header = !vm["noheader"].as<bool>();
  const bool steps = vm["steps"].as<bool>();
  std::string format_text = vm["long"].as<bool>() ? kSqueueLongFormat : kSqueueDefaultFormat;
  if (vm["start"].as<bool>()) format_text = "%.18i %.9P %.8j %.8u %.2t %.19S %.6D %R";
  if (vm.count("format")) format_text = vm["format"].as<std::string>();
  auto format = vm.count("Format") ? ParseSqueueLongFormat(vm["Format"].as<std::string>())
                                   : ParseSqueueFormat(format_text);
  if (!format.ok()) return SlurmError("squeue", format.status().message());

  const std::set<std::string> ids = CommaList(vm, "jobs");
  std::set<std::string> users = CommaList(vm, "user");
  if (vm["me"].as<bool>()) users.insert(CurrentUserName());
  const std::set<std::string> states = CommaList(vm, "states");
  const std::set<std::string> partitions = CommaList(vm, "partition");
  const std::set<std::string> names = CommaList(vm, "name");
  const std::set<std::string> accounts = CommaList(vm, "account");
  const std::set<std::string> qos = CommaList(vm, "qos");

  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return SlurmError("squeue", FormatError(session.status()));
  // Finished jobs only when asked for by id or by state, as Slurm keeps them a while.
  auto jobs = ListJobs(*session, !ids.empty() || !states.empty());
  if (!jobs.ok()) return SlurmError("squeue", FormatError(jobs.status()));
  bool wants_nodes = false;
  for (const SqueueField& f : *format) wants_nodes |= f.letter == 'R' || f.letter == 'N';
  if (header) {
    std::cout << (steps ? "         STEPID     NAME PARTITION     USER      TIME NODELIST"
                        : SqueueHeader(*format))
              << "\n";
  }
  const int64_t now = NowMs();
  for (const Job& job : *jobs) {
    auto in = [](const std::set<std::string>& set, const std::string& v) {
      return set.empty() || set.count(v) > 0;
    };
    if (!in(ids, std::to_string(job.id)) || !in(users, job.owner.user) ||
        !in(partitions, job.spec.queue) || !in(names, job.metadata.name) ||
        !in(accounts, job.spec.account) ||
        !in(qos, job.spec.qos.empty() ? "normal" : job.spec.qos)) {
      continue;
    }
    if (!states.empty()) {
      bool match = false;
      for (const std::string& s : states) match |= SlurmStateMatches(s, job);
      if (!match) continue;
    }
    if (vm["start"].as<bool>() && job.status.phase != JobPhase::kPending) continue;
    if (steps) {
      if (job.status.phase == JobPhase::kRunning) PrintRunningSteps(*session, job, now);
      continue;
    }
    SqueueRow row{&job, ""};
    if (wants_nodes && job.status.phase == JobPhase::kRunning) {
      row.nodelist = RunningNodes(*session, job.id);
    }
    std::cout << SqueueLine(*format, row, now) << "\n";
  }
  return kExitOk;
}

int RunScancel(const Args& args) {
  po::options_description desc("scancel options");
  // clang-format off
  desc.add_options()
      ("name,n", po::value<std::string>(), "cancel the jobs of this name")
      ("user,u", po::value<std::string>(), "cancel this user's jobs")
      ("me", po::bool_switch(), "cancel your jobs")
      ("state,t", po::value<std::string>(), "only jobs in this state (PENDING, RUNNING)")
      ("partition,p", po::value<std::string>(), "only jobs of this partition")
      ("signal,s", po::value<std::string>(), "send this signal to the job's steps instead")
      ("batch,b", po::bool_switch(), "with --signal: to the batch script (and what it started) only")
      ("full,f", po::bool_switch(), "with --signal: to the batch script and every step")
      ("quiet,q", po::bool_switch(), "no message for jobs already ended")
      ("verbose,v", po::bool_switch(), "say what is cancelled");
  // clang-format on
  po::variables_map vm;
  if (auto exit =
          ParseSlurmArgs("scancel", "scancel [options] [JOB_ID[_INDEX]...]", desc, args, &vm)) {
    return *exit;
  }
  std::optional<int32_t> signal;
  if (vm.count("signal")) {
    auto parsed = ParseSignalName(vm["signal"].as<std::string>());
    if (!parsed.ok()) return SlurmError("scancel", "Invalid signal: " + parsed.status().message());
    signal = *parsed;
  }
  const std::string to = vm["full"].as<bool>()    ? "full"
                         : vm["batch"].as<bool>() ? "batch"
                                                  : "steps";
  std::vector<std::string> words = PositionalArgs(vm);
  const bool filtered = vm.count("name") || vm.count("user") || vm["me"].as<bool>() ||
                        vm.count("state") || vm.count("partition");
  if (words.empty() && !filtered) return SlurmError("scancel", "No job identification provided");
  std::set<uint64_t> targets;
  std::map<uint64_t, std::string> array_tasks;  // JOB_TASK words: job -> "3,5"
  for (const std::string& w : words) {
    // Slurm's bracket form: "12_[1-3,7]" names those array tasks.
    const size_t open = w.find("_[");
    if (open != std::string::npos && open > 0 && w.back() == ']') {
      const std::string job = w.substr(0, open);
      auto set = IndexSet::Parse(w.substr(open + 2, w.size() - open - 3));
      if (job.size() > 19 || !std::all_of(job.begin(), job.end(), ::isdigit) || !set.ok() ||
          set->empty() || std::stoull(job) == 0) {
        return SlurmError("scancel", "Invalid job id " + w);
      }
      std::string& list = array_tasks[std::stoull(job)];
      list += (list.empty() ? "" : ",") + set->ToString();
      continue;
    }
    auto ref = ParseJobRef(w);
    if (!ref.ok() || ref->id == 0) return SlurmError("scancel", "Invalid job id " + w);
    if (ref->index) {
      std::string& list = array_tasks[ref->id];
      list += (list.empty() ? "" : ",") + std::to_string(*ref->index);
      continue;
    }
    targets.insert(ref->id);
  }
  if (!array_tasks.empty() && (signal || filtered)) {
    return SlurmError("scancel",
                      "one array task (JOB_TASK) is cancelled only alone: with "
                      "--signal or a filter, name the whole job; nothing was done");
  }
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return SlurmError("scancel", FormatError(session.status()));
  if (filtered) {
    // With filters, the ids given (if any) are cancelled only where they match.
    auto jobs = ListJobs(*session, false);
    if (!jobs.ok()) return SlurmError("scancel", FormatError(jobs.status()));
    std::string user = vm.count("user") ? vm["user"].as<std::string>() : "";
    if (vm["me"].as<bool>()) user = CurrentUserName();
    std::set<uint64_t> matching;
    for (const Job& job : *jobs) {
      if (!words.empty() && !targets.count(job.id)) continue;
      if (vm.count("name") && job.metadata.name != vm["name"].as<std::string>()) continue;
      if (!user.empty() && job.owner.user != user) continue;
      if (vm.count("partition") && job.spec.queue != vm["partition"].as<std::string>()) continue;
      if (vm.count("state") && !SlurmStateMatches(vm["state"].as<std::string>(), job)) continue;
      matching.insert(job.id);
    }
    targets = std::move(matching);
  }
  int exit = kExitOk;
  for (uint64_t id : targets) {
    if (signal) {
      // scancel -s: a signal to the running tasks, the job goes on.
      auto answer = session->PostJson("/api/v1/jobs/" + std::to_string(id) + "/signal",
                                      Json{{"signal", *signal}, {"targets", to}});
      if (!answer.ok()) {
        std::cerr << "scancel: error: Signal " << *signal << " to job " << id
                  << " failed: " << answer.status().message() << "\n";
        exit = kExitFailed;
      } else if (vm["verbose"].as<bool>()) {
        std::cerr << "scancel: Signal " << *signal << " to job " << id << " ("
                  << answer->value("signalled", 0) << " tasks)\n";
      }
      continue;
    }
    auto answer = session->PostJson("/api/v1/jobs/" + std::to_string(id) + "/cancel", Json());
    if (!answer.ok()) {
      if (answer.status().code() == StatusCode::kConflict && vm["quiet"].as<bool>()) continue;
      std::cerr << "scancel: error: Kill job error on job id " << id << ": "
                << answer.status().message() << "\n";
      exit = kExitFailed;
      continue;
    }
    if (vm["verbose"].as<bool>()) std::cerr << "scancel: Terminating job " << id << "\n";
  }
  for (const auto& [id, indexes] : array_tasks) {
    auto answer = session->PostJson("/api/v1/jobs/" + std::to_string(id) + "/cancel",
                                    Json{{"indexes", indexes}});
    if (!answer.ok()) {
      if (answer.status().code() == StatusCode::kConflict && vm["quiet"].as<bool>()) continue;
      std::cerr << "scancel: error: Kill job error on job id " << id << "_" << indexes << ": "
                << answer.status().message() << "\n";
      exit = kExitFailed;
    } else if (vm["verbose"].as<bool>()) {
      std::cerr << "scancel: Terminating job " << id << "_" << indexes << "\n";
    }
  }
  return exit;
}

int RunSinfo(const Args& args) {
  po::options_description desc("sinfo options");
  // clang-format off
  desc.add_options()
      ("noheader,h", po::bool_switch(), "no header line")
      ("Node,N", po::bool_switch(), "a line per node")
      ("long,l", po::bool_switch(), "accepted")
      ("summarize,s", po::bool_switch(), "partitions only: A/I/O/T node counts");
  // clang-format on
  po::variables_map vm;
  if (auto exit = ParseSlurmArgs("sinfo", "sinfo [options]", desc, args, &vm)) return *exit;
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return SlurmError("sinfo", FormatError(session.status()));
  auto list = session->GetJson("/api/v1/nodes");
  if (!list.ok()) return SlurmError("sinfo", FormatError(list.status()));
  // Slurm's node states: idle, mix(ed), alloc(ated), drain(ing/ed), down.
  std::map<std::string, std::vector<std::string>> by_state;
  std::vector<std::pair<std::string, std::string>> per_node;
  int allocated = 0, idle = 0, other = 0, total = 0;
  for (const Json& item : list->value("items", Json::array())) {
    auto node = NodeFromJson(item);
    if (!node.ok()) return SlurmError("sinfo", "droverd sent a malformed node");
    const NodeStatus& st = node->status;
    const int cores = static_cast<int>(st.topology.cores.size());
    std::string state;
    if (st.phase != NodePhase::kReady) {
      state = "down";
    } else if (node->spec.draining || node->spec.unschedulable) {
      state = st.running_tasks > st.daemon_tasks ? "drng" : "drain";
    } else if (st.allocated_cpus == 0) {
      state = "idle";
    } else {
      state = st.allocated_cpus >= cores ? "alloc" : "mix";
    }
    ++total;
    if (state == "alloc" || state == "mix") {
      ++allocated;
    } else if (state == "idle") {
      ++idle;
    } else {
      ++other;
    }
    by_state[state].push_back(node->metadata.name);
    per_node.emplace_back(node->metadata.name, state);
  }
  const bool header = !vm["noheader"].as<bool>();
  auto pad = [](std::string s, size_t w) {
    if (s.size() < w) s += std::string(w - s.size(), ' ');
    return s;
  };
  if (vm["Node"].as<bool>()) {
    if (header) std::cout << "NODELIST   NODES PARTITION STATE \n";
    for (const auto& [name, state] : per_node) {
      std::cout << pad(name, 10) << " " << pad("1", 5) << " " << pad("default*", 9) << " " << state
                << "\n";
    }
    return kExitOk;
  }
  if (vm["summarize"].as<bool>()) {
    if (header) std::cout << "PARTITION AVAIL  TIMELIMIT   NODES(A/I/O/T) NODELIST\n";
    std::vector<std::string> all;
    for (const auto& [name, state] : per_node) all.push_back(name);
    std::cout << pad("default*", 9) << " " << pad("up", 5) << " " << pad("infinite", 11) << " "
              << pad(std::to_string(allocated) + "/" + std::to_string(idle) + "/" +
                         std::to_string(other) + "/" + std::to_string(total),
                     14)
              << " " << CompressHostlist(all) << "\n";
    return kExitOk;
  }
  if (header) std::cout << "PARTITION AVAIL  TIMELIMIT  NODES  STATE NODELIST\n";
  for (const auto& [state, names] : by_state) {
    std::cout << pad("default*", 9) << " " << pad("up", 5) << " " << pad("infinite", 10) << " "
              << std::string(5 - std::min<size_t>(5, std::to_string(names.size()).size()), ' ')
              << names.size() << " " << std::string(6 - std::min<size_t>(6, state.size()), ' ')
              << state << " " << CompressHostlist(names) << "\n";
  }
  return kExitOk;
}

}  // namespace drover::cli
