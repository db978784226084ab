// Test harness: a fresh, empty database per test for each Store backend, and
// raw SQL access to it behind the store's back.
//
// SQLite: a new file in a temporary directory. PostgreSQL: a uniquely named
// database created on the server named by $DROVER_TEST_POSTGRES_URL (start one
// with scripts/postgres-test-server.sh) and dropped at the end of the test.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "db/migrations.h"
#include "db/store.h"

namespace drover::db::testing {

class StoreHarness {
 public:
  virtual ~StoreHarness() = default;

  // The URL OpenStore() accepts for this test's database.
  virtual std::string Url() const = 0;
  virtual Dialect dialect() const = 0;

  // Opens the database with a chosen list of migration steps.
  virtual Result<std::unique_ptr<Store>> Open(std::span<const Migration> migrations) = 0;
  Result<std::unique_ptr<Store>> Open() { return Open(BuiltinMigrations()); }

  // Raw SQL on a separate connection; fails the test on error.
  virtual void Exec(const std::string& sql) = 0;
  virtual long long QueryInt(const std::string& sql) = 0;

  // SQL that makes any write of the row with key `key` fail inside the
  // database, midway through a transaction.
  virtual std::string PoisonKeySql(std::string_view key) const = 0;
};

// The PostgreSQL server URL for tests, or "" when $DROVER_TEST_POSTGRES_URL is unset.
std::string TestPostgresUrl();

// A harness with a fresh database, or nullptr with `skip_reason` set when the
// backend is not available here (PostgreSQL without $DROVER_TEST_POSTGRES_URL).
std::unique_ptr<StoreHarness> MakeHarness(Dialect dialect, std::string* skip_reason);

}  // namespace drover::db::testing
