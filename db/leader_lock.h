// LeaderLock: which of several droverd on one store leads (HA, docs/admin.md).
//
// PostgreSQL: a session-level advisory lock, held on a connection of its own
// for as long as this droverd leads. The server releases it the moment that
// session ends: the process killed, or its host cut off once TCP keepalives
// give up. SQLite: an flock on "DB.leader" beside the database file, released
// by the kernel when the process dies; a second droverd on the same file (on
// the same machine) is then a standby.
//
// The lock says who may lead; the leader term (leader_term.h) is what stops a
// droverd that lost the lock without noticing from writing.
//
// Thread safety: none; one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "api/status.h"
#include "db/leader_term.h"

namespace drover::db {

class LeaderLock {
 public:
  virtual ~LeaderLock() = default;

  // Tries once, without waiting: true when this process holds the lock now
  // (also when it already did). Errors: Unavailable when the store cannot be
  // reached.
  virtual Result<bool> TryAcquire() = 0;

  // Ok while the lock is held; Unavailable naming why it is lost (the
  // session that held it ended). Only meaningful after TryAcquire said true.
  virtual Status CheckHeld() = 0;

  // The store's schema version, read without migrating (0 for a store not
  // made yet): a standby checks that it runs the leader's version.
  virtual Result<int> StoreSchemaVersion() = 0;

  // The leader term as stored (term 0 when none was ever taken, or the schema
  // predates terms): a standby sends clients to its holder.
  virtual Result<LeaderTerm> CurrentTerm() = 0;
};

// The lock for a store URL (as OpenStore takes). Errors: InvalidArgument for
// a URL OpenStore would refuse; Unavailable when PostgreSQL cannot be reached
// or the lock file cannot be opened.
Result<std::unique_ptr<LeaderLock>> OpenLeaderLock(const std::string& url);

}  // namespace drover::db
