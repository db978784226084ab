// Store URLs: which backend a URL names, and how to print one safely.
#pragma once

#include <string>
#include <string_view>

#include "api/status.h"

namespace drover::db {

struct StoreUrl {
  enum class Backend { kSqlite, kPostgres };
  Backend backend = Backend::kSqlite;
  // SQLite: the file path. PostgreSQL: the URL as given, for libpq.
  std::string target;
};

// Accepted forms:
//   sqlite:/path/drover.db, sqlite:///path/drover.db, sqlite:relative.db -> SQLite
//   /path/drover.db, relative/dir/drover.db (no "scheme:" prefix, or ends in .db)
//                                                                  -> SQLite
//   postgresql://user@host:port/db, postgres://...                 -> PostgreSQL
// Errors: InvalidArgument (field "url") for an empty URL, an empty SQLite path
// or any other scheme; the message lists the accepted forms.
Result<StoreUrl> ParseStoreUrl(std::string_view url);

// The URL with any password replaced by "***": the one in user:password@host
// and any password=... query parameter. Safe for logs and error messages.
std::string RedactUrl(std::string_view url);

// A driver's error message (libpq's, SQLite's) without the newlines and
// spaces it ends with, to quote inside a sentence.
std::string TrimDriverMessage(std::string text);

// `text` (e.g. a driver's error message) with every occurrence of `url`
// replaced by RedactUrl(url) and of the URL's password by "***".
std::string RedactSecrets(std::string_view text, std::string_view url);

}  // namespace drover::db
