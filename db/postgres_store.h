// PostgresStore: the production Store backend, on PostgreSQL through libpqxx.
//
// Durability: each Commit is one transaction whose COMMIT returns only once the
// server has flushed its WAL (synchronous_commit is forced on when the server
// default is off). A batch costs a constant number of round trips whatever its
// size: the puts go as one multi-row upsert (INSERT ... SELECT FROM unnest(...)
// ON CONFLICT (kind, key) DO UPDATE), the deletes as one multi-row DELETE, both
// prepared once per connection. History rows go as one JSON array, unpacked
// server-side by json_populate_recordset into one multi-row upsert.
//
// A lost connection is reported as Unavailable; the next call reconnects. When the connection
// breaks during COMMIT the outcome is unknown and Commit returns Unavailable: re-committing the
// same batch is safe.
//
// Thread safety: none; one thread at a time (see Store).
#pragma once

#include <memory>
#include <span>
#include <string>

#include "db/migrations.h"
#include "db/store.h"

namespace drover::db {

class PostgresStore final : public Store {
 public:
  // Connects to `url` (a libpq URL, e.g. postgresql://user@host:port/db),
  // checks the database encoding is UTF8 and applies `migrations`. Errors:
  // Unavailable when the server cannot be reached (libpq's message, password
  // removed) or the encoding is wrong; Conflict when the schema is newer than
  // `migrations`; Internal when a migration fails.
  static Result<std::unique_ptr<PostgresStore>> Open(
      const std::string& url, std::span<const Migration> migrations = BuiltinMigrations());

  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  Status Commit(const std::vector<Mutation>& batch) override;
  Result<std::vector<StoredObject>> LoadAll(std::string_view kind) override;
  Result<StoredObject> Get(std::string_view kind, std::string_view key) override;
  Result<std::vector<HistoryRecord>> QueryHistory(const HistoryQuery& query) override;
  Result<std::vector<HistoryUsage>> SumHistoryUsage(int64_t since_ms, int64_t bucket_ms) override;
  Result<LeaderTerm> BeginTerm(const std::string& holder, int64_t now_ms) override;
  Result<LeaderTerm> ReadLeaderTerm() override;
  int SchemaVersion() const override { return schema_version_; }
  std::string_view Backend() const override { return "postgresql"; }

 private:
  struct Connection;  // keeps libpqxx out of this header

  explicit PostgresStore(std::string url);

  // (Re)connects: new session, encoding check, session settings, statements.
  Status Connect();
  Status EnsureConnected();
  // The Status for the exception being handled; drops a connection that broke.
  Status Failed(std::string_view what);

  std::string url_;  // as given; printed only through RedactUrl/RedactSecrets
  std::unique_ptr<Connection> connection_;
  int schema_version_ = 0;
  int64_t fence_term_ = 0;  // 0: not fenced (no BeginTerm yet)
};

}  // namespace drover::db
