#include "db/leader_term.h"

namespace drover::db {

namespace {
constexpr const char* kField = "leader.term";
}

Status DeposedError(int64_t mine, const LeaderTerm& current) {
  return Status(StatusCode::kConflict,
                "deposed: this droverd leads term " + std::to_string(mine) +
                    " but the store is at term " + std::to_string(current.term) +
                    (current.holder.empty() ? "" : ", taken by " + current.holder) +
                    "; nothing was written",
                kField);
}

bool IsDeposed(const Status& status) {
  return status.code() == StatusCode::kConflict && status.field() == kField;
}

}  // namespace drover::db
