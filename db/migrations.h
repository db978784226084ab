// Schema migrations: an ordered list of versioned steps, applied at open.
//
// The database records every applied step in `schema_migrations(version, name,
// applied_at)`; its version is the highest recorded step. Migrate() runs the
// pending steps inside the caller's transaction, so a failing step leaves the
// database at its previous version. Running it again on an up-to-date database
// changes nothing. A database whose version is newer than the newest step known
// to this build is refused (a downgrade would misread its data).
//
// Adding a migration: append a step with the next version to kMigrations in
// migrations.cc; never edit or reorder a step that has shipped.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "api/status.h"

namespace drover::db {

enum class Dialect { kSqlite, kPostgres };

struct Migration {
  int version = 0;              // 1, 2, 3, ... without gaps
  std::string_view name;        // short description, recorded in the table
  std::string_view sqlite_sql;  // one or more statements
  std::string_view postgres_sql;

  std::string_view Sql(Dialect dialect) const {
    return dialect == Dialect::kSqlite ? sqlite_sql : postgres_sql;
  }
};

// The steps this build knows, ordered by version.
std::span<const Migration> BuiltinMigrations();

// The schema version a database is at (0 when its version table is empty),
// once the schema_migrations table exists.
inline constexpr std::string_view kSchemaVersionSql =
    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";

// The version of the last step of `steps` (0 when empty).
int LatestVersion(std::span<const Migration> steps);

// What Migrate() needs from a backend: SQL run inside one open transaction.
class MigrationSession {
 public:
  virtual ~MigrationSession() = default;
  virtual Dialect dialect() const = 0;
  // Runs one or more statements; Internal (with the database's message) on error.
  virtual Status Exec(std::string_view sql) = 0;
  // Runs a query returning one row with one integer column.
  virtual Result<long long> QueryInt(std::string_view sql) = 0;
};

// Brings the schema to LatestVersion(steps) and returns it. The caller owns the
// transaction: it commits on Ok and rolls back otherwise. On PostgreSQL it takes
// a transaction-scoped advisory lock first, so concurrent openers migrate one at
// a time. Errors: Conflict when the database is newer than `steps`; Internal
// when `steps` is malformed or a step fails (message names the version).
Result<int> Migrate(MigrationSession& session, std::span<const Migration> steps);

}  // namespace drover::db
