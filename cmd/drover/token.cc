// drover token create|list|revoke: bearer tokens for using droverd over TCP
// (remote CLIs, scripts), issued and revoked by admins. droverd keeps only
// their hash; the secret is printed once, by create.
#include <iostream>

#include "api/url_encoding.h"
#include "cmd/drover/api_session.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/table.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {
namespace {

int Create(const Args& args) {
  static const VerbInfo kInfo = {
      "token create", "drover token create --user NAME [--admin] [--uid N --gid N]",
      "Issues a token that acts as NAME (uid and gid from NAME's account on\n"
      "droverd's host unless given). Prints the secret once: keep it, e.g. as\n"
      "DROVER_TOKEN. Admins only."};
  po::options_description desc("Options");
  desc.add_options()("user", po::value<std::string>(), "the account the token acts as")(
      "admin", po::bool_switch(), "an admin token (may act on every job, set priorities)")(
      "uid", po::value<int64_t>(), "uid (default: the account's)")("gid", po::value<int64_t>(),
                                                                   "gid (default: the account's)")(
      "description", po::value<std::string>(), "what the token is for")(
      "output,o", po::value<std::string>()->default_value(""), "table (default), json or yaml");
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, false, &vm)) return *exit;
  if (!vm.count("user")) return ReportUsage(kInfo.name, "--user is required");
  auto format = ParseOutputFormat(vm["output"].as<std::string>());
  if (!format.ok()) return ReportUsage(kInfo.name, format.status().message());
  Json body = {{"user", vm["user"].as<std::string>()},
               {"role", vm["admin"].as<bool>() ? "admin" : "user"}};
  if (vm.count("uid")) body["uid"] = vm["uid"].as<int64_t>();
  if (vm.count("gid")) body["gid"] = vm["gid"].as<int64_t>();
  if (vm.count("description")) body["description"] = vm["description"].as<std::string>();
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  auto made = session->PostJson("/api/v1/tokens", body);
  if (!made.ok()) return ReportError(made.status());
  if (*format != OutputFormat::kTable) {
    PrintStructured(*made, *format);
    return kExitOk;
  }
  std::cout << "token " << (*made)["id"].get<std::string>() << " for "
            << (*made)["user"].get<std::string>() << " (" << (*made)["role"].get<std::string>()
            << ", uid " << (*made)["uid"] << "):\n"
            << (*made)["token"].get<std::string>() << "\n"
            << "It is shown only now; droverd keeps its hash.\n";
  return kExitOk;
}

int List(const Args& args) {
  static const VerbInfo kInfo = {"token list", "drover token list [-o json|yaml]",
                                 "Lists the issued tokens (never their secrets). Admins only."};
  po::options_description desc("Options");
  desc.add_options()("output,o", po::value<std::string>()->default_value(""),
                     "table (default), json or yaml");
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, false, &vm)) return *exit;
  auto format = ParseOutputFormat(vm["output"].as<std::string>());
  if (!format.ok()) return ReportUsage(kInfo.name, format.status().message());
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  auto list = session->GetJson("/api/v1/tokens");
  if (!list.ok()) return ReportError(list.status());
  if (*format != OutputFormat::kTable) {
    PrintStructured(*list, *format);
    return kExitOk;
  }
  Table table({"ID", "ROLE", "USER", "UID", "GID", "CREATED", "DESCRIPTION"});
  for (const Json& t : (*list)["items"]) {
    table.AddRow({t.value("id", ""), t.value("role", ""), t.value("user", ""),
                  std::to_string(t.value("uid", 0)), std::to_string(t.value("gid", 0)),
                  t.value("created", ""), t.value("description", "")});
  }
  std::cout << table.Render();
  return kExitOk;
}

int Revoke(const Args& args) {
  static const VerbInfo kInfo = {"token revoke", "drover token revoke ID [ID...]",
                                 "Revokes tokens: droverd refuses them from now on. Admins only."};
  po::options_description desc("Options");
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, true, &vm)) return *exit;
  std::vector<std::string> ids = PositionalArgs(vm);
  if (ids.empty()) return ReportUsage(kInfo.name, "give at least one token ID");
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  int exit = kExitOk;
  for (const std::string& id : ids) {
    auto done = session->DeleteJson("/api/v1/tokens/" + PercentEncode(id));
    if (!done.ok()) {
      exit = ReportError(done.status());
      if (exit == kExitUnreachable) return exit;
      continue;
    }
    std::cout << "token " << id << " revoked" << std::endl;
  }
  return exit;
}

}  // namespace

int RunToken(const Args& args) {
  const std::string usage = "drover token create|list|revoke ...";
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    std::cout << "Usage: " << usage
              << "\n\n  create   issue a token for a user (admins)\n"
                 "  list     the issued tokens\n"
                 "  revoke   refuse tokens from now on\n";
    return args.empty() ? kExitUsage : kExitOk;
  }
  Args rest(args.begin() + 1, args.end());
  if (args[0] == "create") return Create(rest);
  if (args[0] == "list") return List(rest);
  if (args[0] == "revoke") return Revoke(rest);
  return ReportUsage("token", "unknown action \"" + args[0] + "\" (create, list or revoke)");
}

}  // namespace drover::cli
