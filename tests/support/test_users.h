// Real, unprivileged local users for tests where identity matters, and
// commands run as them. The users are made with useradd (with a home
// directory) the first time a test asks; the suite must run as root to make
// and become them (CI does).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "api/http_types.h"
#include "api/status.h"

namespace drover::testing {

struct TestUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

// The user `name`, made with `useradd -m` if it does not exist.
// Errors: Unavailable when not running as root or useradd fails.
Result<TestUser> EnsureTestUser(const std::string& name);

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

// Runs argv as `user` (runuser), feeding `input` on stdin; waits for it.
Result<CommandResult> RunAs(const TestUser& user, const std::vector<std::string>& argv,
                            const std::string& input = "");

// One HTTP request to droverd's Unix socket from a process running as
// `user`, so droverd sees that user by SO_PEERCRED (curl, as the user).
Result<HttpResponse> RequestAs(const TestUser& user, const std::string& socket,
                               const std::string& method, const std::string& target,
                               const std::string& body = "");

}  // namespace drover::testing
