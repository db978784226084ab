// Store: where droverd makes cluster state durable.
//
// The model is deliberately small: objects are JSON documents addressed by
// (kind, key). droverd keeps the live state in memory and uses the store as a
// write-ahead record; at start-up it reloads every object. Two backends exist:
// SQLite (embedded, one file, the default) and PostgreSQL (libpqxx).
//
// Beside the objects, the store keeps the accounting history (api/history.h)
// in its own table, job_history, with a column per field so admins can query
// it with SQL. History rows are written in the same transactions as the
// objects, so a job's records are durable exactly when its end is.
//
// Thread safety: a Store is used by one thread at a time (droverd's state
// thread). Implementations need not be thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/history.h"
#include "api/status.h"
#include "db/leader_term.h"

namespace drover::db {

struct StoredObject {
  std::string kind;  // "job", "task", "node", "meta", ...
  std::string key;   // unique within kind
  std::string data;  // JSON document
};

struct Mutation {
  // kRecordHistory inserts or replaces the history row `record->id`;
  // kPruneHistory deletes the rows that ended before `before_ms`. Neither has
  // a kind or key.
  enum class Op { kPut, kDelete, kRecordHistory, kPruneHistory };
  Op op = Op::kPut;
  std::string kind;
  std::string key;
  std::string data;  // for kPut
  std::shared_ptr<const HistoryRecord> record;
  int64_t before_ms = 0;

  static Mutation Put(std::string kind, std::string key, std::string data) {
    Mutation m;
    m.kind = std::move(kind);
    m.key = std::move(key);
    m.data = std::move(data);
    return m;
  }
  static Mutation Delete(std::string kind, std::string key) {
    Mutation m;
    m.op = Op::kDelete;
    m.kind = std::move(kind);
    m.key = std::move(key);
    return m;
  }
  static Mutation RecordHistory(HistoryRecord record) {
    Mutation m;
    m.op = Op::kRecordHistory;
    m.record = std::make_shared<const HistoryRecord>(std::move(record));
    return m;
  }
  static Mutation PruneHistory(int64_t before_ms) {
    Mutation m;
    m.op = Op::kPruneHistory;
    m.before_ms = before_ms;
    return m;
  }
};

// Core-seconds charged to a user and account by the job-level history rows
// that ended in one time bucket.
struct HistoryUsage {
  std::string user;
  std::string account;
  int64_t bucket_ms = 0;  // the bucket's start
  double core_seconds = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Applies every mutation of the batch in one transaction, in order. When it
  // returns Ok the whole batch is durable (survives kill -9 and power loss as
  // far as the backend's fsync guarantees go); on error nothing was applied.
  // The same (kind, key) may appear several times; the last mutation wins.
  // Deleting an absent object is not an error. An empty batch is Ok.
  // Errors: InvalidArgument (field "batch[i].kind|key|data|record") when a kind
  // or key is empty, or any of them (or a history record's text) is not valid
  // UTF-8 or holds a NUL byte (checked before anything is written); Unavailable when the database
  // is busy, unreachable or out of space (retrying the same batch is safe: puts and deletes are
  // idempotent); Conflict/Internal for other database failures.
  virtual Status Commit(const std::vector<Mutation>& batch) = 0;

  // Every stored object of `kind`, ordered by key (byte order).
  virtual Result<std::vector<StoredObject>> LoadAll(std::string_view kind) = 0;

  // One object; NotFound if absent.
  virtual Result<StoredObject> Get(std::string_view kind, std::string_view key) = 0;

  // The history rows the query selects, by job id (then array index, id).
  // Errors: Unavailable/Internal as for Commit.
  virtual Result<std::vector<HistoryRecord>> QueryHistory(const HistoryQuery& query) = 0;

  // The job-level rows (no steps) that ended at or after `since_ms`, summed
  // per user, account and bucket of `bucket_ms` (> 0): fair-share's usage.
  virtual Result<std::vector<HistoryUsage>> SumHistoryUsage(int64_t since_ms,
                                                            int64_t bucket_ms) = 0;

  // Takes the next leader term for `holder` and fences this store's commits
  // with it: from then on every Commit first reads the store's term inside its
  // transaction and writes nothing (an IsDeposed error) once a newer term has
  // been taken. Taking a term waits for a commit of the old term that is in
  // flight, so what the old leader acknowledged is in the store before the new
  // one loads it. Call it only while holding the leader lock (leader_lock.h).
  // Errors: Unavailable/Internal as for Commit.
  virtual Result<LeaderTerm> BeginTerm(const std::string& holder, int64_t now_ms) = 0;

  // The term last taken, as stored.
  virtual Result<LeaderTerm> ReadLeaderTerm() = 0;

  // The schema version in force after migrations ran (at open).
  virtual int SchemaVersion() const = 0;

  // "sqlite" or "postgresql".
  virtual std::string_view Backend() const = 0;
};

// Opens a store from a URL and applies pending schema migrations:
//   "sqlite:/path/to/drover.db" or a plain path ending in ".db" -> SQLite
//   "postgresql://user@host:port/db" or "postgres://..."         -> PostgreSQL
// A plain path's parent directory is created when missing. Error messages never
// contain the URL's password.
// Errors: InvalidArgument for an unknown scheme; Unavailable when the database
// cannot be reached or opened; Conflict when the database's schema version is
// newer than this build knows (a downgrade); Internal when a migration fails
// (the database is left at its previous version).
Result<std::unique_ptr<Store>> OpenStore(const std::string& url);

}  // namespace drover::db
