#include "tests/unit/db/store_harness.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <pqxx/pqxx>

#include "db/postgres_store.h"
#include "db/sqlite_store.h"
#include "tests/support/test_postgres.h"

namespace drover::db::testing {

namespace {

template <typename T>
Result<std::unique_ptr<Store>> Upcast(Result<std::unique_ptr<T>> store) {
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

class SqliteHarness final : public StoreHarness {
 public:
  SqliteHarness() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "drover-db-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp " << pattern;
    dir_ = pattern;
    path_ = (dir_ / "store.db").string();
  }
  ~SqliteHarness() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string Url() const override { return "sqlite:" + path_; }
  Dialect dialect() const override { return Dialect::kSqlite; }

  Result<std::unique_ptr<Store>> Open(std::span<const Migration> migrations) override {
    return Upcast(SqliteStore::Open(path_, migrations));
  }

  void Exec(const std::string& sql) override {
    sqlite3* db = Connect();
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      ADD_FAILURE() << "sqlite exec \"" << sql << "\": " << (err ? err : "?");
    }
    sqlite3_free(err);
    sqlite3_close(db);
  }

  long long QueryInt(const std::string& sql) override {
    sqlite3* db = Connect();
    sqlite3_stmt* stmt = nullptr;
    long long value = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    } else {
      ADD_FAILURE() << "sqlite query \"" << sql << "\": " << sqlite3_errmsg(db);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
  }

  std::string PoisonKeySql(std::string_view key) const override {
    const std::string k(key);
    return "CREATE TRIGGER poison_insert BEFORE INSERT ON objects WHEN NEW.key = '" + k +
           "' BEGIN SELECT RAISE(ABORT, 'poisoned key " + k + "'); END;";
  }

 private:
  sqlite3* Connect() {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "sqlite open " << path_;
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
  }

  std::filesystem::path dir_;
  std::string path_;
};

class PostgresHarness final : public StoreHarness {
 public:
  explicit PostgresHarness(std::unique_ptr<drover::testing::TestPostgresDatabase> database)
      : database_(std::move(database)), url_(database_->url()) {}

  std::string Url() const override { return url_; }
  Dialect dialect() const override { return Dialect::kPostgres; }

  Result<std::unique_ptr<Store>> Open(std::span<const Migration> migrations) override {
    return Upcast(PostgresStore::Open(url_, migrations));
  }

  void Exec(const std::string& sql) override {
    Status st = database_->Exec(sql);
    if (!st.ok()) ADD_FAILURE() << st.ToString();
  }

  long long QueryInt(const std::string& sql) override {
    try {
      pqxx::connection conn(url_);
      pqxx::nontransaction txn(conn);
      return txn.exec1(sql)[0].as<long long>();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "postgresql query \"" << sql << "\": " << e.what();
      return -1;
    }
  }

  std::string PoisonKeySql(std::string_view key) const override {
    const std::string k(key);
    return "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
           "IF NEW.key = '" +
           k + "' THEN RAISE EXCEPTION 'poisoned key " + k +
           "'; END IF; RETURN NEW; END $$; "
           "CREATE TRIGGER poison_insert BEFORE INSERT OR UPDATE ON objects "
           "FOR EACH ROW EXECUTE FUNCTION poison();";
  }

 private:
  std::unique_ptr<drover::testing::TestPostgresDatabase> database_;
  std::string url_;
};

}  // namespace

std::string TestPostgresUrl() { return drover::testing::TestPostgresUrl(); }

std::unique_ptr<StoreHarness> MakeHarness(Dialect dialect, std::string* skip_reason) {
  if (dialect == Dialect::kSqlite) return std::make_unique<SqliteHarness>();
  auto database = drover::testing::TestPostgresDatabase::Create(skip_reason);
  if (!database) return nullptr;
  return std::make_unique<PostgresHarness>(std::move(database));
}

}  // namespace drover::db::testing
