// The leader term (HA, docs/admin.md): a number in the store that grows by one
// each time a droverd takes the lead. Every commit of a leader checks it in
// its transaction, so a droverd that has been replaced writes nothing more:
// the term is the fencing token that makes two leaders never both commit.
#pragma once

#include <cstdint>
#include <string>

#include "api/status.h"

namespace drover::db {

struct LeaderTerm {
  int64_t term = 0;
  std::string holder;  // the API address the leader advertised (standbys send clients there)
  int64_t acquired_ms = 0;
};

// The error of a commit fenced off: the store's term is `current`, not
// `mine`. Conflict, field "leader.term".
Status DeposedError(int64_t mine, const LeaderTerm& current);

// Whether a Commit failed because another droverd has taken a newer term
// since this store's BeginTerm: this process must stop writing.
bool IsDeposed(const Status& status);

}  // namespace drover::db
