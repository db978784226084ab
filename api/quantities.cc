#include "api/quantities.h"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <vector>

namespace drover {
namespace {

// Input quoted in a message: valid UTF-8, at most 64 bytes.
std::string Quoted(std::string_view text) {
  std::string s = SanitizeUtf8(text.substr(0, 64));
  if (text.size() > 64) s += "...";
  return "\"" + s + "\"";
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int ToInt(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

}  // namespace

std::string FormatTime(int64_t unix_ms) {
  if (unix_ms == 0) return "";
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return buf;
}

Result<int64_t> ParseTime(std::string_view s) {
  if (s.empty()) return int64_t{0};
  auto bad = [&](const std::string& why) {
    return Status::Invalid("", "bad time " + Quoted(s) + ": " + why +
                                   " (want RFC 3339 UTC, e.g. 2026-01-02T03:04:05Z)");
  };
  // YYYY-MM-DDTHH:MM:SS, fixed width, then [.fraction] Z.
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return bad("not of the form YYYY-MM-DDTHH:MM:SSZ");
  }
  for (size_t at : {0u, 5u, 8u, 11u, 14u, 17u}) {
    size_t len = at == 0 ? 4 : 2;
    if (!IsDigits(s.substr(at, len))) return bad("not of the form YYYY-MM-DDTHH:MM:SSZ");
  }
  int year = ToInt(s.substr(0, 4)), month = ToInt(s.substr(5, 2)), day = ToInt(s.substr(8, 2));
  int hour = ToInt(s.substr(11, 2)), minute = ToInt(s.substr(14, 2)),
      second = ToInt(s.substr(17, 2));
  if (year < 1970) return bad("years before 1970 are not supported");
  if (month < 1 || month > 12) return bad("month " + std::to_string(month) + " does not exist");
  if (day < 1 || day > DaysInMonth(year, month)) {
    return bad("day " + std::to_string(day) + " does not exist in that month");
  }
  if (hour > 23 || minute > 59 || second > 59) return bad("no such time of day");
  size_t pos = 19;
  int ms = 0;
  if (s[pos] == '.') {
    size_t end = pos + 1;
    int digits = 0;
    while (end < s.size() && s[end] >= '0' && s[end] <= '9') {
      if (digits < 3) ms = ms * 10 + (s[end] - '0');
      ++digits;
      ++end;
    }
    if (digits == 0) return bad("a '.' must be followed by digits");
    for (int d = digits; d < 3; ++d) ms *= 10;
    pos = end;
  }
  if (s.substr(pos) != "Z" && s.substr(pos) != "z") return bad("must be in UTC (end in Z)");
  struct tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

Result<int64_t> ParseQuantity(const Json& value) {
  if (value.is_number_unsigned() &&
      value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Status::Invalid("", "is too large");
  }
  if (value.is_number_integer()) {
    int64_t v = value.get<int64_t>();
    if (v < 0) return Status::Invalid("", "must not be negative (got " + std::to_string(v) + ")");
    return v;
  }
  if (!value.is_string()) {
    return Status::Invalid("", "must be bytes or a quantity like \"512Mi\" (got a " +
                                   std::string(value.type_name()) + ")");
  }
  const std::string& s = value.get_ref<const std::string&>();
  double number = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
  std::string_view suffix(ptr, s.data() + s.size() - ptr);
  if (ec != std::errc() || !(number >= 0)) {
    return Status::Invalid("", "bad quantity " + Quoted(s) + " (want e.g. 512Mi, 4Gi, 1G)");
  }
  struct Unit {
    std::string_view name;
    double factor;
  };
  static constexpr Unit kUnits[] = {{"", 1},
                                    {"k", 1e3},
                                    {"K", 1e3},
                                    {"M", 1e6},
                                    {"G", 1e9},
                                    {"T", 1e12},
                                    {"Ki", 1024.0},
                                    {"Mi", 1048576.0},
                                    {"Gi", 1073741824.0},
                                    {"Ti", 1099511627776.0}};
  for (const Unit& u : kUnits) {
    if (suffix == u.name) {
      double bytes = number * u.factor;
      if (!(bytes <= 9.0e18)) return Status::Invalid("", "quantity " + Quoted(s) + " is too large");
      return static_cast<int64_t>(bytes);
    }
  }
  return Status::Invalid("", "unknown unit " + Quoted(suffix) + " in " + Quoted(s) +
                                 " (use Ki, Mi, Gi, Ti, k, M, G or T)");
}

Result<int64_t> ParseSlurmDuration(std::string_view text) {
  auto bad = [&] {
    return Status::Invalid("", "bad duration " + Quoted(text) +
                                   " (want seconds, MM, MM:SS, HH:MM:SS or D-HH[:MM[:SS]])");
  };
  // Each part is at most 9 digits, so no sum below can overflow.
  auto parse_number = [](std::string_view part, int64_t* v) {
    if (!IsDigits(part) || part.size() > 9) return false;
    *v = 0;
    for (char c : part) *v = *v * 10 + (c - '0');
    return true;
  };
  std::vector<int64_t> parts;
  auto parse_parts = [&](std::string_view p) -> bool {
    size_t pos = 0;
    while (pos <= p.size()) {
      size_t colon = p.find(':', pos);
      if (colon == std::string_view::npos) colon = p.size();
      int64_t v = 0;
      if (!parse_number(p.substr(pos, colon - pos), &v)) return false;
      parts.push_back(v);
      if (parts.size() > 3) return false;
      pos = colon + 1;
    }
    return true;
  };
  int64_t seconds = 0;
  size_t dash = text.find('-');
  if (dash != std::string_view::npos) {
    int64_t days = 0;
    if (!parse_number(text.substr(0, dash), &days)) return bad();
    if (!parse_parts(text.substr(dash + 1))) return bad();
    // D-HH, D-HH:MM, D-HH:MM:SS
    int64_t h = parts[0], m = parts.size() > 1 ? parts[1] : 0,
            sec = parts.size() > 2 ? parts[2] : 0;
    seconds = days * 86400 + h * 3600 + m * 60 + sec;
  } else {
    if (!parse_parts(text)) return bad();
    switch (parts.size()) {
      case 1:
        seconds = parts[0] * 60;  // MM
        break;
      case 2:
        seconds = parts[0] * 60 + parts[1];  // MM:SS
        break;
      default:
        seconds = parts[0] * 3600 + parts[1] * 60 + parts[2];  // HH:MM:SS
    }
  }
  if (seconds > kMaxDurationSeconds) {
    return Status::Invalid("", "duration " + Quoted(text) + " is longer than a century");
  }
  return seconds;
}

Result<int64_t> ParseDuration(const Json& value) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() &&
        value.get<uint64_t>() > static_cast<uint64_t>(kMaxDurationSeconds)) {
      return Status::Invalid("", "is longer than a century");
    }
    int64_t v = value.get<int64_t>();
    if (v < 0) return Status::Invalid("", "must not be negative (got " + std::to_string(v) + ")");
    if (v > kMaxDurationSeconds) return Status::Invalid("", "is longer than a century");
    return v;
  }
  if (!value.is_string()) {
    return Status::Invalid("", "must be seconds or a duration like \"1:30:00\" (got a " +
                                   std::string(value.type_name()) + ")");
  }
  return ParseSlurmDuration(value.get_ref<const std::string&>());
}

}  // namespace drover
