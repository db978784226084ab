// SqliteStore: the embedded Store backend, one SQLite database file.
//
// Durability: WAL journal with synchronous=FULL, so a Commit that returned Ok
// has been fsync'ed to the WAL and survives kill -9 and power loss. Each Commit
// is one BEGIN IMMEDIATE ... COMMIT transaction over statements prepared once at
// open. A busy database (another process holding the write lock) is waited for
// up to 5 s, then reported as Unavailable.
//
// Thread safety: none; one thread at a time (see Store).
#pragma once

#include <memory>
#include <span>
#include <string>

#include "db/migrations.h"
#include "db/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace drover::db {

class SqliteStore final : public Store {
 public:
  // Opens or creates the database file at `path` (creating its parent
  // directory when missing) and applies `migrations`. Errors: Unavailable when
  // the file cannot be opened or WAL cannot be enabled; Conflict when the
  // schema is newer than `migrations`; Internal when a migration fails.
  static Result<std::unique_ptr<SqliteStore>> Open(
      const std::string& path, std::span<const Migration> migrations = BuiltinMigrations());

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Status Commit(const std::vector<Mutation>& batch) override;
  Result<std::vector<StoredObject>> LoadAll(std::string_view kind) override;
  Result<StoredObject> Get(std::string_view kind, std::string_view key) override;
  Result<std::vector<HistoryRecord>> QueryHistory(const HistoryQuery& query) override;
  Result<std::vector<HistoryUsage>> SumHistoryUsage(int64_t since_ms, int64_t bucket_ms) override;
  Result<LeaderTerm> BeginTerm(const std::string& holder, int64_t now_ms) override;
  Result<LeaderTerm> ReadLeaderTerm() override;
  int SchemaVersion() const override { return schema_version_; }
  std::string_view Backend() const override { return "sqlite"; }

  const std::string& path() const { return path_; }

 private:
  struct StmtDeleter {
    void operator()(sqlite3_stmt* stmt) const;
  };
  using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

  SqliteStore(std::string path, sqlite3* db);

  Status Configure();
  Status RunMigrations(std::span<const Migration> migrations);
  Status Prepare();
  Result<Stmt> PrepareOne(const char* sql);
  // Steps `stmt` to completion (SQLITE_DONE) and resets it.
  Status StepDone(sqlite3_stmt* stmt, std::string_view what);
  Status Exec(std::string_view sql, std::string_view what);
  Status Error(int rc, std::string_view what) const;
  void Rollback();
  // Steps read_term_ or begin_term_ (bound) to its one row.
  Result<LeaderTerm> StepTerm(sqlite3_stmt* stmt, std::string_view what);
  // Runs one history mutation of a batch inside its transaction.
  Status ApplyHistory(const Mutation& m, size_t index);

  std::string path_;
  sqlite3* db_;
  int schema_version_ = 0;
  Stmt begin_;
  Stmt commit_;
  Stmt rollback_;
  Stmt put_;
  Stmt delete_;
  Stmt get_;
  Stmt load_all_;
  Stmt record_history_;
  Stmt prune_history_;
  Stmt query_history_;
  Stmt sum_usage_;
  Stmt read_term_;
  Stmt begin_term_;
  int64_t fence_term_ = 0;  // 0: not fenced (no BeginTerm yet)
};

}  // namespace drover::db
