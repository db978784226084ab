// LookupUser: what Drover needs of a local account (passwd), by uid. Results
// (unknown uids too) are cached for a minute: tasks launch by the thousand,
// and every uncached lookup reads /etc/passwd or asks NSS. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace drover::executors {

struct UserAccount {
  std::string name;
  std::string home;   // "/" when the account has none
  std::string shell;  // "/bin/sh" when the account has none
};

std::optional<UserAccount> LookupUser(uint32_t uid);

}  // namespace drover::executors
