// What every verb shares: parsing its arguments with --help, the -o output
// formats, connecting to droverd, and decoding lists of objects.
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/json_codec.h"
#include "api/status.h"

namespace drover::cli {

namespace po = boost::program_options;

struct VerbInfo {
  const char* name;     // "queue"
  const char* usage;    // "drover queue [options]"
  const char* summary;  // one paragraph shown by --help
};

// Parses `args` with `desc` ("help,h" is added) and, when `positional` is
// non-null, collects the non-option words under the name "args". Returns
// nullopt to go on, or the exit code to return now: 0 after printing help,
// 2 after a usage error.
std::optional<int> ParseVerbArgs(const VerbInfo& info, po::options_description desc,
                                 const std::vector<std::string>& args, bool positional,
                                 po::variables_map* vm);

// The parsing both use: `desc` plus, when `positional`, the non-option words
// under "args", stored into *vm. InvalidArgument with boost's message on a
// bad option.
Status StoreVerbArgs(const po::options_description& desc, const std::vector<std::string>& args,
                     bool positional, po::variables_map* vm);

// Option words, each with its separate value ("-n 4"), up to the first word
// that is not an option or "--"; that word and the rest are the command (a
// script and its arguments, srun's program), as sbatch and srun read them.
struct OptionsAndCommand {
  std::vector<std::string> options;
  std::vector<std::string> command;
};
OptionsAndCommand SplitAtCommand(const po::options_description& desc,
                                 const std::vector<std::string>& words);

// The positional words collected by ParseVerbArgs.
std::vector<std::string> PositionalArgs(const po::variables_map& vm);

enum class OutputFormat { kTable, kJson, kYaml };
// "" or "table" (people), "json", "yaml"; InvalidArgument otherwise.
Result<OutputFormat> ParseOutputFormat(const std::string& text);
// Pretty JSON or block YAML on stdout.
void PrintStructured(const Json& json, OutputFormat format);

// Wall-clock now, in Unix milliseconds.
int64_t NowMs();

}  // namespace drover::cli
