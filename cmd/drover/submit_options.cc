#include "cmd/drover/submit_options.h"

#include <boost/program_options.hpp>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <limits>
#include <tuple>

#include "api/json_codec.h"
#include "api/validation.h"
#include "cmd/drover/file_io.h"

namespace drover::cli {
namespace po = boost::program_options;
namespace {

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

template <typename T>
void CopyIf(const po::variables_map& vm, const char* key, std::optional<T>* out) {
  if (vm.count(key)) *out = vm[key].as<T>();
}

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

po::options_description SubmitOptionsDescription() {
  po::options_description desc("Options (also read from #SBATCH / #DROVER lines of the script)");
  // clang-format off
  desc.add_options()
      ("help,h", "show this help")
      ("wrap", po::value<std::string>(), "run this command with /bin/sh -c instead of a script")
      ("job-name,J", po::value<std::string>(), "job name (default: the script's name, or \"wrap\")")
      ("name", po::value<std::string>(), "same as --job-name")
      ("cpus-per-task,c", po::value<int64_t>(), "cores per task (default 1)")
      ("cpus", po::value<int64_t>(), "same as --cpus-per-task")
      ("mem", po::value<std::string>(), "memory per task: MB, or with K/M/G/T suffix")
      ("dependency,d", po::value<std::string>(), "start after other jobs: afterok:JOB[:JOB],afterany:JOB,... (also after, afternotok)")
      ("hold,H", po::bool_switch(), "submit held: nothing starts until `drover release JOB`")
      ("begin,b", po::value<std::string>(), "not before: now+1hour, 16:00, 2026-12-24T18:00")
      ("mem-bind", po::value<std::string>(), "local: memory from the NUMA nodes of the task's cores, accounted there; none (default)")
      ("array,a", po::value<std::string>(), "task indexes 0-N, optionally %P to run at most P at once")
      ("parallelism", po::value<int64_t>(), "at most this many tasks at once")
      ("completions", po::value<int64_t>(), "tasks that must succeed (non-indexed)")
      ("time,t", po::value<std::string>(), "time limit: MM, MM:SS, HH:MM:SS, D-HH[:MM[:SS]]")
      ("output,o", po::value<std::string>(), "stdout file (as Slurm: %j job id, %a index, %x name, %N node, %u user)")
      ("error,e", po::value<std::string>(), "stderr file (same patterns; default: with stdout)")
      ("priority", po::value<int64_t>(), "higher runs first (default 0; admins only)")
      ("nice", po::value<int64_t>()->implicit_value(100),
       "lower this job's priority by N (default 100, as Slurm); negative N is for admins")
      ("backoff-limit", po::value<int64_t>(), "failed tasks tolerated before the job fails (default 6)")
      ("queue,p", po::value<std::string>(), "queue (Slurm: partition)")
      ("partition", po::value<std::string>(), "same as --queue")
      ("account,A", po::value<std::string>(), "account charged for fair-share")
      ("gang", po::bool_switch(), "start all tasks of the job at once or none")
      ("exclusive", po::bool_switch(), "whole nodes only")
      ("nodes,N", po::value<int64_t>(), "run on exactly this many nodes (with --gang)")
      ("ntasks-per-node", po::value<int64_t>(), "at most this many of the job's tasks per node")
      ("placement", po::value<std::string>(), "cores of a task: compact (default, one NUMA node first) or spread")
      ("env", po::value<std::vector<std::string>>()->composing(),
       "K=V for the tasks' environment (K alone copies your value); repeatable")
      ("chdir,D", po::value<std::string>(), "working directory (default: the current one)")
      ("wait,W", po::bool_switch(), "wait for the job to end; exit 0 only if it succeeded")
      ("parsable", po::bool_switch(), "print only the job id");
  // clang-format on
  return desc;
}

Result<SubmitFlags> ParseSubmitFlags(const std::vector<std::string>& words, bool allow_positional) {
  po::options_description desc = SubmitOptionsDescription();
  std::vector<std::string> option_words;
  SubmitFlags flags;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "--") {
      flags.positional.assign(words.begin() + static_cast<long>(i) + 1, words.end());
      break;
    }
    if (w.size() > 1 && w[0] == '-') {
      option_words.push_back(w);
      if (TakesSeparateValue(desc, w) && i + 1 < words.size()) option_words.push_back(words[++i]);
      continue;
    }
    flags.positional.assign(words.begin() + static_cast<long>(i), words.end());
    break;
  }
  if (!allow_positional && !flags.positional.empty()) {
    return Status::Invalid(
        "", "unexpected word \"" + flags.positional[0] + "\" (directives hold options only)");
  }
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(option_words)
                  .options(desc)
                  .style(po::command_line_style::unix_style)
                  .run(),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return Status::Invalid("", e.what());
  }
  flags.help = vm.count("help") > 0;
  CopyIf(vm, "wrap", &flags.wrap);
  CopyIf(vm, "name", &flags.name);
  CopyIf(vm, "job-name", &flags.name);
  CopyIf(vm, "cpus", &flags.cpus);
  CopyIf(vm, "cpus-per-task", &flags.cpus);
  CopyIf(vm, "mem", &flags.mem);
  CopyIf(vm, "mem-bind", &flags.mem_bind);
  CopyIf(vm, "dependency", &flags.dependency);
  CopyIf(vm, "begin", &flags.begin);
  flags.hold = vm["hold"].as<bool>();
  CopyIf(vm, "array", &flags.array);
  CopyIf(vm, "parallelism", &flags.parallelism);
  CopyIf(vm, "completions", &flags.completions);
  CopyIf(vm, "time", &flags.time);
  CopyIf(vm, "output", &flags.output);
  CopyIf(vm, "error", &flags.error);
  CopyIf(vm, "priority", &flags.priority);
  CopyIf(vm, "nice", &flags.nice);
  CopyIf(vm, "backoff-limit", &flags.backoff_limit);
  CopyIf(vm, "nodes", &flags.nodes);
  CopyIf(vm, "ntasks-per-node", &flags.ntasks_per_node);
  CopyIf(vm, "placement", &flags.placement);
  CopyIf(vm, "partition", &flags.queue);
  CopyIf(vm, "account", &flags.account);
  CopyIf(vm, "queue", &flags.queue);
  CopyIf(vm, "chdir", &flags.chdir);
  flags.gang = vm["gang"].as<bool>();
  flags.exclusive = vm["exclusive"].as<bool>();
  flags.wait = vm["wait"].as<bool>();
  flags.parsable = vm["parsable"].as<bool>();
  if (vm.count("env")) flags.env = vm["env"].as<std::vector<std::string>>();
  return flags;
}

SubmitFlags MergeSubmitFlags(const SubmitFlags& high, const SubmitFlags& low) {
  SubmitFlags out = high;
  auto fill = [](auto& dst, const auto& src) {
    if (!dst && src) dst = src;
  };
  fill(out.name, low.name);
  fill(out.wrap, low.wrap);
  fill(out.mem, low.mem);
  fill(out.mem_bind, low.mem_bind);
  fill(out.dependency, low.dependency);
  fill(out.begin, low.begin);
  out.hold = high.hold || low.hold;
  fill(out.array, low.array);
  fill(out.time, low.time);
  fill(out.output, low.output);
  fill(out.error, low.error);
  fill(out.queue, low.queue);
  fill(out.account, low.account);
  fill(out.chdir, low.chdir);
  fill(out.cpus, low.cpus);
  fill(out.parallelism, low.parallelism);
  fill(out.completions, low.completions);
  fill(out.priority, low.priority);
  fill(out.nice, low.nice);
  fill(out.backoff_limit, low.backoff_limit);
  fill(out.nodes, low.nodes);
  fill(out.ntasks_per_node, low.ntasks_per_node);
  fill(out.placement, low.placement);
  out.gang = high.gang || low.gang;
  out.exclusive = high.exclusive || low.exclusive;
  out.wait = high.wait || low.wait;
  out.parsable = high.parsable || low.parsable;
  out.help = high.help || low.help;
  out.env = low.env;
  out.env.insert(out.env.end(), high.env.begin(), high.env.end());
  return out;
}

Result<int64_t> ParseSlurmMemory(std::string_view text) {
  auto bad = [&] {
    return Status::Invalid("--mem", "bad memory size \"" + std::string(text) +
                                        "\" (want an integer of MB, or with a K, M, G or T "
                                        "suffix, e.g. 512, 4G)");
  };
  if (text.empty()) return bad();
  int shift = 20;  // megabytes by default, as in Slurm
  std::string_view digits = text;
  char unit = text.back();
  if (!(unit >= '0' && unit <= '9')) {
    switch (unit) {
      case 'K':
      case 'k':
        shift = 10;
        break;
      case 'M':
      case 'm':
        shift = 20;
        break;
      case 'G':
      case 'g':
        shift = 30;
        break;
      case 'T':
      case 't':
        shift = 40;
        break;
      default:
        return bad();
    }
    digits.remove_suffix(1);
  }
  int64_t n = 0;
  if (!ParseInt64(digits, &n) || n < 0) return bad();
  if (n > (std::numeric_limits<int64_t>::max() >> shift)) {
    return Status::Invalid("--mem", "memory size \"" + std::string(text) + "\" is too large");
  }
  return n << shift;
}

Result<ArraySpec> ParseArraySpec(std::string_view text) {
  std::string s(text);
  auto bad = [&](const std::string& why) { return Status::Invalid("--array", why); };
  ArraySpec spec;
  std::string_view range = text;
  size_t pct = text.find('%');
  if (pct != std::string_view::npos) {
    std::string_view p = text.substr(pct + 1);
    if (!ParseInt64(p, &spec.parallelism) || spec.parallelism < 1) {
      return bad("bad task limit after % in \"" + s + "\" (want e.g. 0-99%8)");
    }
    range = text.substr(0, pct);
  }
  if (range.find_first_of(",:") != std::string_view::npos) {
    return bad("\"" + s + "\": index lists and steps are not supported yet (want 0-N or 0-N%P)");
  }
  int64_t first = 0, last = 0;
  size_t dash = range.find('-');
  if (dash == std::string_view::npos) {
    if (!ParseInt64(range, &first)) return bad("bad index range \"" + s + "\" (want e.g. 0-99)");
    last = first;
  } else if (!ParseInt64(range.substr(0, dash), &first) ||
             !ParseInt64(range.substr(dash + 1), &last)) {
    return bad("bad index range \"" + s + "\" (want e.g. 0-99)");
  }
  if (first != 0) {
    return bad("\"" + s + "\": index ranges must start at 0 for now (want 0-N)");
  }
  if (last < first) return bad("\"" + s + "\": the range ends before it starts");
  if (last >= kMaxCompletions) {
    return bad("\"" + s + "\": at most " + std::to_string(kMaxCompletions) + " tasks");
  }
  spec.count = last - first + 1;
  return spec;
}

Result<int64_t> ParseTimeLimit(std::string_view text) {
  if (text == "UNLIMITED" || text == "unlimited" || text == "infinite") return int64_t{0};
  auto d = ParseSlurmDuration(text);
  if (!d.ok()) return Status::Invalid("--time", d.status().message());
  return *d;
}

Result<std::vector<JobDependency>> ParseDependencies(std::string_view text) {
  const std::string all(text);
  auto bad = [&](const std::string& why) {
    return Status::Invalid("--dependency", why + " in \"" + all + "\" (want e.g. afterok:12:13)");
  };
  if (text.find('?') != std::string_view::npos) return bad("\"?\" (any of) is not supported");
  std::vector<JobDependency> out;
  while (!text.empty()) {
    std::string_view item = text.substr(0, text.find(','));
    text.remove_prefix(std::min(text.size(), item.size() + 1));
    size_t colon = item.find(':');
    if (colon == std::string_view::npos) {
      return bad(item == "singleton" ? "singleton is not supported" : "no job id");
    }
    std::string type(item.substr(0, colon));
    if (type != "after" && type != "afterany" && type != "afterok" && type != "afternotok") {
      return bad("unknown dependency type \"" + type + "\"");
    }
    std::string_view ids = item.substr(colon + 1);
    while (true) {
      std::string_view id = ids.substr(0, ids.find(':'));
      int64_t n = 0;
      if (!ParseInt64(id, &n) || n <= 0) return bad("bad job id \"" + std::string(id) + "\"");
      out.push_back({type, static_cast<uint64_t>(n)});
      if (id.size() == ids.size()) break;
      ids.remove_prefix(id.size() + 1);
    }
  }
  if (out.empty()) return bad("no dependency");
  return out;
}

Result<int64_t> ParseBeginTime(std::string_view text, int64_t now_ms) {
  const std::string all(text);
  auto bad = [&](const std::string& why) {
    return Status::Invalid(
        "--begin", why + " (got \"" + all + "\"; want now+1hour, 16:00 or 2026-12-24T18:00)");
  };
  if (text.rfind("now", 0) == 0) {
    std::string_view rest = text.substr(3);
    if (rest.empty()) return now_ms;
    if (rest[0] != '+') return bad("only now+COUNT[UNIT] is relative");
    rest.remove_prefix(1);
    size_t digits = 0;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) {
      ++digits;
    }
    int64_t count = 0;
    if (!ParseInt64(rest.substr(0, digits), &count)) return bad("no count after now+");
    std::string_view unit = rest.substr(digits);
    int64_t seconds = 0;
    if (unit.empty() || unit == "s" || unit == "sec" || unit == "seconds") {
      seconds = 1;
    } else if (unit == "m" || unit == "min" || unit == "minutes") {
      seconds = 60;
    } else if (unit == "h" || unit == "hour" || unit == "hours") {
      seconds = 3600;
    } else if (unit == "d" || unit == "day" || unit == "days") {
      seconds = 86400;
    } else if (unit == "w" || unit == "week" || unit == "weeks") {
      seconds = 7 * 86400;
    } else {
      return bad("unknown unit \"" + std::string(unit) + "\"");
    }
    if (count > std::numeric_limits<int64_t>::max() / 1000 / seconds - now_ms / 1000) {
      return bad("too far in the future");
    }
    return now_ms + count * seconds * 1000;
  }
  time_t now_s = static_cast<time_t>(now_ms / 1000);
  struct tm tm {};
  localtime_r(&now_s, &tm);
  tm.tm_isdst = -1;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char tail = 0;
  const bool has_date = text.find('-') != std::string_view::npos;
  if (has_date) {
    int n = std::sscanf(all.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &year, &month, &day, &hour,
                        &minute, &second, &tail);
    if (n < 3 || n == 4 || n == 7 || (n == 3 && all.size() != 10)) return bad("bad date/time");
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
  } else {
    int n = std::sscanf(all.c_str(), "%2d:%2d:%2d%c", &hour, &minute, &second, &tail);
    if (n < 2 || n == 4) return bad("bad time of day");
  }
  if (month < 0 || month > 12 || day < 0 || day > 31 || hour > 23 || minute > 59 || second > 60 ||
      hour < 0 || minute < 0 || second < 0 || (has_date && (month < 1 || day < 1))) {
    return bad("a field is out of range");
  }
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  time_t t = std::mktime(&tm);
  if (t == static_cast<time_t>(-1)) return bad("not a time this machine can represent");
  if (!has_date && static_cast<int64_t>(t) * 1000 <= now_ms) {
    tm.tm_mday += 1;  // that time today has passed: tomorrow
    tm.tm_isdst = -1;
    t = std::mktime(&tm);
  }
  return static_cast<int64_t>(t) * 1000;
}

std::string JobNameFromFile(std::string_view file_name) {
  std::string out;
  for (char c : file_name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    if (out.empty() && !std::isalnum(static_cast<unsigned char>(c))) continue;
    out += ok ? c : '_';
    if (out.size() == kMaxNameLength) break;
  }
  return out.empty() ? "job" : out;
}

Result<Job> BuildJob(const SubmitFlags& flags, std::vector<std::string> command,
                     const std::string& default_name, const std::string& cwd,
                     const EnvLookup& lookup_env, int64_t now_ms) {
  Job job;
  job.metadata.name = flags.name.value_or(default_name);
  JobSpec& spec = job.spec;
  TaskTemplate& t = spec.task;
  t.command = std::move(command);

  if (flags.array && flags.completions) {
    return Status::Invalid("--array", "--array and --completions both set the number of tasks");
  }
  if (flags.array) {
    auto array = ParseArraySpec(*flags.array);
    if (!array.ok()) return array.status();
    spec.completion_mode = CompletionMode::kIndexed;
    spec.completions = array->count;
    // Slurm runs every array task the resources allow unless %P caps it.
    spec.parallelism =
        array->parallelism > 0 ? array->parallelism : std::min(array->count, kMaxParallelism);
  }
  if (flags.completions) spec.completions = *flags.completions;
  if (flags.parallelism) spec.parallelism = *flags.parallelism;
  if (flags.priority) {
    if (*flags.priority < std::numeric_limits<int32_t>::min() ||
        *flags.priority > std::numeric_limits<int32_t>::max()) {
      return Status::Invalid("--priority", "out of range");
    }
    spec.priority = static_cast<int32_t>(*flags.priority);
  }
  if (flags.nice) {
    if (*flags.nice < -kMaxNice || *flags.nice > kMaxNice) {
      return Status::Invalid("--nice", "must be between " + std::to_string(-kMaxNice) + " and " +
                                           std::to_string(kMaxNice));
    }
    spec.nice = static_cast<int32_t>(*flags.nice);
  }
  if (flags.backoff_limit) {
    if (*flags.backoff_limit < std::numeric_limits<int32_t>::min() ||
        *flags.backoff_limit > std::numeric_limits<int32_t>::max()) {
      return Status::Invalid("--backoff-limit", "out of range");
    }
    spec.backoff_limit = static_cast<int32_t>(*flags.backoff_limit);
  }
  if (flags.queue) spec.queue = *flags.queue;
  if (flags.account) spec.account = *flags.account;
  spec.gang = flags.gang;
  spec.exclusive = flags.exclusive;
  for (auto [flag, value, field] :
       {std::tuple{"--nodes", flags.nodes, &spec.nodes},
        std::tuple{"--ntasks-per-node", flags.ntasks_per_node, &spec.ntasks_per_node}}) {
    if (!value) continue;
    if (*value < 0 || *value > std::numeric_limits<int32_t>::max()) {
      return Status::Invalid(flag, "must not be negative (got " + std::to_string(*value) + ")");
    }
    *field = static_cast<int32_t>(*value);
  }
  if (flags.placement) {
    if (*flags.placement != "compact" && *flags.placement != "spread") {
      return Status::Invalid("--placement",
                             "must be compact or spread (got \"" + *flags.placement + "\")");
    }
    spec.placement = *flags.placement;
  }

  if (flags.cpus) {
    // Out-of-range values are left to validation, which names the field;
    // only values that do not fit the field at all are refused here.
    if (*flags.cpus < std::numeric_limits<int32_t>::min() ||
        *flags.cpus > std::numeric_limits<int32_t>::max()) {
      return Status::Invalid("--cpus", "value " + std::to_string(*flags.cpus) + " is out of range");
    }
    t.resources.cpus = static_cast<int32_t>(*flags.cpus);
  }
  if (flags.mem) {
    auto mem = ParseSlurmMemory(*flags.mem);
    if (!mem.ok()) return mem.status();
    t.resources.memory_bytes = *mem;
  }
  spec.hold = flags.hold;
  if (flags.dependency) {
    auto deps = ParseDependencies(*flags.dependency);
    if (!deps.ok()) return deps.status();
    spec.dependencies = std::move(*deps);
  }
  if (flags.begin) {
    auto begin = ParseBeginTime(*flags.begin, now_ms);
    if (!begin.ok()) return begin.status();
    spec.begin_time_ms = *begin;
  }
  if (flags.mem_bind) {
    if (*flags.mem_bind != "local" && *flags.mem_bind != "none") {
      return Status::Invalid("--mem-bind",
                             "must be local or none (got \"" + *flags.mem_bind + "\")");
    }
    t.resources.memory_bind = *flags.mem_bind;
  }
  if (flags.time) {
    auto limit = ParseTimeLimit(*flags.time);
    if (!limit.ok()) return limit.status();
    t.time_limit_s = *limit;
  }
  t.working_dir = flags.chdir ? AbsolutePath(*flags.chdir, cwd) : cwd;
  if (flags.output) t.stdout_path = AbsolutePath(*flags.output, t.working_dir);
  if (flags.error) t.stderr_path = AbsolutePath(*flags.error, t.working_dir);
  for (const std::string& e : flags.env) {
    size_t eq = e.find('=');
    if (eq == 0) return Status::Invalid("--env", "\"" + e + "\" has no variable name");
    if (eq == std::string::npos) {
      auto value = lookup_env(e);
      if (!value) {
        return Status::Invalid("--env",
                               "\"" + e + "\" is not set here (use --env " + e + "=VALUE)");
      }
      t.env.emplace_back(e, *value);
    } else {
      t.env.emplace_back(e.substr(0, eq), e.substr(eq + 1));
    }
  }
  // The API carries text as UTF-8: a script saved in Latin-1 is refused here,
  // naming what holds the bytes, rather than sent mangled.
  auto utf8 = [](const std::string& text) { return SanitizeUtf8(text) == text; };
  for (const std::string& word : t.command) {
    if (!utf8(word))
      return Status::Invalid("script", "is not valid UTF-8 (convert it: iconv -t UTF-8)");
  }
  for (const std::string& word : t.args) {
    if (!utf8(word)) return Status::Invalid("args", "an argument is not valid UTF-8");
  }
  for (const auto& [name, value] : t.env) {
    if (!utf8(name) || !utf8(value)) {
      return Status::Invalid("--env", "variable " + SanitizeUtf8(name) + " is not valid UTF-8");
    }
  }
  for (const auto* text : {&job.metadata.name, &t.working_dir, &t.stdout_path, &t.stderr_path,
                           &spec.queue, &spec.account}) {
    if (!utf8(*text))
      return Status::Invalid("", "\"" + SanitizeUtf8(*text) + "\" is not valid UTF-8");
  }
  return job;
}

}  // namespace drover::cli
