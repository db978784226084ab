// FileLeaderLock: the LeaderLock of a SQLite store, an flock on "DB.leader".
#pragma once

#include <memory>
#include <string>

#include "db/leader_lock.h"

namespace drover::db {

class FileLeaderLock final : public LeaderLock {
 public:
  // `db_path`: the SQLite database file (need not exist yet).
  static Result<std::unique_ptr<FileLeaderLock>> Open(const std::string& db_path);
  ~FileLeaderLock() override;
  FileLeaderLock(const FileLeaderLock&) = delete;
  FileLeaderLock& operator=(const FileLeaderLock&) = delete;

  Result<bool> TryAcquire() override;
  Status CheckHeld() override;
  Result<int> StoreSchemaVersion() override;
  Result<LeaderTerm> CurrentTerm() override;

 private:
  FileLeaderLock(std::string db_path, int fd) : db_path_(std::move(db_path)), fd_(fd) {}

  std::string db_path_;
  int fd_ = -1;
  bool held_ = false;
};

}  // namespace drover::db
