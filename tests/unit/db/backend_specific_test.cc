// Behaviour one backend has and the other has no counterpart for.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "db/store.h"
#include "tests/unit/db/store_harness.h"

namespace drover::db {
namespace {

using testing::MakeHarness;

TEST(SqliteStoreTest, DatabaseFileIsInWalMode) {
  std::string skip;
  auto harness = MakeHarness(Dialect::kSqlite, &skip);
  ASSERT_NE(harness, nullptr);
  Result<std::unique_ptr<Store>> store = harness->Open();
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  // journal_mode=WAL is persistent, so a second connection sees it.
  const std::string url = harness->Url();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(url.substr(7).c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(PostgresStoreTest, RecoversAfterTheServerDropsItsConnection) {
  std::string skip;
  auto harness = MakeHarness(Dialect::kPostgres, &skip);
  if (!harness) GTEST_SKIP() << skip;
  Result<std::unique_ptr<Store>> opened = harness->Open();
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;
  ASSERT_TRUE(store.Commit({Mutation::Put("job", "1", "{}")}).ok());

  harness->Exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE datname = current_database() AND pid <> pg_backend_pid()");

  // The first call may see the dead connection (Unavailable, nothing applied);
  // libpqxx reconnects and re-prepares, so the retry goes through.
  Status st = store.Commit({Mutation::Put("job", "2", "{}")});
  if (!st.ok()) {
    EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
    st = store.Commit({Mutation::Put("job", "2", "{}")});
  }
  ASSERT_TRUE(st.ok()) << st.ToString();
  Result<std::vector<StoredObject>> all = store.LoadAll("job");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), 2u);
}

}  // namespace
}  // namespace drover::db
