#include "executors/user_accounts.h"

#include <pwd.h>

#include <chrono>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace drover::executors {
namespace {

constexpr auto kTtl = std::chrono::seconds(60);

struct CachedAccount {
  std::optional<UserAccount> account;
  std::chrono::steady_clock::time_point fetched;
};

std::optional<UserAccount> LookupUncached(uint32_t uid) {
  struct passwd pw;
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  UserAccount a;
  a.name = pw.pw_name != nullptr ? pw.pw_name : "";
  a.home = pw.pw_dir != nullptr && pw.pw_dir[0] != '\0' ? pw.pw_dir : "/";
  a.shell = pw.pw_shell != nullptr && pw.pw_shell[0] != '\0' ? pw.pw_shell : "/bin/sh";
  return a;
}

}  // namespace

std::optional<UserAccount> LookupUser(uint32_t uid) {
  static std::mutex mu;
  static std::unordered_map<uint32_t, CachedAccount> cache;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(uid);
    if (it != cache.end() && now - it->second.fetched < kTtl) return it->second.account;
  }
  std::optional<UserAccount> account = LookupUncached(uid);
  std::lock_guard<std::mutex> lock(mu);
  cache[uid] = CachedAccount{account, now};
  return account;
}

}  // namespace drover::executors
