#include "db/store_url.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "db/migrations.h"
#include "db/store.h"

namespace drover::db {
namespace {

struct UrlCase {
  const char* url;
  StoreUrl::Backend backend;
  const char* target;
};

TEST(StoreUrlTest, AcceptedFormsNameTheirBackend) {
  const UrlCase cases[] = {
      {"sqlite:/var/lib/drover/drover.db", StoreUrl::Backend::kSqlite, "/var/lib/drover/drover.db"},
      {"sqlite:///var/lib/drover/drover.db", StoreUrl::Backend::kSqlite,
       "/var/lib/drover/drover.db"},
      {"sqlite:state/drover.db", StoreUrl::Backend::kSqlite, "state/drover.db"},
      {"/var/lib/drover/drover.db", StoreUrl::Backend::kSqlite, "/var/lib/drover/drover.db"},
      {"drover.db", StoreUrl::Backend::kSqlite, "drover.db"},
      {"./state/store", StoreUrl::Backend::kSqlite, "./state/store"},
      {"odd:name.db", StoreUrl::Backend::kSqlite, "odd:name.db"},
      {"postgresql://drover@db:5432/drover", StoreUrl::Backend::kPostgres,
       "postgresql://drover@db:5432/drover"},
      {"postgres://u:p@10.0.0.1/drover?sslmode=require", StoreUrl::Backend::kPostgres,
       "postgres://u:p@10.0.0.1/drover?sslmode=require"},
  };
  for (const UrlCase& c : cases) {
    Result<StoreUrl> parsed = ParseStoreUrl(c.url);
    ASSERT_TRUE(parsed.ok()) << c.url << ": " << parsed.status().ToString();
    EXPECT_EQ(parsed->backend, c.backend) << c.url;
    EXPECT_EQ(parsed->target, c.target) << c.url;
  }
}

TEST(StoreUrlTest, UnknownSchemesAreInvalidAndListTheAcceptedForms) {
  for (const char* url : {"mysql://root:hunter2@db/drover", "file:/tmp/x", "sqlite:", "",
                          "redis://localhost:6379", "postgresq://x/y"}) {
    Result<StoreUrl> parsed = ParseStoreUrl(url);
    ASSERT_FALSE(parsed.ok()) << url;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_EQ(parsed.status().field(), "url");
    EXPECT_NE(parsed.status().message().find("accepted forms: sqlite:"), std::string::npos)
        << parsed.status().message();
    EXPECT_EQ(parsed.status().message().find("hunter2"), std::string::npos)
        << parsed.status().message();
  }
}

TEST(StoreUrlTest, RedactUrlHidesPasswordsOnly) {
  EXPECT_EQ(RedactUrl("postgresql://drover:s3cret@db:5432/drover"),
            "postgresql://drover:***@db:5432/drover");
  EXPECT_EQ(RedactUrl("postgresql://drover:p%40ss@db/drover?password=x&sslmode=require"),
            "postgresql://drover:***@db/drover?password=***&sslmode=require");
  EXPECT_EQ(RedactUrl("postgresql://drover@db/drover"), "postgresql://drover@db/drover");
  EXPECT_EQ(RedactUrl("postgresql://db/drover?user=a"), "postgresql://db/drover?user=a");
  EXPECT_EQ(RedactUrl("sqlite:/x/y.db"), "sqlite:/x/y.db");
}

TEST(StoreUrlTest, RedactSecretsRemovesUrlAndPasswordFromText) {
  const std::string url = "postgresql://drover:s3cret@db/drover";
  EXPECT_EQ(RedactSecrets("bad uri \"" + url + "\"; password s3cret rejected", url),
            "bad uri \"postgresql://drover:***@db/drover\"; password *** rejected");
}

TEST(OpenStoreTest, UnknownSchemeIsInvalidArgumentNamingTheUrl) {
  Result<std::unique_ptr<Store>> store = OpenStore("mongodb://localhost/drover");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(store.status().message().find("mongodb://localhost/drover"), std::string::npos);
  EXPECT_NE(store.status().message().find("postgresql://"), std::string::npos);
}

TEST(OpenStoreTest, UnreachablePostgresIsUnavailableWithoutThePassword) {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  Result<std::unique_ptr<Store>> store =
      OpenStore("postgresql://drover:TopSecretPw@127.0.0.1:1/drover?connect_timeout=5");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find("Connection refused"), std::string::npos)
      << store.status().message();
  EXPECT_NE(store.status().message().find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(store.status().message().find("TopSecretPw"), std::string::npos)
      << store.status().message();
}

TEST(OpenStoreTest, PlainPathCreatesMissingParentDirectories) {
  std::string dir = (std::filesystem::temp_directory_path() / "drover-open-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/a/b/drover.db";
  {
    Result<std::unique_ptr<Store>> store = OpenStore(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ((*store)->Backend(), "sqlite");
    EXPECT_EQ((*store)->SchemaVersion(), LatestVersion(BuiltinMigrations()));
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  std::filesystem::remove_all(dir);
}

TEST(OpenStoreTest, UnopenableSqlitePathIsUnavailable) {
  Result<std::unique_ptr<Store>> store = OpenStore("sqlite:/proc/drover/drover.db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable) << store.status().ToString();
  EXPECT_NE(store.status().message().find("/proc/drover"), std::string::npos);
}

TEST(OpenStoreTest, FileThatIsNotADatabaseIsUnavailable) {
  std::string dir = (std::filesystem::temp_directory_path() / "drover-open-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/drover.db";
  {
    std::ofstream out(path);
    out << "this is not an SQLite database, just some text that is long enough to matter\n";
  }
  Result<std::unique_ptr<Store>> store = OpenStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable) << store.status().ToString();
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace drover::db
