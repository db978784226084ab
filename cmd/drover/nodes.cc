// drover nodes: the machines of the cluster and what they hold.
#include <iostream>

#include "cmd/drover/api_session.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/job_view.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {

int RunNodes(const Args& args) {
  static const VerbInfo kInfo = {
      "nodes", "drover nodes [options]",
      "Lists the nodes: state, cores allocated/total, memory allocated/total,\n"
      "running tasks and labels."};
  po::options_description desc("Options");
  desc.add_options()("output,o", po::value<std::string>()->default_value(""),
                     "table (default), json or yaml");
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, false, &vm)) return *exit;
  auto format = ParseOutputFormat(vm["output"].as<std::string>());
  if (!format.ok()) return ReportUsage("nodes", format.status().message());

  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  auto list = session->GetJson("/api/v1/nodes");
  if (!list.ok()) return ReportError(list.status());
  if (*format != OutputFormat::kTable) {
    PrintStructured(*list, *format);
    return kExitOk;
  }
  std::vector<Node> nodes;
  if (list->contains("items") && (*list)["items"].is_array()) {
    for (const Json& item : (*list)["items"]) {
      auto node = NodeFromJson(item);
      if (!node.ok()) {
        return ReportError(
            Status::Internal("droverd sent a malformed node: " + node.status().ToString()));
      }
      nodes.push_back(std::move(*node));
    }
  }
  std::cout << NodesTable(nodes).Render();
  return kExitOk;
}

}  // namespace drover::cli
