// drover scale, drover rollout (status, history, undo, restart, pause,
// resume) and drover delete, for Deployments (and rollout status, history,
// restart and delete for DaemonSets), as kubectl has them.
#include <chrono>
#include <iostream>
#include <thread>

#include "api/deployment_json.h"
#include "cmd/drover/daemon_set_view.h"
#include "cmd/drover/deployment_requests.h"
#include "cmd/drover/deployment_view.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/stateful_set_view.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {
namespace {

// "KIND/NAME" or "KIND NAME" of a Deployment, DaemonSet or StatefulSet.
Result<std::pair<std::string, std::string>> ServiceArg(std::vector<std::string> words) {
  if (words.size() == 2 && !KindOfWord(words[0]).empty()) words = {words[0] + "/" + words[1]};
  const char* want = "deployment/NAME, daemonset/NAME or statefulset/NAME";
  if (words.size() != 1) return Status::Invalid("", std::string("give ") + want);
  auto ref = SplitKindName(words[0]);
  if ((ref.first != "deployment" && ref.first != "daemonset" && ref.first != "statefulset") ||
      ref.second.empty()) {
    return Status::Invalid("", "\"" + words[0] + "\" is not " + want);
  }
  return ref;
}

std::string ServicePath(const std::string& kind, const std::string& name) {
  return kind == "daemonset"     ? DaemonSetPath(name)
         : kind == "statefulset" ? StatefulSetPath(name)
                                 : DeploymentPath(name);
}

// One look at a rollout: its status line, and whether it is done or failed.
Result<std::string> RolloutLine(ApiSession& session, const std::string& kind,
                                const std::string& name, bool* done, bool* failed) {
  *done = *failed = false;
  if (kind == "daemonset") {
    auto ds = FetchDaemonSet(session, name);
    if (!ds.ok()) return ds.status();
    return DaemonSetRolloutLine(*ds, done);
  }
  if (kind == "statefulset") {
    auto ss = FetchStatefulSet(session, name);
    if (!ss.ok()) return ss.status();
    return StatefulSetRolloutLine(ss->object, done);
  }
  auto d = FetchDeployment(session, name);
  if (!d.ok()) return d.status();
  return RolloutStatusLine(*d, done, failed);
}

// Polls until the rollout finishes or fails; kubectl's rollout status.
int WaitForRollout(ApiSession& session, const std::string& kind, const std::string& name,
                   int64_t timeout_s) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  std::string last;
  while (true) {
    bool done = false, failed = false;
    auto looked = RolloutLine(session, kind, name, &done, &failed);
    if (!looked.ok()) return ReportError(looked.status());
    const std::string& line = *looked;
    if (line != last) std::cout << line << std::endl;
    last = line;
    if (done) return kExitOk;
    if (failed) return kExitFailed;
    if (timeout_s > 0 && std::chrono::steady_clock::now() >= until) {
      std::cerr << "error: timed out waiting for the rollout of " << kind << "/" << name << "\n";
      return kExitFailed;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace

int RunScale(const Args& args) {
  static const VerbInfo kInfo = {"scale",
                                 "drover scale deployment/NAME|statefulset/NAME --replicas N",
                                 "Sets how many replicas a Deployment or StatefulSet runs (a\n"
                                 "StatefulSet adds and removes its highest ordinals)."};
  po::options_description desc("Options");
  desc.add_options()("replicas", po::value<int64_t>(), "the number of replicas");
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, true, &vm)) return *exit;
  auto ref = ServiceArg(PositionalArgs(vm));
  if (!ref.ok()) return ReportUsage("scale", ref.status().message());
  const auto& [kind, name] = *ref;
  if (kind == "daemonset") return ReportUsage("scale", "a DaemonSet runs one task per node");
  if (!vm.count("replicas")) return ReportUsage("scale", "give --replicas N");
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  auto done = session->PostJson(ServicePath(kind, name) + "/scale",
                                Json{{"replicas", vm["replicas"].as<int64_t>()}});
  if (!done.ok()) return ReportError(done.status());
  std::cout << kind << "/" << name << " scaled" << std::endl;
  return kExitOk;
}

int RunRollout(const Args& args) {
  static const VerbInfo kInfo = {
      "rollout", "drover rollout status|history|undo|restart|pause|resume deployment/NAME",
      "Manages a Deployment's rollout, as kubectl rollout does (a DaemonSet's or\n"
      "StatefulSet's: status, history and restart):\n"
      "  status    wait until the rollout finishes (exit 1 if it passes its deadline)\n"
      "  history   the revisions kept\n"
      "  undo      roll back to the previous revision, or --to-revision N (it\n"
      "            becomes the newest revision)\n"
      "  restart   replace every replica (a rollout of the same template)\n"
      "  pause     stop rolling; resume goes on"};
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("to-revision", po::value<int64_t>()->default_value(0), "undo: the revision to go back to")
      ("timeout", po::value<int64_t>()->default_value(0), "status: give up after N seconds (0 = never)")
      ("watch,w", po::value<bool>()->default_value(true), "status: wait (false: print and exit)");
  // clang-format on
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, true, &vm)) return *exit;
  std::vector<std::string> words = PositionalArgs(vm);
  if (words.empty()) return ReportUsage("rollout", "give a subcommand and deployment/NAME");
  const std::string sub = words[0];
  auto ref = ServiceArg({words.begin() + 1, words.end()});
  if (!ref.ok()) return ReportUsage("rollout", ref.status().message());
  const auto& [kind, object] = *ref;
  const std::string* name = &object;
  const bool daemon = kind == "daemonset";
  if (kind != "deployment" && sub != "status" && sub != "history" && sub != "restart") {
    return ReportUsage("rollout", "a " + kind + " has rollout status, history and restart");
  }
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  const std::string path = ServicePath(kind, *name);
  if (sub == "status") {
    if (!vm["watch"].as<bool>()) {
      bool done = false, failed = false;
      auto line = RolloutLine(*session, kind, *name, &done, &failed);
      if (!line.ok()) return ReportError(line.status());
      std::cout << *line << std::endl;
      return failed ? kExitFailed : kExitOk;
    }
    return WaitForRollout(*session, kind, *name, vm["timeout"].as<int64_t>());
  }
  if (sub == "history") {
    auto revisions = daemon                  ? FetchDaemonSetRevisions(*session, *name)
                     : kind == "statefulset" ? FetchStatefulSetRevisions(*session, *name)
                                             : FetchRevisions(*session, *name);
    if (!revisions.ok()) return ReportError(revisions.status());
    int64_t current = 0;
    if (kind == "statefulset") {
      auto ss = FetchStatefulSet(*session, *name);
      if (!ss.ok()) return ReportError(ss.status());
      for (const Revision& r : *revisions) {
        if (r.hash == ss->object.status.update_revision) current = r.number;
      }
    } else if (daemon) {
      auto ds = FetchDaemonSet(*session, *name);
      if (!ds.ok()) return ReportError(ds.status());
      current = ds->status.revision;
    } else {
      auto d = FetchDeployment(*session, *name);
      if (!d.ok()) return ReportError(d.status());
      current = d->status.revision;
    }
    std::cout << kind << "/" << *name << "\n";
    Table table({"REVISION", "HASH", "COMMAND", "CURRENT"});
    for (const Revision& r : *revisions) {
      std::string command;
      for (const std::string& a : r.template_.task.command)
        command += (command.empty() ? "" : " ") + a;
      table.AddRow({std::to_string(r.number), r.hash, command, r.number == current ? "*" : ""});
    }
    std::cout << table.Render();
    return kExitOk;
  }
  Result<Json> done = Status::Invalid("", "");
  if (sub == "undo") {
    const int64_t to = vm["to-revision"].as<int64_t>();
    done = session->PostJson(path + "/undo", to > 0 ? Json{{"toRevision", to}} : Json::object());
  } else if (sub == "restart" || sub == "pause" || sub == "resume") {
    done = session->PostJson(path + "/" + sub, Json::object());
  } else {
    return ReportUsage("rollout", "unknown subcommand \"" + sub +
                                      "\" (status, history, undo, restart, pause, resume)");
  }
  if (!done.ok()) return ReportError(done.status());
  const char* said = sub == "undo"      ? "rolled back"
                     : sub == "restart" ? "restarted"
                     : sub == "pause"   ? "paused"
                                        : "resumed";
  std::cout << kind << "/" << *name << " " << said << std::endl;
  return kExitOk;
}

int RunDelete(const Args& args) {
  static const VerbInfo kInfo = {
      "delete", "drover delete deployment/NAME | daemonset/NAME | statefulset/NAME",
      "Deletes a Deployment, DaemonSet or StatefulSet and stops its tasks (a\n"
      "StatefulSet's ordinals keep their directories; a job: drover cancel JOB)."};
  po::options_description desc("Options");
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, true, &vm)) return *exit;
  auto ref = ServiceArg(PositionalArgs(vm));
  if (!ref.ok()) return ReportUsage("delete", ref.status().message());
  const auto& [kind, name] = *ref;
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  auto done = session->DeleteJson(ServicePath(kind, name));
  if (!done.ok()) return ReportError(done.status());
  std::cout << kind << "/" << name << " deleted" << std::endl;
  return kExitOk;
}

}  // namespace drover::cli
