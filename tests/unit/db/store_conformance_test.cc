// One suite, every backend: each case runs against SQLite and PostgreSQL (the
// latter skipped when $DROVER_TEST_POSTGRES_URL is unset).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "db/migrations.h"
#include "db/store.h"
#include "tests/unit/db/store_harness.h"

namespace drover::db {

// Readable parameter names in test output ("GetParam() = sqlite").
void PrintTo(Dialect dialect, std::ostream* os) {
  *os << (dialect == Dialect::kSqlite ? "sqlite" : "postgresql");
}

namespace {

using testing::MakeHarness;
using testing::StoreHarness;

class StoreConformanceTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    std::string skip_reason;
    harness_ = MakeHarness(GetParam(), &skip_reason);
    if (!harness_) GTEST_SKIP() << skip_reason;
    Reopen();
  }

  void TearDown() override {
    store_.reset();  // close before the harness drops the database
    harness_.reset();
  }

  void Reopen() {
    store_.reset();
    Result<std::unique_ptr<Store>> store = harness_->Open();
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  void CommitOk(const std::vector<Mutation>& batch) {
    Status st = store_->Commit(batch);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  // The stored data of kind/key, or "<absent>".
  std::string DataOf(std::string_view kind, std::string_view key) {
    Result<StoredObject> object = store_->Get(kind, key);
    if (!object.ok()) {
      EXPECT_EQ(object.status().code(), StatusCode::kNotFound) << object.status().ToString();
      return "<absent>";
    }
    EXPECT_EQ(object->kind, kind);
    EXPECT_EQ(object->key, key);
    return object->data;
  }

  std::vector<std::string> KeysOf(std::string_view kind) {
    Result<std::vector<StoredObject>> objects = store_->LoadAll(kind);
    EXPECT_TRUE(objects.ok()) << objects.status().ToString();
    std::vector<std::string> keys;
    if (!objects.ok()) return keys;
    for (const StoredObject& o : *objects) {
      EXPECT_EQ(o.kind, kind);
      keys.push_back(o.key);
    }
    return keys;
  }

  const char* TableExistsSql(const std::string& table) {
    sql_ =
        harness_->dialect() == Dialect::kSqlite
            ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '" + table + "'"
            : "SELECT COUNT(*) FROM pg_tables WHERE tablename = '" + table + "'";
    return sql_.c_str();
  }

  std::unique_ptr<StoreHarness> harness_;
  std::unique_ptr<Store> store_;
  std::string sql_;
};

std::string Doc(int i) { return R"({"id":)" + std::to_string(i) + R"(,"state":"pending"})"; }

TEST_P(StoreConformanceTest, ReportsItsBackend) {
  EXPECT_EQ(store_->Backend(), GetParam() == Dialect::kSqlite ? "sqlite" : "postgresql");
}

TEST_P(StoreConformanceTest, GetReturnsWhatPutStored) {
  CommitOk({Mutation::Put("job", "1", Doc(1)), Mutation::Put("job", "2", Doc(2))});
  EXPECT_EQ(DataOf("job", "1"), Doc(1));
  EXPECT_EQ(DataOf("job", "2"), Doc(2));
}

TEST_P(StoreConformanceTest, GetOfMissingObjectIsNotFoundNamingIt) {
  Result<StoredObject> object = store_->Get("job", "42");
  ASSERT_FALSE(object.ok());
  EXPECT_EQ(object.status().code(), StatusCode::kNotFound);
  EXPECT_NE(object.status().message().find("job/42"), std::string::npos)
      << object.status().message();
}

TEST_P(StoreConformanceTest, PutOverwritesExistingObject) {
  CommitOk({Mutation::Put("job", "1", Doc(1))});
  CommitOk({Mutation::Put("job", "1", R"({"id":1,"state":"running"})")});
  EXPECT_EQ(DataOf("job", "1"), R"({"id":1,"state":"running"})");
  EXPECT_EQ(KeysOf("job").size(), 1u);
}

TEST_P(StoreConformanceTest, DeleteRemovesObjectAndDeletingAbsentOneIsOk) {
  CommitOk({Mutation::Put("job", "1", Doc(1)), Mutation::Put("job", "2", Doc(2))});
  CommitOk({Mutation::Delete("job", "1"), Mutation::Delete("job", "never-existed")});
  EXPECT_EQ(DataOf("job", "1"), "<absent>");
  EXPECT_EQ(DataOf("job", "2"), Doc(2));
}

TEST_P(StoreConformanceTest, KindsAreSeparateNamespaces) {
  CommitOk({Mutation::Put("job", "x", "job-x"), Mutation::Put("node", "x", "node-x")});
  CommitOk({Mutation::Delete("job", "x")});
  EXPECT_EQ(DataOf("job", "x"), "<absent>");
  EXPECT_EQ(DataOf("node", "x"), "node-x");
  EXPECT_EQ(KeysOf("node"), std::vector<std::string>{"x"});
  EXPECT_TRUE(KeysOf("job").empty());
}

TEST_P(StoreConformanceTest, MutationsOfOneKeyInABatchApplyInOrder) {
  CommitOk({Mutation::Put("job", "gone", "x"), Mutation::Put("job", "back", "x")});
  CommitOk({
      Mutation::Put("job", "twice", "first"),
      Mutation::Put("job", "twice", "second"),
      Mutation::Put("job", "new-then-deleted", "x"),
      Mutation::Delete("job", "new-then-deleted"),
      Mutation::Delete("job", "gone"),
      Mutation::Delete("job", "back"),
      Mutation::Put("job", "back", "again"),
      Mutation::Put("job", "thrice", "1"),
      Mutation::Delete("job", "thrice"),
      Mutation::Put("job", "thrice", "3"),
  });
  EXPECT_EQ(DataOf("job", "twice"), "second");
  EXPECT_EQ(DataOf("job", "new-then-deleted"), "<absent>");
  EXPECT_EQ(DataOf("job", "gone"), "<absent>");
  EXPECT_EQ(DataOf("job", "back"), "again");
  EXPECT_EQ(DataOf("job", "thrice"), "3");
}

TEST_P(StoreConformanceTest, EmptyBatchIsOkAndChangesNothing) {
  CommitOk({Mutation::Put("job", "1", Doc(1))});
  CommitOk({});
  EXPECT_EQ(KeysOf("job"), std::vector<std::string>{"1"});
}

TEST_P(StoreConformanceTest, LoadAllReturnsOneKindInByteOrderOfKey) {
  std::vector<std::string> keys = {"b", "a",   "B",   "aa", "10",
                                   "9", "a b", "a-b", "é",  "\xF0\x9F\x9A\x80",
                                   "Z", "~",   "a_b", "ab", "A"};
  std::vector<Mutation> batch;
  for (const std::string& key : keys) batch.push_back(Mutation::Put("job", key, "{}"));
  batch.push_back(Mutation::Put("node", "m", "{}"));
  batch.push_back(Mutation::Put("jobs", "c", "{}"));  // a kind with "job" as prefix
  CommitOk(batch);
  std::sort(keys.begin(), keys.end());  // std::string compares bytes as unsigned char
  EXPECT_EQ(KeysOf("job"), keys);
  EXPECT_TRUE(KeysOf("nothing").empty());
}

TEST_P(StoreConformanceTest, LargeBatchCommitsInOneGo) {
  constexpr int kCount = 20000;
  std::vector<Mutation> batch;
  for (int i = 0; i < kCount; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "%06d", i);
    batch.push_back(Mutation::Put("task", key, std::string(200, 'a' + i % 26)));
  }
  CommitOk(batch);
  Result<std::vector<StoredObject>> all = store_->LoadAll("task");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ((*all)[i].data, batch[i].data) << "at " << i;
    ASSERT_EQ((*all)[i].key, batch[i].key) << "at " << i;
  }
  std::vector<Mutation> deletes;
  for (const Mutation& m : batch) deletes.push_back(Mutation::Delete(m.kind, m.key));
  CommitOk(deletes);
  EXPECT_TRUE(KeysOf("task").empty());
}

TEST_P(StoreConformanceTest, DataAndKeysRoundTripByteExact) {
  std::string big;  // 1 MiB of JSON with every printable ASCII character and escapes
  big.reserve(1 << 20);
  big += R"({"blob":")";
  for (int i = 0; big.size() < (1 << 20) - 2; ++i) {
    const char c = static_cast<char>(0x20 + i % 95);
    big += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  }
  big += "\"}";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"unicode", R"({"name":"café ☕ 日本語 🚀 é"})"},  // é composed of e + U+0301
      {"quotes", R"({"a":"say \"hi\"","b":'single',"c":"\\back\\slash\\"})"},
      {"array-literal-specials", R"({"x":[1,2,{"y":"{}"}],"z":"NULL","n":null})"},
      {"whitespace", "{\n\t\"a\" :  1 ,\r\n  \"b\":\" \"\n}\n  "},
      {"control-characters", std::string("\x01\x02\x1f\x7f", 4)},
      {"empty", ""},
      {"NULL", "NULL"},
      {"big", big},
      {"key with \"quotes\", {braces}, back\\slash and 'apostrophes'", "{}"},
      {"ключ-🔑", R"({"k":"v"})"},
  };
  std::vector<Mutation> batch;
  for (const auto& [key, data] : cases) batch.push_back(Mutation::Put("doc", key, data));
  CommitOk(batch);
  for (const auto& [key, data] : cases) {
    EXPECT_EQ(DataOf("doc", key), data) << "key " << key;
  }
  Result<std::vector<StoredObject>> all = store_->LoadAll("doc");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), cases.size());
  for (const StoredObject& o : *all) {
    auto it =
        std::find_if(cases.begin(), cases.end(), [&](const auto& c) { return c.first == o.key; });
    ASSERT_NE(it, cases.end()) << "unexpected key " << o.key;
    EXPECT_EQ(o.data, it->second) << "key " << o.key;
  }
}

struct BadMutation {
  const char* name;
  Mutation mutation;
  const char* field;
};

TEST_P(StoreConformanceTest, RejectedBatchChangesNothing) {
  CommitOk({Mutation::Put("job", "kept", "original"), Mutation::Put("job", "also-kept", "x")});
  const BadMutation bad[] = {
      {"empty kind", Mutation::Put("", "k", "{}"), "batch[2].kind"},
      {"empty key", Mutation::Delete("job", ""), "batch[2].key"},
      {"NUL in data", Mutation::Put("job", "k", std::string("{\"a\":\"\0\"}", 9)), "batch[2].data"},
      {"invalid UTF-8 in data", Mutation::Put("job", "k", "{\"a\":\"\xC3\x28\"}"), "batch[2].data"},
      {"invalid UTF-8 in key", Mutation::Put("job", "\xFF", "{}"), "batch[2].key"},
      {"surrogate in kind", Mutation::Put("\xED\xA0\x80", "k", "{}"), "batch[2].kind"},
  };
  for (const BadMutation& b : bad) {
    SCOPED_TRACE(b.name);
    std::vector<Mutation> batch = {Mutation::Put("job", "kept", "changed"),
                                   Mutation::Delete("job", "also-kept"), b.mutation,
                                   Mutation::Put("job", "new", "x")};
    Status st = store_->Commit(batch);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
    EXPECT_EQ(st.field(), b.field) << st.ToString();
    EXPECT_EQ(DataOf("job", "kept"), "original");
    EXPECT_EQ(DataOf("job", "also-kept"), "x");
    EXPECT_EQ(DataOf("job", "new"), "<absent>");
  }
}

TEST_P(StoreConformanceTest, BatchFailingInsideTheDatabaseAppliesNothing) {
  CommitOk({Mutation::Put("job", "kept", "original"), Mutation::Put("job", "doomed", "x")});
  harness_->Exec(harness_->PoisonKeySql("poison"));
  Reopen();  // a fresh connection sees the trigger in its prepared statements
  std::vector<Mutation> batch = {Mutation::Put("job", "kept", "changed"),
                                 Mutation::Delete("job", "doomed")};
  for (int i = 0; i < 500; ++i) batch.push_back(Mutation::Put("job", "a" + std::to_string(i), "x"));
  batch.push_back(Mutation::Put("job", "poison", "x"));
  for (int i = 0; i < 500; ++i) batch.push_back(Mutation::Put("job", "z" + std::to_string(i), "x"));

  Status st = store_->Commit(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("poisoned key poison"), std::string::npos) << st.ToString();
  EXPECT_EQ(DataOf("job", "kept"), "original");
  EXPECT_EQ(DataOf("job", "doomed"), "x");
  EXPECT_EQ(KeysOf("job"), (std::vector<std::string>{"doomed", "kept"}));

  // The store stays usable after a failed transaction.
  CommitOk({Mutation::Put("job", "after", "ok")});
  EXPECT_EQ(DataOf("job", "after"), "ok");
}

TEST_P(StoreConformanceTest, CommittedObjectsSurviveReopen) {
  CommitOk({Mutation::Put("job", "1", Doc(1)), Mutation::Put("job", "2", Doc(2))});
  CommitOk({Mutation::Delete("job", "1"), Mutation::Put("node", "n1", "{}")});
  Reopen();
  EXPECT_EQ(KeysOf("job"), std::vector<std::string>{"2"});
  EXPECT_EQ(DataOf("job", "2"), Doc(2));
  EXPECT_EQ(DataOf("node", "n1"), "{}");
}

// A child process commits batches and reports each acknowledgement on a pipe;
// it is killed with SIGKILL at an arbitrary point. Every acknowledged batch must
// be complete after reopening, and no batch may be half there.
TEST_P(StoreConformanceTest, AcknowledgedCommitsSurviveKillNine) {
  constexpr int kBatchSize = 50;
  constexpr int kAcksBeforeKill = 15;
  store_.reset();  // no connection may cross the fork
  int ack_pipe[2];
  ASSERT_EQ(::pipe(ack_pipe), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ack_pipe[0]);
    Result<std::unique_ptr<Store>> store = harness_->Open();
    if (!store.ok()) ::_exit(2);
    for (int b = 0;; ++b) {
      std::vector<Mutation> batch;
      for (int i = 0; i < kBatchSize; ++i) {
        batch.push_back(Mutation::Put("job", std::to_string(b) + "/" + std::to_string(i), Doc(i)));
      }
      if (!(*store)->Commit(batch).ok()) ::_exit(3);
      if (::write(ack_pipe[1], &b, sizeof b) != sizeof b) ::_exit(4);
    }
  }
  ::close(ack_pipe[1]);
  int last_acked = -1;
  int b;
  while (last_acked + 1 < kAcksBeforeKill && ::read(ack_pipe[0], &b, sizeof b) == sizeof b) {
    last_acked = b;
  }
  ::kill(child, SIGKILL);
  while (::read(ack_pipe[0], &b, sizeof b) == sizeof b) last_acked = b;  // acks sent before death
  ::close(ack_pipe[0]);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited early with status " << WEXITSTATUS(wstatus);
  ASSERT_GE(last_acked, kAcksBeforeKill - 1);

  Reopen();
  Result<std::vector<StoredObject>> all = store_->LoadAll("job");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::map<int, int> per_batch;
  for (const StoredObject& o : *all) per_batch[std::stoi(o.key)]++;
  for (int i = 0; i <= last_acked; ++i) EXPECT_EQ(per_batch[i], kBatchSize) << "batch " << i;
  for (const auto& [batch, count] : per_batch) {
    EXPECT_EQ(count, kBatchSize) << "batch " << batch << " is partly stored";
  }
}

TEST_P(StoreConformanceTest, MigrationsApplyOnceAndVersionIsReported) {
  const int latest = LatestVersion(BuiltinMigrations());
  EXPECT_EQ(latest, 3);
  EXPECT_EQ(store_->SchemaVersion(), latest);
  Reopen();
  Reopen();
  EXPECT_EQ(store_->SchemaVersion(), latest);
  EXPECT_EQ(harness_->QueryInt("SELECT COUNT(*) FROM schema_migrations"), latest);
  EXPECT_EQ(harness_->QueryInt("SELECT MAX(version) FROM schema_migrations"), latest);
}

Migration ExtraStep(int version, std::string_view sql) {
  return Migration{.version = version, .name = "test step", .sqlite_sql = sql, .postgres_sql = sql};
}

TEST_P(StoreConformanceTest, UpgradeAppliesOnlyTheNewStepsAndKeepsData) {
  CommitOk({Mutation::Put("job", "1", Doc(1))});
  store_.reset();
  std::vector<Migration> steps(BuiltinMigrations().begin(), BuiltinMigrations().end());
  const int next = LatestVersion(BuiltinMigrations()) + 1;
  steps.push_back(ExtraStep(next, "CREATE TABLE extra (id INTEGER PRIMARY KEY)"));
  Result<std::unique_ptr<Store>> upgraded = harness_->Open(steps);
  ASSERT_TRUE(upgraded.ok()) << upgraded.status().ToString();
  EXPECT_EQ((*upgraded)->SchemaVersion(), next);
  upgraded->reset();
  upgraded = harness_->Open(steps);  // idempotent: the new step is not run twice
  ASSERT_TRUE(upgraded.ok()) << upgraded.status().ToString();
  store_ = std::move(*upgraded);
  EXPECT_EQ(harness_->QueryInt("SELECT COUNT(*) FROM schema_migrations"), next);
  EXPECT_EQ(harness_->QueryInt(TableExistsSql("extra")), 1);
  EXPECT_EQ(DataOf("job", "1"), Doc(1));
}

TEST_P(StoreConformanceTest, FailedMigrationLeavesThePreviousVersion) {
  CommitOk({Mutation::Put("job", "1", Doc(1))});
  store_.reset();
  std::vector<Migration> steps(BuiltinMigrations().begin(), BuiltinMigrations().end());
  // The first statement succeeds, the second fails: neither may remain.
  const int next = LatestVersion(BuiltinMigrations()) + 1;
  steps.push_back(
      ExtraStep(next, "CREATE TABLE extra (id INTEGER); CREATE TABLE objects (id INTEGER);"));
  Result<std::unique_ptr<Store>> failed = harness_->Open(steps);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kInternal);
  EXPECT_NE(failed.status().message().find("schema migration " + std::to_string(next) +
                                           " (test step) failed"),
            std::string::npos)
      << failed.status().message();
  EXPECT_EQ(harness_->QueryInt("SELECT MAX(version) FROM schema_migrations"), next - 1);
  EXPECT_EQ(harness_->QueryInt(TableExistsSql("extra")), 0);
  Reopen();
  EXPECT_EQ(store_->SchemaVersion(), next - 1);
  EXPECT_EQ(DataOf("job", "1"), Doc(1));
}

TEST_P(StoreConformanceTest, RefusesDatabaseWithNewerSchema) {
  CommitOk({Mutation::Put("job", "1", Doc(1))});
  store_.reset();
  harness_->Exec("INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')");
  Result<std::unique_ptr<Store>> store = OpenStore(harness_->Url());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kConflict);
  EXPECT_NE(store.status().message().find("schema version 99 is newer"), std::string::npos)
      << store.status().message();
  // Refusing changed nothing.
  EXPECT_EQ(harness_->QueryInt("SELECT COUNT(*) FROM schema_migrations"),
            LatestVersion(BuiltinMigrations()) + 1);
  EXPECT_EQ(harness_->QueryInt("SELECT COUNT(*) FROM objects"), 1);
}

TEST_P(StoreConformanceTest, OpenStoreOpensThisBackendFromItsUrl) {
  CommitOk({Mutation::Put("job", "1", Doc(1))});
  store_.reset();
  Result<std::unique_ptr<Store>> store = OpenStore(harness_->Url());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  store_ = std::move(*store);
  EXPECT_EQ(store_->Backend(), GetParam() == Dialect::kSqlite ? "sqlite" : "postgresql");
  EXPECT_EQ(DataOf("job", "1"), Doc(1));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgres),
                         [](const ::testing::TestParamInfo<Dialect>& info) {
                           return info.param == Dialect::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace drover::db
