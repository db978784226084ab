// ShippingCheckpoint: how far the log shipper has shipped each log file,
// kept in a file (atomically replaced) so a restarted shipper resumes where
// droverd's acknowledgements left it. A file is known by path and inode: a
// new file at an old path starts again from 0.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "api/status.h"

namespace drover::log_shipper {

struct FileProgress {
  uint64_t inode = 0;
  int64_t offset = 0;  // bytes droverd holds
  bool done = false;   // droverd wants no more of it (it forgot the task)
  bool operator==(const FileProgress&) const = default;
};

class ShippingCheckpoint {
 public:
  // The checkpoint kept at `path`; empty when there is none yet. Errors:
  // InvalidArgument for a file that is not a checkpoint.
  static Result<ShippingCheckpoint> Load(const std::string& path);

  // Replaces the file (write, fsync, rename). Errors name the path.
  Status Save() const;

  // The progress of the file at `path` with `inode` (zero if unknown, or if
  // the path now holds another file).
  FileProgress Get(const std::string& path, uint64_t inode) const;
  void Set(const std::string& path, FileProgress progress);
  // Forgets the files not in `present` (removed from the node).
  template <class Pred>
  void KeepOnly(Pred present) {
    std::erase_if(files_, [&](const auto& e) { return !present(e.first); });
  }
  const std::map<std::string, FileProgress>& files() const { return files_; }

 private:
  std::string path_;
  std::map<std::string, FileProgress> files_;
};

}  // namespace drover::log_shipper
