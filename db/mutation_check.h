// The rules every backend applies to a batch before writing it, so that both
// backends accept and reject exactly the same batches (PostgreSQL's TEXT refuses
// NUL bytes and invalid UTF-8; SQLite would silently store them).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "api/status.h"
#include "db/store.h"

namespace drover::db {

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF) and holds no NUL byte.
bool IsStorableText(std::string_view text);

// Ok, or InvalidArgument naming "batch[i].kind", "batch[i].key" or
// "batch[i].data" and the rule broken, for the first offending mutation.
Status CheckBatch(const std::vector<Mutation>& batch);

}  // namespace drover::db
