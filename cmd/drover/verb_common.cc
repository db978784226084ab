#include "cmd/drover/verb_common.h"

#include <chrono>
#include <iostream>

#include "api/yaml_codec.h"
#include "cmd/drover/exit_code.h"

namespace drover::cli {

std::optional<int> ParseVerbArgs(const VerbInfo& info, po::options_description desc,
                                 const std::vector<std::string>& args, bool positional,
                                 po::variables_map* vm) {
  desc.add_options()("help,h", "show this help");
  Status parsed = StoreVerbArgs(desc, args, positional, vm);
  if (!parsed.ok()) return ReportUsage(info.name, parsed.message());
  if (vm->count("help")) {
    std::cout << "Usage: " << info.usage << "\n\n" << info.summary << "\n\n" << desc << "\n";
    return kExitOk;
  }
  return std::nullopt;
}

Status StoreVerbArgs(const po::options_description& desc, const std::vector<std::string>& args,
                     bool positional, po::variables_map* vm) {
  po::options_description all;
  all.add(desc);
  po::positional_options_description pos;
  if (positional) {
    all.add_options()("args", po::value<std::vector<std::string>>());
    pos.add("args", -1);
  }
  try {
    po::store(po::command_line_parser(args)
                  .options(all)
                  .positional(pos)
                  .style(po::command_line_style::unix_style)
                  .run(),
              *vm);
    po::notify(*vm);
  } catch (const po::error& e) {
    return Status::Invalid("", e.what());
  }
  return Status::Ok();
}

std::vector<std::string> PositionalArgs(const po::variables_map& vm) {
  if (!vm.count("args")) return {};
  return vm["args"].as<std::vector<std::string>>();
}

Result<OutputFormat> ParseOutputFormat(const std::string& text) {
  if (text.empty() || text == "table" || text == "wide") return OutputFormat::kTable;
  if (text == "json") return OutputFormat::kJson;
  if (text == "yaml") return OutputFormat::kYaml;
  return Status::Invalid("--output", "unknown format \"" + text + "\" (table, json or yaml)");
}

void PrintStructured(const Json& json, OutputFormat format) {
  if (format == OutputFormat::kYaml) {
    std::cout << ToYaml(json);
  } else {
    std::cout << json.dump(2) << "\n";
  }
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace drover::cli
