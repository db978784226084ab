#include "tests/support/test_postgres.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <pqxx/pqxx>
#include <random>

namespace drover::testing {

namespace {

// The server URL with its database name replaced by `dbname`.
std::string WithDatabase(const std::string& url, const std::string& dbname) {
  const size_t authority = url.find("://");
  const size_t start = url.find_first_of("/?", authority == std::string::npos ? 0 : authority + 3);
  if (start == std::string::npos) return url + "/" + dbname;
  if (url[start] == '?') return url.substr(0, start) + "/" + dbname + url.substr(start);
  const size_t end = url.find('?', start);
  return url.substr(0, start) + "/" + dbname + (end == std::string::npos ? "" : url.substr(end));
}

Status ExecOn(const std::string& url, const std::string& sql) {
  try {
    pqxx::connection conn(url);
    pqxx::nontransaction txn(conn);
    txn.exec(sql);
    return Status::Ok();
  } catch (const std::exception& e) {
    return Status::Internal("postgresql \"" + sql + "\": " + e.what());
  }
}

}  // namespace

std::string TestPostgresUrl() {
  const char* url = std::getenv("DROVER_TEST_POSTGRES_URL");
  return url ? url : "";
}

TestPostgresDatabase::TestPostgresDatabase(std::string server_url, std::string dbname)
    : server_url_(std::move(server_url)),
      dbname_(std::move(dbname)),
      url_(WithDatabase(server_url_, dbname_)) {}

std::unique_ptr<TestPostgresDatabase> TestPostgresDatabase::Create(std::string* skip_reason) {
  const std::string server = TestPostgresUrl();
  if (server.empty()) {
    *skip_reason =
        "DROVER_TEST_POSTGRES_URL is not set; start a server with "
        "scripts/postgres-test-server.sh start DIR and export the URL it prints";
    return nullptr;
  }
  static std::atomic<int> counter{0};
  std::random_device random;
  const std::string dbname = "drover_test_" + std::to_string(::getpid()) + "_" +
                             std::to_string(counter++) + "_" + std::to_string(random() % 1000000);
  Status made = ExecOn(server, "CREATE DATABASE " + dbname + " ENCODING 'UTF8' TEMPLATE template0");
  if (!made.ok()) {
    *skip_reason = made.ToString();
    return nullptr;
  }
  return std::unique_ptr<TestPostgresDatabase>(new TestPostgresDatabase(server, dbname));
}

TestPostgresDatabase::~TestPostgresDatabase() {
  ExecOn(server_url_, "DROP DATABASE IF EXISTS " + dbname_ + " WITH (FORCE)").ok();
}

Status TestPostgresDatabase::Exec(const std::string& sql) const { return ExecOn(url_, sql); }

}  // namespace drover::testing
