// Behaviour one backend has and the other has no counterpart for.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <vector>

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

// A store that was made is never empty, so droverd must not serve an empty,
// garbled or truncated file as a new cluster (ids would restart at 1).
TEST(SqliteStoreTest, AnEmptyGarbledOrTruncatedFileIsRefusedNotStartedAfresh) {
  std::string skip;
  auto harness = MakeHarness(Dialect::kSqlite, &skip);
  ASSERT_NE(harness, nullptr);
  const std::string path = harness->Url().substr(7);
  {
    auto store = harness->Open();
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::vector<Mutation> batch;
    for (int i = 0; i < 3000; ++i) {
      batch.push_back(Mutation::Put("job", std::to_string(i), std::string(200, 'x')));
    }
    ASSERT_TRUE((*store)->Commit(batch).ok());
  }
  const auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 100'000u) << "the store was checkpointed into its file";
  std::filesystem::resize_file(path, size / 2);
  auto truncated = harness->Open();
  ASSERT_FALSE(truncated.ok()) << "a truncated store opened";

  std::ofstream(path, std::ios::trunc) << std::string(8192, 'z');
  auto garbled = harness->Open();
  ASSERT_FALSE(garbled.ok());
  EXPECT_NE(garbled.status().message().find(path), std::string::npos);

  std::ofstream(path, std::ios::trunc).close();
  auto empty = harness->Open();
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("exists but is empty"), std::string::npos)
      << empty.status().ToString();
  EXPECT_EQ(std::filesystem::file_size(path), 0u) << "nothing was written to it";
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
