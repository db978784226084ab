#include "db/postgres_store.h"

#include <pqxx/pqxx>
#include <unordered_map>
#include <utility>

#include "api/json_text.h"
#include "db/history_columns.h"
#include "db/mutation_check.h"
#include "db/store_url.h"

namespace drover::db {

struct PostgresStore::Connection {
  explicit Connection(const std::string& url) : conn(url) {}
  pqxx::connection conn;
};

namespace {

constexpr const char* kPutStatement = "drover_put";
constexpr const char* kDeleteStatement = "drover_delete";
constexpr const char* kGetStatement = "drover_get";
constexpr const char* kLoadAllStatement = "drover_load_all";
constexpr const char* kRecordHistoryStatement = "drover_record_history";
constexpr const char* kPruneHistoryStatement = "drover_prune_history";
constexpr const char* kQueryHistoryStatement = "drover_query_history";
constexpr const char* kSumUsageStatement = "drover_sum_usage";
constexpr const char* kFenceStatement = "drover_fence";
constexpr const char* kBeginTermStatement = "drover_begin_term";
constexpr const char* kReadTermStatement = "drover_read_term";

// FOR SHARE: a commit holds the term row against a new leader's UPDATE until
// it ends, and waits for one that is in flight (then reads the new term).
constexpr const char* kFenceSql =
    "SELECT term, holder, acquired_ms FROM leader WHERE id = 1 FOR SHARE";
constexpr const char* kBeginTermSql =
    "UPDATE leader SET term = term + 1, holder = $1, acquired_ms = $2 WHERE id = 1 "
    "RETURNING term, holder, acquired_ms";
constexpr const char* kReadTermSql = "SELECT term, holder, acquired_ms FROM leader WHERE id = 1";

LeaderTerm TermOfRow(const pqxx::row& row) {
  return LeaderTerm{row[0].as<int64_t>(), row[1].as<std::string>(), row[2].as<int64_t>()};
}

// One statement per batch half: the arrays arrive as text[] literals and are
// unnested server-side into rows.
constexpr const char* kPutSql =
    "INSERT INTO objects (kind, key, data) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) "
    "ON CONFLICT (kind, key) DO UPDATE SET data = EXCLUDED.data";
constexpr const char* kDeleteSql =
    "DELETE FROM objects o USING unnest($1::text[], $2::text[]) AS d(kind, key) "
    "WHERE o.kind = d.kind AND o.key = d.key";
constexpr const char* kGetSql = "SELECT data FROM objects WHERE kind = $1 AND key = $2";
constexpr const char* kLoadAllSql = "SELECT key, data FROM objects WHERE kind = $1 ORDER BY key";

std::string RecordHistorySql() {
  std::string set;
  for (std::string_view c : HistoryColumns()) {
    if (c == "id") continue;
    set += (set.empty() ? "" : ", ") + std::string(c) + " = EXCLUDED." + std::string(c);
  }
  return "INSERT INTO job_history (" + HistoryColumnList() + ") SELECT " + HistoryColumnList() +
         " FROM json_populate_recordset(NULL::job_history, $1::json) ON CONFLICT (id) DO UPDATE "
         "SET " +
         set;
}

// An empty array turns its filter off.
std::string QueryHistorySql() {
  return "SELECT " + HistoryColumnList() +
         " FROM job_history WHERE"
         " (cardinality($1::bigint[]) = 0 OR job_id = ANY($1::bigint[]))"
         " AND (cardinality($2::text[]) = 0 OR user_name = ANY($2::text[]))"
         " AND (cardinality($3::text[]) = 0 OR account = ANY($3::text[]))"
         " AND (cardinality($4::text[]) = 0 OR partition_name = ANY($4::text[]))"
         " AND (cardinality($5::text[]) = 0 OR state = ANY($5::text[]))"
         " AND (cardinality($6::text[]) = 0 OR name = ANY($6::text[]))"
         " AND ($7::bigint = 0 OR end_ms >= $7::bigint)"
         " AND ($8::bigint = 0 OR submit_ms <= $8::bigint)"
         " AND ($9::boolean OR step = '')"
         " ORDER BY job_id, array_index, id LIMIT NULLIF($10::bigint, 0)";
}

constexpr const char* kSumUsageSql =
    "SELECT user_name, account, (end_ms / $2::bigint) * $2::bigint AS bucket, "
    "SUM(core_seconds) FROM job_history WHERE step = '' AND end_ms >= $1::bigint "
    "GROUP BY user_name, account, bucket ORDER BY bucket";

// A row as a JSON object keyed by column name, for json_populate_recordset.
class JsonRowWriter final : public HistoryRowWriter {
 public:
  explicit JsonRowWriter(Json& row) : row_(row) {}
  void Int(int column, int64_t value) override { row_[Name(column)] = value; }
  void Real(int column, double value) override { row_[Name(column)] = value; }
  void Text(int column, const std::string& value) override { row_[Name(column)] = value; }

 private:
  static std::string Name(int column) { return std::string(HistoryColumns()[column]); }
  Json& row_;
};

class PqxxRowReader final : public HistoryRowReader {
 public:
  explicit PqxxRowReader(const pqxx::row& row) : row_(row) {}
  int64_t Int(int column) override { return row_[column].as<int64_t>(); }
  double Real(int column) override { return row_[column].as<double>(); }
  std::string Text(int column) override {
    return std::string(row_[column].c_str(), row_[column].size());
  }

 private:
  const pqxx::row& row_;
};

// Maps a libpqxx exception (rethrown by the caller inside a try block) to a
// Status. SQLSTATE classes: 08 connection, 40 serialization/deadlock, 53
// insufficient resources, 57 operator intervention are worth a retry; 23
// integrity violations are conflicts; anything else is a bug or a surprise.
Status FromException(const std::string& url, std::string_view what) {
  const std::string prefix = "postgresql " + RedactUrl(url) + ": " + std::string(what) + ": ";
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    return Status::Unavailable(prefix + RedactSecrets(TrimDriverMessage(e.what()), url));
  } catch (const pqxx::in_doubt_error& e) {
    return Status::Unavailable(prefix + "connection lost during COMMIT, outcome unknown: " +
                               RedactSecrets(TrimDriverMessage(e.what()), url));
  } catch (const pqxx::sql_error& e) {
    const std::string& state = e.sqlstate();
    const std::string message = prefix + RedactSecrets(TrimDriverMessage(e.what()), url) +
                                (state.empty() ? "" : " [" + state + "]");
    const std::string cls = state.substr(0, 2);
    if (cls == "08" || cls == "40" || cls == "53" || cls == "57") {
      return Status::Unavailable(message);
    }
    if (cls == "23") return Status::Conflict(message);
    return Status::Internal(message);
  } catch (const std::exception& e) {
    return Status::Internal(prefix + RedactSecrets(TrimDriverMessage(e.what()), url));
  }
}

class PostgresMigrationSession final : public MigrationSession {
 public:
  explicit PostgresMigrationSession(pqxx::work& txn) : txn_(txn) {}
  Dialect dialect() const override { return Dialect::kPostgres; }

  // Only SQL errors become a Status; a broken connection propagates to Open.
  Status Exec(std::string_view sql) override {
    try {
      txn_.exec(std::string(sql));
      return Status::Ok();
    } catch (const pqxx::sql_error& e) {
      return Status::Internal(TrimDriverMessage(e.what()));
    }
  }

  Result<long long> QueryInt(std::string_view sql) override {
    try {
      return txn_.exec1(std::string(sql))[0].as<long long>();
    } catch (const pqxx::sql_error& e) {
      return Status::Internal(TrimDriverMessage(e.what()));
    }
  }

 private:
  pqxx::work& txn_;
};

// Appends `text` as one double-quoted element of a PostgreSQL array literal.
void AppendElement(std::string& array, std::string_view text) {
  array += array.size() > 1 ? ",\"" : "\"";
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"' || c == '\\') {
      array.append(text.data() + run, i - run);
      array += '\\';
      run = i;
    }
  }
  array.append(text.data() + run, text.size() - run);
  array += '"';
}

struct KeyHash {
  size_t operator()(const std::pair<std::string_view, std::string_view>& k) const {
    const size_t h = std::hash<std::string_view>{}(k.first);
    return h ^
           (std::hash<std::string_view>{}(k.second) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  }
};

}  // namespace

PostgresStore::PostgresStore(std::string url) : url_(std::move(url)) {}

PostgresStore::~PostgresStore() = default;

Status PostgresStore::Connect() {
  connection_.reset();
  std::unique_ptr<Connection> connection;
  try {
    connection = std::make_unique<Connection>(url_);
  } catch (...) {
    return Status::Unavailable(FromException(url_, "cannot connect").message());
  }
  pqxx::connection& conn = connection->conn;
  try {
    // TEXT must round-trip byte for byte: the database has to store UTF-8.
    std::string encoding;
    {
      pqxx::nontransaction txn(conn);
      encoding = txn.exec1("SHOW server_encoding")[0].as<std::string>();
    }
    if (encoding != "UTF8") {
      return Status::Unavailable("postgresql " + RedactUrl(url_) + ": database encoding is " +
                                 encoding + ", drover needs UTF8 (CREATE DATABASE ... ENCODING " +
                                 "'UTF8' TEMPLATE template0)");
    }
    conn.set_client_encoding("UTF8");
    // Acknowledged means durable: never run with the server's commits
    // asynchronous. Stricter settings (remote_apply, ...) are kept.
    if (conn.get_variable("synchronous_commit") == "off") {
      conn.set_variable("synchronous_commit", "on");
    }
    // Registered now, sent to the server at first use.
    conn.prepare(kPutStatement, kPutSql);
    conn.prepare(kDeleteStatement, kDeleteSql);
    conn.prepare(kGetStatement, kGetSql);
    conn.prepare(kLoadAllStatement, kLoadAllSql);
    conn.prepare(kRecordHistoryStatement, RecordHistorySql());
    conn.prepare(kPruneHistoryStatement,
                 "DELETE FROM job_history WHERE end_ms > 0 AND end_ms < $1::bigint");
    conn.prepare(kQueryHistoryStatement, QueryHistorySql());
    conn.prepare(kSumUsageStatement, kSumUsageSql);
    conn.prepare(kFenceStatement, kFenceSql);
    conn.prepare(kBeginTermStatement, kBeginTermSql);
    conn.prepare(kReadTermStatement, kReadTermSql);
  } catch (...) {
    Status st = FromException(url_, "set up session");
    if (st.code() == StatusCode::kUnavailable) return st;
    return Status::Internal(st.message());
  }
  connection_ = std::move(connection);
  return Status::Ok();
}

Status PostgresStore::EnsureConnected() {
  // libpqxx 6.4 does not reliably re-establish a broken direct connection, so
  // a lost connection is replaced by a new one at the next call.
  if (connection_ && connection_->conn.is_open()) return Status::Ok();
  return Connect();
}

Status PostgresStore::Failed(std::string_view what) {
  Status st = FromException(url_, what);
  if (connection_ && !connection_->conn.is_open()) connection_.reset();
  return st;
}

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& url,
                                                           std::span<const Migration> migrations) {
  std::unique_ptr<PostgresStore> store(new PostgresStore(url));
  DROVER_RETURN_IF_ERROR(store->Connect());
  try {
    pqxx::work txn(store->connection_->conn, "drover_migrate");
    PostgresMigrationSession session(txn);
    Result<int> version = Migrate(session, migrations);
    if (!version.ok()) {
      txn.abort();
      return Status(version.status().code(),
                    "postgresql " + RedactUrl(url) + ": " + version.status().message());
    }
    txn.commit();
    store->schema_version_ = *version;
  } catch (...) {
    Status st = FromException(url, "migrate");
    if (st.code() == StatusCode::kUnavailable) return st;
    return Status::Internal(st.message());
  }
  return store;
}

Status PostgresStore::Commit(const std::vector<Mutation>& batch) {
  if (batch.empty()) return Status::Ok();
  DROVER_RETURN_IF_ERROR(CheckBatch(batch));

  // A multi-row upsert may not touch a row twice, so reduce the batch to its
  // net effect first: the last mutation of each (kind, key) wins. The puts and
  // deletes left then name disjoint rows and their order no longer matters.
  // History rows: the last record of each id wins, as for objects; prunes
  // run before the records of the same batch (a record is never that old).
  std::unordered_map<std::string_view, size_t> last_record;
  std::vector<int64_t> prunes;
  size_t object_mutations = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].op == Mutation::Op::kRecordHistory) {
      last_record[batch[i].record->id] = i;
    } else if (batch[i].op == Mutation::Op::kPruneHistory) {
      prunes.push_back(batch[i].before_ms);
    } else {
      ++object_mutations;
    }
  }
  Json history_rows = Json::array();
  for (size_t i = 0; i < batch.size(); ++i) {
    const Mutation& m = batch[i];
    if (m.op != Mutation::Op::kRecordHistory || last_record.at(m.record->id) != i) continue;
    Json row = Json::object();
    JsonRowWriter writer(row);
    WriteHistoryRow(*m.record, writer);
    history_rows.push_back(std::move(row));
  }

  std::unordered_map<std::pair<std::string_view, std::string_view>, size_t, KeyHash> last;
  last.reserve(object_mutations);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].op != Mutation::Op::kPut && batch[i].op != Mutation::Op::kDelete) continue;
    last[{batch[i].kind, batch[i].key}] = i;
  }
  const bool all_distinct = last.size() == object_mutations;

  std::string put_kinds = "{", put_keys = "{", put_data = "{";
  std::string delete_kinds = "{", delete_keys = "{";
  size_t data_bytes = 0;
  for (const Mutation& m : batch) data_bytes += m.op == Mutation::Op::kPut ? m.data.size() : 0;
  put_data.reserve(data_bytes + data_bytes / 8 + 4 * batch.size() + 2);
  size_t puts = 0, deletes = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const Mutation& m = batch[i];
    if (m.op != Mutation::Op::kPut && m.op != Mutation::Op::kDelete) continue;
    if (!all_distinct && last.at({m.kind, m.key}) != i) continue;
    if (m.op == Mutation::Op::kPut) {
      AppendElement(put_kinds, m.kind);
      AppendElement(put_keys, m.key);
      AppendElement(put_data, m.data);
      ++puts;
    } else {
      AppendElement(delete_kinds, m.kind);
      AppendElement(delete_keys, m.key);
      ++deletes;
    }
  }
  for (std::string* array : {&put_kinds, &put_keys, &put_data, &delete_kinds, &delete_keys}) {
    *array += '}';
  }

  DROVER_RETURN_IF_ERROR(EnsureConnected());
  try {
    pqxx::work txn(connection_->conn);
    if (fence_term_ != 0) {
      const LeaderTerm current = TermOfRow(txn.exec_prepared1(kFenceStatement));
      if (current.term != fence_term_) {
        txn.abort();
        return DeposedError(fence_term_, current);
      }
    }
    if (deletes > 0) txn.exec_prepared(kDeleteStatement, delete_kinds, delete_keys);
    if (puts > 0) txn.exec_prepared(kPutStatement, put_kinds, put_keys, put_data);
    for (int64_t before_ms : prunes) txn.exec_prepared(kPruneHistoryStatement, before_ms);
    if (!history_rows.empty()) txn.exec_prepared(kRecordHistoryStatement, history_rows.dump());
    txn.commit();
  } catch (...) {
    return Failed("commit of " + std::to_string(batch.size()) + " mutations");
  }
  return Status::Ok();
}

Result<LeaderTerm> PostgresStore::BeginTerm(const std::string& holder, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(EnsureConnected());
  try {
    pqxx::work txn(connection_->conn);
    const LeaderTerm term = TermOfRow(txn.exec_prepared1(kBeginTermStatement, holder, now_ms));
    txn.commit();
    fence_term_ = term.term;
    return term;
  } catch (...) {
    return Failed("begin a leader term");
  }
}

Result<LeaderTerm> PostgresStore::ReadLeaderTerm() {
  DROVER_RETURN_IF_ERROR(EnsureConnected());
  try {
    pqxx::nontransaction txn(connection_->conn);
    return TermOfRow(txn.exec_prepared1(kReadTermStatement));
  } catch (...) {
    return Failed("read the leader term");
  }
}

Result<StoredObject> PostgresStore::Get(std::string_view kind, std::string_view key) {
  const std::string name = std::string(kind) + "/" + std::string(key);
  DROVER_RETURN_IF_ERROR(EnsureConnected());
  try {
    pqxx::nontransaction txn(connection_->conn);
    const pqxx::result rows = txn.exec_prepared(kGetStatement, std::string(kind), std::string(key));
    if (rows.empty()) return Status::NotFound(name + " is not in the store");
    const pqxx::field data = rows[0][0];
    return StoredObject{std::string(kind), std::string(key),
                        std::string(data.c_str(), data.size())};
  } catch (...) {
    return Failed("get " + name);
  }
}

Result<std::vector<StoredObject>> PostgresStore::LoadAll(std::string_view kind) {
  DROVER_RETURN_IF_ERROR(EnsureConnected());
  try {
    pqxx::nontransaction txn(connection_->conn);
    const pqxx::result rows = txn.exec_prepared(kLoadAllStatement, std::string(kind));
    std::vector<StoredObject> objects;
    objects.reserve(rows.size());
    for (const pqxx::row& row : rows) {
      objects.push_back({std::string(kind), std::string(row[0].c_str(), row[0].size()),
                         std::string(row[1].c_str(), row[1].size())});
    }
    return objects;
  } catch (...) {
    return Failed("load all " + std::string(kind));
  }
}

namespace {

std::string BigintArray(const std::vector<uint64_t>& values) {
  std::string out = "{";
  for (uint64_t v : values) out += (out.size() > 1 ? "," : "") + std::to_string(v);
  return out + "}";
}

std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const std::string& v : values) AppendElement(out, v);
  return out + "}";
}

}  // namespace

Result<std::vector<HistoryRecord>> PostgresStore::QueryHistory(const HistoryQuery& q) {
  DROVER_RETURN_IF_ERROR(EnsureConnected());
  try {
    pqxx::nontransaction txn(connection_->conn);
    const pqxx::result rows = txn.exec_prepared(
        kQueryHistoryStatement, BigintArray(q.job_ids), TextArray(q.users), TextArray(q.accounts),
        TextArray(q.partitions), TextArray(q.states), TextArray(q.names), q.ended_after_ms,
        q.submitted_before_ms, q.steps, q.limit);
    std::vector<HistoryRecord> records;
    records.reserve(rows.size());
    for (const pqxx::row& row : rows) {
      PqxxRowReader reader(row);
      records.push_back(ReadHistoryRow(reader));
    }
    return records;
  } catch (...) {
    return Failed("query history");
  }
}

Result<std::vector<HistoryUsage>> PostgresStore::SumHistoryUsage(int64_t since_ms,
                                                                 int64_t bucket_ms) {
  if (bucket_ms <= 0) return Status::Invalid("bucket_ms", "must be positive");
  DROVER_RETURN_IF_ERROR(EnsureConnected());
  try {
    pqxx::nontransaction txn(connection_->conn);
    const pqxx::result rows = txn.exec_prepared(kSumUsageStatement, since_ms, bucket_ms);
    std::vector<HistoryUsage> usage;
    for (const pqxx::row& row : rows) {
      PqxxRowReader reader(row);
      usage.push_back({reader.Text(0), reader.Text(1), reader.Int(2), reader.Real(3)});
    }
    return usage;
  } catch (...) {
    return Failed("sum history usage");
  }
}

}  // namespace drover::db
