#include "db/migrations.h"

#include <string>

namespace drover::db {

namespace {

// Both backends keep `data` as TEXT so documents round-trip byte for byte. In
// PostgreSQL kind and key use the "C" collation: byte order, the order LoadAll
// promises, served straight from the primary-key index.
//
// job_history (api/history.h): the accounting record of every finished job,
// array task and step, a column per field (db/history_columns.cc maps them),
// indexed for sacct's usual questions: by end time, by user, by job.
constexpr Migration kMigrations[] = {
    {
        .version = 1,
        .name = "objects table",
        .sqlite_sql = R"sql(
CREATE TABLE objects (
  kind TEXT NOT NULL CHECK (kind <> ''),
  key  TEXT NOT NULL CHECK (key <> ''),
  data TEXT NOT NULL,
  PRIMARY KEY (kind, key)
);
)sql",
        .postgres_sql = R"sql(
CREATE TABLE objects (
  kind TEXT COLLATE "C" NOT NULL CHECK (kind <> ''),
  key  TEXT COLLATE "C" NOT NULL CHECK (key <> ''),
  data TEXT NOT NULL,
  PRIMARY KEY (kind, key)
);
)sql",
    },
    {
        .version = 2,
        .name = "job_history table",
        .sqlite_sql = R"sql(
CREATE TABLE job_history (
  id             TEXT PRIMARY KEY CHECK (id <> ''),
  job_id         INTEGER NOT NULL,
  array_index    INTEGER NOT NULL,
  step           TEXT NOT NULL,
  name           TEXT NOT NULL,
  user_name      TEXT NOT NULL,
  uid            INTEGER NOT NULL,
  account        TEXT NOT NULL,
  partition_name TEXT NOT NULL,
  qos            TEXT NOT NULL,
  state          TEXT NOT NULL,
  exit_code      INTEGER NOT NULL,
  signal         INTEGER NOT NULL,
  reason         TEXT NOT NULL,
  submit_ms      INTEGER NOT NULL,
  eligible_ms    INTEGER NOT NULL,
  start_ms       INTEGER NOT NULL,
  end_ms         INTEGER NOT NULL,
  alloc_cpus     INTEGER NOT NULL,
  alloc_nodes    INTEGER NOT NULL,
  ntasks         INTEGER NOT NULL,
  nodelist       TEXT NOT NULL,
  req_mem_bytes  INTEGER NOT NULL,
  timelimit_s    INTEGER NOT NULL,
  core_seconds   REAL NOT NULL,
  user_cpu_ms    INTEGER NOT NULL,
  system_cpu_ms  INTEGER NOT NULL,
  max_rss_kb     INTEGER NOT NULL,
  restarts       INTEGER NOT NULL,
  work_dir       TEXT NOT NULL
);
CREATE INDEX job_history_end ON job_history (end_ms);
CREATE INDEX job_history_user_end ON job_history (user_name, end_ms);
CREATE INDEX job_history_job ON job_history (job_id, array_index);
)sql",
        .postgres_sql = R"sql(
CREATE TABLE job_history (
  id             TEXT COLLATE "C" PRIMARY KEY CHECK (id <> ''),
  job_id         BIGINT NOT NULL,
  array_index    BIGINT NOT NULL,
  step           TEXT NOT NULL,
  name           TEXT NOT NULL,
  user_name      TEXT NOT NULL,
  uid            BIGINT NOT NULL,
  account        TEXT NOT NULL,
  partition_name TEXT NOT NULL,
  qos            TEXT NOT NULL,
  state          TEXT NOT NULL,
  exit_code      BIGINT NOT NULL,
  signal         BIGINT NOT NULL,
  reason         TEXT NOT NULL,
  submit_ms      BIGINT NOT NULL,
  eligible_ms    BIGINT NOT NULL,
  start_ms       BIGINT NOT NULL,
  end_ms         BIGINT NOT NULL,
  alloc_cpus     BIGINT NOT NULL,
  alloc_nodes    BIGINT NOT NULL,
  ntasks         BIGINT NOT NULL,
  nodelist       TEXT NOT NULL,
  req_mem_bytes  BIGINT NOT NULL,
  timelimit_s    BIGINT NOT NULL,
  core_seconds   DOUBLE PRECISION NOT NULL,
  user_cpu_ms    BIGINT NOT NULL,
  system_cpu_ms  BIGINT NOT NULL,
  max_rss_kb     BIGINT NOT NULL,
  restarts       BIGINT NOT NULL,
  work_dir       TEXT NOT NULL
);
CREATE INDEX job_history_end ON job_history (end_ms);
CREATE INDEX job_history_user_end ON job_history (user_name, end_ms);
CREATE INDEX job_history_job ON job_history (job_id, array_index);
)sql",
    },
    {
        // One row: the leader term, the fencing token of HA (db/leader_lock.h).
        .version = 3,
        .name = "leader term",
        .sqlite_sql = R"sql(
CREATE TABLE leader (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  term        INTEGER NOT NULL,
  holder      TEXT NOT NULL,
  acquired_ms INTEGER NOT NULL
);
INSERT INTO leader (id, term, holder, acquired_ms) VALUES (1, 0, '', 0);
)sql",
        .postgres_sql = R"sql(
CREATE TABLE leader (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  term        BIGINT NOT NULL,
  holder      TEXT NOT NULL,
  acquired_ms BIGINT NOT NULL
);
INSERT INTO leader (id, term, holder, acquired_ms) VALUES (1, 0, '', 0);
)sql",
    },
};

constexpr std::string_view kSqliteVersionTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
)sql";

constexpr std::string_view kPostgresVersionTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
)sql";

// Arbitrary, fixed: the advisory lock key that serializes migrations of one
// PostgreSQL database ("drover" in ASCII).
constexpr std::string_view kPostgresMigrationLock = "SELECT pg_advisory_xact_lock(111542284135794)";

std::string QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

Status CheckSteps(std::span<const Migration> steps) {
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].version != static_cast<int>(i) + 1) {
      return Status::Internal("schema migration #" + std::to_string(i) + " has version " +
                              std::to_string(steps[i].version) + ", want " + std::to_string(i + 1) +
                              " (versions must run 1, 2, 3, ...)");
    }
  }
  return Status::Ok();
}

}  // namespace

std::span<const Migration> BuiltinMigrations() { return kMigrations; }

int LatestVersion(std::span<const Migration> steps) {
  return steps.empty() ? 0 : steps.back().version;
}

Result<int> Migrate(MigrationSession& session, std::span<const Migration> steps) {
  DROVER_RETURN_IF_ERROR(CheckSteps(steps));
  const Dialect dialect = session.dialect();
  if (dialect == Dialect::kPostgres) {
    DROVER_RETURN_IF_ERROR(session.Exec(kPostgresMigrationLock));
  }
  DROVER_RETURN_IF_ERROR(
      session.Exec(dialect == Dialect::kSqlite ? kSqliteVersionTable : kPostgresVersionTable));
  Result<long long> current = session.QueryInt(kSchemaVersionSql);
  if (!current.ok()) return current.status();
  const int latest = LatestVersion(steps);
  if (*current > latest) {
    return Status::Conflict("database schema version " + std::to_string(*current) +
                            " is newer than this build of drover understands (" +
                            std::to_string(latest) +
                            "); run a drover at least as new as the one that last wrote "
                            "this database");
  }
  for (const Migration& step : steps) {
    if (step.version <= *current) continue;
    Status st = session.Exec(step.Sql(dialect));
    if (st.ok()) {
      st = session.Exec("INSERT INTO schema_migrations (version, name) VALUES (" +
                        std::to_string(step.version) + ", " + QuoteLiteral(step.name) + ")");
    }
    if (!st.ok()) {
      return Status::Internal("schema migration " + std::to_string(step.version) + " (" +
                              std::string(step.name) + ") failed: " + st.message());
    }
  }
  return latest;
}

}  // namespace drover::db
