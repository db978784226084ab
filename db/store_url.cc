#include "db/store_url.h"

#include <cctype>

namespace drover::db {

namespace {

constexpr std::string_view kAcceptedForms =
    "accepted forms: sqlite:/path/to/drover.db, /path/to/drover.db, "
    "postgresql://user@host:port/dbname, postgres://user@host:port/dbname";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Length of a leading RFC 3986 scheme followed by ':', or 0.
size_t SchemeLength(std::string_view url) {
  if (url.empty() || !std::isalpha(static_cast<unsigned char>(url[0]))) return 0;
  for (size_t i = 1; i < url.size(); ++i) {
    const unsigned char c = url[i];
    if (c == ':') return i;
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return 0;
  }
  return 0;
}

Status Unknown(std::string_view url, std::string_view why) {
  return Status::Invalid("url", "store URL \"" + RedactUrl(url) + "\" " + std::string(why) + "; " +
                                    std::string(kAcceptedForms));
}

}  // namespace

Result<StoreUrl> ParseStoreUrl(std::string_view url) {
  if (url.empty()) return Unknown(url, "is empty");
  if (StartsWith(url, "sqlite:")) {
    std::string_view path = url.substr(7);
    if (StartsWith(path, "//")) path.remove_prefix(2);  // sqlite:///abs/path
    if (path.empty()) return Unknown(url, "has no file path");
    return StoreUrl{StoreUrl::Backend::kSqlite, std::string(path)};
  }
  if (StartsWith(url, "postgresql://") || StartsWith(url, "postgres://")) {
    return StoreUrl{StoreUrl::Backend::kPostgres, std::string(url)};
  }
  const size_t scheme = SchemeLength(url);
  if (url.find("://") != std::string_view::npos || (scheme > 0 && !EndsWith(url, ".db"))) {
    return Unknown(url, "has an unknown scheme");
  }
  return StoreUrl{StoreUrl::Backend::kSqlite, std::string(url)};
}

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  // user:password@host: the password runs from the first ':' after "//" up to
  // the last '@' before the path.
  const size_t start = out.find("://");
  if (start != std::string::npos) {
    const size_t authority = start + 3;
    size_t authority_end = out.find_first_of("/?#", authority);
    if (authority_end == std::string::npos) authority_end = out.size();
    const size_t at = out.rfind('@', authority_end);
    if (at != std::string::npos && at >= authority) {
      const size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=... in the query string (libpq accepts it there too).
  for (size_t pos = 0; (pos = out.find("password=", pos)) != std::string::npos;) {
    const bool at_param_start = pos == 0 || out[pos - 1] == '?' || out[pos - 1] == '&';
    pos += 9;
    if (!at_param_start) continue;
    size_t end = out.find('&', pos);
    if (end == std::string::npos) end = out.size();
    out.replace(pos, end - pos, "***");
  }
  return out;
}

std::string RedactSecrets(std::string_view text, std::string_view url) {
  std::string out(text);
  auto replace_all = [&out](std::string_view from, std::string_view to) {
    if (from.empty()) return;
    for (size_t pos = 0; (pos = out.find(from, pos)) != std::string::npos; pos += to.size()) {
      out.replace(pos, from.size(), to);
    }
  };
  const std::string redacted = RedactUrl(url);
  if (redacted != url) {
    replace_all(url, redacted);
    // The password is what RedactUrl replaced: compare the two strings from
    // both ends to find it (there is at most one userinfo password; a query
    // password= is handled the same way when it is the only one).
    size_t head = 0;
    while (head < url.size() && head < redacted.size() && url[head] == redacted[head]) ++head;
    size_t tail = 0;
    while (tail < url.size() - head && tail < redacted.size() - head &&
           url[url.size() - 1 - tail] == redacted[redacted.size() - 1 - tail]) {
      ++tail;
    }
    const std::string_view password = url.substr(head, url.size() - head - tail);
    if (password.size() >= 3 && password.find("***") == std::string_view::npos) {
      replace_all(password, "***");
    }
  }
  return out;
}

std::string TrimDriverMessage(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace drover::db
