#include "api/hostlist.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>

namespace drover {
namespace {

constexpr size_t kMaxNumberDigits = 18;  // fits int64 with room to add 1

Status Bad(std::string_view text, const std::string& rule) {
  return Status::Invalid("", "hostlist \"" + std::string(text.substr(0, 200)) + "\": " + rule);
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string Padded(int64_t n, size_t width) {
  std::string digits = std::to_string(n);
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return digits;
}

// "01-04,7" -> {"01","02","03","04","7"}.
Status ExpandBracket(std::string_view whole, std::string_view inside, size_t budget,
                     std::vector<std::string>* out) {
  if (inside.empty()) return Bad(whole, "empty brackets");
  size_t pos = 0;
  while (pos <= inside.size()) {
    size_t comma = inside.find(',', pos);
    if (comma == std::string_view::npos) comma = inside.size();
    std::string_view item = inside.substr(pos, comma - pos);
    size_t dash = item.find('-');
    std::string_view lo = item.substr(0, dash);
    std::string_view hi = dash == std::string_view::npos ? lo : item.substr(dash + 1);
    if (!AllDigits(lo) || !AllDigits(hi)) {
      return Bad(whole, "\"" + std::string(item) + "\" in brackets is not N or N-M");
    }
    if (lo.size() > kMaxNumberDigits || hi.size() > kMaxNumberDigits) {
      return Bad(whole, "a number has more than 18 digits");
    }
    const int64_t a = std::stoll(std::string(lo));
    const int64_t b = std::stoll(std::string(hi));
    if (b < a) return Bad(whole, "range " + std::string(item) + " runs backwards");
    if (static_cast<uint64_t>(b - a) >= budget - std::min(budget, out->size())) {
      return Bad(whole, "expands to more than " + std::to_string(kMaxHostlistNames) + " names");
    }
    for (int64_t n = a; n <= b; ++n) out->push_back(Padded(n, lo.size()));
    pos = comma + 1;
    if (comma == inside.size()) break;
  }
  return Status::Ok();
}

// One name with brackets, e.g. "r[1-2]n[01-02]", appended to `out`.
Status ExpandOne(std::string_view whole, std::string_view name, std::vector<std::string>* out) {
  std::vector<std::string> partial = {""};
  size_t pos = 0;
  while (pos < name.size()) {
    size_t open = name.find('[', pos);
    std::string_view literal =
        name.substr(pos, open == std::string_view::npos ? name.npos : open - pos);
    if (literal.find(']') != std::string_view::npos) return Bad(whole, "']' without '['");
    for (std::string& p : partial) p += literal;
    if (open == std::string_view::npos) break;
    size_t close = name.find(']', open);
    if (close == std::string_view::npos) return Bad(whole, "'[' without ']'");
    std::vector<std::string> numbers;
    const size_t budget = kMaxHostlistNames / std::max<size_t>(1, partial.size());
    DROVER_RETURN_IF_ERROR(
        ExpandBracket(whole, name.substr(open + 1, close - open - 1), budget, &numbers));
    std::vector<std::string> next;
    next.reserve(partial.size() * numbers.size());
    for (const std::string& p : partial) {
      for (const std::string& n : numbers) next.push_back(p + n);
    }
    partial = std::move(next);
    pos = close + 1;
  }
  if (out->size() + partial.size() > kMaxHostlistNames) {
    return Bad(whole, "expands to more than " + std::to_string(kMaxHostlistNames) + " names");
  }
  for (std::string& p : partial) {
    if (p.empty()) return Bad(whole, "an empty name");
    out->push_back(std::move(p));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::string>> ExpandHostlist(std::string_view text) {
  std::vector<std::string> names;
  if (text.empty()) return names;
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : ',';
    if (c == '[') {
      if (++depth > 1) return Bad(text, "brackets inside brackets");
    } else if (c == ']') {
      if (--depth < 0) return Bad(text, "']' without '['");
    } else if (c == ',' && depth == 0) {
      std::string_view one = text.substr(start, i - start);
      if (one.empty()) return Bad(text, "an empty name");
      DROVER_RETURN_IF_ERROR(ExpandOne(text, one, &names));
      start = i + 1;
    } else if (std::isspace(static_cast<unsigned char>(c)) || c == '\0') {
      return Bad(text, "names hold no spaces or control characters");
    }
  }
  if (depth != 0) return Bad(text, "'[' without ']'");
  return names;
}

std::string CompressHostlist(const std::vector<std::string>& names) {
  // (prefix, width) -> numbers; width 0 = written without leading zeros.
  // Names without a trailing number stand alone.
  std::map<std::pair<std::string, size_t>, std::set<int64_t>> numbered;
  std::vector<std::pair<std::string, std::string>> unpadded;  // prefix, number
  std::set<std::string> plain;
  for (const std::string& name : names) {
    size_t digits = 0;
    while (digits < name.size() && digits < kMaxNumberDigits &&
           std::isdigit(static_cast<unsigned char>(name[name.size() - 1 - digits]))) {
      ++digits;
    }
    // A digit run too long to be a number is kept as it is.
    const bool too_long = digits == kMaxNumberDigits && digits < name.size() &&
                          std::isdigit(static_cast<unsigned char>(name[name.size() - 1 - digits]));
    if (digits == 0 || too_long) {
      plain.insert(name);
      continue;
    }
    std::string prefix = name.substr(0, name.size() - digits);
    std::string number = name.substr(name.size() - digits);
    if (number.size() > 1 && number[0] == '0') {
      numbered[{prefix, number.size()}].insert(std::stoll(number));
    } else {
      unpadded.emplace_back(std::move(prefix), std::move(number));
    }
  }
  // "n10" joins n07..n09 (as n[07-10]) when that padded group exists.
  for (const auto& [prefix, number] : unpadded) {
    auto padded = numbered.find({prefix, number.size()});
    size_t width = padded != numbered.end() ? number.size() : 0;
    numbered[{prefix, width}].insert(std::stoll(number));
  }
  // Sorted by the text each group starts with, so the result is stable.
  std::vector<std::tuple<std::string, std::string>> groups;  // sort key, text
  for (const std::string& p : plain) groups.emplace_back(p, p);
  for (const auto& [key, numbers] : numbered) {
    const auto& [prefix, width] = key;
    // A run keeps one bracket only while every number has the width; an
    // unpadded number longer than the width (n99 -> n100) is fine, a padded
    // one is not: "n09" and "n100" would read back as n009..n100 otherwise.
    std::vector<std::string> items;
    auto it = numbers.begin();
    while (it != numbers.end()) {
      int64_t first = *it, last = *it;
      auto next = std::next(it);
      while (next != numbers.end() && *next == last + 1 &&
             (width == 0 || Padded(*next, width).size() == width)) {
        last = *next;
        ++next;
      }
      items.push_back(first == last ? Padded(first, width)
                                    : Padded(first, width) + "-" + Padded(last, width));
      it = next;
    }
    std::string text = prefix;
    if (items.size() == 1 && items[0].find('-') == std::string::npos) {
      text += items[0];
    } else {
      text += "[";
      for (size_t i = 0; i < items.size(); ++i) text += (i ? "," : "") + items[i];
      text += "]";
    }
    groups.emplace_back(prefix + Padded(*numbers.begin(), width), std::move(text));
  }
  std::sort(groups.begin(), groups.end());
  std::string out;
  for (const auto& [key, text] : groups) out += (out.empty() ? "" : ",") + text;
  return out;
}

Result<std::vector<int32_t>> ExpandCountList(std::string_view text) {
  std::vector<int32_t> out;
  const auto bad = [&](const std::string& why) {
    return Status::Invalid("tasksPerNode", "\"" + std::string(text) + "\": " + why);
  };
  // A run of digits at `at`, as a number of at most 1,000,000.
  const auto number = [&](size_t& at, int64_t* n) {
    const size_t start = at;
    *n = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9' && *n <= 1'000'000) {
      *n = *n * 10 + (text[at++] - '0');
    }
    return at > start && *n <= 1'000'000;
  };
  for (size_t at = 0; at < text.size();) {
    int64_t count = 0, repeat = 1;
    if (!number(at, &count)) return bad("each entry is a count of at most 1000000");
    if (text.substr(at, 2) == "(x") {
      at += 2;
      if (!number(at, &repeat) || repeat < 1 || at >= text.size() || text[at] != ')') {
        return bad("a repeat is written (xN), N at least 1");
      }
      ++at;
    }
    if (out.size() + static_cast<size_t>(repeat) > kMaxHostlistNames) {
      return bad("more than " + std::to_string(kMaxHostlistNames) + " entries");
    }
    out.insert(out.end(), static_cast<size_t>(repeat), static_cast<int32_t>(count));
    if (at < text.size()) {
      if (text[at] != ',' || at + 1 == text.size()) return bad("entries are separated by commas");
      ++at;
    }
  }
  if (out.empty()) return bad("is empty");
  return out;
}

}  // namespace drover
