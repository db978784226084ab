#include "db/postgres_leader_lock.h"

#include <pqxx/pqxx>

#include "db/migrations.h"
#include "db/store_url.h"

namespace drover::db {

namespace {

// Arbitrary, fixed, distinct from the migration lock: "drover.L" in ASCII.
constexpr const char* kTryLockSql = "SELECT pg_try_advisory_lock(7526752213137517132)";

// libpq gives up on a silent server after about 10 s instead of the
// kernel's two hours, so a leader cut off from PostgreSQL learns it soon.
std::string WithKeepalives(const std::string& url) {
  const char* params = "keepalives=1&keepalives_idle=5&keepalives_interval=2&keepalives_count=3";
  return url + (url.find('?') == std::string::npos ? "?" : "&") + params;
}

}  // namespace

struct PostgresLeaderLock::Connection {
  explicit Connection(const std::string& url) : conn(url) {}
  pqxx::connection conn;
};

PostgresLeaderLock::PostgresLeaderLock(std::string url) : url_(std::move(url)) {}
PostgresLeaderLock::~PostgresLeaderLock() = default;

Result<std::unique_ptr<PostgresLeaderLock>> PostgresLeaderLock::Open(const std::string& url) {
  std::unique_ptr<PostgresLeaderLock> lock(new PostgresLeaderLock(url));
  DROVER_RETURN_IF_ERROR(lock->EnsureConnected());
  return lock;
}

Status PostgresLeaderLock::Failed(std::string_view what) {
  std::string message;
  try {
    throw;
  } catch (const std::exception& e) {
    message = RedactSecrets(TrimDriverMessage(e.what()), url_);
  }
  if (connection_ && !connection_->conn.is_open()) {
    connection_.reset();
    held_ = false;  // the session that held it is gone, and with it the lock
  }
  return Status::Unavailable("postgresql " + RedactUrl(url_) + ": " + std::string(what) + ": " +
                             message);
}

Status PostgresLeaderLock::EnsureConnected() {
  if (connection_ && connection_->conn.is_open()) return Status::Ok();
  connection_.reset();
  held_ = false;
  try {
    connection_ = std::make_unique<Connection>(WithKeepalives(url_));
  } catch (...) {
    return Failed("cannot connect for the leader lock");
  }
  return Status::Ok();
}

Result<bool> PostgresLeaderLock::TryAcquire() {
  if (held_) {
    if (Status st = CheckHeld(); st.ok()) return true;
  }
  DROVER_RETURN_IF_ERROR(EnsureConnected());
  try {
    pqxx::nontransaction txn(connection_->conn);
    held_ = txn.exec1(kTryLockSql)[0].as<bool>();
    return held_;
  } catch (...) {
    return Failed("try the leader lock");
  }
}

Status PostgresLeaderLock::CheckHeld() {
  if (!held_ || !connection_) return Status::Unavailable("the leader lock is not held");
  // A session-level lock is held for as long as its session lives; we never
  // unlock it, so a live session is a held lock.
  try {
    pqxx::nontransaction txn(connection_->conn);
    txn.exec1("SELECT 1");
    return Status::Ok();
  } catch (...) {
    return Failed("check the leader lock's session");
  }
}

Result<int> PostgresLeaderLock::StoreSchemaVersion() {
  DROVER_RETURN_IF_ERROR(EnsureConnected());
  try {
    pqxx::nontransaction txn(connection_->conn);
    if (!txn.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL")[0].as<bool>()) return 0;
    return txn.exec1(std::string(kSchemaVersionSql))[0].as<int>();
  } catch (...) {
    return Failed("read the schema version");
  }
}

Result<LeaderTerm> PostgresLeaderLock::CurrentTerm() {
  DROVER_RETURN_IF_ERROR(EnsureConnected());
  try {
    pqxx::nontransaction txn(connection_->conn);
    if (!txn.exec1("SELECT to_regclass('leader') IS NOT NULL")[0].as<bool>()) return LeaderTerm{};
    const pqxx::row row = txn.exec1("SELECT term, holder, acquired_ms FROM leader WHERE id = 1");
    return LeaderTerm{row[0].as<int64_t>(), row[1].as<std::string>(), row[2].as<int64_t>()};
  } catch (...) {
    return Failed("read the leader term");
  }
}

}  // namespace drover::db
