#include "db/file_leader_lock.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "db/migrations.h"

namespace drover::db {

namespace {

// The database opened read-only (db is null when it cannot be): a standby
// must not create or migrate the leader's store.
struct ReadOnlyDb {
  explicit ReadOnlyDb(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close_v2(db);
      db = nullptr;
    }
  }
  ~ReadOnlyDb() { sqlite3_close_v2(db); }
  sqlite3* db = nullptr;
};

}  // namespace

Result<std::unique_ptr<FileLeaderLock>> FileLeaderLock::Open(const std::string& db_path) {
  const std::string path = db_path + ".leader";
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::Unavailable("cannot open the leader lock file " + path + ": " +
                               std::strerror(errno));
  }
  return std::unique_ptr<FileLeaderLock>(new FileLeaderLock(db_path, fd));
}

FileLeaderLock::~FileLeaderLock() { ::close(fd_); }

Result<bool> FileLeaderLock::TryAcquire() {
  if (held_) return true;
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) {
    held_ = true;
    return true;
  }
  if (errno == EWOULDBLOCK) return false;
  return Status::Unavailable("cannot lock " + db_path_ + ".leader: " + std::strerror(errno));
}

Status FileLeaderLock::CheckHeld() {
  // An flock lasts as long as the descriptor: nothing outside can take it.
  return held_ ? Status::Ok()
               : Status::Unavailable(db_path_ + ".leader is not locked by this process");
}

Result<int> FileLeaderLock::StoreSchemaVersion() {
  std::error_code ec;
  if (!std::filesystem::exists(db_path_, ec) || std::filesystem::file_size(db_path_, ec) == 0) {
    return 0;
  }
  ReadOnlyDb ro(db_path_);
  if (ro.db == nullptr)
    return Status::Unavailable("sqlite " + db_path_ + ": cannot open read-only");
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(ro.db, std::string(kSchemaVersionSql).c_str(), -1, &stmt, nullptr) !=
      SQLITE_OK) {
    return 0;  // no table: nothing migrated yet
  }
  int version = 0;
  if (sqlite3_step(stmt) == SQLITE_ROW) version = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  return version;
}

Result<LeaderTerm> FileLeaderLock::CurrentTerm() {
  std::error_code ec;
  if (!std::filesystem::exists(db_path_, ec)) return LeaderTerm{};
  ReadOnlyDb ro(db_path_);
  if (ro.db == nullptr)
    return Status::Unavailable("sqlite " + db_path_ + ": cannot open read-only");
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(ro.db, "SELECT term, holder, acquired_ms FROM leader WHERE id = 1", -1,
                         &stmt, nullptr) != SQLITE_OK) {
    return LeaderTerm{};  // a schema before terms
  }
  LeaderTerm term;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    term.term = sqlite3_column_int64(stmt, 0);
    const char* holder = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
    term.holder = holder != nullptr ? holder : "";
    term.acquired_ms = sqlite3_column_int64(stmt, 2);
  }
  sqlite3_finalize(stmt);
  return term;
}

}  // namespace drover::db
