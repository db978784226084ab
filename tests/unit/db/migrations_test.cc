// Migrate() against a scripted session: the decisions, without a database.
// (The conformance suite runs the real thing on both backends.)
#include "db/migrations.h"

#include <gtest/gtest.h>

#include <vector>

namespace drover::db {
namespace {

class ScriptedSession final : public MigrationSession {
 public:
  ScriptedSession(Dialect dialect, long long version) : dialect_(dialect), version_(version) {}
  Dialect dialect() const override { return dialect_; }
  Status Exec(std::string_view sql) override {
    executed.emplace_back(sql);
    if (!fail_on.empty() && sql.find(fail_on) != std::string_view::npos) {
      return Status::Internal("syntax error near \"" + fail_on + "\"");
    }
    return Status::Ok();
  }
  Result<long long> QueryInt(std::string_view) override { return version_; }

  std::vector<std::string> executed;
  std::string fail_on;

 private:
  Dialect dialect_;
  long long version_;
};

const Migration kSteps[] = {
    {.version = 1, .name = "one", .sqlite_sql = "S1", .postgres_sql = "P1"},
    {.version = 2, .name = "two", .sqlite_sql = "S2", .postgres_sql = "P2"},
};

bool Ran(const ScriptedSession& s, std::string_view sql) {
  for (const std::string& e : s.executed) {
    if (e == sql) return true;
  }
  return false;
}

TEST(MigrationsTest, BuiltinStepsAreNumberedFromOneWithoutGapsAndHaveBothDialects) {
  int expected = 1;
  for (const Migration& m : BuiltinMigrations()) {
    EXPECT_EQ(m.version, expected++);
    EXPECT_FALSE(m.name.empty());
    EXPECT_FALSE(m.sqlite_sql.empty());
    EXPECT_FALSE(m.postgres_sql.empty());
  }
  EXPECT_EQ(LatestVersion(BuiltinMigrations()), expected - 1);
}

TEST(MigrationsTest, FreshDatabaseRunsEveryStepOfItsDialectInOrder) {
  ScriptedSession session(Dialect::kPostgres, 0);
  Result<int> version = Migrate(session, kSteps);
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, 2);
  EXPECT_NE(session.executed.front().find("pg_advisory_xact_lock"), std::string::npos);
  auto p1 = std::find(session.executed.begin(), session.executed.end(), "P1");
  auto p2 = std::find(session.executed.begin(), session.executed.end(), "P2");
  ASSERT_NE(p1, session.executed.end());
  ASSERT_NE(p2, session.executed.end());
  EXPECT_LT(p1, p2);
  EXPECT_FALSE(Ran(session, "S1"));
}

TEST(MigrationsTest, OnlyPendingStepsRun) {
  ScriptedSession session(Dialect::kSqlite, 1);
  Result<int> version = Migrate(session, kSteps);
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, 2);
  EXPECT_FALSE(Ran(session, "S1"));
  EXPECT_TRUE(Ran(session, "S2"));
}

TEST(MigrationsTest, UpToDateDatabaseRunsNoStep) {
  ScriptedSession session(Dialect::kSqlite, 2);
  Result<int> version = Migrate(session, kSteps);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 2);
  EXPECT_FALSE(Ran(session, "S1"));
  EXPECT_FALSE(Ran(session, "S2"));
}

TEST(MigrationsTest, NewerDatabaseIsAConflictNamingBothVersions) {
  ScriptedSession session(Dialect::kSqlite, 7);
  Result<int> version = Migrate(session, kSteps);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.status().code(), StatusCode::kConflict);
  EXPECT_NE(version.status().message().find("version 7 is newer"), std::string::npos);
  EXPECT_NE(version.status().message().find("(2)"), std::string::npos);
}

TEST(MigrationsTest, FailingStepIsInternalNamingTheStep) {
  ScriptedSession session(Dialect::kSqlite, 0);
  session.fail_on = "S2";
  Result<int> version = Migrate(session, kSteps);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.status().code(), StatusCode::kInternal);
  EXPECT_NE(version.status().message().find("schema migration 2 (two) failed"), std::string::npos)
      << version.status().message();
}

TEST(MigrationsTest, StepsWithAGapAreRefused) {
  const Migration gap[] = {{.version = 1, .name = "a", .sqlite_sql = "S", .postgres_sql = "P"},
                           {.version = 3, .name = "b", .sqlite_sql = "S", .postgres_sql = "P"}};
  ScriptedSession session(Dialect::kSqlite, 0);
  Result<int> version = Migrate(session, gap);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.status().code(), StatusCode::kInternal);
  EXPECT_TRUE(session.executed.empty());
}

}  // namespace
}  // namespace drover::db
