#include "api/index_set.h"

#include <algorithm>
#include <charconv>

namespace drover {

void IndexSet::Insert(int64_t index) { InsertRange(index, index); }

void IndexSet::InsertRange(int64_t first, int64_t last) {
  if (last < first) return;
  // Merge with an interval that starts before and touches [first, last].
  auto it = intervals_.upper_bound(first);
  if (it != intervals_.begin()) {
    auto prev = std::prev(it);
    if (prev->second + 1 >= first) {
      first = prev->first;
      last = std::max(last, prev->second);
      it = intervals_.erase(prev);
    }
  }
  // Absorb intervals that start inside or right after [first, last].
  while (it != intervals_.end() && it->first <= last + 1) {
    last = std::max(last, it->second);
    it = intervals_.erase(it);
  }
  intervals_.emplace(first, last);
}

void IndexSet::InsertAll(const IndexSet& other) {
  for (const auto& [first, last] : other.intervals_) InsertRange(first, last);
}

IndexSet IndexSet::Intersect(const IndexSet& other) const {
  IndexSet out;
  auto a = intervals_.begin();
  auto b = other.intervals_.begin();
  while (a != intervals_.end() && b != other.intervals_.end()) {
    const int64_t first = std::max(a->first, b->first);
    const int64_t last = std::min(a->second, b->second);
    if (first <= last) out.intervals_.emplace_hint(out.intervals_.end(), first, last);
    (a->second < b->second) ? ++a : ++b;
  }
  return out;
}

IndexSet IndexSet::Minus(const IndexSet& other) const {
  IndexSet out;
  auto b = other.intervals_.begin();
  for (const auto& [start, last] : intervals_) {
    int64_t first = start;
    while (b != other.intervals_.end() && b->second < first) ++b;
    for (auto c = b; c != other.intervals_.end() && c->first <= last; ++c) {
      if (c->first > first) out.intervals_.emplace_hint(out.intervals_.end(), first, c->first - 1);
      first = std::max(first, c->second + 1);
      if (first > last) break;
    }
    if (first <= last) out.intervals_.emplace_hint(out.intervals_.end(), first, last);
  }
  return out;
}

void IndexSet::Erase(int64_t index) {
  auto it = intervals_.upper_bound(index);
  if (it == intervals_.begin()) return;
  --it;
  auto [first, last] = *it;
  if (index > last) return;
  intervals_.erase(it);
  if (first < index) intervals_.emplace(first, index - 1);
  if (index < last) intervals_.emplace(index + 1, last);
}

bool IndexSet::Contains(int64_t index) const {
  auto it = intervals_.upper_bound(index);
  if (it == intervals_.begin()) return false;
  --it;
  return index <= it->second;
}

int64_t IndexSet::Count() const {
  int64_t n = 0;
  for (const auto& [first, last] : intervals_) n += last - first + 1;
  return n;
}

std::optional<int64_t> IndexSet::First() const {
  if (intervals_.empty()) return std::nullopt;
  return intervals_.begin()->first;
}

std::optional<int64_t> IndexSet::FirstFrom(int64_t from) const {
  auto it = intervals_.upper_bound(from);
  if (it != intervals_.begin() && std::prev(it)->second >= from) return from;
  if (it == intervals_.end()) return std::nullopt;
  return it->first;
}

std::optional<int64_t> IndexSet::Last() const {
  if (intervals_.empty()) return std::nullopt;
  return intervals_.rbegin()->second;
}

int64_t IndexSet::FirstAbsentFrom(int64_t from) const {
  auto it = intervals_.upper_bound(from);
  if (it == intervals_.begin()) return from;
  --it;
  return from <= it->second ? it->second + 1 : from;
}

std::string IndexSet::ToString() const {
  std::string out;
  for (const auto& [first, last] : intervals_) {
    if (!out.empty()) out += ',';
    out += std::to_string(first);
    if (last != first) {
      out += '-';
      out += std::to_string(last);
    }
  }
  return out;
}

static Result<int64_t> ParseIndex(std::string_view text, std::string_view whole) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < 0) {
    return Status::Invalid("", "bad index \"" + std::string(text) + "\" in \"" +
                                   std::string(whole) + "\" (want N or N-M, N >= 0)");
  }
  return v;
}

Result<IndexSet> IndexSet::Parse(std::string_view text) {
  IndexSet set;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view part = text.substr(pos, comma - pos);
    size_t dash = part.find('-');
    if (dash == std::string_view::npos) {
      auto v = ParseIndex(part, text);
      if (!v.ok()) return v.status();
      set.Insert(*v);
    } else {
      auto a = ParseIndex(part.substr(0, dash), text);
      if (!a.ok()) return a.status();
      auto b = ParseIndex(part.substr(dash + 1), text);
      if (!b.ok()) return b.status();
      if (*b < *a) {
        return Status::Invalid("", "range \"" + std::string(part) + "\" ends before it starts");
      }
      set.InsertRange(*a, *b);
    }
    pos = comma + 1;
  }
  return set;
}

}  // namespace drover
