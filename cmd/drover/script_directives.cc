#include "cmd/drover/script_directives.h"

#include <array>

namespace drover::cli {
namespace {

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsShell(std::string_view path) {
  size_t slash = path.find_last_of('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  static constexpr std::array<std::string_view, 7> kShells = {"sh",  "bash", "dash", "zsh",
                                                              "ksh", "ash",  "mksh"};
  for (std::string_view s : kShells) {
    if (base == s) return true;
  }
  return false;
}

bool BaseNameIsEnv(std::string_view path) {
  size_t slash = path.find_last_of('/');
  return (slash == std::string_view::npos ? path : path.substr(slash + 1)) == "env";
}

// Runs "$1" (the script text) as a file, so interpreters without a "-c"
// convention work; $0 is the script's name. The file is private (mktemp
// creates it 0600) and removed however the script ends, short of SIGKILL.
constexpr char kFileRunner[] =
    "t=$(mktemp \"${TMPDIR:-/tmp}/drover-script.XXXXXX\") || exit 1\n"
    "trap 'rm -f \"$t\"' EXIT\n"
    "trap 'exit 143' TERM\n"
    "printf '%s' \"$1\" > \"$t\" && chmod 700 \"$t\" || exit 1\n"
    "shift\n"
    "\"$t\" \"$@\"\n";

}  // namespace

Result<std::vector<std::string>> SplitShellWords(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
    } else if (c == '\'') {
      size_t end = line.find('\'', i + 1);
      if (end == std::string_view::npos) return Status::Invalid("", "unterminated ' quote");
      word.append(line.substr(i + 1, end - i - 1));
      in_word = true;
      i = end + 1;
    } else if (c == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        char d = line[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < line.size() &&
            (line[i + 1] == '"' || line[i + 1] == '\\' || line[i + 1] == '$' ||
             line[i + 1] == '`')) {
          word += line[i + 1];
          i += 2;
          continue;
        }
        word += d;
        ++i;
      }
      if (!closed) return Status::Invalid("", "unterminated \" quote");
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 < line.size()) word += line[i + 1];
      i += 2;
      in_word = true;
    } else {
      word += c;
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

Result<ScriptDirectives> ExtractDirectives(std::string_view script) {
  ScriptDirectives out;
  size_t pos = 0;
  int line_no = 0;
  while (pos < script.size()) {
    size_t nl = script.find('\n', pos);
    if (nl == std::string_view::npos) nl = script.size();
    std::string_view line = script.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (IsBlank(line)) continue;
    std::string_view t = TrimLeft(line);
    if (t.front() != '#') break;  // the first command ends the directives, as in sbatch
    std::vector<std::string>* sink = nullptr;
    std::string_view rest;
    for (auto [prefix, list] : {std::pair{std::string_view("#SBATCH"), &out.sbatch},
                                std::pair{std::string_view("#DROVER"), &out.drover}}) {
      if (t.substr(0, prefix.size()) == prefix &&
          (t.size() == prefix.size() || t[prefix.size()] == ' ' || t[prefix.size()] == '\t')) {
        sink = list;
        rest = t.substr(prefix.size());
      }
    }
    if (sink == nullptr) continue;  // an ordinary comment
    // A " #" starts a trailing comment (outside quotes is good enough here).
    size_t hash = rest.find(" #");
    if (hash != std::string_view::npos) rest = rest.substr(0, hash);
    auto words = SplitShellWords(TrimRight(rest));
    if (!words.ok()) {
      return Status::Invalid("line " + std::to_string(line_no), words.status().message());
    }
    for (auto& w : *words) sink->push_back(std::move(w));
  }
  return out;
}

std::optional<Shebang> ParseShebang(std::string_view script) {
  if (script.substr(0, 2) != "#!") return std::nullopt;
  std::string_view line =
      script.substr(2, script.find('\n') == std::string_view::npos ? std::string_view::npos
                                                                   : script.find('\n') - 2);
  line = TrimRight(TrimLeft(line));
  if (line.empty()) return std::nullopt;
  Shebang out;
  size_t space = line.find_first_of(" \t");
  if (space == std::string_view::npos) {
    out.interpreter = std::string(line);
  } else {
    out.interpreter = std::string(line.substr(0, space));
    out.argument = std::string(TrimLeft(line.substr(space)));
  }
  return out;
}

std::vector<std::string> ScriptCommand(const std::string& script_text,
                                       const std::string& script_name,
                                       const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  std::optional<Shebang> shebang = ParseShebang(script_text);
  bool shell = !shebang || IsShell(shebang->interpreter);
  if (shebang && !shell && BaseNameIsEnv(shebang->interpreter)) {
    shell = IsShell(shebang->argument.substr(0, shebang->argument.find(' ')));
  }
  if (shell) {
    if (!shebang) {
      argv = {"/bin/sh"};
    } else {
      argv = {shebang->interpreter};
      // "#!/usr/bin/env bash -e": env receives "bash -e" as one word, which
      // Linux would pass as is; split it so the -c form works.
      auto words = SplitShellWords(shebang->argument);
      if (words.ok()) {
        for (auto& w : *words) argv.push_back(std::move(w));
      }
    }
    argv.push_back("-c");
    argv.push_back(script_text);
  } else {
    argv = {"/bin/sh", "-c", kFileRunner};
  }
  argv.push_back(script_name);
  if (!shell) argv.push_back(script_text);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace drover::cli
