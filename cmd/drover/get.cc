// drover get KIND [NAME] and drover describe KIND/NAME: what kubectl users
// reach for first.
#include <iostream>

#include "api/daemon_set_json.h"
#include "api/deployment_json.h"
#include "api/json_codec.h"
#include "api/stateful_set_json.h"
#include "api/url_encoding.h"
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

int PrintJsonOr(const Json& json, OutputFormat format, const std::string& table) {
  if (format != OutputFormat::kTable) {
    PrintStructured(json, format);
  } else {
    std::cout << table;
  }
  return kExitOk;
}

}  // namespace

int RunGet(const Args& args) {
  static const VerbInfo kInfo = {
      "get", "drover get KIND [NAME] [options]",
      "Lists objects of a kind, as kubectl get does. KIND: deployments (deploy),\n"
      "daemonsets (ds), statefulsets (sts), tasks (of one of those: drover get\n"
      "tasks -l deployment=NAME, or drover get tasks sts/NAME), jobs, nodes.\n"
      "-o json|yaml prints the API objects, -o wide adds columns."};
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("output,o", po::value<std::string>()->default_value(""), "table (default), wide, json or yaml")
      ("selector,l", po::value<std::string>()->default_value(""),
       "tasks: deployment=NAME, daemonset=NAME or statefulset=NAME");
  // clang-format on
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, true, &vm)) return *exit;
  std::string output = vm["output"].as<std::string>();
  const bool wide = output == "wide";
  auto format = ParseOutputFormat(wide ? "" : output);
  if (!format.ok()) return ReportUsage("get", format.status().message());
  std::vector<std::string> words = PositionalArgs(vm);
  if (words.empty() || words.size() > 2) return ReportUsage("get", "give KIND [NAME]");
  const std::string kind = KindOfWord(words[0]);
  if (kind.empty() || kind == "endpoints") {
    return ReportUsage(
        "get", "unknown kind \"" + words[0] +
                   "\" (deployments, daemonsets, statefulsets, tasks, jobs, nodes; endpoints: "
                   "drover endpoints NAME)");
  }
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  const int64_t now = NowMs();

  if (kind == "deployment") {
    if (words.size() == 2) {
      auto json = session->GetJson(DeploymentPath(words[1]));
      if (!json.ok()) return ReportError(json.status());
      auto d = DeploymentFromJson(*json);
      if (!d.ok()) return ReportError(Status::Internal(d.status().ToString()));
      return PrintJsonOr(*json, *format, DeploymentsTable({*d}, now, wide).Render());
    }
    auto json = session->GetJson("/api/v1/deployments");
    if (!json.ok()) return ReportError(json.status());
    auto all = FetchDeployments(*session);
    if (!all.ok()) return ReportError(all.status());
    if (all->empty() && *format == OutputFormat::kTable) {
      std::cerr << "No deployments found.\n";
      return kExitOk;
    }
    return PrintJsonOr(*json, *format, DeploymentsTable(*all, now, wide).Render());
  }
  if (kind == "daemonset") {
    if (words.size() == 2) {
      auto ds = FetchDaemonSet(*session, words[1]);
      if (!ds.ok()) return ReportError(ds.status());
      return PrintJsonOr(ToJson(*ds), *format, DaemonSetsTable({*ds}, now, wide).Render());
    }
    auto all = FetchDaemonSets(*session);
    if (!all.ok()) return ReportError(all.status());
    if (all->empty() && *format == OutputFormat::kTable) {
      std::cerr << "No daemonsets found.\n";
      return kExitOk;
    }
    Json items = Json::array();
    for (const DaemonSet& ds : *all) items.push_back(ToJson(ds));
    return PrintJsonOr(Json{{"items", items}}, *format, DaemonSetsTable(*all, now, wide).Render());
  }
  if (kind == "statefulset") {
    std::vector<ShownStatefulSet> sets;
    if (words.size() == 2) {
      auto ss = FetchStatefulSet(*session, words[1]);
      if (!ss.ok()) return ReportError(ss.status());
      sets.push_back(std::move(*ss));
    } else {
      auto all = FetchStatefulSets(*session);
      if (!all.ok()) return ReportError(all.status());
      if (all->empty() && *format == OutputFormat::kTable) {
        std::cerr << "No statefulsets found.\n";
        return kExitOk;
      }
      sets = std::move(*all);
    }
    Json items = Json::array();
    for (const ShownStatefulSet& ss : sets) items.push_back(ToJson(ss.object));
    const std::string table = StatefulSetsTable(sets, now, wide).Render();
    return PrintJsonOr(words.size() == 2 ? items[0] : Json{{"items", items}}, *format, table);
  }
  if (kind == "task") {
    // The owner: -l deployment=NAME / daemonset=NAME, or KIND/NAME.
    std::pair<std::string, std::string> owner;
    const std::string selector = vm["selector"].as<std::string>();
    if (const size_t eq = selector.find('='); eq != std::string::npos) {
      owner = {KindOfWord(selector.substr(0, eq)), selector.substr(eq + 1)};
    }
    if (words.size() == 2) owner = SplitKindName(words[1]);
    if ((owner.first != "deployment" && owner.first != "daemonset" &&
         owner.first != "statefulset") ||
        owner.second.empty()) {
      return ReportUsage("get",
                         "tasks of which deployment, daemonset or statefulset? (-l "
                         "deployment=NAME, daemonset/NAME); a job's tasks: drover show JOB");
    }
    auto tasks = owner.first == "daemonset"     ? FetchDaemonSetTasks(*session, owner.second)
                 : owner.first == "statefulset" ? FetchStatefulSetTasks(*session, owner.second)
                                                : FetchDeploymentTasks(*session, owner.second);
    if (!tasks.ok()) return ReportError(tasks.status());
    Json items = Json::array();
    for (const Task& t : *tasks) items.push_back(ToJson(t));
    return PrintJsonOr(Json{{"items", items}}, *format, ReplicasTable(*tasks, now, wide).Render());
  }
  const std::string path = kind == "job" ? "/api/v1/jobs" : "/api/v1/nodes";
  std::string target = path;
  if (words.size() == 2 && kind == "job") {
    auto ref = ParseJobRef(words[1]);
    if (!ref.ok()) return ReportUsage("get", ref.status().message());
    auto id = ResolveJobId(*session, *ref);
    if (!id.ok()) return ReportError(id.status());
    target += "/" + std::to_string(*id);
  }
  auto json = session->GetJson(target);
  if (!json.ok()) return ReportError(json.status());
  std::string table;
  if (kind == "node") {
    std::vector<Node> nodes;
    for (const Json& item : json->value("items", Json::array())) {
      auto node = NodeFromJson(item);
      if (node.ok() && (words.size() == 1 || node->metadata.name == words[1])) {
        nodes.push_back(std::move(*node));
      }
    }
    if (words.size() == 2 && nodes.empty()) {
      return ReportError(Status::NotFound("node " + words[1] + " not found"));
    }
    if (words.size() == 2) *json = ToJson(nodes[0]);  // the one asked for, not the list
    table = NodesTable(nodes).Render();
  } else {
    std::vector<Job> jobs;
    if (words.size() == 2) {
      auto job = JobFromJson(*json);
      if (job.ok()) jobs.push_back(std::move(*job));
    } else {
      for (const Json& item : json->value("items", Json::array())) {
        auto job = JobFromJson(item);
        if (job.ok()) jobs.push_back(std::move(*job));
      }
    }
    table = QueueTable(jobs, now, wide).Render();
  }
  return PrintJsonOr(*json, *format, table);
}

namespace {

int DescribeNodeVerb(const std::string& name) {
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  const std::string path = "/api/v1/nodes/" + PercentEncode(name);
  auto json = session->GetJson(path);
  if (!json.ok()) return ReportError(json.status());
  auto node = NodeFromJson(*json);
  if (!node.ok()) {
    return ReportError(
        Status::Internal("droverd sent a malformed node: " + node.status().ToString()));
  }
  auto listed = session->GetJson(path + "/tasks");
  if (!listed.ok()) return ReportError(listed.status());
  std::vector<Task> tasks;
  for (const Json& item : listed->value("items", Json::array())) {
    auto t = TaskFromJson(item);
    if (t.ok()) tasks.push_back(std::move(*t));
  }
  std::cout << DescribeNode(*node, tasks, NowMs());
  return kExitOk;
}

int DescribeDaemonSetVerb(const std::string& name) {
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  auto ds = FetchDaemonSet(*session, name);
  if (!ds.ok()) return ReportError(ds.status());
  auto tasks = FetchDaemonSetTasks(*session, name);
  if (!tasks.ok()) return ReportError(tasks.status());
  auto revisions = FetchDaemonSetRevisions(*session, name);
  if (!revisions.ok()) return ReportError(revisions.status());
  std::cout << DescribeDaemonSet(*ds, *tasks, *revisions, NowMs());
  return kExitOk;
}

int DescribeStatefulSetVerb(const std::string& name) {
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  auto ss = FetchStatefulSet(*session, name);
  if (!ss.ok()) return ReportError(ss.status());
  auto tasks = FetchStatefulSetTasks(*session, name);
  if (!tasks.ok()) return ReportError(tasks.status());
  auto revisions = FetchStatefulSetRevisions(*session, name);
  if (!revisions.ok()) return ReportError(revisions.status());
  std::cout << DescribeStatefulSet(*ss, *tasks, *revisions, NowMs());
  return kExitOk;
}

}  // namespace

int RunDescribe(const Args& args) {
  static const VerbInfo kInfo = {
      "describe", "drover describe deployment/NAME | daemonset/NAME | statefulset/NAME | node/NAME",
      "Shows a Deployment or DaemonSet for people: spec, status, conditions,\n"
      "revisions and its tasks; or a node: state (cordoned, draining), labels,\n"
      "topology, what is allocated and the tasks it holds now (a job: drover show\n"
      "JOB)."};
  po::options_description desc("Options");
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, true, &vm)) return *exit;
  std::vector<std::string> words = PositionalArgs(vm);
  // "KIND NAME" is "KIND/NAME".
  if (words.size() == 2 && !KindOfWord(words[0]).empty()) words = {words[0] + "/" + words[1]};
  if (words.size() != 1) {
    return ReportUsage("describe", "give deployment/NAME, daemonset/NAME or node/NAME");
  }
  auto [kind, object] = SplitKindName(words[0]);
  if (kind == "node") return DescribeNodeVerb(object);
  if (kind == "daemonset") return DescribeDaemonSetVerb(object);
  if (kind == "statefulset") return DescribeStatefulSetVerb(object);
  auto name = ParseDeploymentRef(words[0]);
  if (!name.ok()) return ReportUsage("describe", name.status().message());
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  auto d = FetchDeployment(*session, *name);
  if (!d.ok()) return ReportError(d.status());
  auto tasks = FetchDeploymentTasks(*session, *name);
  if (!tasks.ok()) return ReportError(tasks.status());
  auto revisions = FetchRevisions(*session, *name);
  if (!revisions.ok()) return ReportError(revisions.status());
  std::cout << DescribeDeployment(*d, *tasks, *revisions, NowMs());
  return kExitOk;
}

}  // namespace drover::cli
