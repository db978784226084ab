// Reading a batch script the way sbatch does: the `#!` interpreter line and
// the `#SBATCH` / `#DROVER` directive lines that carry submit options.
// Pure functions over the script's text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/status.h"

namespace drover::cli {

// Splits one line into words as a POSIX shell would for plain words, single
// and double quotes and backslash escapes (no expansion). An unterminated
// quote is an InvalidArgument.
Result<std::vector<std::string>> SplitShellWords(std::string_view line);

// The option words of a script's directives, in order, one list per prefix.
// As in sbatch, directives are read from the top of the script until the
// first line that is neither blank nor a comment; a directive after that is
// ignored. "#SBATCH --array=0-9 -c 2" gives {"--array=0-9", "-c", "2"}; a
// trailing "# comment" on a directive line is dropped. Errors name the line.
struct ScriptDirectives {
  std::vector<std::string> sbatch;  // from "#SBATCH" lines
  std::vector<std::string> drover;  // from "#DROVER" lines (they win over #SBATCH)
};
Result<ScriptDirectives> ExtractDirectives(std::string_view script);

// "#!/usr/bin/env bash -e" -> {"/usr/bin/env", "bash -e"}: the interpreter
// and its optional single argument (Linux passes the rest of the line as one
// argument). nullopt when the script has no "#!" line.
struct Shebang {
  std::string interpreter;
  std::string argument;
};
std::optional<Shebang> ParseShebang(std::string_view script);

// The argv that runs `script` (its text, not its path: the node need not see
// the submitter's files) with `args`. `script_name` becomes $0.
//  - no "#!" line, or a shell (sh, bash, dash, zsh, ksh, ash, mksh, directly
//    or through env): {shell..., "-c", text, script_name, args...}
//  - any other interpreter: a /bin/sh wrapper writes the text to a private
//    temporary file, runs it with the interpreter named by its "#!" line, and
//    removes it.
std::vector<std::string> ScriptCommand(const std::string& script_text,
                                       const std::string& script_name,
                                       const std::vector<std::string>& args);

}  // namespace drover::cli
