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
      "token create",
      "drover token create --user NAME [--admin] [--uid N --gid N] [--ttl D]\n"
      "       drover token create --join [--ttl D]\n"
      "       drover token create --node NAME [--ttl D]",
      "Issues a token. --user: one that acts as NAME (uid and gid from NAME's\n"
      "account on droverd's host unless given). --join: a join token, with which\n"
      "new nodes obtain their own credentials (drover-node --join-token-file);\n"
      "it expires after 24 hours unless --ttl says otherwise. --node: the\n"
      "credential of one node (drover-node --token-file). --ttl is a duration\n"
      "(seconds, or Slurm's MM:SS, HH:MM:SS, D-HH...). Prints the secret once:\n"
      "keep it. Admins only."};
  po::options_description desc("Options");
  desc.add_options()("user", po::value<std::string>(), "the account the token acts as")(
      "admin", po::bool_switch(), "an admin token (may act on every job, set priorities)")(
      "uid", po::value<int64_t>(), "uid (default: the account's)")("gid", po::value<int64_t>(),
                                                                   "gid (default: the account's)")(
      "join", po::bool_switch(), "a join token for new nodes")("node", po::value<std::string>(),
                                                               "the credential of node NAME")(
      "ttl", po::value<std::string>(), "how long the token is good for")(
      "description", po::value<std::string>(), "what the token is for")(
      "output,o", po::value<std::string>()->default_value(""), "table (default), json or yaml");
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(kInfo, desc, args, false, &vm)) return *exit;
  const bool join = vm["join"].as<bool>();
  const int kinds = int(vm.count("user") > 0) + int(join) + int(vm.count("node") > 0);
  if (kinds != 1) return ReportUsage(kInfo.name, "give exactly one of --user, --join, --node");
  if (!vm.count("user") && (vm["admin"].as<bool>() || vm.count("uid") || vm.count("gid"))) {
    return ReportUsage(kInfo.name, "--admin, --uid and --gid go with --user");
  }
  auto format = ParseOutputFormat(vm["output"].as<std::string>());
  if (!format.ok()) return ReportUsage(kInfo.name, format.status().message());
  Json body = Json::object();
  if (join) {
    body["role"] = "join";
  } else if (vm.count("node")) {
    body["role"] = "node";
    body["node"] = vm["node"].as<std::string>();
  } else {
    body["user"] = vm["user"].as<std::string>();
    body["role"] = vm["admin"].as<bool>() ? "admin" : "user";
  }
  if (vm.count("uid")) body["uid"] = vm["uid"].as<int64_t>();
  if (vm.count("gid")) body["gid"] = vm["gid"].as<int64_t>();
  if (vm.count("ttl")) body["ttl"] = vm["ttl"].as<std::string>();
  if (vm.count("description")) body["description"] = vm["description"].as<std::string>();
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  auto made = session->PostJson("/api/v1/tokens", body);
  if (!made.ok()) return ReportError(made.status());
  if (*format != OutputFormat::kTable) {
    PrintStructured(*made, *format);
    return kExitOk;
  }
  const Json& t = *made;
  std::cout << "token " << t.value("id", "") << " (" << t.value("role", "");
  if (t.contains("user")) std::cout << " " << t.value("user", "") << ", uid " << t["uid"];
  if (t.contains("node")) std::cout << " of node " << t.value("node", "");
  if (t.contains("expires")) std::cout << ", expires " << t.value("expires", "");
  std::cout << "):\n"
            << t.value("token", "") << "\n"
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
  Table table({"ID", "ROLE", "FOR", "UID", "GID", "CREATED", "EXPIRES", "DESCRIPTION"});
  for (const Json& t : (*list)["items"]) {
    const bool person = t.contains("user");
    table.AddRow({t.value("id", ""), t.value("role", ""),
                  person ? t.value("user", "") : t.value("node", ""),
                  person ? std::to_string(t.value("uid", 0)) : "",
                  person ? std::to_string(t.value("gid", 0)) : "", t.value("created", ""),
                  t.value("expires", ""), t.value("description", "")});
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
              << "\n\n  create   issue a token for a user, a node, or nodes to join (admins)\n"
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
