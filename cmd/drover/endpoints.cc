// drover endpoints NAME [--watch]: where a Deployment's ready replicas
// listen, for a load balancer's config renderer to follow.
#include <iostream>

#include "api/url_encoding.h"
#include "cmd/drover/api_session.h"
#include "cmd/drover/deployment_view.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {

int RunEndpoints(const Args& args) {
  static const VerbInfo kInfo = {
      "endpoints", "drover endpoints NAME [-o json|yaml] [--watch] [--all]",
      "Lists host:port of a Deployment's replicas that are ready (--all: every\n"
      "running one, with its ready/serving/terminating flags). --watch prints the\n"
      "list again each time it changes (droverd answers when it does: no polling)."};
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("output,o", po::value<std::string>()->default_value(""), "table (default), json or yaml")
      ("watch,w", po::bool_switch(), "print again on every change, until interrupted")
      ("all", po::bool_switch(), "replicas that are not ready too");
  // clang-format on
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, true, &vm)) return *exit;
  auto format = ParseOutputFormat(vm["output"].as<std::string>());
  if (!format.ok()) return ReportUsage("endpoints", format.status().message());
  std::vector<std::string> words = PositionalArgs(vm);
  if (words.size() != 1) return ReportUsage("endpoints", "give the Deployment's NAME");
  std::string name = words[0];
  if (name.find('/') != std::string::npos) {
    auto ref = ParseDeploymentRef(name);
    if (!ref.ok()) return ReportUsage("endpoints", ref.status().message());
    name = *ref;
  }
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  const std::string base = "/api/v1/endpoints/" + PercentEncode(name) +
                           (vm["all"].as<bool>() ? "?all=true" : "?all=false");
  std::string version;
  std::string last;
  do {
    std::string target = base;
    if (!version.empty()) target += "&watch=true&timeoutSeconds=60&resourceVersion=" + version;
    auto json = session->GetJson(target);
    if (!json.ok()) return ReportError(json.status());
    version = (*json)["metadata"].value("resourceVersion", "0");
    std::string shown = *format == OutputFormat::kTable ? EndpointsTable(*json).Render()
                                                        : json->value("endpoints", Json()).dump();
    if (shown == last) continue;  // a watch that timed out, or a change of another field
    last = shown;
    if (*format == OutputFormat::kTable) {
      std::cout << shown << std::flush;
    } else {
      PrintStructured(*json, *format);
      std::cout << std::flush;
    }
  } while (vm["watch"].as<bool>());
  return kExitOk;
}

}  // namespace drover::cli
