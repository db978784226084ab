// OpenStore and OpenLeaderLock: pick the backend a URL names (see store_url.h).
#include "db/file_leader_lock.h"
#include "db/postgres_leader_lock.h"
#include "db/postgres_store.h"
#include "db/sqlite_store.h"
#include "db/store.h"
#include "db/store_url.h"

namespace drover::db {

Result<std::unique_ptr<Store>> OpenStore(const std::string& url) {
  Result<StoreUrl> parsed = ParseStoreUrl(url);
  if (!parsed.ok()) return parsed.status();
  if (parsed->backend == StoreUrl::Backend::kPostgres) {
    Result<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(parsed->target);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(*store));
  }
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(parsed->target);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

Result<std::unique_ptr<LeaderLock>> OpenLeaderLock(const std::string& url) {
  Result<StoreUrl> parsed = ParseStoreUrl(url);
  if (!parsed.ok()) return parsed.status();
  if (parsed->backend == StoreUrl::Backend::kPostgres) {
    Result<std::unique_ptr<PostgresLeaderLock>> lock = PostgresLeaderLock::Open(parsed->target);
    if (!lock.ok()) return lock.status();
    return std::unique_ptr<LeaderLock>(std::move(*lock));
  }
  Result<std::unique_ptr<FileLeaderLock>> lock = FileLeaderLock::Open(parsed->target);
  if (!lock.ok()) return lock.status();
  return std::unique_ptr<LeaderLock>(std::move(*lock));
}

}  // namespace drover::db
