// The values of `drover submit`'s (and sbatch's) options, parsed as Slurm
// reads them: --mem, --array, --signal, --time, --dependency, --begin,
// --export, and job names from file names. Pure (declared in
// submit_options.h).
#include <cctype>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <limits>

#include "api/quantities.h"
#include "api/validation.h"
#include "cmd/drover/submit_options.h"

namespace drover::cli {
namespace {

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

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
  const std::string s(text);
  auto bad = [&](const std::string& why) {
    return Status::Invalid("--array",
                           "\"" + s + "\": " + why + " (want e.g. 0-99, 1,3,5, 0-20:5 or 0-99%8)");
  };
  ArraySpec spec;
  std::string_view list = text;
  size_t pct = text.find('%');
  if (pct != std::string_view::npos) {
    if (!ParseInt64(text.substr(pct + 1), &spec.parallelism) || spec.parallelism < 1) {
      return bad("bad task limit after %");
    }
    list = text.substr(0, pct);
  }
  if (list.empty()) return bad("no indexes");
  IndexSet indexes;
  while (!list.empty()) {
    std::string_view item = list.substr(0, list.find(','));
    list.remove_prefix(std::min(list.size(), item.size() + 1));
    if (item.empty()) return bad("an empty item");
    int64_t step = 1;
    size_t colon = item.find(':');
    if (colon != std::string_view::npos) {
      if (!ParseInt64(item.substr(colon + 1), &step) || step < 1) return bad("bad step");
      item = item.substr(0, colon);
    }
    int64_t first = 0, last = 0;
    size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      if (!ParseInt64(item, &first) || first < 0) return bad("bad index");
      if (colon != std::string_view::npos) return bad("a step needs a range");
      last = first;
    } else if (!ParseInt64(item.substr(0, dash), &first) ||
               !ParseInt64(item.substr(dash + 1), &last) || first < 0) {
      return bad("bad index range");
    }
    if (last < first) return bad("a range ends before it starts");
    if (last >= kMaxCompletions) {
      return bad("indexes must be below " + std::to_string(kMaxCompletions));
    }
    if (step == 1) {
      indexes.InsertRange(first, last);
    } else {
      if ((last - first) / step >= kMaxCompletions) return bad("too many indexes");
      for (int64_t i = first; i <= last; i += step) indexes.Insert(i);
    }
  }
  spec.count = indexes.Count();
  // 0..N-1 is an ordinary Indexed Job; anything else lists its indexes.
  if (!(indexes.First() == 0 && *indexes.Last() == spec.count - 1)) spec.indexes = indexes;
  return spec;
}

Result<WarningSignal> ParseWarningSignal(std::string_view text) {
  const std::string all(text);
  auto bad = [&](const std::string& why) {
    return Status::Invalid("--signal", why + " in \"" + all + "\" (want e.g. B:USR1@30 or 10@120)");
  };
  WarningSignal out;
  if (text.size() > 2 && text[1] == ':') {
    if (text[0] == 'B') {
      out.shell_only = true;
    } else if (text[0] != 'R') {
      return bad("unknown prefix (B: the batch shell; R: accepted)");
    }
    text.remove_prefix(2);
  }
  std::string_view sig = text.substr(0, text.find('@'));
  if (sig.size() < text.size()) {
    int64_t secs = 0;
    if (!ParseInt64(text.substr(sig.size() + 1), &secs) || secs < 0 || secs > 65535) {
      return bad("bad seconds after @");
    }
    out.seconds = static_cast<int32_t>(secs);
  }
  auto number = ParseSignalName(sig);
  if (!number.ok()) return bad(number.status().message());
  out.signal = *number;
  return out;
}

Result<int32_t> ParseSignalName(std::string_view sig) {
  const std::string all(sig);
  if (sig.rfind("SIG", 0) == 0) sig.remove_prefix(3);
  static constexpr std::pair<const char*, int> kNames[] = {
      {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
      {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"ALRM", SIGALRM},
      {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"URG", SIGURG},
      {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"PWR", SIGPWR},   {"WINCH", SIGWINCH}};
  int64_t number = 0;
  if (ParseInt64(sig, &number)) {
    if (number < 1 || number > 64) {
      return Status::Invalid("signal", "a signal number is 1 to 64 (got " + all + ")");
    }
    return static_cast<int32_t>(number);
  }
  for (const auto& [name, value] : kNames) {
    if (sig == name) return value;
  }
  return Status::Invalid("signal", "unknown signal \"" + all + "\"");
}

Result<int64_t> ParseTimeLimit(std::string_view text) {
  if (text == "UNLIMITED" || text == "unlimited" || text == "infinite") return int64_t{0};
  auto d = ParseSlurmDuration(text);
  if (!d.ok()) return Status::Invalid("--time", d.status().message());
  return *d;
}

Result<std::vector<JobDependency>> ParseDependencies(std::string_view text, bool* any) {
  const std::string all(text);
  auto bad = [&](const std::string& why) {
    return Status::Invalid("--dependency", why + " in \"" + all + "\" (want e.g. afterok:12:13)");
  };
  // "," joins with AND, "?" with OR; Slurm allows one or the other.
  const bool or_joined = text.find('?') != std::string_view::npos;
  if (or_joined && text.find(',') != std::string_view::npos) {
    return bad("\",\" (all of) and \"?\" (any of) cannot be mixed");
  }
  if (any != nullptr) *any = or_joined;
  const char separator = or_joined ? '?' : ',';
  std::vector<JobDependency> out;
  while (!text.empty()) {
    std::string_view item = text.substr(0, text.find(separator));
    text.remove_prefix(std::min(text.size(), item.size() + 1));
    if (item == "singleton") {
      out.push_back({"singleton", 0});
      continue;
    }
    size_t colon = item.find(':');
    if (colon == std::string_view::npos) return bad("no job id");
    std::string type(item.substr(0, colon));
    if (type != "after" && type != "afterany" && type != "afterok" && type != "afternotok" &&
        type != "aftercorr") {
      return bad("unknown dependency type \"" + type + "\"");
    }
    std::string_view ids = item.substr(colon + 1);
    while (true) {
      std::string_view id = ids.substr(0, ids.find(':'));
      // after:JOB+MINUTES: this long after JOB started (or ended unstarted).
      std::string_view number = id.substr(0, id.find('+'));
      int64_t delay_min = 0;
      if (number.size() < id.size()) {
        std::string_view minutes = id.substr(number.size() + 1);
        if (type != "after") return bad("+MINUTES is only for after (got " + type + ")");
        if (!ParseInt64(minutes, &delay_min) || delay_min < 0 || delay_min > 525'600) {
          return bad("bad delay \"" + std::string(minutes) + "\" (want minutes)");
        }
      }
      int64_t n = 0;
      if (!ParseInt64(number, &n) || n <= 0) {
        return bad("bad job id \"" + std::string(number) + "\"");
      }
      out.push_back({type, static_cast<uint64_t>(n), delay_min * 60});
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

Result<std::vector<EnvVar>> ExportedEnvironment(const std::optional<std::string>& spec,
                                                const std::vector<std::string>& environ,
                                                const EnvLookup& lookup_env) {
  std::vector<EnvVar> out;
  auto own = [](const std::string& key) {
    return key.rfind("SLURM_", 0) == 0 || key.rfind("SLURMD_", 0) == 0 ||
           key.rfind("DROVER_", 0) == 0 || key == "PWD" || key == "OLDPWD" || key == "SHLVL" ||
           key == "_";
  };
  auto all = [&] {
    for (const std::string& e : environ) {
      size_t eq = e.find('=');
      if (eq == std::string::npos || eq == 0) continue;
      std::string key = e.substr(0, eq);
      if (!own(key)) out.emplace_back(std::move(key), e.substr(eq + 1));
    }
  };
  const std::string text = spec.value_or("ALL");
  if (text == "ALL") {
    all();
    return out;
  }
  if (text == "NONE") return out;
  std::string_view rest = text;
  bool first = true;
  while (!rest.empty() || first) {
    std::string_view item = rest.substr(0, rest.find(','));
    rest.remove_prefix(std::min(rest.size(), item.size() + 1));
    if (first && (item == "ALL" || item == "NONE")) {
      if (item == "ALL") all();
      first = false;
      continue;
    }
    first = false;
    if (item.empty()) return Status::Invalid("--export", "an empty item in \"" + text + "\"");
    const size_t eq = item.find('=');
    const std::string key(item.substr(0, eq));
    if (key.empty()) {
      return Status::Invalid("--export", "\"" + std::string(item) + "\" has no variable name");
    }
    if (eq != std::string_view::npos) {
      out.emplace_back(key, std::string(item.substr(eq + 1)));
    } else if (auto value = lookup_env(key)) {
      out.emplace_back(key, *value);
    }
  }
  return out;
}

Result<Labels> ParseConstraint(std::string_view text) {
  Labels out;
  if (text.find_first_of("|[]*") != std::string_view::npos) {
    return Status::Invalid("--constraint",
                           "\"" + std::string(text) +
                               "\": only features joined by & are supported (not |, counts "
                               "or brackets yet)");
  }
  size_t at = 0;
  while (at <= text.size()) {
    size_t end = text.find_first_of("&,", at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view feature = text.substr(at, end - at);
    if (feature.empty()) {
      return Status::Invalid("--constraint", "\"" + std::string(text) + "\" has an empty feature");
    }
    const size_t eq = feature.find('=');
    if (eq == std::string_view::npos) {
      out[std::string(feature)] = "true";
    } else {
      out[std::string(feature.substr(0, eq))] = std::string(feature.substr(eq + 1));
    }
    at = end + 1;
  }
  return out;
}

}  // namespace drover::cli
