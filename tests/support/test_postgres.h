// TestPostgresDatabase: a throw-away database, made on the PostgreSQL server
// that $DROVER_TEST_POSTGRES_URL names (scripts/postgres-test-server.sh starts
// one; scripts/test.sh sets it) and dropped when the object goes.
#pragma once

#include <memory>
#include <string>

#include "api/status.h"

namespace drover::testing {

// The server URL for tests, or "" when $DROVER_TEST_POSTGRES_URL is unset.
std::string TestPostgresUrl();

class TestPostgresDatabase {
 public:
  // A new, empty UTF8 database; nullptr with `skip_reason` set when no test
  // server is configured, or with the error when it cannot be made.
  static std::unique_ptr<TestPostgresDatabase> Create(std::string* skip_reason);
  ~TestPostgresDatabase();
  TestPostgresDatabase(const TestPostgresDatabase&) = delete;
  TestPostgresDatabase& operator=(const TestPostgresDatabase&) = delete;

  // The database's URL (as OpenStore and droverd's --store take it).
  const std::string& url() const { return url_; }
  // Runs SQL on the database, on a connection of its own.
  Status Exec(const std::string& sql) const;

 private:
  TestPostgresDatabase(std::string server_url, std::string dbname);
  std::string server_url_, dbname_, url_;
};

}  // namespace drover::testing
