// drover label node NAME... KEY=VALUE... KEY-..., drover cordon|uncordon|drain
// NODE: an admin's changes to a node, as kubectl's.
#include <chrono>
#include <iostream>
#include <thread>

#include "api/url_encoding.h"
#include "cmd/drover/api_session.h"
#include "cmd/drover/deployment_view.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {
namespace {

// "NAME" or "node/NAME".
std::string NodeName(const std::string& word) {
  auto [kind, name] = SplitKindName(word);
  return kind == "node" ? name : word;
}

int ChangeNode(const std::string& verb, const std::string& node, const Json& body,
               const std::string& done) {
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  auto r = session->PostJson("/api/v1/nodes/" + PercentEncode(node) + "/" + verb, body);
  if (!r.ok()) return ReportError(r.status());
  std::cout << "node/" << node << " " << done << "\n";
  return kExitOk;
}

}  // namespace

int RunLabel(const Args& args) {
  static const VerbInfo kInfo = {
      "label", "drover label node NAME... KEY=VALUE... [KEY-...] [--overwrite]",
      "Sets (KEY=VALUE) and removes (KEY-) labels of one or more nodes, as\n"
      "`kubectl label nodes`. A label that has a value is changed only with\n"
      "--overwrite. Workloads' nodeSelector matches node labels. Admins only."};
  po::options_description desc("Options");
  desc.add_options()("overwrite", po::bool_switch(), "change labels that already have a value");
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, true, &vm)) return *exit;
  std::vector<std::string> words = PositionalArgs(vm);
  if (!words.empty() && (words[0] == "node" || words[0] == "nodes")) words.erase(words.begin());
  // The node names come first; the first KEY=VALUE or KEY- starts the labels.
  auto is_label = [](const std::string& w) {
    const size_t eq = w.find('=');
    return (eq != std::string::npos && eq > 0) || (w.size() > 1 && w.back() == '-');
  };
  std::vector<std::string> nodes;
  size_t first = 0;
  while (first < words.size() && !is_label(words[first])) {
    if (words[first].find('=') != std::string::npos) break;  // "=x": a bad label, below
    nodes.push_back(NodeName(words[first++]));
  }
  if (nodes.empty() || first == words.size()) {
    return ReportUsage("label", "give node NAMEs, then KEY=VALUE to set or KEY- to remove");
  }
  Json set = Json::object();
  Json remove = Json::array();
  for (size_t i = first; i < words.size(); ++i) {
    const std::string& w = words[i];
    const size_t eq = w.find('=');
    if (eq != std::string::npos && eq > 0) {
      set[w.substr(0, eq)] = w.substr(eq + 1);
    } else if (w.size() > 1 && w.back() == '-') {
      remove.push_back(w.substr(0, w.size() - 1));
    } else {
      return ReportUsage("label", "\"" + w + "\": want KEY=VALUE to set or KEY- to remove");
    }
  }
  Json body = {{"labels", set}, {"remove", remove}, {"overwrite", vm["overwrite"].as<bool>()}};
  // Node by node, as kubectl: a refusal of one does not undo the others.
  int exit = kExitOk;
  for (const std::string& node : nodes) {
    const int done = ChangeNode("labels", node, body, "labeled");
    if (done == kExitUnreachable) return done;
    if (done != kExitOk) exit = done;
  }
  return exit;
}

int RunCordon(const Args& args) {
  static const VerbInfo kInfo = {
      "cordon", "drover cordon NODE",
      "Places no new task on NODE (Slurm's DRAIN, `kubectl cordon`); what runs there\n"
      "goes on. `drover uncordon NODE` undoes it. Admins only."};
  po::options_description desc("Options");
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, true, &vm)) return *exit;
  std::vector<std::string> words = PositionalArgs(vm);
  if (words.size() != 1) return ReportUsage("cordon", "give one NODE");
  return ChangeNode("cordon", NodeName(words[0]), Json::object(), "cordoned");
}

int RunDrain(const Args& args) {
  static const VerbInfo kInfo = {
      "drain", "drover drain NODE [--force] [--timeout S]",
      "Empties NODE for maintenance, as `kubectl drain` (and Slurm's DRAIN): it is\n"
      "cordoned; each Deployment's replicas there are replaced elsewhere first and\n"
      "stopped once the replacements are ready, within what its strategy allows to\n"
      "be unavailable; batch tasks there run to their end, or with --force are\n"
      "stopped now and run again elsewhere (not counted as failures). Waits until\n"
      "nothing runs on NODE (exit 1 at --timeout). `drover uncordon NODE` ends it.\n"
      "Admins only."};
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("force", po::bool_switch(), "stop batch tasks now; they run again elsewhere")
      ("timeout", po::value<int64_t>()->default_value(0), "give up after S seconds (0 = never)");
  // clang-format on
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, true, &vm)) return *exit;
  std::vector<std::string> words = PositionalArgs(vm);
  if (words.size() != 1) return ReportUsage("drain", "give one NODE");
  const std::string node = NodeName(words[0]);
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  const std::string path = "/api/v1/nodes/" + PercentEncode(node);
  auto r = session->PostJson(path + "/drain", Json{{"force", vm["force"].as<bool>()}});
  if (!r.ok()) return ReportError(r.status());
  std::cout << "node/" << node << " draining\n" << std::flush;
  const int64_t timeout_s = vm["timeout"].as<int64_t>();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  // DaemonSet tasks stay on a drained node (kubectl drain --ignore-daemonsets).
  auto left_of = [](const Json& node) {
    return node["status"].value("runningTasks", int64_t{0}) -
           node["status"].value("daemonTasks", int64_t{0});
  };
  int64_t left = left_of(*r);
  while (left > 0) {
    if (timeout_s > 0 && std::chrono::steady_clock::now() >= until) {
      std::cerr << "error: timed out: node " << node << " still runs " << left << " task(s) after "
                << timeout_s << " s\n";
      return kExitFailed;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto now = session->GetJson(path);
    if (!now.ok()) return ReportError(now.status());
    left = left_of(*now);
  }
  std::cout << "node/" << node << " drained\n";
  return kExitOk;
}

int RunUncordon(const Args& args) {
  static const VerbInfo kInfo = {"uncordon", "drover uncordon NODE",
                                 "Lets new tasks be placed on a cordoned NODE again. Admins only."};
  po::options_description desc("Options");
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, true, &vm)) return *exit;
  std::vector<std::string> words = PositionalArgs(vm);
  if (words.size() != 1) return ReportUsage("uncordon", "give one NODE");
  return ChangeNode("uncordon", NodeName(words[0]), Json::object(), "uncordoned");
}

}  // namespace drover::cli
