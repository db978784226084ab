#include "db/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "api/json_text.h"
#include "db/history_columns.h"
#include "db/mutation_check.h"

namespace drover::db {

namespace {

constexpr int kBusyTimeoutMs = 5000;

// Codes a retry (later, or after an operator frees space) can cure.
bool IsTransient(int rc) {
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
      return true;
    default:
      return false;
  }
}

// A new file's directory entry is only durable once its directory is synced;
// SQLite does that for the WAL but not for the main database file.
void SyncParentDirectory(const std::filesystem::path& file) {
  std::filesystem::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

class SqliteMigrationSession final : public MigrationSession {
 public:
  explicit SqliteMigrationSession(sqlite3* db) : db_(db) {}
  Dialect dialect() const override { return Dialect::kSqlite; }

  Status Exec(std::string_view sql) override {
    char* err = nullptr;
    const std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string message = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      return Status::Internal(message);
    }
    return Status::Ok();
  }

  Result<long long> QueryInt(std::string_view sql) override {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
        SQLITE_OK) {
      return Status::Internal(sqlite3_errmsg(db_));
    }
    const int rc = sqlite3_step(stmt);
    long long value = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
    std::string message = rc == SQLITE_ROW ? "" : sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW) return Status::Internal("query returned no row: " + message);
    return value;
  }

 private:
  sqlite3* db_;
};

}  // namespace

void SqliteStore::StmtDeleter::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

SqliteStore::SqliteStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

SqliteStore::~SqliteStore() {
  // Statements must be finalized before the connection closes.
  begin_.reset();
  commit_.reset();
  rollback_.reset();
  put_.reset();
  delete_.reset();
  get_.reset();
  load_all_.reset();
  record_history_.reset();
  prune_history_.reset();
  query_history_.reset();
  sum_usage_.reset();
  read_term_.reset();
  begin_term_.reset();
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       std::span<const Migration> migrations) {
  if (path.empty()) return Status::Invalid("url", "SQLite database path must not be empty");
  const std::filesystem::path file(path);
  std::error_code ec;
  if (file.has_parent_path()) {
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
      return Status::Unavailable("sqlite " + path + ": cannot create directory " +
                                 file.parent_path().string() + ": " + ec.message());
    }
  }
  const bool existed = std::filesystem::exists(file, ec);
  // SQLite takes an empty file for a new database: droverd would start as an
  // empty cluster and number jobs from 1 again. A store that was made is
  // never empty, so an empty file is damage, not a fresh start.
  if (existed && std::filesystem::is_regular_file(file, ec) &&
      std::filesystem::file_size(file, ec) == 0 && !ec) {
    return Status::Unavailable("sqlite " + path +
                               ": the file exists but is empty (0 bytes); refusing to serve it as "
                               "a new cluster. Restore it from a backup, or remove it to start "
                               "an empty cluster");
  }

  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Status::Unavailable("sqlite " + path + ": cannot open: " + message);
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, db));
  if (Status st = store->Configure(); !st.ok()) {
    // E.g. not a database file: this file cannot serve as the store.
    return Status::Unavailable(st.message());
  }
  DROVER_RETURN_IF_ERROR(store->RunMigrations(migrations));
  DROVER_RETURN_IF_ERROR(store->Prepare());
  if (!existed) SyncParentDirectory(file);
  return store;
}

Status SqliteStore::Configure() {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  // journal_mode answers with the mode in force; "wal" is not guaranteed (e.g.
  // some network file systems), and without it the durability/speed trade-off
  // this store promises does not hold.
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, "PRAGMA journal_mode=WAL", -1, &stmt, nullptr);
  std::string mode;
  if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    mode = text ? reinterpret_cast<const char*>(text) : "";
    rc = SQLITE_OK;
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_OK) return Error(rc, "enable WAL");
  if (mode != "wal") {
    return Status::Unavailable("sqlite " + path_ + ": journal_mode is \"" + mode +
                               "\", WAL is required (is the file on a local file system?)");
  }
  // FULL: the WAL is fsync'ed at every commit, so an acknowledged commit
  // survives power loss, not only a crash of the process.
  DROVER_RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL", "set synchronous"));
  // 64 MiB page cache: LoadAll at start-up and large batches stay in memory.
  DROVER_RETURN_IF_ERROR(Exec("PRAGMA cache_size=-65536", "set cache_size"));
  return Status::Ok();
}

Status SqliteStore::RunMigrations(std::span<const Migration> migrations) {
  // IMMEDIATE takes the write lock up front: two processes opening the same
  // file migrate one after the other instead of failing half way.
  DROVER_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", "begin migration"));
  SqliteMigrationSession session(db_);
  Result<int> version = Migrate(session, migrations);
  if (!version.ok()) {
    Exec("ROLLBACK", "roll back migration").ok();  // the error that matters is version's
    Status st = version.status();
    return Status(st.code(), "sqlite " + path_ + ": " + st.message());
  }
  DROVER_RETURN_IF_ERROR(Exec("COMMIT", "commit migration"));
  schema_version_ = *version;
  return Status::Ok();
}

Result<SqliteStore::Stmt> SqliteStore::PrepareOne(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, std::string("prepare \"") + sql + "\"");
  return Stmt(stmt);
}

namespace {

std::string RecordHistorySql() {
  std::string params;
  for (size_t i = 1; i <= HistoryColumns().size(); ++i) {
    params += (i > 1 ? ", ?" : "?") + std::to_string(i);
  }
  return "INSERT OR REPLACE INTO job_history (" + HistoryColumnList() + ") VALUES (" + params + ")";
}

// Each list filter arrives as a JSON array; "[]" turns it off.
std::string QueryHistorySql() {
  return "SELECT " + HistoryColumnList() +
         " FROM job_history WHERE"
         " (?1 = '[]' OR job_id IN (SELECT value FROM json_each(?1)))"
         " AND (?2 = '[]' OR user_name IN (SELECT value FROM json_each(?2)))"
         " AND (?3 = '[]' OR account IN (SELECT value FROM json_each(?3)))"
         " AND (?4 = '[]' OR partition_name IN (SELECT value FROM json_each(?4)))"
         " AND (?5 = '[]' OR state IN (SELECT value FROM json_each(?5)))"
         " AND (?6 = '[]' OR name IN (SELECT value FROM json_each(?6)))"
         " AND (?7 = 0 OR end_ms >= ?7) AND (?8 = 0 OR submit_ms <= ?8)"
         " AND (?9 = 1 OR step = '')"
         " ORDER BY job_id, array_index, id LIMIT ?10";
}

class SqliteRowWriter final : public HistoryRowWriter {
 public:
  explicit SqliteRowWriter(sqlite3_stmt* stmt) : stmt_(stmt) {}
  void Int(int column, int64_t value) override { sqlite3_bind_int64(stmt_, column + 1, value); }
  void Real(int column, double value) override { sqlite3_bind_double(stmt_, column + 1, value); }
  void Text(int column, const std::string& value) override {
    sqlite3_bind_text64(stmt_, column + 1, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8);
  }

 private:
  sqlite3_stmt* stmt_;
};

class SqliteRowReader final : public HistoryRowReader {
 public:
  explicit SqliteRowReader(sqlite3_stmt* stmt) : stmt_(stmt) {}
  int64_t Int(int column) override { return sqlite3_column_int64(stmt_, column); }
  double Real(int column) override { return sqlite3_column_double(stmt_, column); }
  std::string Text(int column) override {
    const char* text = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
    return std::string(text ? text : "", sqlite3_column_bytes(stmt_, column));
  }

 private:
  sqlite3_stmt* stmt_;
};

template <typename T>
std::string JsonArray(const std::vector<T>& values) {
  return Json(values).dump();
}

}  // namespace

Status SqliteStore::Prepare() {
  const std::string record_history = RecordHistorySql();
  const std::string query_history = QueryHistorySql();
  struct {
    Stmt* slot;
    const char* sql;
  } const statements[] = {
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
      {&put_,
       "INSERT INTO objects (kind, key, data) VALUES (?1, ?2, ?3) "
       "ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data"},
      {&delete_, "DELETE FROM objects WHERE kind = ?1 AND key = ?2"},
      {&get_, "SELECT data FROM objects WHERE kind = ?1 AND key = ?2"},
      {&load_all_, "SELECT key, data FROM objects WHERE kind = ?1 ORDER BY key"},
      {&record_history_, record_history.c_str()},
      {&prune_history_, "DELETE FROM job_history WHERE end_ms > 0 AND end_ms < ?1"},
      {&query_history_, query_history.c_str()},
      {&sum_usage_,
       "SELECT user_name, account, (end_ms / ?2) * ?2 AS bucket, SUM(core_seconds) "
       "FROM job_history WHERE step = '' AND end_ms >= ?1 "
       "GROUP BY user_name, account, bucket ORDER BY bucket"},
      {&read_term_, "SELECT term, holder, acquired_ms FROM leader WHERE id = 1"},
      {&begin_term_,
       "UPDATE leader SET term = term + 1, holder = ?1, acquired_ms = ?2 WHERE id = 1 "
       "RETURNING term, holder, acquired_ms"},
  };
  for (const auto& s : statements) {
    Result<Stmt> stmt = PrepareOne(s.sql);
    if (!stmt.ok()) return stmt.status();
    *s.slot = std::move(*stmt);
  }
  return Status::Ok();
}

Status SqliteStore::Error(int rc, std::string_view what) const {
  std::string message = "sqlite " + path_ + ": " + std::string(what) + ": " + sqlite3_errmsg(db_) +
                        " (" + sqlite3_errstr(rc) + ")";
  if (IsTransient(rc)) return Status::Unavailable(std::move(message));
  if ((rc & 0xFF) == SQLITE_CONSTRAINT) return Status::Conflict(std::move(message));
  return Status::Internal(std::move(message));
}

Status SqliteStore::Exec(std::string_view sql, std::string_view what) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, what);
  return Status::Ok();
}

Status SqliteStore::StepDone(sqlite3_stmt* stmt, std::string_view what) {
  const int rc = sqlite3_step(stmt);
  // Reset before building the error: sqlite3_errmsg still describes the step.
  Status st = rc == SQLITE_DONE ? Status::Ok() : Error(rc, what);
  sqlite3_reset(stmt);
  return st;
}

void SqliteStore::Rollback() {
  // Some errors (e.g. SQLITE_FULL) already rolled the transaction back.
  if (sqlite3_get_autocommit(db_)) return;
  StepDone(rollback_.get(), "rollback").ok();
}

Status SqliteStore::Commit(const std::vector<Mutation>& batch) {
  if (batch.empty()) return Status::Ok();
  DROVER_RETURN_IF_ERROR(CheckBatch(batch));
  DROVER_RETURN_IF_ERROR(StepDone(begin_.get(), "begin"));
  if (fence_term_ != 0) {
    Result<LeaderTerm> current = StepTerm(read_term_.get(), "read the leader term");
    if (!current.ok() || current->term != fence_term_) {
      Rollback();
      return current.ok() ? DeposedError(fence_term_, *current) : current.status();
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    const Mutation& m = batch[i];
    if (m.op == Mutation::Op::kRecordHistory || m.op == Mutation::Op::kPruneHistory) {
      if (Status st = ApplyHistory(m, i); !st.ok()) {
        Rollback();
        return st;
      }
      continue;
    }
    sqlite3_stmt* stmt = m.op == Mutation::Op::kPut ? put_.get() : delete_.get();
    // SQLITE_STATIC: the batch outlives the step; the bindings are replaced
    // before the statement runs again.
    sqlite3_bind_text(stmt, 1, m.kind.data(), static_cast<int>(m.kind.size()), SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, m.key.data(), static_cast<int>(m.key.size()), SQLITE_STATIC);
    if (m.op == Mutation::Op::kPut) {
      sqlite3_bind_text64(stmt, 3, m.data.data(), m.data.size(), SQLITE_STATIC, SQLITE_UTF8);
    }
    const int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
      Status st = Error(rc, (m.op == Mutation::Op::kPut ? "put " : "delete ") + m.kind + "/" +
                                m.key + " (batch[" + std::to_string(i) + "])");
      sqlite3_reset(stmt);
      Rollback();
      return st;
    }
    sqlite3_reset(stmt);
  }
  Status st = StepDone(commit_.get(), "commit");
  if (!st.ok()) Rollback();
  return st;
}

Result<StoredObject> SqliteStore::Get(std::string_view kind, std::string_view key) {
  sqlite3_stmt* stmt = get_.get();
  sqlite3_bind_text(stmt, 1, kind.data(), static_cast<int>(kind.size()), SQLITE_STATIC);
  sqlite3_bind_text(stmt, 2, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    const char* data = static_cast<const char*>(sqlite3_column_blob(stmt, 0));
    StoredObject object{std::string(kind), std::string(key),
                        std::string(data ? data : "", sqlite3_column_bytes(stmt, 0))};
    sqlite3_reset(stmt);
    return object;
  }
  const std::string name = std::string(kind) + "/" + std::string(key);
  Status st = rc == SQLITE_DONE ? Status::NotFound(name + " is not in the store")
                                : Error(rc, "get " + name);
  sqlite3_reset(stmt);
  return st;
}

Result<std::vector<StoredObject>> SqliteStore::LoadAll(std::string_view kind) {
  sqlite3_stmt* stmt = load_all_.get();
  sqlite3_bind_text(stmt, 1, kind.data(), static_cast<int>(kind.size()), SQLITE_STATIC);
  std::vector<StoredObject> objects;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const char* key = static_cast<const char*>(sqlite3_column_blob(stmt, 0));
    std::string key_text(key ? key : "", sqlite3_column_bytes(stmt, 0));
    const char* data = static_cast<const char*>(sqlite3_column_blob(stmt, 1));
    std::string data_text(data ? data : "", sqlite3_column_bytes(stmt, 1));
    objects.push_back({std::string(kind), std::move(key_text), std::move(data_text)});
  }
  Status st = rc == SQLITE_DONE ? Status::Ok() : Error(rc, "load all " + std::string(kind));
  sqlite3_reset(stmt);
  if (!st.ok()) return st;
  return objects;
}

Status SqliteStore::ApplyHistory(const Mutation& m, size_t index) {
  sqlite3_stmt* stmt;
  std::string what;
  if (m.op == Mutation::Op::kRecordHistory) {
    stmt = record_history_.get();
    SqliteRowWriter writer(stmt);
    WriteHistoryRow(*m.record, writer);
    what = "record history " + m.record->id;
  } else {
    stmt = prune_history_.get();
    sqlite3_bind_int64(stmt, 1, m.before_ms);
    what = "prune history";
  }
  return StepDone(stmt, what + " (batch[" + std::to_string(index) + "])");
}

Result<std::vector<HistoryRecord>> SqliteStore::QueryHistory(const HistoryQuery& q) {
  sqlite3_stmt* stmt = query_history_.get();
  const std::string lists[] = {JsonArray(q.job_ids),    JsonArray(q.users),  JsonArray(q.accounts),
                               JsonArray(q.partitions), JsonArray(q.states), JsonArray(q.names)};
  for (int i = 0; i < 6; ++i) {
    sqlite3_bind_text64(stmt, i + 1, lists[i].data(), lists[i].size(), SQLITE_STATIC, SQLITE_UTF8);
  }
  sqlite3_bind_int64(stmt, 7, q.ended_after_ms);
  sqlite3_bind_int64(stmt, 8, q.submitted_before_ms);
  sqlite3_bind_int(stmt, 9, q.steps ? 1 : 0);
  sqlite3_bind_int64(stmt, 10, q.limit > 0 ? q.limit : -1);
  std::vector<HistoryRecord> records;
  SqliteRowReader reader(stmt);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) records.push_back(ReadHistoryRow(reader));
  Status st = rc == SQLITE_DONE ? Status::Ok() : Error(rc, "query history");
  sqlite3_reset(stmt);
  if (!st.ok()) return st;
  return records;
}

Result<std::vector<HistoryUsage>> SqliteStore::SumHistoryUsage(int64_t since_ms,
                                                               int64_t bucket_ms) {
  if (bucket_ms <= 0) return Status::Invalid("bucket_ms", "must be positive");
  sqlite3_stmt* stmt = sum_usage_.get();
  sqlite3_bind_int64(stmt, 1, since_ms);
  sqlite3_bind_int64(stmt, 2, bucket_ms);
  std::vector<HistoryUsage> usage;
  SqliteRowReader reader(stmt);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    usage.push_back({reader.Text(0), reader.Text(1), reader.Int(2), reader.Real(3)});
  }
  Status st = rc == SQLITE_DONE ? Status::Ok() : Error(rc, "sum history usage");
  sqlite3_reset(stmt);
  if (!st.ok()) return st;
  return usage;
}

Result<LeaderTerm> SqliteStore::StepTerm(sqlite3_stmt* stmt, std::string_view what) {
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) {
    Status st = rc == SQLITE_DONE ? Status::Internal("sqlite " + path_ + ": " + std::string(what) +
                                                     ": the leader row is missing")
                                  : Error(rc, what);
    sqlite3_reset(stmt);
    return st;
  }
  SqliteRowReader reader(stmt);
  LeaderTerm term{reader.Int(0), reader.Text(1), reader.Int(2)};
  // Steps past the row so an UPDATE ... RETURNING completes.
  const int done = sqlite3_step(stmt);
  Status st = done == SQLITE_DONE ? Status::Ok() : Error(done, what);
  sqlite3_reset(stmt);
  if (!st.ok()) return st;
  return term;
}

Result<LeaderTerm> SqliteStore::BeginTerm(const std::string& holder, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(StepDone(begin_.get(), "begin"));
  sqlite3_bind_text(begin_term_.get(), 1, holder.data(), static_cast<int>(holder.size()),
                    SQLITE_STATIC);
  sqlite3_bind_int64(begin_term_.get(), 2, now_ms);
  Result<LeaderTerm> term = StepTerm(begin_term_.get(), "begin a leader term");
  if (!term.ok()) {
    Rollback();
    return term.status();
  }
  if (Status st = StepDone(commit_.get(), "commit"); !st.ok()) {
    Rollback();
    return st;
  }
  fence_term_ = term->term;
  return term;
}

Result<LeaderTerm> SqliteStore::ReadLeaderTerm() {
  return StepTerm(read_term_.get(), "read the leader term");
}

}  // namespace drover::db
