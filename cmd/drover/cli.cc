// The verb table and top-level help of the drover CLI.
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "cmd/drover/exit_code.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {
namespace {

struct Verb {
  std::string_view name;
  int (*run)(const Args&);
  std::string_view summary;
};

constexpr Verb kVerbs[] = {
    {"up", RunUp, "start a local cluster (droverd and N nodes) in the background"},
    {"down", RunDown, "stop the local cluster `up` started"},
    {"submit", RunSubmit, "submit a batch job: a script, or --wrap \"command\" (sbatch)"},
    {"apply", RunApply, "create jobs, create or update deployments, from a manifest (-f FILE)"},
    {"queue", RunQueue, "list jobs (squeue); alias: ls"},
    {"ls", RunQueue, ""},
    {"show", RunShow, "every field of one job and its tasks"},
    {"history", RunHistory, "finished jobs, array tasks and steps: state, times, usage (sacct)"},
    {"cancel", RunCancel, "cancel jobs (scancel)"},
    {"hold", RunHold, "keep jobs from starting new tasks (scontrol hold)"},
    {"release", RunRelease, "let held jobs run (scontrol release)"},
    {"nodes", RunNodes, "list the nodes (sinfo)"},
    {"label", RunLabel, "set or remove a node's labels (admins)"},
    {"cordon", RunCordon, "place no new task on a node (admins)"},
    {"uncordon", RunUncordon, "let a cordoned node take tasks again (admins)"},
    {"drain", RunDrain, "empty a node: move its replicas, let its jobs finish (admins)"},
    {"logs", RunLogs, "a task's output: JOB[/INDEX], -f to follow"},
    {"get", RunGet, "list deployments, tasks, jobs or nodes (kubectl get)"},
    {"describe", RunDescribe, "a deployment for people: status, conditions, revisions"},
    {"scale", RunScale, "set a deployment's replicas"},
    {"rollout", RunRollout, "status, history, undo, restart, pause, resume a deployment"},
    {"delete", RunDelete, "delete a deployment or daemonset and stop its tasks"},
    {"endpoints", RunEndpoints, "host:port of a deployment's ready replicas (--watch)"},
    {"token", RunToken, "issue, list or revoke bearer tokens (admins)"},
};

void PrintHelp(std::ostream& out) {
  out << "Usage: drover VERB [options] [args]\n\n"
         "Drover: batch jobs and services on one cluster. Verbs:\n";
  for (const Verb& v : kVerbs) {
    if (v.summary.empty()) continue;
    out << "  " << v.name << std::string(11 - v.name.size(), ' ') << v.summary << "\n";
  }
  out << "\n'drover VERB --help' explains a verb. Commands find droverd through\n"
         "`drover --server LIST VERB ...`, else DROVER_SERVER (and DROVER_TOKEN), else\n"
         "the config `drover up` writes (~/.config/drover/config). LIST may name\n"
         "droverd and its standbys, separated by commas: the one that leads answers.\n"
         "Exit codes: 0 ok, 1 the operation failed, 2 usage error, 3 droverd unreachable.\n";
}

}  // namespace

int RunCli(int argc, char** argv) {
  // Called by a Slurm command's name (a link to this binary), it is that command.
  std::string_view self = argv[0];
  self = self.substr(self.find_last_of('/') == std::string_view::npos ? 0
                                                                      : self.find_last_of('/') + 1);
  const Args rest(argv + 1, argv + argc);
  if (self == "sbatch") return RunSbatch(rest);
  if (self == "squeue") return RunSqueue(rest);
  if (self == "scancel") return RunScancel(rest);
  if (self == "sinfo") return RunSinfo(rest);
  if (self == "scontrol") return RunScontrol(rest);
  if (self == "srun") return RunSrun(rest);
  if (self == "salloc") return RunSalloc(rest);
  if (self == "sacct") return RunSacct(rest);
  // `drover --server LIST VERB ...`: the server for this command, as
  // DROVER_SERVER would name it (and for what it runs, srun in a job).
  while (argc >= 2) {
    std::string_view first = argv[1];
    std::string value;
    if (first == "--server" && argc >= 3) {
      value = argv[2];
      argv += 2;
      argc -= 2;
    } else if (first.starts_with("--server=")) {
      value = first.substr(9);
      argv += 1;
      argc -= 1;
    } else {
      break;
    }
    if (value.empty()) return ReportUsage("", "--server wants an address (or a list)");
    ::setenv("DROVER_SERVER", value.c_str(), 1);
  }
  if (argc < 2) {
    PrintHelp(std::cerr);
    return kExitUsage;
  }
  std::string_view verb = argv[1];
  if (verb == "-h" || verb == "--help" || verb == "help") {
    PrintHelp(std::cout);
    return kExitOk;
  }
  if (verb == "--version" || verb == "version") {
    std::cout << "drover 0.1.0\n";
    return kExitOk;
  }
  Args args(argv + 2, argv + argc);
  for (const Verb& v : kVerbs) {
    if (v.name == verb) return v.run(args);
  }
  return ReportUsage("", "unknown verb \"" + std::string(verb) + "\"");
}

}  // namespace drover::cli
