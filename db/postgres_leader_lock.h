// PostgresLeaderLock: the LeaderLock of a PostgreSQL store, a session-level
// advisory lock on a connection of its own.
#pragma once

#include <memory>
#include <string>

#include "db/leader_lock.h"

namespace drover::db {

class PostgresLeaderLock final : public LeaderLock {
 public:
  // Connects to `url` (a libpq URL). Errors: Unavailable when it cannot.
  static Result<std::unique_ptr<PostgresLeaderLock>> Open(const std::string& url);
  ~PostgresLeaderLock() override;
  PostgresLeaderLock(const PostgresLeaderLock&) = delete;
  PostgresLeaderLock& operator=(const PostgresLeaderLock&) = delete;

  Result<bool> TryAcquire() override;
  Status CheckHeld() override;
  Result<int> StoreSchemaVersion() override;
  Result<LeaderTerm> CurrentTerm() override;

 private:
  struct Connection;  // keeps libpqxx out of this header
  explicit PostgresLeaderLock(std::string url);
  Status EnsureConnected();
  Status Failed(std::string_view what);

  std::string url_;
  std::unique_ptr<Connection> connection_;
  bool held_ = false;  // on connection_'s session
};

}  // namespace drover::db
