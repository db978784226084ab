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

namespace {

// Whether `word` names an option that takes a value, so the next word is its
// value rather than the script.
bool TakesSeparateValue(const po::options_description& desc, const std::string& word) {
  std::string name;
  if (word.rfind("--", 0) == 0) {
    if (word.find('=') != std::string::npos) return false;
    name = word.substr(2);
  } else {
    if (word.size() != 2) return false;  // "-c2": the value is attached
    name = word;                         // short names are matched with their dash
  }
  const po::option_description* d = desc.find_nothrow(name, false);
  // An option with an optional value (--nice[=N]) takes it only attached, as in Slurm.
  return d != nullptr && d->semantic()->min_tokens() > 0;
}

}  // namespace

OptionsAndCommand SplitAtCommand(const po::options_description& desc,
                                 const std::vector<std::string>& words) {
  OptionsAndCommand out;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "--") {
      out.command.assign(words.begin() + static_cast<long>(i) + 1, words.end());
      break;
    }
    if (w.size() > 1 && w[0] == '-') {
      out.options.push_back(w);
      if (TakesSeparateValue(desc, w) && i + 1 < words.size()) out.options.push_back(words[++i]);
      continue;
    }
    out.command.assign(words.begin() + static_cast<long>(i), words.end());
    break;
  }
  return out;
}

}  // namespace drover::cli
