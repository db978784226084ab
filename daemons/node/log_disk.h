// LogDisk: whether this node can take the task logs it writes (STATE/logs).
// A read-only or full disk there fails every task that lands on the node, so
// the agent refuses those launches with the reason and tells droverd, which
// drains the node until the disk takes writes again (as the kubelet's
// DiskPressure condition keeps new pods off a full node).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

namespace drover::node {

class LogDisk {
 public:
  // `min_free_bytes`: less free space than this (for unprivileged users) is
  // a problem too, before the disk is quite full. `check_ms`: how often
  // Current() checks fully while all is well.
  LogDisk(std::string dir, int64_t min_free_bytes, int64_t check_ms)
      : dir_(std::move(dir)), min_free_bytes_(min_free_bytes), check_ms_(check_ms) {}

  // Before launches: QuickCheck, remembered for Current(). "" = fine.
  std::string BeforeLaunch();
  // What to tell droverd now ("" = fine): a full check every check_ms while
  // all is well, and at every call while something is wrong, so that the
  // node is given work again as soon as its disk takes writes.
  std::string Current(int64_t now_ms);

  // What is wrong, "" = nothing: the file system's read-only flag and its
  // free space (statvfs; cheap enough before every launch).
  std::string QuickCheck() const;
  // QuickCheck, then a file made, written and removed in the directory: what
  // statvfs does not say (a disk that fails writes, no inodes left).
  std::string FullCheck() const;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  int64_t min_free_bytes_;
  int64_t check_ms_;
  std::mutex mu_;            // the poll thread launches, the report thread reports
  std::string problem_;      // guarded by mu_
  int64_t checked_ms_ = -1;  // guarded by mu_; -1 = never
};

}  // namespace drover::node
