// IndexSet: a set of non-negative task indexes stored as sorted, disjoint,
// non-adjacent intervals, so a million completed indexes of an array job cost
// a few bytes when they are contiguous. Text form as in Kubernetes'
// completedIndexes and Slurm's arrays: "0-3,7,9-12".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "api/status.h"

namespace drover {

class IndexSet {
 public:
  void Insert(int64_t index);
  void InsertRange(int64_t first, int64_t last);  // inclusive
  void Erase(int64_t index);
  bool Contains(int64_t index) const;
  bool empty() const { return intervals_.empty(); }
  int64_t Count() const;  // number of indexes
  std::optional<int64_t> First() const;
  // Smallest index >= from that is not in the set.
  int64_t FirstAbsentFrom(int64_t from) const;
  // Smallest index >= from that is in the set.
  std::optional<int64_t> FirstFrom(int64_t from) const;
  std::optional<int64_t> Last() const;
  void Clear() { intervals_.clear(); }

  // Set algebra, linear in the intervals of both sets.
  void InsertAll(const IndexSet& other);
  IndexSet Intersect(const IndexSet& other) const;
  IndexSet Minus(const IndexSet& other) const;

  std::string ToString() const;
  static Result<IndexSet> Parse(std::string_view text);

  bool operator==(const IndexSet&) const = default;

 private:
  std::map<int64_t, int64_t> intervals_;  // first -> last, inclusive
};

}  // namespace drover
